"""The --mode a model gets when the command line names none: ChatGLM2/3 keep their own layout.

The original scripts always trained ChatGLM2-6B and ChatGLM3-6B in their generation's layout
(GLM2PromptDataSet, GLM3PromptDataSet); falling back to a plain chat layout there would train a
prompt the model was never given. A model imported by ``import-chatglm`` says its generation in
tunedesk_chatglm.json; an unconverted one is recognised from its files (nothing is executed).
"""

from __future__ import annotations

import json
from pathlib import Path

IMPORT_METADATA = "tunedesk_chatglm.json"  # written by chatglm/convert.py


def chatglm_generation(model_dir: str | Path) -> int | None:
    """2 or 3 for a ChatGLM2/3 model (imported or original), else None."""
    model_dir = Path(model_dir)
    metadata = model_dir / IMPORT_METADATA
    if metadata.is_file():
        try:
            generation = json.loads(metadata.read_text(encoding="utf-8")).get("generation")
        except (OSError, ValueError, AttributeError):
            generation = None
        if generation in (2, 3):
            return int(generation)
    from tunedesk.chatglm.detect import detect_chatglm
    from tunedesk.errors import ConfigError

    try:
        info = detect_chatglm(model_dir)
    except ConfigError:
        return None
    return info.generation if info is not None and info.generation in (2, 3) else None


def default_mode(mode: str | None, model_dir: str | Path) -> tuple[str | None, str | None]:
    """(mode to use, a log line saying why) — the given mode wins."""
    if mode is not None:
        return mode, None
    generation = chatglm_generation(model_dir)
    if generation is None:
        return None, None
    return f"glm{generation}", (
        f"ChatGLM{generation}-6B: --mode glm{generation} (the original scripts' layout for this generation; "
        "pass --mode chat for the tokenizer's chat template)"
    )
