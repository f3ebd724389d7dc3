"""P-Tuning through peft. v2 (default): a trainable prefix of keys/values on every layer
(PrefixTuningConfig). v1: trainable virtual tokens on the input embeddings only, produced by a
small prompt encoder (PromptEncoderConfig). The base model stays frozen in both.
"""

from __future__ import annotations

from tunedesk.config import TrainConfig


def apply_ptuning(model, config: TrainConfig):
    from peft import PrefixTuningConfig, PromptEncoderConfig, get_peft_model

    hidden = model.config.get_text_config().hidden_size
    if config.ptuning_version == 1:
        peft_config = PromptEncoderConfig(
            task_type="CAUSAL_LM", num_virtual_tokens=config.pre_seq_len, encoder_hidden_size=hidden
        )
    else:
        peft_config = PrefixTuningConfig(
            task_type="CAUSAL_LM",
            num_virtual_tokens=config.pre_seq_len,
            prefix_projection=config.prefix_projection,
            encoder_hidden_size=hidden,
        )
    model = get_peft_model(model, peft_config)
    if config.ptuning_version == 2:
        from tunedesk.methods.prefix_cache import make_prefix_read_only

        make_prefix_read_only(model)
    detail = {"ptuning_version": config.ptuning_version, "pre_seq_len": config.pre_seq_len}
    if config.ptuning_version == 2:
        detail["prefix_projection"] = config.prefix_projection
    return model, detail
