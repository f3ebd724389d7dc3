"""ChatGLM-6B's differences in training, behind the recipe's ModelAdapter (model_adapter.py).

ChatGLM-6B (generation 1) runs its own remote code in the legacy environment (legacy_run.py says
when it may): its LM-head class is mapped under AutoModel, it builds its own attention mask from
input_ids, it checkpoints reentrantly on transformers 4.33, and its layers fit neither packed rows
nor the chunked LM-head loss.
"""

from __future__ import annotations

from typing import Any

from tunedesk.chatglm.legacy_run import (
    auto_class_name,
    check_legacy_settings,
    drop_padding_mask,
    is_legacy_chatglm,
)
from tunedesk.config import TrainConfig
from tunedesk.model_adapter import ModelAdapter
from tunedesk.run_output import RunReporter


class ChatGLM6BAdapter(ModelAdapter):
    legacy = True
    runs_own_code = True  # check_model_dir accepted ChatGLM-6B by the user's recorded consent
    chunked_loss = False

    def auto_class(self, model_config: dict[str, Any]) -> str:
        return auto_class_name(model_config)

    def after_method(self, model: Any) -> None:
        drop_padding_mask(model)

    def enable_gradient_checkpointing(self, model: Any) -> None:
        # transformers 4.33 has no gradient_checkpointing_kwargs (ChatGLM-6B checkpoints reentrantly)
        model.gradient_checkpointing_enable()
        model.enable_input_require_grads()  # reentrant checkpointing needs a grad-carrying input (the originals did this)
        model.config.use_cache = False


def chatglm_6b_adapter(
    config: TrainConfig, model_config: dict[str, Any], reporter: RunReporter
) -> ChatGLM6BAdapter | None:
    """ChatGLM-6B (checked by check_model_dir): refuse settings it cannot run, default --mode glm."""
    if not is_legacy_chatglm(model_config, config.model_name_or_path):
        return None
    for note in check_legacy_settings(config.model_name_or_path, config.train_type, config.mode):
        reporter.log(note, "warning" if "was written for" in note else "info")
    if config.mode is None:
        config.mode = "glm"
        reporter.log("ChatGLM-6B: --mode glm ([gMASK] <sop> layout of the original scripts, its own tokenizer)")
    return ChatGLM6BAdapter()
