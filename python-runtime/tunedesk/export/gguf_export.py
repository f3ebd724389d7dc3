"""GGUF export for llama.cpp and Ollama, written with the `gguf` package.

Families and metadata keys: gguf_keys.py (mirrors llama.cpp's convert_hf_to_gguf.py); tensor types
and quantisation: gguf_quant.py. Tensor names come from gguf's own HF→GGUF name map. Tensors are
transformed as the converter does (Llama/Mistral q/k rotary permutation, Gemma's norm +1) and every
transform has its inverse here, so verification can rebuild the transformers model from the file.
Tokenizers: byte-level BPE ("gpt2") and SentencePiece-style BPE with byte fallback ("llama", gguf_vocab.py).
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
from tunedesk.export import gguf_keys, gguf_quant, gguf_vocab
from tunedesk.export.gguf_keys import FAMILIES
from tunedesk.export.source import CheckpointSource

# llama.cpp picks its pre-tokenizer (how text is split before BPE) by name; these are the splits
# of the families we support, as written in their tokenizer.json files.
LLAMA3_SPLIT = r"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+"
QWEN2_SPLIT = r"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+"


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
        spec = json.loads(tokenizer_file.read_text(encoding="utf-8"))
        model = spec.get("model", {})
        if not gguf_vocab.is_sentencepiece_style(spec) and (
            model.get("type") != "BPE" or not _is_byte_level(tokenizer_file)
        ):
            raise ConfigError(
                f"{tokenizer_file}: GGUF export supports byte-level BPE (gpt2-style) and SentencePiece-style BPE "
                f"(byte fallback) tokenizers; this one is {model.get('type')}",
                "Export with --format hf and convert with llama.cpp's convert_hf_to_gguf.py.",
            )
    return str(config.get("model_type"))


def _is_byte_level(tokenizer_file: Path) -> bool:
    text = tokenizer_file.read_text(encoding="utf-8")
    return '"ByteLevel"' in text


def check_family(family: str) -> None:
    if family not in FAMILIES:
        raise ConfigError(
            f"GGUF export does not support the model family {family!r}: {gguf_keys.WHY_UNSUPPORTED}",
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


def unpermute_from_llama_cpp(weight: torch.Tensor, n_head: int) -> torch.Tensor:
    """Inverse of permute_for_llama_cpp."""
    return (
        weight.reshape(n_head, weight.shape[0] // n_head // 2, 2, *weight.shape[1:])
        .swapaxes(1, 2)
        .reshape(weight.shape)
    )


@dataclass
class Planned:
    """One GGUF tensor: where it comes from in the HF state dict and how it was transformed."""

    hf_name: str | None  # None for tensors with no HF twin (rope_freqs)
    gguf_name: str
    data: torch.Tensor  # fp32, as llama.cpp wants it
    heads: int | None = None  # rows permuted per this many heads
    shift: float = 0.0  # added to the HF values

    def to_hf(self, values: torch.Tensor) -> torch.Tensor:
        """The inverse transform: what the HF model holds, given the file's values."""
        if self.shift:
            values = values - self.shift
        if self.heads:
            values = unpermute_from_llama_cpp(values, self.heads)
        return values


def plan_tensors(model: torch.nn.Module) -> list[Planned]:
    """Every tensor of the GGUF file, in order, as convert_hf_to_gguf.py would produce it."""
    import gguf

    config = model.config
    fam = gguf_keys.family(config)
    arch = next(a for a, n in gguf.MODEL_ARCH_NAMES.items() if n == fam.arch)
    name_map = gguf.get_tensor_name_map(arch, config.num_hidden_layers)
    heads = config.num_attention_heads
    kv_heads = getattr(config, "num_key_value_heads", None) or heads
    out = []
    factors = gguf_keys.llama3_rope_factors(config)
    if factors is not None:
        out.append(Planned(None, gguf.TENSOR_NAMES[gguf.MODEL_TENSOR.ROPE_FREQS] + ".weight", factors))
    for hf_name, tensor in model.state_dict().items():
        if hf_name == "lm_head.weight" and (config.tie_word_embeddings or fam.drop_lm_head):
            if not config.tie_word_embeddings:
                raise ConfigError(
                    f"GGUF export: {config.model_type} in llama.cpp always uses the token embeddings as the "
                    "output layer, but this model has a separate lm_head",
                    "Export with --format hf.",
                )
            continue  # llama.cpp reuses token_embd when output.weight is absent
        gguf_name = name_map.get_name(hf_name, try_suffixes=(".weight", ".bias"))
        if gguf_name is None:
            raise ConfigError(
                f"GGUF export: no llama.cpp name for tensor {hf_name}", "Export with --format hf."
            )
        planned = Planned(hf_name, gguf_name, tensor.detach().float().cpu())
        if fam.norm_shift and hf_name.endswith("norm.weight"):
            planned.shift = fam.norm_shift
        if fam.permute_qk and hf_name.endswith(("q_proj.weight", "q_proj.bias")):
            planned.heads = heads
        elif fam.permute_qk and hf_name.endswith(("k_proj.weight", "k_proj.bias")):
            planned.heads = kv_heads
        if planned.heads:
            planned.data = permute_for_llama_cpp(planned.data, planned.heads)
        if planned.shift:
            planned.data = planned.data + planned.shift
        out.append(planned)
    return out


def output_tensor_name(plan: list[Planned]) -> str:
    names = {p.gguf_name for p in plan}
    return "output.weight" if "output.weight" in names else "token_embd.weight"


def planned_types(plan: list[Planned], dtype: str) -> dict[str, Any]:
    output = output_tensor_name(plan)
    return {
        p.gguf_name: gguf_quant.tensor_type(p.gguf_name, tuple(p.data.shape), dtype, output) for p in plan
    }


def write_gguf(model: torch.nn.Module, tokenizer: Any, path: Path, dtype: str) -> None:
    import gguf

    config = model.config
    fam = gguf_keys.family(config)
    plan = plan_tensors(model)
    types = planned_types(plan, dtype)
    writer = gguf.GGUFWriter(str(path), fam.arch)
    writer.add_name(
        Path(str(getattr(config, "_name_or_path", "") or "tunedesk-export")).name or "tunedesk-export"
    )
    gguf_keys.write_metadata(writer, config, gguf_quant.file_type(dtype))
    _add_tokenizer(writer, tokenizer, config.vocab_size, fam.arch)
    for planned in plan:
        data, raw_dtype = gguf_quant.encode(planned.data.numpy(), types[planned.gguf_name])
        writer.add_tensor(planned.gguf_name, data, raw_dtype=raw_dtype)
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


def tokenizer_model(tokenizer: Any) -> str:
    """llama.cpp's tokenizer model name: "llama" (SentencePiece-style) or "gpt2" (byte-level BPE)."""
    spec = json.loads(tokenizer.backend_tokenizer.to_str())
    return "llama" if gguf_vocab.is_sentencepiece_style(spec) else "gpt2"


def _add_tokenizer(writer: Any, tokenizer: Any, vocab_size: int, arch: str = "") -> None:
    """tokenizer.ggml.* as llama.cpp's gpt2 (byte-level BPE) or llama (SentencePiece) loader expects."""
    import gguf

    spm = tokenizer_model(tokenizer) == "llama"
    if spm:
        tokens, scores, types = gguf_vocab.llama_vocab(tokenizer, vocab_size)
        writer.add_tokenizer_model("llama")
        writer.add_tokenizer_pre("default")
        writer.add_token_list(tokens)
        writer.add_token_scores(scores)
        writer.add_token_types(types)
        if arch == "gemma":  # GemmaModel.set_vocab
            writer.add_add_space_prefix(False)
    else:
        tokens, types = _bpe_vocab(tokenizer, vocab_size)
        writer.add_tokenizer_model("gpt2")
        writer.add_tokenizer_pre(pre_tokenizer_name(tokenizer)[0])
        writer.add_token_list(tokens)
        writer.add_token_types(types)
    # gguf's SpecialVocab reads merges, bos/eos/pad ids and the chat template from the saved files.
    with tempfile.TemporaryDirectory() as tmp:
        tokenizer.save_pretrained(tmp)
        special = gguf.SpecialVocab(tmp, load_merges=not spm, n_vocab=vocab_size)
        if tokenizer.pad_token_id is not None:
            special.special_token_ids.setdefault("pad", tokenizer.pad_token_id)
        added = tokenizer.get_added_vocab()
        # Glm4Model/ChatGLMModel.set_vocab: a reply ends where a user turn starts.
        if arch in ("glm4", "chatglm") and "<|user|>" in added:
            special._set_special_token("eot", added["<|user|>"])
        if getattr(tokenizer, "chat_template", None) and not special.chat_template:
            special.chat_template = tokenizer.chat_template
        special.add_to_gguf(writer)


def _bpe_vocab(tokenizer: Any, vocab_size: int) -> tuple[list[str], list[Any]]:
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
    return tokens, types


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
    """Read the file back: tensor count, names, shapes, types, metadata, and how far the stored values
    are from the merged weights (max relative error, reported; logits are judged in gguf_verify)."""
    import gguf

    reader = gguf.GGUFReader(str(path))
    metadata = read_metadata(reader)
    plan = plan_tensors(model)
    types = planned_types(plan, dtype)
    by_name = {t.name: t for t in reader.tensors}
    check = GgufCheck(True, len(reader.tensors), dtype, 0.0, metadata)
    config = model.config
    arch = gguf_keys.family(config).arch
    wanted_meta = {
        "general.architecture": arch,
        f"{arch}.block_count": config.num_hidden_layers,
        f"{arch}.embedding_length": config.hidden_size,
        f"{arch}.attention.key_length": gguf_keys.head_dim(config),
        "general.file_type": int(gguf_quant.file_type(dtype)),
        "tokenizer.ggml.model": tokenizer_model(tokenizer),
    }
    problems = [
        f"{k} is {metadata.get(k)!r}, expected {v!r}" for k, v in wanted_meta.items() if metadata.get(k) != v
    ]
    if len(reader.tensors) != len(plan):
        problems.append(f"{len(reader.tensors)} tensors in the file, {len(plan)} expected")
    for planned in plan:
        tensor = by_name.get(planned.gguf_name)
        name, shape = planned.gguf_name, tuple(planned.data.shape)
        if tensor is None:
            problems.append(f"tensor {name} ({planned.hf_name}) is missing")
            continue
        if tensor.tensor_type != types[name]:
            problems.append(f"{name} has type {tensor.tensor_type.name}, expected {types[name].name}")
            continue
        # GGUF lists dimensions innermost first: the reverse of torch's shape.
        if tuple(int(d) for d in reversed(tensor.shape)) != shape:
            problems.append(f"{name} has shape {list(reversed(tensor.shape))}, expected {list(shape)}")
            continue
        values = gguf_quant.decode(tensor.data, tensor.tensor_type, shape)
        scale = max(float(planned.data.abs().max()), 1e-6)
        rel = float(np.abs(values - planned.data.numpy()).max()) / scale
        check.max_rel_error = max(check.max_rel_error, rel)
    if problems:
        check.passed = False
        check.reason = "; ".join(problems[:5])
    return check
