"""Chat layout for every model that is not in ChatGLM mode: the tokenizer's own chat template.

Multi-turn samples are trained on EVERY assistant turn (each one is a correct answer to its
context; training only the last would waste the others). Everything else — system, user turns,
the template's role markers and the generation prompt — is masked out of the loss.

How the answer spans are found: the template is rendered for the conversation up to each
assistant turn with ``add_generation_prompt=True`` (= what the model sees at inference) and up to
the end of that turn; the text in between is the answer. Each span is tokenized on its own, so
the prompt/answer boundary is exactly the one used when generating.

If the tokenizer has no chat template, a plain fallback is used::

    [bos] System: {system}\\n User: {question}\\nAssistant: {answer}<eos>

An end-of-sequence token is appended to the last answer when the template does not end the turn
with one, so the model learns to stop.
"""

from __future__ import annotations

from typing import Any

from tunedesk.data.tokens import ANSWER, PROMPT, SPECIAL, Encoded, Piece, encode_text, truncate_pieces
from tunedesk.errors import ConfigError

FALLBACK_USER = "User: {content}\n"
FALLBACK_ASSISTANT = "Assistant: "


def _render(tokenizer: Any, messages: list[dict], generation_prompt: bool) -> str:
    try:
        text = tokenizer.apply_chat_template(
            messages, tokenize=False, add_generation_prompt=generation_prompt
        )
    except Exception as exc:  # jinja errors: a template that rejects this conversation shape
        raise ConfigError(
            f"the tokenizer's chat template cannot render this sample: {exc}",
            "Use a --mode that matches the model, or data in the shape the model's template expects.",
        ) from exc
    return text if isinstance(text, str) else str(text)


def _common_prefix(a: str, b: str) -> int:
    n = min(len(a), len(b))
    i = 0
    while i < n and a[i] == b[i]:
        i += 1
    return i


def _template_spans(tokenizer: Any, messages: list[dict]) -> tuple[list[tuple[str, bool]], str]:
    """Split the rendered conversation into (text, is_answer) spans + the final generation prompt text."""
    full = _render(tokenizer, messages, False)
    spans: list[tuple[str, bool]] = []
    pos = 0
    generation_prompt = ""
    for index, message in enumerate(messages):
        if message["role"] != "assistant":
            continue
        before = _render(tokenizer, messages[:index], True)
        start = max(_common_prefix(before, full), pos)
        through = _render(tokenizer, messages[: index + 1], False)
        end = max(_common_prefix(through, full), start)
        if start > pos:
            spans.append((full[pos:start], False))
        spans.append((full[start:end], True))
        pos = end
        if index == len(messages) - 1:
            without = _render(tokenizer, messages[:index], False)
            generation_prompt = before[_common_prefix(without, before) :]
    # text after the last answer (e.g. a trailing newline) carries nothing to learn: dropped
    return spans, generation_prompt


def _fallback_spans(messages: list[dict]) -> tuple[list[tuple[str, bool]], str]:
    spans: list[tuple[str, bool]] = []
    for index, message in enumerate(messages):
        if message["role"] == "system":
            spans.append((f"System: {message['content']}\n", False))
        elif message["role"] == "user":
            spans.append((FALLBACK_USER.format(content=message["content"]), False))
            spans.append((FALLBACK_ASSISTANT, False))
        else:
            spans.append((message["content"], True))
            if index < len(messages) - 1:
                spans.append(("\n", False))
    return spans, FALLBACK_ASSISTANT


def _special_ids(tokenizer: Any) -> set[int]:
    return set(getattr(tokenizer, "all_special_ids", []) or [])


def _pieces(tokenizer: Any, text: str, learn: bool, specials: set[int]) -> list[Piece]:
    pieces: list[Piece] = []
    for token in encode_text(tokenizer, text):
        kind = SPECIAL if token in specials else (ANSWER if learn else PROMPT)
        if pieces and pieces[-1].kind == kind:
            pieces[-1].ids.append(token)
        else:
            pieces.append(Piece([token], kind, learn))
    return pieces


def _bos(tokenizer: Any) -> list[int]:
    bos = getattr(tokenizer, "bos_token_id", None)
    return [int(bos)] if bos is not None and bos != tokenizer.eos_token_id else []


def encode_chat(messages: list[dict], tokenizer: Any, *, max_len: int, max_src_len: int) -> Encoded:
    """Encode one conversation; source = everything before the last answer, target = that answer."""
    specials = _special_ids(tokenizer)
    if getattr(tokenizer, "chat_template", None):
        spans, generation_prompt = _template_spans(tokenizer, messages)
        source: list[Piece] = []
    else:
        spans, generation_prompt = _fallback_spans(messages)
        bos = _bos(tokenizer)
        source = [Piece(bos, SPECIAL, False)] if bos else []
    for text, learn in spans[:-1]:
        source += _pieces(tokenizer, text, learn, specials)
    target = _pieces(tokenizer, spans[-1][0], True, specials)
    eos = tokenizer.eos_token_id
    if eos is not None and eos not in [t for p in target for t in p.ids]:
        target.append(Piece([int(eos)], SPECIAL, True))

    # Like the originals: cut the middle of a long source but keep its end, the generation prompt
    # ("<|assistant|>\n", "Assistant: "), so the model still sees where its answer starts.
    keep_tail = min(len(encode_text(tokenizer, generation_prompt)), max_src_len)
    source, src_removed, src_cut = truncate_pieces(source, max_src_len, keep_tail)
    src_len = sum(len(p.ids) for p in source)
    target, tgt_removed, tgt_cut = truncate_pieces(target, max_len - src_len)

    out = Encoded()
    out.add_pieces(source, src_removed, src_cut, limit="max_src_len")
    out.add_pieces(target, tgt_removed, tgt_cut, limit="max_len")
    return out


def chat_generation_prompt(messages: list[dict], tokenizer: Any, *, max_src_len: int) -> list[int]:
    """The ids a model is given to answer ``messages`` (ending with the user's turn), as in training."""
    with_answer = [*messages, {"role": "assistant", "content": "x"}]
    encoded = encode_chat(with_answer, tokenizer, max_len=max_src_len + 64, max_src_len=max_src_len)
    # the last answer is the trailing run of learned tokens; everything before it is the prompt
    end = len(encoded.ids)
    while end > 0 and encoded.labels[end - 1] != -100:
        end -= 1
    return encoded.ids[:end]
