"""Records -> training features (ids + labels), batches, and the wizard's token preview."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from typing import Any

from tunedesk.data.formats_tools import template_supports_tools
from tunedesk.data.records import DataProblem, DataValidationError, Record
from tunedesk.data.templates_chat import chat_generation_prompt, encode_chat, encode_text_sample
from tunedesk.data.templates_glm import GLM_MODES, check_lengths, encode_glm, glm_generation_prompt
from tunedesk.data.tokens import IGNORE_INDEX, SPECIAL, Encoded
from tunedesk.errors import ConfigError

MODES = (*GLM_MODES, "chat")
MAX_CHARS_PER_TOKEN = 64  # a bound on one token's length in characters, to cut huge samples as text


class SampleError(ValueError):
    """This sample cannot be laid out by the chosen prompt layout; the message says why."""


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
    text_samples: int = 0  # plain text: every token learned
    tool_samples: int = 0  # samples with tool calls, laid out by the chat template
    folded_system: int = 0  # system prompts folded into the first user turn (template rejects system)
    rewritten_turns: int = 0  # assistant turns the template renders differently from the data
    cut_before_tokenizing: int = 0  # samples far longer than max_len, cut as text first
    refused: list[DataProblem] = field(default_factory=list)  # samples the layout cannot take (skip_bad)

    def as_dict(self) -> dict[str, Any]:
        return {k: v for k, v in asdict(self).items() if k != "refused"}


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
    """One record -> ids and labels; a sample the layout cannot take raises SampleError (the reason)."""
    mode = check_mode(mode, max_len, max_src_len)
    limit = max_len * MAX_CHARS_PER_TOKEN
    if record.text is not None:
        out = encode_text_sample(record.text[:limit], tokenizer, max_len=max_len)
        out.cut_chars = len(record.text) > limit
        return out
    calls_tools = bool(record.tools) or any(m.get("tool_calls") or m["role"] == "tool" for m in record.messages)
    if mode in GLM_MODES:
        if calls_tools:
            raise SampleError(f"a tool-calling sample: --mode {mode} has no tool layout (the originals had none)")
        messages, cut = cap_lengths(record.glm_messages or record.messages, limit)
        out = encode_glm(messages, tokenizer, mode=mode, max_len=max_len, max_src_len=max_src_len)
        out.cut_chars = cut
        return out
    if calls_tools and not template_supports_tools(tokenizer):
        raise SampleError(
            "a tool-calling sample, but the model's chat template has no tool support "
            "(no tools / tool_calls in it); use a model whose template lays out tools, or leave these samples out"
        )
    messages, cut = cap_lengths(record.messages, limit)
    folded = False
    try:
        out = encode_chat(messages, tokenizer, max_len=max_len, max_src_len=max_src_len, tools=record.tools)
    except ConfigError as exc:
        if messages[0]["role"] != "system":
            raise SampleError(exc.message) from None
        messages, folded = fold_system(messages), True
        try:
            out = encode_chat(messages, tokenizer, max_len=max_len, max_src_len=max_src_len, tools=record.tools)
        except ConfigError as again:
            raise SampleError(again.message) from None
    out.cut_chars, out.folded_system = cut, folded
    return out


def fold_system(messages: list[dict]) -> list[dict]:
    """Templates that reject a system turn (Gemma, Mistral v0.1/v0.2): its text opens the first user turn."""
    system, rest = messages[0], [dict(m) for m in messages[1:]]
    first_user = next(m for m in rest if m["role"] == "user")
    first_user["content"] = f"{system['content']}\n\n{first_user['content']}"
    return rest


def cap_lengths(messages: list[dict], limit: int) -> tuple[list[dict], bool]:
    """Cut message texts far longer than max_len could ever keep, BEFORE tokenizing them.

    A 50 MB single-line sample took 15 minutes and 10 GB to tokenize, to keep max_len tokens.
    No token is longer than MAX_CHARS_PER_TOKEN characters in practice, so the kept tokens stay the same.
    """
    cut = False
    capped = []
    for message in messages:
        content = message.get("content")
        if isinstance(content, str) and len(content) > limit:
            message, cut = {**message, "content": content[:limit]}, True
        capped.append(message)
    return capped, cut


def encode_records(
    records: Iterable[Record],
    tokenizer: Any,
    *,
    mode: str | None,
    max_len: int,
    max_src_len: int,
    is_skip: bool,
    skip_bad: bool = False,
) -> tuple[list[Feature], EncodeStats]:
    """Encode every record; with ``is_skip`` truncated samples are dropped (and counted), as the originals did.

    Samples the prompt layout cannot take (a template that refuses them, tools without tool
    support) are all reported at once, as ``file:line: reason`` — or, with ``skip_bad``, left out
    and listed in ``stats.refused``.
    """
    check_mode(mode, max_len, max_src_len)
    features: list[Feature] = []
    problems: list[DataProblem] = []
    stats = EncodeStats(0, 0, 0, 0, 0, 0.0)
    for record in records:
        stats.samples += 1
        try:
            encoded = encode_one(record, tokenizer, mode=mode, max_len=max_len, max_src_len=max_src_len)
        except SampleError as exc:
            problems.append(DataProblem(record.file, record.line, str(exc)))
            continue
        stats.truncated += encoded.truncated
        stats.text_samples += record.text is not None
        stats.tool_samples += bool(record.tools)
        stats.folded_system += encoded.folded_system
        stats.rewritten_turns += encoded.rewritten
        stats.cut_before_tokenizing += encoded.cut_chars
        if is_skip and encoded.truncated:
            stats.skipped += 1
            continue
        features.append(Feature(encoded.ids, encoded.labels, record.line, encoded.truncated))
    if problems and (not skip_bad or not features):
        raise DataValidationError(
            problems,
            "Fix or remove the samples listed above, or use a --mode / model that takes them"
            + (" (or --skip_bad_lines to leave them out)." if features else "."),
        )
    stats.refused = problems
    lengths = [len(f.input_ids) for f in features]
    stats.kept = len(features)
    stats.max_tokens = max(lengths, default=0)
    stats.mean_tokens = round(sum(lengths) / len(lengths), 2) if lengths else 0.0
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
    try:
        return chat_generation_prompt(messages, tokenizer, max_src_len=max_src_len)
    except ConfigError:
        if not messages or messages[0]["role"] != "system":
            raise
        # as in training: the system text opens the first user turn where the template rejects system
        return chat_generation_prompt(fold_system(messages), tokenizer, max_src_len=max_src_len)


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
