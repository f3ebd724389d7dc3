"""GGUF tensor types per export type, chosen as llama.cpp's own tools choose them.

- convert_hf_to_gguf.py keeps 1-D tensors (biases, norms), every *_norm.weight and rope_freqs in f32.
- llama-quantize gives the output projection (or token_embd when the embeddings are tied, as llama.cpp
  then uses it as the output) a higher-precision type in its q4_0/q5_0 mixes (Q6_K there); the gguf
  package cannot write K-quants, so TuneDesk uses q8_0 for that one tensor.
- q4_0/q5_0/q8_0 store blocks of 32 values per row; a row length not divisible by 32 stays f16.
"""

from __future__ import annotations

from typing import Any

import numpy as np

GGUF_TYPES = ("fp32", "fp16", "bf16", "q8_0", "q5_0", "q4_0")
QUANTS = ("q8_0", "q5_0", "q4_0")
BLOCK = 32


def _qtypes() -> dict[str, Any]:
    import gguf

    T = gguf.GGMLQuantizationType
    return {"fp32": T.F32, "fp16": T.F16, "bf16": T.BF16, "q8_0": T.Q8_0, "q5_0": T.Q5_0, "q4_0": T.Q4_0}


def file_type(dtype: str) -> Any:
    import gguf

    F = gguf.LlamaFileType
    return {
        "fp32": F.ALL_F32,
        "fp16": F.MOSTLY_F16,
        "bf16": F.MOSTLY_BF16,
        "q8_0": F.MOSTLY_Q8_0,
        "q5_0": F.MOSTLY_Q5_0,
        "q4_0": F.MOSTLY_Q4_0,
    }[dtype]


def tensor_type(gguf_name: str, shape: tuple[int, ...], dtype: str, output_name: str) -> Any:
    """The GGML type one tensor is stored in; `output_name` is the tensor llama.cpp multiplies last."""
    import gguf

    T = gguf.GGMLQuantizationType
    if (
        len(shape) < 2
        or gguf_name.endswith("_norm.weight")
        or gguf_name.startswith("rope_")
        or dtype == "fp32"
    ):
        return T.F32
    wanted = _qtypes()[dtype]
    if dtype in ("q5_0", "q4_0") and gguf_name == output_name:
        wanted = T.Q8_0
    if wanted in (T.Q8_0, T.Q5_0, T.Q4_0) and shape[-1] % BLOCK != 0:
        return T.F16
    return wanted


def encode(array: np.ndarray, qtype: Any) -> tuple[np.ndarray, Any]:
    """(data, raw_dtype) for GGUFWriter.add_tensor: f32/f16 as numpy dtypes, the rest as raw bytes."""
    import gguf

    T = gguf.GGMLQuantizationType
    if qtype == T.F32:
        return array.astype(np.float32), None
    if qtype == T.F16:
        return array.astype(np.float16), None
    return gguf.quants.quantize(array.astype(np.float32), qtype), qtype


def decode(data: np.ndarray, qtype: Any, shape: tuple[int, ...]) -> np.ndarray:
    """Dequantise what GGUFReader returned, in torch's (outermost-first) shape."""
    import gguf

    return np.asarray(gguf.quants.dequantize(data, qtype), dtype=np.float32).reshape(shape)
