"""A tiny ChatGLM-6B-shaped checkpoint with remote code, and a stand-in for its legacy environment.

The real legacy environment (transformers 4.33, torch 2.0.1) cannot be built here: no network, and
the wheel mirror has no transformers 4.27-4.33. So the tests stand in for both halves:

- the model: config.json with ChatGLM-6B's marks (model_type chatglm, position_encoding_2d,
  inner_hidden_size, max_sequence_length, gmask_token_id; none of ChatGLM2/3's keys) and an
  ``auto_map`` like the real checkpoint's (AutoConfig, AutoModel, AutoModelForSeq2SeqLM -- no
  AutoModelForCausalLM), whose modeling/configuration/tokenization files are written here: small
  subclasses of transformers' native Llama classes that run on the installed transformers 5. Like
  ChatGLM-6B, the model refuses a 2D padding mask (it builds its own mask from input_ids).
- the environment: a folder whose bin/python is a symlink to the main venv's python, with the main
  venv's pyvenv.cfg and lib/ beside it, so that Python treats it as a virtual environment of its
  own (sys.prefix is that folder). It stands in for python-runtime/.venv-legacy-chatglm.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

from helpers.trainer_fixtures import PYTHON_RUNTIME, subprocess_env, tiny_model_dir

CONFIGURATION = """\
from transformers import LlamaConfig


class ChatGLMConfig(LlamaConfig):
    model_type = "chatglm"

    def __init__(self, position_encoding_2d=True, inner_hidden_size=64, max_sequence_length=512,
                 gmask_token_id=None, **kwargs):
        self.position_encoding_2d = position_encoding_2d
        self.inner_hidden_size = inner_hidden_size
        self.max_sequence_length = max_sequence_length
        self.gmask_token_id = gmask_token_id
        super().__init__(**kwargs)
"""

MODELING = """\
from transformers import LlamaForCausalLM

from .configuration_chatglm import ChatGLMConfig


class ChatGLMForConditionalGeneration(LlamaForCausalLM):
    config_class = ChatGLMConfig

    def forward(self, input_ids=None, attention_mask=None, **kwargs):
        # ChatGLM-6B builds its blank-infilling mask from input_ids; a 2D padding mask would be misread.
        if attention_mask is not None:
            raise ValueError("ChatGLM-6B stand-in: attention_mask must not be passed")
        return super().forward(input_ids=input_ids, **kwargs)
"""

TOKENIZATION = """\
from transformers import PreTrainedTokenizerFast


class ChatGLMTokenizer(PreTrainedTokenizerFast):
    pass
"""


def write_legacy_chatglm_model(out_dir: Path) -> Path:
    """The tiny ChatGLM-6B-shaped checkpoint described in the module docstring (safetensors)."""
    tiny_model_dir(str(out_dir), "llama")
    config = json.loads((out_dir / "config.json").read_text(encoding="utf-8"))
    tokenizer = json.loads((out_dir / "tokenizer.json").read_text(encoding="utf-8"))
    gmask = next(t["id"] for t in tokenizer["added_tokens"] if t["content"] == "[gMASK]")
    config.update(
        model_type="chatglm",
        architectures=["ChatGLMForConditionalGeneration"],
        auto_map={
            "AutoConfig": "configuration_chatglm.ChatGLMConfig",
            "AutoModel": "modeling_chatglm.ChatGLMForConditionalGeneration",
            "AutoModelForSeq2SeqLM": "modeling_chatglm.ChatGLMForConditionalGeneration",
        },
        position_encoding_2d=True,
        inner_hidden_size=config["intermediate_size"],
        max_sequence_length=512,
        gmask_token_id=gmask,
    )
    (out_dir / "config.json").write_text(json.dumps(config, indent=2), encoding="utf-8")
    tok_config_path = out_dir / "tokenizer_config.json"
    tok_config = json.loads(tok_config_path.read_text(encoding="utf-8"))
    tok_config["auto_map"] = {"AutoTokenizer": [None, "tokenization_chatglm.ChatGLMTokenizer"]}
    tok_config.pop("tokenizer_class", None)
    tok_config_path.write_text(json.dumps(tok_config, indent=2), encoding="utf-8")
    (out_dir / "configuration_chatglm.py").write_text(CONFIGURATION, encoding="utf-8")
    (out_dir / "modeling_chatglm.py").write_text(MODELING, encoding="utf-8")
    (out_dir / "tokenization_chatglm.py").write_text(TOKENIZATION, encoding="utf-8")
    return out_dir


def make_standin_env(env_dir: Path) -> Path:
    """A folder that Python runs as a venv of its own, sharing the main venv's packages (see above)."""
    main_venv = Path(sys.prefix)
    (env_dir / "bin").mkdir(parents=True)
    os.symlink(main_venv / "bin" / "python", env_dir / "bin" / "python")
    shutil.copy(main_venv / "pyvenv.cfg", env_dir / "pyvenv.cfg")
    os.symlink(main_venv / "lib", env_dir / "lib")
    return env_dir


def legacy_env(env_dir: Path, modules_cache: Path) -> dict:
    """Subprocess environment: one thread, the stand-in legacy env, a private remote-code module cache."""
    return {
        **subprocess_env(),
        "TUNEDESK_LEGACY_CHATGLM_ENV": str(env_dir),
        "HF_MODULES_CACHE": str(modules_cache),
        "HF_HUB_OFFLINE": "1",
    }


def run_tunedesk(python: str, args: list[str], env: dict, timeout: int = 180) -> subprocess.CompletedProcess:
    return subprocess.run(
        [python, "-m", "tunedesk", *args],
        cwd=PYTHON_RUNTIME,
        capture_output=True,
        text=True,
        timeout=timeout,
        env={**os.environ, **env},
    )
