"""Which files of a Hub repo TuneDesk downloads: safetensors weights and the small files that
describe the model (config, tokenizer, chat template), at the top level only.

Never pickle weights (``*.bin``, ``*.pt``, ``*.pth``: loading them can run code) unless the user
asks for them explicitly because the repo has nothing else -- then convert-weights makes a
safetensors copy before training. Never ONNX/GGUF/``original/`` copies, READMEs or images.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

# Small files a model folder needs besides its weights (transformers and TuneDesk read them).
DESCRIBING_FILES = {
    "config.json",
    "generation_config.json",
    "tokenizer.json",
    "tokenizer_config.json",
    "tokenizer.model",
    "special_tokens_map.json",
    "added_tokens.json",
    "vocab.json",
    "vocab.txt",
    "merges.txt",
    "chat_template.jinja",
    "chat_template.json",
    "ice_text.model",  # ChatGLM-6B's sentencepiece model
    "model.safetensors.index.json",
}
PICKLE_INDEX = "pytorch_model.bin.index.json"
_PICKLE_WEIGHTS = re.compile(r"^pytorch_model(-\d+-of-\d+)?\.bin$")
_OTHER_PICKLES = re.compile(r"\.(bin|pt|pth|ckpt|pkl)$")


@dataclass(frozen=True)
class RepoFile:
    name: str
    size: int
    # sha256 of the content for LFS files, else None (the git blob id checks small files)
    sha256: str | None = None
    blob_id: str | None = None


@dataclass
class Selection:
    files: list[RepoFile]
    skipped: list[str]
    # "safetensors", or "pickle" when only pickle weights exist (downloaded only when allowed)
    weights: str
    remote_code: list[str]


def is_remote_code(name: str) -> bool:
    """Top-level Python files of a repo (ChatGLM's modeling/tokenization code): downloaded so the
    folder is complete, never run by pull; inspection reports them and asks before anything runs."""
    return "/" not in name and name.endswith(".py")


def select_files(files: list[RepoFile]) -> Selection:
    """Splits a repo listing into what to download and what to leave, and says which weights."""
    top = [f for f in files if "/" not in f.name]
    safetensors = [f for f in top if f.name.endswith(".safetensors")]
    pickles = [f for f in top if _PICKLE_WEIGHTS.match(f.name)]
    describing = [f for f in top if f.name in DESCRIBING_FILES or f.name.endswith(".tiktoken")]
    code = [f for f in top if is_remote_code(f.name)]
    if safetensors:
        weights, chosen = "safetensors", safetensors
    elif pickles:
        weights, chosen = "pickle", pickles + [f for f in top if f.name == PICKLE_INDEX]
    else:
        weights, chosen = "none", []
    keep = {f.name for f in chosen + describing + code}
    if weights == "safetensors":
        keep.discard(PICKLE_INDEX)
    selected = [f for f in files if f.name in keep]
    skipped = sorted(f.name for f in files if f.name not in keep)
    return Selection(
        files=selected, skipped=skipped, weights=weights, remote_code=sorted(f.name for f in code)
    )


def is_pickle(name: str) -> bool:
    return bool(_OTHER_PICKLES.search(name))
