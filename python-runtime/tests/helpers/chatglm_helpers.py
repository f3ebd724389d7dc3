"""Test helpers for the ChatGLM import: tiny checkpoints in the *original* format, a SentencePiece model
trained on the spot, and a reference forward pass of the original architecture written from its math.

Nothing here uses our conversion code, so the tests compare two independent readings of the format.
"""

from __future__ import annotations

import io
import json
import math
import random
from pathlib import Path

import torch
import torch.nn.functional as F

ZH = "我们今天在北京学习机器模型的微调方法这是一个很好问题请告诉答案中文分词测试人工智能大训练数据集"
# 'people' and 'philosophy' make 'eop' and 'sop' normal pieces, as they likely are in ChatGLM's own vocabulary.
EN = "the people of world learn fine tuning large language models philosophy question answer code python def return"

EN_WITHOUT_SOP_EOP = (
    "the world learn fine tuning large language models question answer code python def return"
)

AUTO_MAP = {
    "AutoConfig": "configuration_chatglm.ChatGLMConfig",
    "AutoModel": "modeling_chatglm.ChatGLMForConditionalGeneration",
    "AutoModelForCausalLM": "modeling_chatglm.ChatGLMForConditionalGeneration",
}
GLM2_SPECIALS = ["[MASK]", "[gMASK]", "[sMASK]", "sop", "eop"]
GLM3_SPECIALS = GLM2_SPECIALS + ["<|system|>", "<|user|>", "<|assistant|>", "<|observation|>"]


def corpus_lines(seed: int = 0, extra_words: str = "", base_words: str = EN) -> list[str]:
    rng = random.Random(seed)
    words = (base_words + " " + extra_words).split()
    lines = []
    for _ in range(300):
        zh = "".join(rng.choice(ZH) for _ in range(rng.randint(3, 16)))
        en = " ".join(rng.choice(words) for _ in range(rng.randint(2, 7)))
        lines.append(f"{zh} {en} {rng.randint(0, 9999)}")
    return lines


def train_sp_model(path: Path, lines: list[str], **options) -> Path:
    """A BPE SentencePiece model with byte fallback, like ChatGLM2/3's tokenizer.model."""
    import sentencepiece as spm

    buffer = io.BytesIO()
    settings = {"model_type": "bpe", "vocab_size": 420, "byte_fallback": True, "minloglevel": 2}
    settings.update(options)
    spm.SentencePieceTrainer.train(sentence_iterator=iter(lines), model_writer=buffer, **settings)
    path.write_bytes(buffer.getvalue())
    return path


class ReferenceChatGLMTokenizer:
    """Mimics THUDM's ChatGLMTokenizer: SentencePiece ids, special tokens appended after the SP vocab."""

    def __init__(self, model_file: Path, generation: int):
        import sentencepiece as spm

        self.sp = spm.SentencePieceProcessor(model_file=str(model_file))
        names = GLM3_SPECIALS if generation == 3 else GLM2_SPECIALS
        self.special = {name: self.sp.vocab_size() + i for i, name in enumerate(names)}

    def encode(self, text: str, add_special_tokens: bool = True) -> list[int]:
        ids = self.sp.encode(text)
        return [self.special["[gMASK]"], self.special["sop"]] + ids if add_special_tokens else ids

    def convert_token_to_id(self, token: str) -> int:
        return self.special[token] if token in self.special else self.sp.piece_to_id(token)


def chatglm_config(generation: int, vocab: int, **overrides) -> dict:
    config = {
        "_name_or_path": f"THUDM/chatglm{generation}-6b",
        "model_type": "chatglm",
        "architectures": ["ChatGLMModel"],
        "auto_map": AUTO_MAP,
        "add_bias_linear": False,
        "add_qkv_bias": True,
        "apply_query_key_layer_scaling": True,
        "apply_residual_connection_post_layernorm": False,
        "attention_softmax_in_fp32": True,
        "ffn_hidden_size": 96,
        "hidden_size": 64,
        "kv_channels": 16,
        "layernorm_epsilon": 1e-05,
        "multi_query_attention": True,
        "multi_query_group_num": 2,
        "num_attention_heads": 4,
        "num_layers": 2,
        "original_rope": True,
        "padded_vocab_size": vocab,
        "post_layer_norm": True,
        "rmsnorm": True,
        "seq_length": 256,
        "torch_dtype": "float32",
        "eos_token_id": 2,
        "pad_token_id": 0,
    }
    config.update(overrides)
    return config


def random_state_dict(config: dict, seed: int = 0) -> dict[str, torch.Tensor]:
    """Random weights under the original tensor names (ChatGLMForConditionalGeneration.state_dict())."""
    gen = torch.Generator().manual_seed(seed)

    def rand(*shape, scale=0.2):
        return torch.randn(*shape, generator=gen) * scale

    h, heads, hd = config["hidden_size"], config["num_attention_heads"], config["kv_channels"]
    groups = config["multi_query_group_num"] if config["multi_query_attention"] else heads
    qkv_rows = heads * hd + 2 * groups * hd
    sd = {"transformer.embedding.word_embeddings.weight": rand(config["padded_vocab_size"], h, scale=1.0)}
    for n in range(config["num_layers"]):
        p = f"transformer.encoder.layers.{n}."
        sd[p + "input_layernorm.weight"] = 1 + rand(h, scale=0.1)
        sd[p + "self_attention.query_key_value.weight"] = rand(qkv_rows, h)
        sd[p + "self_attention.query_key_value.bias"] = rand(qkv_rows)
        sd[p + "self_attention.dense.weight"] = rand(h, heads * hd)
        sd[p + "post_attention_layernorm.weight"] = 1 + rand(h, scale=0.1)
        sd[p + "mlp.dense_h_to_4h.weight"] = rand(2 * config["ffn_hidden_size"], h)
        sd[p + "mlp.dense_4h_to_h.weight"] = rand(h, config["ffn_hidden_size"])
    sd["transformer.encoder.final_layernorm.weight"] = 1 + rand(h, scale=0.1)
    sd["transformer.output_layer.weight"] = rand(config["padded_vocab_size"], h)
    sd["transformer.rotary_pos_emb.inv_freq"] = torch.ones(hd // 4)  # a buffer in the original state dict
    return sd


def write_checkpoint(
    directory: Path,
    config: dict,
    state_dict: dict,
    sp_model: Path,
    generation: int,
    modeling_text: str = "",
    shards: int = 1,
    bin_format: bool = False,
) -> Path:
    """A checkpoint folder shaped like THUDM's: config.json, weights, tokenizer.model and code files."""
    from safetensors.torch import save_file

    directory.mkdir(parents=True, exist_ok=True)
    (directory / "config.json").write_text(json.dumps(config, indent=2))
    (directory / "tokenizer.model").write_bytes(Path(sp_model).read_bytes())
    roles = '["<|system|>", "<|user|>", "<|assistant|>", "<|observation|>"]' if generation == 3 else "[]"
    # Stand-ins for the remote code: the import only *reads* them, so a marker line is enough.
    (directory / "tokenization_chatglm.py").write_text(
        f"role_special_tokens = {roles}\nraise SystemExit('never run')\n"
    )
    (directory / "modeling_chatglm.py").write_text(
        (modeling_text or "# modeling code stand-in\n")
        + "from .quantization import quantize\nraise SystemExit('never run')\n"
    )
    (directory / "quantization.py").write_text("raise SystemExit('never run')\n")
    (directory / "configuration_chatglm.py").write_text("raise SystemExit('never run')\n")
    (directory / "MODEL_LICENSE").write_text("test licence\n")
    names = list(state_dict)
    chunks = [names[i::shards] for i in range(shards)]
    weight_map = {}
    for number, chunk in enumerate(chunks, start=1):
        part = {k: state_dict[k].contiguous() for k in chunk}
        if bin_format:
            file_name = (
                "pytorch_model.bin" if shards == 1 else f"pytorch_model-{number:05d}-of-{shards:05d}.bin"
            )
            torch.save(part, directory / file_name)
        else:
            file_name = (
                "model.safetensors" if shards == 1 else f"model-{number:05d}-of-{shards:05d}.safetensors"
            )
            save_file(part, str(directory / file_name))
        weight_map.update({k: file_name for k in chunk})
    if shards > 1:
        index_name = "pytorch_model.bin.index.json" if bin_format else "model.safetensors.index.json"
        (directory / index_name).write_text(json.dumps({"metadata": {}, "weight_map": weight_map}))
    return directory


def _rms_norm(x: torch.Tensor, weight: torch.Tensor, eps: float) -> torch.Tensor:
    return weight * (x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + eps))


def _rotary(x: torch.Tensor, angles: torch.Tensor) -> torch.Tensor:
    """ChatGLM's rotary: on the first half of the head dims, pairs (x0, x1), (x2, x3), ... rotate together."""
    rot_dim = angles.shape[-1] * 2
    rot, passthrough = x[..., :rot_dim], x[..., rot_dim:]
    pairs = rot.reshape(*rot.shape[:-1], rot_dim // 2, 2)
    cos, sin = angles.cos()[None, :, None, :], angles.sin()[None, :, None, :]  # [1, seq, 1, rot_dim/2]
    x0, x1 = pairs[..., 0], pairs[..., 1]
    rotated = torch.stack([x0 * cos - x1 * sin, x1 * cos + x0 * sin], dim=-1).flatten(-2)
    return torch.cat([rotated, passthrough], dim=-1)


def reference_logits(
    config: dict, sd: dict, input_ids: torch.Tensor, rope_mode: str = "theta"
) -> torch.Tensor:
    """The original ChatGLM2/3 forward pass (pre-norm GLM blocks, MQA, SwiGLU), in float64."""
    sd = {k: v.double() for k, v in sd.items()}
    heads, hd, eps = config["num_attention_heads"], config["kv_channels"], config["layernorm_epsilon"]
    groups = config["multi_query_group_num"] if config["multi_query_attention"] else heads
    ratio = float(config.get("rope_ratio", 1))
    base = 10000.0 * (ratio if rope_mode == "theta" else 1.0)
    rot_dim = hd // 2
    inv_freq = 1.0 / (base ** (torch.arange(0, rot_dim, 2, dtype=torch.float64) / rot_dim))
    seq = input_ids.shape[1]
    positions = torch.arange(seq, dtype=torch.float64) / (ratio if rope_mode == "positions" else 1.0)
    angles = torch.outer(positions, inv_freq)
    causal = torch.ones(seq, seq, dtype=torch.bool).tril()

    x = sd["transformer.embedding.word_embeddings.weight"][input_ids]
    batch = x.shape[0]
    for n in range(config["num_layers"]):
        p = f"transformer.encoder.layers.{n}."
        h = _rms_norm(x, sd[p + "input_layernorm.weight"], eps)
        qkv = (
            h @ sd[p + "self_attention.query_key_value.weight"].T
            + sd[p + "self_attention.query_key_value.bias"]
        )
        if config["multi_query_attention"]:
            q, k, v = qkv.split([heads * hd, groups * hd, groups * hd], dim=-1)
        else:
            q, k, v = qkv.view(batch, seq, heads, 3 * hd).split(hd, dim=-1)
        q, k, v = (t.reshape(batch, seq, -1, hd) for t in (q, k, v))
        q, k = _rotary(q, angles), _rotary(k, angles)
        # Multi-query attention: head i reads key/value group i // (heads / groups).
        k = k.repeat_interleave(heads // groups, dim=2)
        v = v.repeat_interleave(heads // groups, dim=2)
        scores = torch.einsum("bqhd,bkhd->bhqk", q, k) / math.sqrt(hd)
        scores = scores.masked_fill(~causal, float("-inf"))
        context = torch.einsum("bhqk,bkhd->bqhd", scores.softmax(-1), v).reshape(batch, seq, heads * hd)
        x = x + context @ sd[p + "self_attention.dense.weight"].T
        h = _rms_norm(x, sd[p + "post_attention_layernorm.weight"], eps)
        gate, up = (h @ sd[p + "mlp.dense_h_to_4h.weight"].T).chunk(2, dim=-1)
        x = x + (F.silu(gate) * up) @ sd[p + "mlp.dense_4h_to_h.weight"].T
    x = _rms_norm(x, sd["transformer.encoder.final_layernorm.weight"], eps)
    return x @ sd["transformer.output_layer.weight"].T


# The published config.json of THUDM/chatglm-6b (first generation), abridged to the telling keys.
CHATGLM_6B = {
    "architectures": ["ChatGLMModel"],
    "auto_map": {
        "AutoConfig": "configuration_chatglm.ChatGLMConfig",
        "AutoModel": "modeling_chatglm.ChatGLMForConditionalGeneration",
    },
    "bos_token_id": 130004,
    "eos_token_id": 130005,
    "gmask_token_id": 130001,
    "hidden_size": 4096,
    "inner_hidden_size": 16384,
    "max_sequence_length": 2048,
    "model_type": "chatglm",
    "num_attention_heads": 32,
    "num_layers": 28,
    "position_encoding_2d": True,
    "vocab_size": 130528,
}
