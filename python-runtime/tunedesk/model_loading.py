"""Loading the base model and tokenizer: local directories only, safetensors only, remote code by consent.

``check_model_dir`` holds every refusal that can be decided from the directory alone (before
torch loads anything); other parts (the ChatGLM importer) may extend it, so keep it small.
"""

from __future__ import annotations

import glob
import json
import os
from typing import Any

from tunedesk.errors import ConfigError

# Families we know by config.json's model_type; used for LoRA targets and layer discovery.
CHATGLM_LEGACY_TYPES = ("chatglm",)


def read_model_config(path: str) -> dict[str, Any]:
    config_path = os.path.join(path, "config.json")
    if not os.path.isfile(config_path):
        raise ConfigError(
            f"{path}: no config.json — not a Hugging Face model directory",
            "Point --model_name_or_path at the folder that holds config.json and *.safetensors.",
        )
    try:
        with open(config_path, encoding="utf-8") as handle:
            return json.load(handle)
    except json.JSONDecodeError as exc:
        raise ConfigError(
            f"{config_path}:{exc.lineno}: invalid JSON ({exc.msg})", "Re-download the model."
        ) from exc


def is_chatglm_v1(config: dict[str, Any]) -> bool:
    """ChatGLM-6B (v1) has 2-D rotary positions; ChatGLM2/3 have multi-query attention and kv_channels."""
    return bool(config.get("position_encoding_2d")) or (
        "kv_channels" not in config and "multi_query_attention" not in config
    )


def check_model_dir(path: str, trust_remote_code: bool = False) -> dict[str, Any]:
    """Refuse what we cannot load safely; return the parsed config.json.

    Raises ConfigError for: a missing directory, the ChatGLM2/3 remote-code checkpoints (they need
    converting), ChatGLM-6B without recorded consent or outside its legacy environment (see
    chatglm/legacy_run.py), weights that are not safetensors, and remote code without consent.
    """
    if not os.path.isdir(path):
        raise ConfigError(
            f"{path}: not a local directory",
            "TuneDesk loads models from local folders only; download the model first.",
        )
    config = read_model_config(path)
    if config.get("model_type") in CHATGLM_LEGACY_TYPES:
        # The ChatGLM importer knows the generations (and ChatGLM3 from ChatGLM2) and what each needs.
        from pathlib import Path

        from tunedesk.chatglm.detect import detect_chatglm

        info = detect_chatglm(Path(path))
        if info is not None and info.generation == 1:
            from tunedesk.chatglm.legacy_run import check_consent_and_env

            # ChatGLM-6B: only by recorded consent to exactly its current files, inside the legacy
            # environment (else a ConfigError naming the files and the command to agree).
            check_consent_and_env(path)
            trust_remote_code = True  # the recorded consent is the user's explicit agreement
        else:
            name = info.name if info is not None else "ChatGLM2/3"
            raise ConfigError(
                f"{path}: a {name} checkpoint with remote code (auto_map), which this transformers cannot train natively",
                f"Convert it first: python -m tunedesk import-chatglm {path} --out <dir>, then train from <dir>.",
            )
    if not glob.glob(os.path.join(path, "*.safetensors")):
        has_bin = bool(glob.glob(os.path.join(path, "*.bin")) or glob.glob(os.path.join(path, "*.pt")))
        raise ConfigError(
            f"{path}: no *.safetensors weights"
            + (" (only pickle .bin/.pt files, which can run code)" if has_bin else ""),
            f"Write a safetensors copy beside them: python -m tunedesk convert-weights {path} (it reads tensors "
            "only, no code runs), or download the model's safetensors files."
            if has_bin
            else "Point --model_name_or_path at the folder that holds config.json and *.safetensors.",
        )
    if config.get("auto_map") and not trust_remote_code:
        raise ConfigError(
            f"{path}: this model ships its own Python code (auto_map in config.json)",
            "Read that code, then pass --trust_remote_code to allow it to run.",
        )
    return config


def load_tokenizer(path: str, trust_remote_code: bool = False):
    from transformers import AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(
        path, local_files_only=True, trust_remote_code=trust_remote_code
    )
    if tokenizer.pad_token_id is None:
        # Padding is masked out of the loss; any id works, eos is the conventional choice.
        tokenizer.pad_token = tokenizer.eos_token
    return tokenizer


def load_model(path: str, trust_remote_code: bool = False, dtype: Any = None, auto_class: str = "AutoModelForCausalLM"):
    """Load a causal LM from a checked local directory (call check_model_dir first).

    ``auto_class``: ChatGLM-6B maps its LM-head class under ``AutoModel``. The dtype keyword is
    ``torch_dtype`` before transformers 4.56 (the ChatGLM-6B legacy environment has 4.33).
    """
    import torch
    import transformers

    loader = getattr(transformers, auto_class)
    version = tuple(int(p) for p in transformers.__version__.split(".")[:2])
    dtype_key = "dtype" if version >= (4, 56) else "torch_dtype"
    return loader.from_pretrained(
        path,
        local_files_only=True,
        use_safetensors=True,
        trust_remote_code=trust_remote_code,
        **{dtype_key: dtype or torch.float32},
    )
