"""The trainer's data layer: formats, line-numbered validation, prompt templates, features.

    records, problems = load_records(path, skip_bad=False, drop_empty_output=False)  # whole file first
    features, stats = encode_records(records, tokenizer, mode=None, max_len=1560, max_src_len=1024, is_skip=False)
    batch = collate(features[:8], tokenizer.pad_token_id)        # input_ids, labels, attention_mask

Sample layouts (formats.py): instruction/Alpaca, chat (OpenAI, tool calls), ShareGPT (function_call,
observation), plain text; preference data is refused. ``mode``: "glm" | "glm2" | "glm3" reproduce
liucongg/ChatGLM-Finetuning's layouts token for token (templates_glm.py); None/"chat" renders the
conversation once with the tokenizer's chat template, tokenizes it once with offsets and learns every
assistant turn + its end-of-turn token (templates_chat.py), or uses a plain fallback.
``generation_prompt`` gives predict/export the same prompt layout as training;
``render_preview`` and ``load_file`` (records + problems + detected format) serve data-check.
"""

from tunedesk.data.encode import (
    MODES,
    EncodeStats,
    Feature,
    check_mode,
    collate,
    encode_records,
    generation_prompt,
    render_preview,
)
from tunedesk.data.records import (
    DataProblem,
    DataValidationError,
    LoadedFile,
    Record,
    load_file,
    load_records,
)
from tunedesk.data.tokens import IGNORE_INDEX

__all__ = [
    "IGNORE_INDEX",
    "MODES",
    "DataProblem",
    "DataValidationError",
    "EncodeStats",
    "Feature",
    "LoadedFile",
    "Record",
    "check_mode",
    "collate",
    "encode_records",
    "generation_prompt",
    "load_file",
    "load_records",
    "render_preview",
]
