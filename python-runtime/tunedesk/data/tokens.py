"""The pieces every template builds on: special-token look-up and a tagged token sequence."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from tunedesk.errors import ConfigError

IGNORE_INDEX = -100  # label of a token that carries no loss (prompt, padding)

PROMPT, ANSWER, SPECIAL = "prompt", "answer", "special"


def special_id(tokenizer: Any, *names: str, mode: str) -> int:
    """The id of the first of ``names`` the tokenizer knows, looked up by its string.

    ChatGLM's own tokenizers answer ``get_command``; every other tokenizer (the demo model's,
    a converted ChatGLM one) has the string in its vocabulary.
    """
    get_command = getattr(tokenizer, "get_command", None)
    added = getattr(tokenizer, "added_tokens_encoder", None) or {}
    # Special (added) tokens first, for every name: a vocabulary learned from real text often
    # has a plain "sop" or "eop" piece (from "philosophy", "people"), while import-chatglm keeps
    # the special one as "<sop>" at the original id. Taking the plain piece trains a wrong id.
    for name in names:
        if callable(get_command):
            try:
                value = get_command(name)
            except (KeyError, ValueError, AssertionError):
                value = None
            if isinstance(value, int):
                return value
        if isinstance(added.get(name), int):
            return added[name]
    for name in names:
        found = _vocab_id(tokenizer, name)
        if found is not None:
            return found
    wanted = " or ".join(repr(n) for n in names)
    raise ConfigError(
        f"--mode {mode}: the tokenizer has no {wanted} token, which the {mode} prompt layout needs",
        "Use the --mode that matches the model (glm: ChatGLM-6B, glm2: ChatGLM2-6B, glm3: ChatGLM3-6B), "
        "or leave --mode out to use the tokenizer's own chat template.",
    )


def _vocab_id(tokenizer: Any, name: str) -> int | None:
    """The id of ``name`` as one token, or None. (get_vocab() copies the whole vocabulary: too slow per sample.)"""
    convert = getattr(tokenizer, "convert_tokens_to_ids", None)
    if callable(convert):
        value = convert(name)
        unk = getattr(tokenizer, "unk_token_id", None)
        if isinstance(value, int) and (value != unk or name == getattr(tokenizer, "unk_token", None)):
            return value
        return None
    vocab = tokenizer.get_vocab()
    return int(vocab[name]) if name in vocab else None


def eos_id(tokenizer: Any, mode: str) -> int:
    if tokenizer.eos_token_id is None:
        raise ConfigError(
            f"--mode {mode}: the tokenizer defines no end-of-sequence token",
            "Set eos_token in the model's tokenizer_config.json.",
        )
    return int(tokenizer.eos_token_id)


def encode_text(tokenizer: Any, text: str) -> list[int]:
    """Plain text -> ids, without the tokenizer adding bos/eos on its own."""
    return list(tokenizer.encode(text, add_special_tokens=False)) if text else []


@dataclass
class Encoded:
    """One encoded sample before it becomes a Feature: ids, labels and what each token is.

    ``cuts`` records what truncation removed (position in ``ids`` where it was, removed ids) so
    the wizard's preview can show the user exactly what the model will never see.
    """

    ids: list[int] = field(default_factory=list)
    labels: list[int] = field(default_factory=list)
    kinds: list[str] = field(default_factory=list)
    cuts: list[tuple[int, list[int]]] = field(default_factory=list)
    rewritten: int = 0  # assistant turns the chat template renders differently from the data (Qwen3 reasoning)
    folded_system: bool = False  # the system prompt was folded into the first user turn
    cut_chars: bool = False  # the text was cut before tokenizing (far longer than max_len)
    #: Which limit made each cut, by its position: "max_src_len" (the prompt) or "max_len" (the whole sample).
    cut_by: dict[int, str] = field(default_factory=dict)

    @property
    def truncated(self) -> bool:
        return bool(self.cuts)

    def add(self, ids: list[int], kind: str, *, learn: bool) -> None:
        self.ids += ids
        self.labels += list(ids) if learn else [IGNORE_INDEX] * len(ids)
        self.kinds += [kind] * len(ids)

    def add_pieces(self, pieces: list[Piece], removed: list[int], cut_at: int, *, limit: str = "max_len") -> None:
        """Append pieces; ``removed`` (what ``limit`` cut) is remembered at offset ``cut_at`` of them."""
        start = len(self.ids)
        for piece in pieces:
            self.add(piece.ids, piece.kind, learn=piece.learn)
        if removed:
            self.cuts.append((start + cut_at, list(removed)))
            self.cut_by[start + cut_at] = limit


@dataclass
class Piece:
    """A run of tokens with one kind and one learn flag (a template's building block)."""

    ids: list[int]
    kind: str
    learn: bool


def truncate_pieces(
    pieces: list[Piece], limit: int, keep_tail: int = 0
) -> tuple[list[Piece], list[int], int]:
    """Cut a sequence of pieces to ``limit`` tokens, keeping its last ``keep_tail`` tokens.

    Returns (kept pieces, removed ids, index in the kept token stream where the cut is).
    This is the original scripts' ``src[:max_src_len - k] + src[-k:]``, on tagged pieces.
    """
    flat = [(token, p.kind, p.learn) for p in pieces for token in p.ids]
    if len(flat) <= limit:
        return pieces, [], 0
    head = max(limit - keep_tail, 0)
    tail_start = len(flat) - min(keep_tail, limit)
    kept = flat[:head] + flat[tail_start:]
    removed = [token for token, _, _ in flat[head:tail_start]]
    return _regroup(kept), removed, head


def _regroup(flat: list[tuple[int, str, bool]]) -> list[Piece]:
    pieces: list[Piece] = []
    for token, kind, learn in flat:
        if pieces and pieces[-1].kind == kind and pieces[-1].learn == learn:
            pieces[-1].ids.append(token)
        else:
            pieces.append(Piece([token], kind, learn))
    return pieces
