"""Where a model family trains differently from the plain transformers path, the recipe asks its adapter.

The recipe (train.setup) calls the same steps for every model; ``ModelAdapter`` is the ordinary
behaviour, and a family with quirks overrides only what differs. Today that is ChatGLM-6B, whose own
remote code runs in its legacy environment (chatglm/train_adapter.py).
"""

from __future__ import annotations

from typing import Any

from tunedesk.config import TrainConfig
from tunedesk.run_output import RunReporter


class ModelAdapter:
    """A model loaded and trained the ordinary way (transformers' own classes, no remote code)."""

    legacy = False  # remote code from before transformers 5: no packed rows (packing.packing_supported)
    runs_own_code = False  # the model folder's Python code runs by the user's recorded consent
    chunked_loss = True  # the chunked LM-head loss may replace the model's own loss (loss.chunked_head)

    def auto_class(self, model_config: dict[str, Any]) -> str:
        """The transformers Auto* class that maps this model's LM-head class."""
        return "AutoModelForCausalLM"

    def after_method(self, model: Any) -> None:
        """Adjust the model once the training method (LoRA, Freeze...) is applied."""

    def enable_gradient_checkpointing(self, model: Any) -> None:
        from tunedesk.engines.torch_engine import enable_gradient_checkpointing

        enable_gradient_checkpointing(model)


def model_adapter(config: TrainConfig, model_config: dict[str, Any], reporter: RunReporter) -> ModelAdapter:
    """This model's adapter; a family's adapter may refuse settings it cannot run (ConfigError)."""
    from tunedesk.chatglm.train_adapter import chatglm_6b_adapter

    return chatglm_6b_adapter(config, model_config, reporter) or ModelAdapter()
