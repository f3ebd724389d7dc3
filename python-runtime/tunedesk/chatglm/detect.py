"""Which ChatGLM generation a model directory holds, judged from files we only *read*.

- Generation 1 (ChatGLM-6B): 2D positions, GLM's blank-infilling mask; no native implementation.
- Generations 2 and 3 (ChatGLM2-6B, ChatGLM3-6B and their -base/-32k variants): the architecture that
  transformers implements natively as model_type ``glm``; they differ in the tokenizer's role tokens
  (ChatGLM3) and in what ``rope_ratio`` means (see ``rope_mode``).

Nothing here imports or executes the checkpoint's Python files.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path

from ..errors import ConfigError

CHATGLM_ARCHITECTURES = {
    "ChatGLMModel",
    "ChatGLMForConditionalGeneration",
    "ChatGLMForSequenceClassification",
}
GEN1_KEYS = {"position_encoding_2d", "inner_hidden_size", "max_sequence_length", "gmask_token_id"}
GEN23_KEYS = {
    "padded_vocab_size",
    "multi_query_attention",
    "multi_query_group_num",
    "ffn_hidden_size",
    "kv_channels",
}


@dataclass
class ChatGLMInfo:
    """What we know about a ChatGLM checkpoint directory."""

    path: Path
    generation: int  # 1, 2 or 3
    evidence: list[str]  # why we think so, for the summary and error messages
    config: dict = field(repr=False)
    # "theta": base = 10000 * rope_ratio (ChatGLM3-32k); "positions": positions / rope_ratio (ChatGLM2-32k).
    rope_mode: str = "theta"

    @property
    def name(self) -> str:
        return {1: "ChatGLM-6B", 2: "ChatGLM2-6B", 3: "ChatGLM3-6B"}[self.generation]


def read_config(model_dir: Path) -> dict | None:
    path = Path(model_dir) / "config.json"
    if not path.is_file():
        return None
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise ConfigError(
            f"{path}: not valid JSON ({exc}).", "Copy config.json again from the checkpoint."
        ) from exc
    return data if isinstance(data, dict) else None


def is_chatglm_config(config: dict) -> bool:
    if config.get("model_type") == "chatglm":
        return True
    if CHATGLM_ARCHITECTURES & set(config.get("architectures") or []):
        return True
    auto_map = config.get("auto_map") or {}
    return any("chatglm" in str(target).lower() for target in auto_map.values())


def _read_text(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8", errors="replace") if path.is_file() else ""
    except OSError:
        return ""


def detect_chatglm(model_dir: Path) -> ChatGLMInfo | None:
    """The ChatGLM generation of ``model_dir``, or None when it is not a ChatGLM checkpoint."""
    model_dir = Path(model_dir)
    config = read_config(model_dir)
    if config is None or not is_chatglm_config(config):
        return None
    keys = set(config)
    if keys & GEN1_KEYS and not keys & GEN23_KEYS:
        found = sorted(keys & GEN1_KEYS)
        return ChatGLMInfo(model_dir, 1, [f"config.json has {', '.join(found)} (ChatGLM-6B layout)"], config)
    if not keys & GEN23_KEYS:
        raise ConfigError(
            f"{model_dir / 'config.json'}: model_type chatglm, but neither the ChatGLM-6B keys "
            f"({', '.join(sorted(GEN1_KEYS))}) nor the ChatGLM2/3 keys ({', '.join(sorted(GEN23_KEYS))}) are there.",
            "Copy config.json again from the original checkpoint.",
        )
    generation, evidence = _generation_2_or_3(model_dir, config)
    info = ChatGLMInfo(model_dir, generation, evidence, config)
    info.rope_mode = rope_mode_of(model_dir, generation, info.evidence)
    return info


def _generation_2_or_3(model_dir: Path, config: dict) -> tuple[int, list[str]]:
    # The tokenizer code is the surest sign: only ChatGLM3's knows the role tokens.
    tokenizer_code = _read_text(model_dir / "tokenization_chatglm.py")
    if tokenizer_code:
        if "<|observation|>" in tokenizer_code:
            return 3, [
                "tokenization_chatglm.py defines ChatGLM3's role tokens (<|user|>, <|observation|>, ...)"
            ]
        return 2, ["tokenization_chatglm.py has no role tokens (ChatGLM2 layout)"]
    names = " ".join(str(config.get(k, "")) for k in ("_name_or_path", "name_or_path")) + " " + model_dir.name
    if re.search(r"chatglm3", names, re.I):
        return 3, [f"the name mentions chatglm3 ({names.strip()})"]
    if re.search(r"chatglm2", names, re.I):
        return 2, [f"the name mentions chatglm2 ({names.strip()})"]
    return 2, [
        "no tokenization_chatglm.py and no name hint: assumed ChatGLM2 (pass --generation 3 for ChatGLM3)"
    ]


def rope_mode_of(model_dir: Path, generation: int, evidence: list[str]) -> str:
    modeling = _read_text(model_dir / "modeling_chatglm.py")
    if re.search(r"base\s*=\s*base\s*\*\s*self\.rope_ratio", modeling):
        evidence.append("modeling_chatglm.py scales the rotary base by rope_ratio")
        return "theta"
    if re.search(r"/\s*self\.rope_ratio", modeling):
        evidence.append("modeling_chatglm.py divides positions by rope_ratio")
        return "positions"
    return "theta" if generation == 3 else "positions"


def remote_code_files(model_dir: Path) -> list[Path]:
    """The checkpoint's own Python files that transformers would run with trust_remote_code.

    Starts from the modules named by ``auto_map`` in config.json and tokenizer_config.json and follows
    their relative imports (``from .quantization import ...``), because those run too.
    """
    model_dir = Path(model_dir)
    modules: list[str] = []
    for name in ("config.json", "tokenizer_config.json"):
        data = read_config(model_dir) if name == "config.json" else _json_or_empty(model_dir / name)
        for target in ((data or {}).get("auto_map") or {}).values():
            for ref in target if isinstance(target, list) else [target]:
                if isinstance(ref, str) and "." in ref:
                    modules.append(ref.split("--")[-1].rsplit(".", 1)[0])
    seen: list[Path] = []
    while modules:
        module = modules.pop(0)
        path = model_dir / (module.replace(".", "/") + ".py")
        if path in seen or not path.is_file():
            continue
        seen.append(path)
        modules += re.findall(r"^\s*from\s+\.(\w+)\s+import", _read_text(path), re.M)
    return seen


def _json_or_empty(path: Path) -> dict:
    try:
        data = json.loads(path.read_text(encoding="utf-8")) if path.is_file() else {}
    except (json.JSONDecodeError, UnicodeDecodeError, OSError):
        return {}
    return data if isinstance(data, dict) else {}


def import_hint(info: ChatGLMInfo) -> str:
    """What the user runs next: the import for ChatGLM2/3, the legacy environment for ChatGLM-6B."""
    if info.generation == 1:
        return (
            f"{info.name} has no native transformers implementation: it needs its own code and "
            "transformers 4.27-4.33 in a separate environment. See `python -m tunedesk legacy-env "
            f"--model {info.path}`."
        )
    return (
        f"{info.name} converts to a native transformers model without running its code: "
        f"`python -m tunedesk import-chatglm {info.path} --out <new folder>`, then train the new folder."
    )
