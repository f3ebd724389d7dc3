"""Shared fixtures: the embedded demo model, built ONCE per test session (a few seconds each).

    def test_something(demo_model_dir):      # tiny LlamaForCausalLM + byte-level BPE tokenizer
    def test_glm_thing(glm_demo_model_dir):  # the same shape as transformers' native GlmForCausalLM

Both tokenizers carry a chat template and the ChatGLM special tokens ([gMASK], sop, eop,
<|system|>, <|user|>, <|assistant|>), so every --mode runs on them. Treat the directories as
read-only: they are shared by every test of the session.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

# In CI, a skip for a reason not on the allowlist fails its test (helpers/ci_skips.py).
from helpers.ci_skips import pytest_runtest_makereport  # noqa: F401

REPO_ROOT = Path(__file__).resolve().parents[2]
DEMO_DATA_DIR = REPO_ROOT / "resources" / "demo"
SPO_PATH = Path(os.environ.get("TUNEDESK_SPO_PATH", "/work/shared/data/chatglm-finetuning/spo_0.json"))


def _build(tmp_path_factory: pytest.TempPathFactory, family: str) -> str:
    from tunedesk.demo_model import write_demo_model

    return str(write_demo_model(tmp_path_factory.mktemp("demo-model") / family, family))


@pytest.fixture(scope="session")
def demo_model_dir(tmp_path_factory: pytest.TempPathFactory) -> str:
    """Path of the llama-family demo model (read-only)."""
    return _build(tmp_path_factory, "llama")


@pytest.fixture(scope="session")
def glm_demo_model_dir(tmp_path_factory: pytest.TempPathFactory) -> str:
    """Path of the glm-family demo model (transformers' native GlmForCausalLM; read-only)."""
    return _build(tmp_path_factory, "glm")


@pytest.fixture(scope="session")
def demo_tokenizer(demo_model_dir: str):
    from transformers import AutoTokenizer

    return AutoTokenizer.from_pretrained(demo_model_dir)


@pytest.fixture(scope="session")
def demo_train_path() -> str:
    return str(DEMO_DATA_DIR / "train.jsonl")


@pytest.fixture(scope="session")
def demo_eval_path() -> str:
    return str(DEMO_DATA_DIR / "eval.jsonl")


@pytest.fixture(scope="session")
def spo_path() -> str:
    """The original scripts' real data (1,441 lines); tests skip when the shared folder is absent."""
    if not SPO_PATH.is_file():
        pytest.skip(f"{SPO_PATH} is absent (the shared ChatGLM-Finetuning data); set TUNEDESK_SPO_PATH to it")
    return str(SPO_PATH)
