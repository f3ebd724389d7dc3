"""GGUF export for llama.cpp and Ollama, written with the `gguf` package.

Supported: the Llama, Qwen2 and Qwen3 families with a byte-level BPE ("gpt2") tokenizer, in f32,
f16, bf16 and q8_0. Tensor names come from gguf's own HF→GGUF name map; metadata keys are
those llama.cpp's loader reads. llama.cpp's rotary layout differs from HF's for Llama, so
q/k projections are permuted back exactly as convert_hf_to_gguf.py does (not for Qwen2/3,
whose converter does not permute). Verification reads the file back.
"""

from __future__ import annotations

import json
import tempfile
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import torch

from tunedesk.errors import ConfigError
from tunedesk.export.source import CheckpointSource

# HF model_type -> gguf architecture name; whether q/k need llama.cpp's rotary permutation.
FAMILIES = {"llama": ("llama", True), "qwen2": ("qwen2", False), "qwen3": ("qwen3", False)}
WHY_UNSUPPORTED = (
    "TuneDesk's GGUF writer covers the Llama, Qwen2 and Qwen3 families (their tensor layout and metadata are "
    "checked here); other families need architecture-specific tensors and keys"
)
# llama.cpp picks its pre-tokenizer (how text is split before BPE) by name; these are the splits
# of the families we support, as written in their tokenizer.json files.
LLAMA3_SPLIT = r"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+"
QWEN2_SPLIT = r"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+"
F16_TOLERANCE = 1e-2  # relative to the tensor's largest value: fp16 has 10 mantissa bits
Q8_TOLERANCE = 1.5e-2  # q8_0: one scale per 32 values, 8-bit steps


def family_of(source: CheckpointSource) -> str:
    own = source.path / "model"
    config_dir = own if (own / "config.json").is_file() else source.base_model
    if config_dir is None:
        raise ConfigError(
            f"{source.path}: no config.json to tell the model family", "Keep the base model directory."
        )
    config = json.loads((config_dir / "config.json").read_text(encoding="utf-8"))
    tokenizer_file = source.tokenizer_dir / "tokenizer.json"
    if tokenizer_file.is_file():
        model = json.loads(tokenizer_file.read_text(encoding="utf-8")).get("model", {})
        if model.get("type") != "BPE" or not _is_byte_level(tokenizer_file):
            raise ConfigError(
                f"{tokenizer_file}: GGUF export supports byte-level BPE (gpt2-style) tokenizers; this one is {model.get('type')}",
                "Export with --format hf and convert with llama.cpp's convert_hf_to_gguf.py.",
            )
    return str(config.get("model_type"))


def _is_byte_level(tokenizer_file: Path) -> bool:
    text = tokenizer_file.read_text(encoding="utf-8")
    return '"ByteLevel"' in text


def check_family(family: str) -> None:
    if family not in FAMILIES:
        raise ConfigError(
            f"GGUF export does not support the model family {family!r}: {WHY_UNSUPPORTED}",
            "Export with --format hf (loads in transformers, vLLM, ...) and convert that directory "
            "with llama.cpp's convert_hf_to_gguf.py.",
        )


def permute_for_llama_cpp(weight: torch.Tensor, n_head: int) -> torch.Tensor:
    """HF interleaves rotary halves differently from llama.cpp; reorder rows per head."""
    return (
        weight.reshape(n_head, 2, weight.shape[0] // n_head // 2, *weight.shape[1:])
        .swapaxes(1, 2)
        .reshape(weight.shape)
    )


def _gguf_tensors(model: torch.nn.Module) -> list[tuple[str, str, torch.Tensor]]:
    """(hf name, gguf name, fp32 tensor as llama.cpp wants it) for every weight."""
    import gguf

    config = model.config
    arch_name, permute = FAMILIES[config.model_type]
    arch = next(a for a, n in gguf.MODEL_ARCH_NAMES.items() if n == arch_name)
    name_map = gguf.get_tensor_name_map(arch, config.num_hidden_layers)
    heads, kv_heads = config.num_attention_heads, config.num_key_value_heads
    out = []
    for hf_name, tensor in model.state_dict().items():
        if hf_name == "lm_head.weight" and config.tie_word_embeddings:
            continue  # llama.cpp reuses token_embd when output.weight is absent
        gguf_name = name_map.get_name(hf_name, try_suffixes=(".weight", ".bias"))
        if gguf_name is None:
            raise ConfigError(
                f"GGUF export: no llama.cpp name for tensor {hf_name}", "Export with --format hf."
            )
        data = tensor.detach().float().cpu()
        if permute and hf_name.endswith(("q_proj.weight", "q_proj.bias")):
            data = permute_for_llama_cpp(data, heads)
        elif permute and hf_name.endswith(("k_proj.weight", "k_proj.bias")):
            data = permute_for_llama_cpp(data, kv_heads)
        out.append((hf_name, gguf_name, data))
    return out


def _tensor_type(data: torch.Tensor, dtype: str):
    """llama.cpp keeps 1-D tensors (norms, biases) in f32; q8_0 needs rows divisible by 32."""
    import gguf

    T = gguf.GGMLQuantizationType
    if data.dim() < 2 or dtype == "fp32":
        return T.F32
    if dtype == "q8_0":
        return T.Q8_0 if data.shape[-1] % 32 == 0 else T.F16
    return T.BF16 if dtype == "bf16" else T.F16


def _file_type(dtype: str):
    import gguf

    F = gguf.LlamaFileType
    return {"fp32": F.ALL_F32, "fp16": F.MOSTLY_F16, "bf16": F.MOSTLY_BF16, "q8_0": F.MOSTLY_Q8_0}[dtype]


def _rope_theta(config: Any) -> float:
    params = getattr(config, "rope_parameters", None) or {}
    return float(params.get("rope_theta") or getattr(config, "rope_theta", 10000.0))


def _head_dim(config: Any) -> int:
    return int(getattr(config, "head_dim", None) or config.hidden_size // config.num_attention_heads)


def write_gguf(model: torch.nn.Module, tokenizer: Any, path: Path, dtype: str) -> None:
    import gguf

    config = model.config
    arch_name, _ = FAMILIES[config.model_type]
    writer = gguf.GGUFWriter(str(path), arch_name)
    writer.add_name(
        Path(str(getattr(config, "_name_or_path", "") or "tunedesk-export")).name or "tunedesk-export"
    )
    writer.add_context_length(config.max_position_embeddings)
    writer.add_embedding_length(config.hidden_size)
    writer.add_block_count(config.num_hidden_layers)
    writer.add_feed_forward_length(config.intermediate_size)
    writer.add_head_count(config.num_attention_heads)
    writer.add_head_count_kv(config.num_key_value_heads)
    writer.add_rope_freq_base(_rope_theta(config))
    writer.add_rope_dimension_count(_head_dim(config))
    if _head_dim(config) != config.hidden_size // config.num_attention_heads:
        writer.add_key_length(_head_dim(config))
        writer.add_value_length(_head_dim(config))
    writer.add_layer_norm_rms_eps(config.rms_norm_eps)
    writer.add_vocab_size(config.vocab_size)
    writer.add_file_type(_file_type(dtype))
    _add_tokenizer(writer, tokenizer, config.vocab_size)
    for _, name, data in _gguf_tensors(model):
        qtype = _tensor_type(data, dtype)
        array = data.numpy()
        if qtype == gguf.GGMLQuantizationType.F16:
            array = array.astype(np.float16)
        elif qtype != gguf.GGMLQuantizationType.F32:
            array = gguf.quants.quantize(array, qtype)
        writer.add_tensor(
            name,
            array,
            raw_dtype=qtype
            if qtype not in (gguf.GGMLQuantizationType.F16, gguf.GGMLQuantizationType.F32)
            else None,
        )
    writer.write_header_to_file()
    writer.write_kv_data_to_file()
    writer.write_tensors_to_file()
    writer.close()


def pre_tokenizer_name(tokenizer: Any) -> tuple[str, bool]:
    """llama.cpp's name for the tokenizer's pre-split, and whether it is an exact match.

    A plain ByteLevel pre-tokenizer uses GPT-2's split ("gpt-2"); Llama 3 and Qwen2 add their own
    regex. Anything else gets "default" (llama.cpp's GPT-2-like fallback), reported as inexact.
    """
    spec = json.loads(tokenizer.backend_tokenizer.to_str()).get("pre_tokenizer") or {}
    parts = spec.get("pretokenizers", [spec]) if spec.get("type") == "Sequence" else [spec]
    regexes = [p.get("pattern", {}).get("Regex") for p in parts if p.get("type") == "Split"]
    if not regexes and any(p.get("type") == "ByteLevel" and p.get("use_regex", True) for p in parts):
        return "gpt-2", True
    if regexes == [LLAMA3_SPLIT]:
        return "llama-bpe", True
    if regexes == [QWEN2_SPLIT]:
        return "qwen2", True
    return "default", False


def _add_tokenizer(writer: Any, tokenizer: Any, vocab_size: int) -> None:
    """tokenizer.ggml.* as llama.cpp's gpt2 (byte-level BPE) loader expects."""
    import gguf

    vocab = tokenizer.get_vocab()
    by_id = {i: t for t, i in vocab.items()}
    added = {t.content: t for t in tokenizer.added_tokens_decoder.values()}
    tokens, types = [], []
    for i in range(vocab_size):
        token = by_id.get(i)
        if token is None:
            tokens.append(f"[PAD{i}]")
            types.append(gguf.TokenType.UNUSED)
        elif token in added:
            tokens.append(token)
            types.append(gguf.TokenType.CONTROL if added[token].special else gguf.TokenType.USER_DEFINED)
        else:
            tokens.append(token)
            types.append(gguf.TokenType.NORMAL)
    writer.add_tokenizer_model("gpt2")
    writer.add_tokenizer_pre(pre_tokenizer_name(tokenizer)[0])
    writer.add_token_list(tokens)
    writer.add_token_types(types)
    # gguf's SpecialVocab reads merges, bos/eos/pad ids and the chat template from the saved files.
    with tempfile.TemporaryDirectory() as tmp:
        tokenizer.save_pretrained(tmp)
        special = gguf.SpecialVocab(tmp, load_merges=True, n_vocab=vocab_size)
        if tokenizer.pad_token_id is not None:
            special.special_token_ids.setdefault("pad", tokenizer.pad_token_id)
        if getattr(tokenizer, "chat_template", None) and not special.chat_template:
            special.chat_template = tokenizer.chat_template
        special.add_to_gguf(writer)


@dataclass
class GgufCheck:
    passed: bool
    tensors: int
    dtype: str
    max_rel_error: float
    metadata: dict[str, Any] = field(default_factory=dict)
    reason: str = ""

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def read_metadata(reader: Any) -> dict[str, Any]:
    """Scalar and string fields by key (arrays are summarised by their length)."""
    import gguf

    out: dict[str, Any] = {}
    for key, fld in reader.fields.items():
        if key.startswith("GGUF.") or not fld.types:
            continue
        if fld.types[0] == gguf.GGUFValueType.ARRAY:
            out[key] = f"array[{len(fld.data)}]"
        else:
            out[key] = fld.contents()
    return out


def verify_gguf(model: torch.nn.Module, tokenizer: Any, path: Path, dtype: str) -> GgufCheck:
    """Read the file back: tensor count, shapes, types, metadata, and the values themselves."""
    import gguf

    reader = gguf.GGUFReader(str(path))
    metadata = read_metadata(reader)
    expected = _gguf_tensors(model)
    by_name = {t.name: t for t in reader.tensors}
    check = GgufCheck(True, len(reader.tensors), dtype, 0.0, metadata)
    config = model.config
    wanted_meta = {
        "general.architecture": FAMILIES[config.model_type][0],
        f"{FAMILIES[config.model_type][0]}.block_count": config.num_hidden_layers,
        f"{FAMILIES[config.model_type][0]}.embedding_length": config.hidden_size,
        "tokenizer.ggml.model": "gpt2",
    }
    problems = [
        f"{k} is {metadata.get(k)!r}, expected {v!r}" for k, v in wanted_meta.items() if metadata.get(k) != v
    ]
    if len(reader.tensors) != len(expected):
        problems.append(f"{len(reader.tensors)} tensors in the file, {len(expected)} expected")
    for hf_name, name, data in expected:
        tensor = by_name.get(name)
        if tensor is None:
            problems.append(f"tensor {name} ({hf_name}) is missing")
            continue
        if tensor.tensor_type != _tensor_type(data, dtype):
            problems.append(
                f"{name} has type {tensor.tensor_type.name}, expected {_tensor_type(data, dtype).name}"
            )
            continue
        # GGUF lists dimensions innermost first: the reverse of torch's shape.
        if tuple(int(d) for d in reversed(tensor.shape)) != tuple(data.shape):
            problems.append(f"{name} has shape {list(reversed(tensor.shape))}, expected {list(data.shape)}")
            continue
        values = gguf.quants.dequantize(tensor.data, tensor.tensor_type).reshape(data.shape)
        scale = max(float(data.abs().max()), 1e-6)
        rel = float(np.abs(values.astype(np.float32) - data.numpy()).max()) / scale
        check.max_rel_error = max(check.max_rel_error, rel)
    limit = {"fp32": 1e-6, "fp16": F16_TOLERANCE, "bf16": 1e-2 * 4, "q8_0": Q8_TOLERANCE}[dtype]
    if check.max_rel_error > limit:
        problems.append(
            f"tensor values differ from the merged weights by {check.max_rel_error:.3g} (relative) > {limit}"
        )
    if problems:
        check.passed = False
        check.reason = "; ".join(problems[:5])
    return check
