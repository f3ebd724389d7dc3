"""Records -> training features (ids + labels), batches, and the wizard's token preview."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import asdict, dataclass
from typing import Any

from tunedesk.data.records import Record
from tunedesk.data.templates_chat import chat_generation_prompt, encode_chat
from tunedesk.data.templates_glm import GLM_MODES, check_lengths, encode_glm, glm_generation_prompt
from tunedesk.data.tokens import IGNORE_INDEX, SPECIAL, Encoded
from tunedesk.errors import ConfigError

MODES = (*GLM_MODES, "chat")


@dataclass
class Feature:
    """One encoded training sample."""

    input_ids: list[int]
    labels: list[int]  # IGNORE_INDEX (-100) where no loss is taken
    line: int  # the record's line in the data file
    truncated: bool


@dataclass
class EncodeStats:
    """What encoding did to the data set; ``max_tokens``/``mean_tokens`` are over kept samples."""

    samples: int
    kept: int
    skipped: int  # dropped by is_skip because they were truncated
    truncated: int  # truncated samples, kept or not
    max_tokens: int
    mean_tokens: float

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def check_mode(mode: str | None, max_len: int, max_src_len: int) -> str:
    """Normalise ``mode`` (None -> "chat") and reject lengths that cannot work."""
    mode = mode or "chat"
    if mode not in MODES:
        raise ConfigError(
            f"unknown --mode {mode!r}",
            "Use glm (ChatGLM-6B), glm2 (ChatGLM2-6B), glm3 (ChatGLM3-6B), or leave --mode out "
            "to use the tokenizer's chat template.",
        )
    if mode in GLM_MODES:
        check_lengths(mode, max_len, max_src_len)
    elif max_src_len < 1 or max_len - max_src_len < 1:
        raise ConfigError(
            f"--max_len {max_len} leaves no room for the answer after --max_src_len {max_src_len}",
            "Make --max_len larger than --max_src_len.",
        )
    return mode


def encode_one(
    record: Record, tokenizer: Any, *, mode: str | None, max_len: int, max_src_len: int
) -> Encoded:
    mode = check_mode(mode, max_len, max_src_len)
    if mode in GLM_MODES:
        return encode_glm(record.messages, tokenizer, mode=mode, max_len=max_len, max_src_len=max_src_len)
    return encode_chat(record.messages, tokenizer, max_len=max_len, max_src_len=max_src_len)


def encode_records(
    records: Iterable[Record],
    tokenizer: Any,
    *,
    mode: str | None,
    max_len: int,
    max_src_len: int,
    is_skip: bool,
) -> tuple[list[Feature], EncodeStats]:
    """Encode every record; with ``is_skip`` truncated samples are dropped (and counted), as the originals did."""
    check_mode(mode, max_len, max_src_len)
    features: list[Feature] = []
    samples = truncated = skipped = 0
    for record in records:
        samples += 1
        encoded = encode_one(record, tokenizer, mode=mode, max_len=max_len, max_src_len=max_src_len)
        truncated += encoded.truncated
        if is_skip and encoded.truncated:
            skipped += 1
            continue
        features.append(Feature(encoded.ids, encoded.labels, record.line, encoded.truncated))
    lengths = [len(f.input_ids) for f in features]
    stats = EncodeStats(
        samples=samples,
        kept=len(features),
        skipped=skipped,
        truncated=truncated,
        max_tokens=max(lengths, default=0),
        mean_tokens=round(sum(lengths) / len(lengths), 2) if lengths else 0.0,
    )
    return features, stats


def collate(features: list[Feature], pad_token_id: int) -> dict[str, Any]:
    """Pad a batch to its longest sample (right padding; padded labels are -100, mask 0)."""
    import torch  # imported here so data validation (data-check) starts without loading torch

    width = max(len(f.input_ids) for f in features)
    input_ids = torch.full((len(features), width), pad_token_id, dtype=torch.long)
    labels = torch.full((len(features), width), IGNORE_INDEX, dtype=torch.long)
    attention_mask = torch.zeros((len(features), width), dtype=torch.long)
    for row, feature in enumerate(features):
        n = len(feature.input_ids)
        input_ids[row, :n] = torch.tensor(feature.input_ids, dtype=torch.long)
        labels[row, :n] = torch.tensor(feature.labels, dtype=torch.long)
        attention_mask[row, :n] = 1
    return {"input_ids": input_ids, "labels": labels, "attention_mask": attention_mask}


def generation_prompt(
    messages: list[dict], tokenizer: Any, *, mode: str | None, max_src_len: int = 1024
) -> list[int]:
    """Ids to generate an answer to ``messages`` (ending with a user turn), laid out as in training."""
    mode = mode or "chat"
    if mode in GLM_MODES:
        return glm_generation_prompt(messages, tokenizer, mode=mode, max_src_len=max_src_len)
    if mode != "chat":
        check_mode(mode, max_src_len + 1, max_src_len)
    return chat_generation_prompt(messages, tokenizer, max_src_len=max_src_len)


def render_preview(
    record: Record, tokenizer: Any, *, mode: str | None, max_len: int, max_src_len: int
) -> dict:
    """How one sample becomes tokens, for the wizard: text segments tagged prompt/answer/special/truncated.

    A truncated segment names the limit that cut it (``limit``: max_src_len for the prompt,
    max_len for the whole sample); ``cut_by`` lists them for the sample.
    """
    encoded = encode_one(record, tokenizer, mode=mode, max_len=max_len, max_src_len=max_src_len)
    cuts: dict[int, list[tuple[list[int], str]]] = {}
    for position, removed in encoded.cuts:
        cuts.setdefault(position, []).append((removed, encoded.cut_by.get(position, "max_len")))

    # Runs of tokens of one kind, split where something was cut out (the cut is a run of its own).
    runs: list[tuple[list[int], str, str | None]] = []
    for position in range(len(encoded.ids) + 1):
        for removed, limit in cuts.get(position, []):
            runs.append((list(removed), "truncated", limit))
        if position == len(encoded.ids):
            break
        kind = encoded.kinds[position]
        if runs and runs[-1][1] == kind and kind != SPECIAL:
            runs[-1][0].append(encoded.ids[position])
        else:
            runs.append(([encoded.ids[position]], kind, None))

    segments: list[dict[str, str]] = []
    for ids, kind, limit in _whole_characters(runs, tokenizer):
        text = tokenizer.decode(ids)
        if not text:
            continue
        if segments and segments[-1]["kind"] == kind and kind != "truncated":
            segments[-1]["text"] += text
        else:
            segments.append({"text": text, "kind": kind, **({"limit": limit} if limit else {})})
    cut_by = sorted({limit for entries in cuts.values() for _, limit in entries})
    return {"segments": segments, "tokens": len(encoded.ids), "truncated": encoded.truncated, "cut_by": cut_by}


def _whole_characters(
    runs: list[tuple[list[int], str, str | None]], tokenizer: Any
) -> list[tuple[list[int], str, str | None]]:
    """Move a run boundary that falls inside a character (byte-level tokens) to after it.

    A character such as an emoji can be four byte tokens; a cut or a change of kind between them
    would show as replacement marks on both sides. The next run lends the tokens that complete it.
    """
    runs = [(list(ids), kind, limit) for ids, kind, limit in runs]
    for i in range(len(runs) - 1):
        ids, nxt = runs[i][0], runs[i + 1][0]
        if not ids or not tokenizer.decode(ids).endswith("\ufffd"):
            continue
        for k in range(1, min(4, len(nxt)) + 1):
            if not tokenizer.decode(ids + nxt[:k]).endswith("\ufffd"):
                ids.extend(nxt[:k])
                del nxt[:k]
                break
    return runs
