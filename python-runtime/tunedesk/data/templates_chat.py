"""Chat layout for every model that is not in ChatGLM mode: the tokenizer's own chat template.

The conversation is rendered ONCE and tokenized ONCE (with character offsets), so the input ids
are exactly the ids of the full rendering — what the model will see at inference. Each assistant
message's character span is then mapped to token positions, and those tokens are learned:

    span start = where the rendering of the turns before it, plus the generation prompt, stops
                 matching the full rendering (= what the model is given before it answers);
    span end   = the first special token after the answer (its end of turn: <|eot_id|>,
                 <|im_end|>, <end_of_turn>, <|end|>, </s>, GLM-4's next <|user|>), included.

Splitting rendered TEXT at those places instead (and tokenizing the pieces on their own) cut
Phi-3's "<|end|>\\n<|user|>" inside a special token. Every assistant turn is learned (each is a
correct answer to its context); system, user and tool turns, role markers and the generation
prompt are masked out of the loss. When the template does not end the last turn with a special
token, an end-of-sequence token is appended so the model learns to stop (the only id that is not
part of the rendering).

Without a chat template, a plain fallback is used::

    [bos] System: {system}\\n User: {question}\\nAssistant: {answer}<eos>
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from tunedesk.data.tokens import ANSWER, PROMPT, SPECIAL, Encoded, Piece, encode_text, truncate_pieces
from tunedesk.errors import ConfigError

FALLBACK_USER = "User: {content}\n"
FALLBACK_ASSISTANT = "Assistant: "


@dataclass
class ChatTokens:
    """A rendered conversation as tokens, with the learned positions marked."""

    ids: list[int]
    learn: list[bool]
    specials: set[int]
    generation_prompt: str  # the text that precedes the last answer (kept when the source is cut)
    rewritten: int = 0  # assistant turns the template renders differently from their content
    notes: list[str] = field(default_factory=list)


def _render(tokenizer: Any, messages: list[dict], generation_prompt: bool, tools: list | None) -> str:
    kwargs: dict[str, Any] = {"tokenize": False, "add_generation_prompt": generation_prompt}
    if tools:
        kwargs["tools"] = tools
    try:
        text = tokenizer.apply_chat_template(messages, **kwargs)
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


def special_ids(tokenizer: Any) -> set[int]:
    """Ids of the tokenizer's special tokens (role markers, end of turn) — not plain added words."""
    ids = set(getattr(tokenizer, "all_special_ids", []) or [])
    for token_id, token in (getattr(tokenizer, "added_tokens_decoder", None) or {}).items():
        if getattr(token, "special", False):
            ids.add(int(token_id))
    return ids


def _tokenize_with_offsets(tokenizer: Any, text: str) -> tuple[list[int], list[tuple[int, int]]] | None:
    if not getattr(tokenizer, "is_fast", False):
        return None
    out = tokenizer(text, add_special_tokens=False, return_offsets_mapping=True)
    return list(out["input_ids"]), [tuple(o) for o in out["offset_mapping"]]


OPEN_ENDED = -1  # a span end meaning "up to the first special token after the start"


def _answer_spans(tokenizer: Any, messages: list[dict], full: str, tools: list | None) -> list[tuple[int, int]]:
    """(start, end) character span of each assistant turn in ``full``, end = where the turn's rendering ends."""
    spans = []
    for index, message in enumerate(messages):
        if message["role"] != "assistant":
            continue
        before = _render(tokenizer, messages[:index], True, tools)
        start = _common_prefix(before, full)
        through = _render(tokenizer, messages[: index + 1], False, tools)
        end = _common_prefix(through, full)
        if end < len(through):
            # the template renders this turn differently once later turns follow (Qwen3 drops
            # earlier reasoning): the turn ends where its visible answer ends in the full text
            content = _rendered_content(message)
            found = full.find(content, start) if content else -1
            # not found (a tool call, an empty answer): the turn runs to its end-of-turn token
            end = found + len(content) if found >= 0 else OPEN_ENDED
        if spans:
            start = max(start, spans[-1][0] + 1)
        spans.append((start, end if end == OPEN_ENDED else max(end, start)))
    return spans


def _visible(message: dict) -> bool:
    content = message.get("content")
    return isinstance(content, str) and bool(content.strip())


def _rendered_content(message: dict) -> str:
    content = message.get("content") or ""
    return content.split("</think>")[-1].strip() if isinstance(content, str) else ""


def template_tokens(tokenizer: Any, messages: list[dict], tools: list | None = None) -> ChatTokens:
    """Render once, tokenize once, mark each assistant turn + its end-of-turn token as learned."""
    specials = special_ids(tokenizer)
    full = _render(tokenizer, messages, False, tools)
    spans = _answer_spans(tokenizer, messages, full, tools)
    assistants = [m for m in messages if m["role"] == "assistant"]
    rewritten = sum(
        1
        for (s, e), m in zip(spans, assistants)
        if _visible(m) and (e == OPEN_ENDED or str(m.get("content")).strip() not in full[s:e])
    )
    last_index = max(i for i, m in enumerate(messages) if m["role"] == "assistant")
    before_last = _render(tokenizer, messages[:last_index], True, tools)
    without = _render(tokenizer, messages[:last_index], False, tools)
    generation_prompt = before_last[_common_prefix(without, before_last) :]

    tokenized = _tokenize_with_offsets(tokenizer, full)
    if tokenized is None:
        ids, learn = _segment_tokens(tokenizer, full, spans, specials)
    else:
        ids, offsets = tokenized
        learn = [False] * len(ids)
        for start, end in spans:
            inside = [i for i, (s, _) in enumerate(offsets) if start <= s and (end == OPEN_ENDED or s < end)]
            # the first special token after the answer ends the turn; a template that closes the
            # turn with the NEXT role marker (GLM-4: <|user|>) has it right after the span
            stop = next((i for i in inside if ids[i] in specials), None)
            if stop is None:
                after = next((i for i, (s, _) in enumerate(offsets) if s >= end), None)
                if after is not None and ids[after] in specials and offsets[after][0] == end:
                    stop = after
            if stop is None and end == OPEN_ENDED:
                continue  # nothing closes the turn: nothing safe to learn
            chosen = [i for i in inside if stop is None or i <= stop]
            if stop is not None and stop not in chosen:
                chosen.append(stop)
            for i in chosen:
                learn[i] = True
    eos = getattr(tokenizer, "eos_token_id", None)
    if eos is not None and not _last_turn_closed(ids, learn, specials):
        ids, learn = [*ids, int(eos)], [*learn, True]
    return ChatTokens(ids, learn, specials, generation_prompt, rewritten)


def _last_turn_closed(ids: list[int], learn: list[bool], specials: set[int]) -> bool:
    learned = [i for i, flag in enumerate(learn) if flag]
    return bool(learned) and ids[learned[-1]] in specials


def _special_texts(tokenizer: Any, specials: set[int]) -> list[str]:
    texts = {str(t) for t in (getattr(tokenizer, "all_special_tokens", None) or [])}
    texts |= {tokenizer.convert_ids_to_tokens(i) for i in specials}
    return sorted((t for t in texts if t), key=len, reverse=True)  # longest first: "<|end|>" vs "<|endoftext|>"


def _answer_text_ends(full: str, spans: list[tuple[int, int]], markers: list[str]) -> list[int | None]:
    """Where each learned answer ends in ``full`` — the text form of the rule the offsets path
    applies to tokens: through the first special token at/after the start that lies inside the turn
    or right at its end; else the turn's end (an eos is appended later); None where the turn has no
    known end and nothing closes it."""
    ends: list[int | None] = []
    for start, end in spans:
        hits = [(p, m) for m in markers if (p := full.find(m, start)) >= 0]
        at, marker = min(hits, key=lambda hit: (hit[0], -len(hit[1]))) if hits else (-1, "")
        if hits and (end == OPEN_ENDED or at <= end):
            ends.append(at + len(marker))
        else:
            ends.append(None if end == OPEN_ENDED else end)
    return ends


def _find_run(ids: list[int], run: list[int], start: int) -> int:
    for i in range(start, len(ids) - len(run) + 1):
        if ids[i : i + len(run)] == run:
            return i
    return -1


def _segment_tokens(
    tokenizer: Any, full: str, spans: list[tuple[int, int]], specials: set[int]
) -> tuple[list[int], list[bool]]:
    """For tokenizers without offsets (slow ones: ChatGLM2/3 and GLM-4 remote code).

    The ids are ALWAYS those of the full rendering, tokenized once. Each answer (from its start to
    the end of its end-of-turn special token) is tokenized on its own and found, in order, in those
    ids; its first token may differ where it merges with the text before it, so it is also looked
    for without that token. An answer that cannot be found is refused rather than trained wrongly.
    """
    ids = encode_text(tokenizer, full)
    learn = [False] * len(ids)
    pos = 0
    for (start, _), text_end in zip(spans, _answer_text_ends(full, spans, _special_texts(tokenizer, specials))):
        if text_end is None:
            continue  # nothing closes the turn: nothing safe to learn (as with offsets)
        run = encode_text(tokenizer, full[start:text_end])
        # look from where the answer starts (the prompt before it, tokenized: a token of slack for a
        # merge at the boundary), never earlier: a user turn saying the same words also ends in a
        # special token and would match
        pos = max(pos, len(encode_text(tokenizer, full[:start])) - 2)
        for candidate in (run, run[1:]):
            at = _find_run(ids, candidate, pos) if candidate else -1
            if at >= 0:
                for i in range(at, at + len(candidate)):
                    learn[i] = True
                pos = at + len(candidate)
                break
        else:
            raise ConfigError(
                "cannot locate an answer's tokens in this sample's full rendering (the tokenizer gives no "
                "character offsets and tokenizes the answer differently inside the conversation)",
                "Use the model's fast tokenizer (tokenizer.json) if it has one, or report this sample.",
            )
    return ids, learn


def _fallback_tokens(tokenizer: Any, messages: list[dict]) -> ChatTokens:
    specials = special_ids(tokenizer)
    bos = getattr(tokenizer, "bos_token_id", None)
    ids: list[int] = [int(bos)] if bos is not None and bos != tokenizer.eos_token_id else []
    learn = [False] * len(ids)
    eos = tokenizer.eos_token_id
    for message in messages:
        if message["role"] == "assistant":
            answer = encode_text(tokenizer, message["content"])
            if eos is not None:
                answer.append(int(eos))
            ids += answer
            learn += [True] * len(answer)
            continue
        if message["role"] == "system":
            text = f"System: {message['content']}\n"
        else:
            text = FALLBACK_USER.format(content=message["content"]) + FALLBACK_ASSISTANT
        piece = encode_text(tokenizer, text)
        ids += piece
        learn += [False] * len(piece)
    return ChatTokens(ids, learn, specials, FALLBACK_ASSISTANT)


def chat_tokens(tokenizer: Any, messages: list[dict], tools: list | None = None) -> ChatTokens:
    if getattr(tokenizer, "chat_template", None):
        return template_tokens(tokenizer, messages, tools)
    if tools or any(m.get("tool_calls") or m["role"] == "tool" for m in messages):
        raise ConfigError(
            "this sample calls tools, but the tokenizer has no chat template to lay tool calls out",
            "Use a model whose chat template supports tools, or leave tool-calling samples out.",
        )
    return _fallback_tokens(tokenizer, messages)


def _pieces(tokens: ChatTokens, start: int, end: int) -> list[Piece]:
    pieces: list[Piece] = []
    for token, learn in zip(tokens.ids[start:end], tokens.learn[start:end]):
        kind = SPECIAL if token in tokens.specials else (ANSWER if learn else PROMPT)
        if pieces and pieces[-1].kind == kind and pieces[-1].learn == learn:
            pieces[-1].ids.append(token)
        else:
            pieces.append(Piece([token], kind, learn))
    return pieces


def encode_chat(
    messages: list[dict], tokenizer: Any, *, max_len: int, max_src_len: int, tools: list | None = None
) -> Encoded:
    """Encode one conversation; source = everything before the last answer, target = the rest."""
    tokens = chat_tokens(tokenizer, messages, tools)
    last_start = _last_answer_start(tokens.learn)
    source = _pieces(tokens, 0, last_start)
    target = _pieces(tokens, last_start, len(tokens.ids))
    # Like the originals: cut the middle of a long source but keep its end, the generation prompt
    # ("<|assistant|>\n", "Assistant: "), so the model still sees where its answer starts.
    keep_tail = min(len(encode_text(tokenizer, tokens.generation_prompt)), max_src_len)
    source, src_removed, src_cut = truncate_pieces(source, max_src_len, keep_tail)
    src_len = sum(len(p.ids) for p in source)
    target, tgt_removed, tgt_cut = truncate_pieces(target, max_len - src_len)

    out = Encoded()
    out.add_pieces(source, src_removed, src_cut, limit="max_src_len")
    out.add_pieces(target, tgt_removed, tgt_cut, limit="max_len")
    out.rewritten = tokens.rewritten
    return out


def _last_answer_start(learn: list[bool]) -> int:
    """Index of the first token of the last learned run."""
    end = len(learn)
    while end > 0 and not learn[end - 1]:
        end -= 1
    start = end
    while start > 0 and learn[start - 1]:
        start -= 1
    return start


def chat_generation_prompt(
    messages: list[dict], tokenizer: Any, *, max_src_len: int, tools: list | None = None
) -> list[int]:
    """The ids a model is given to answer ``messages`` (ending with the user's turn), as in training."""
    with_answer = [*messages, {"role": "assistant", "content": "x"}]
    encoded = encode_chat(with_answer, tokenizer, max_len=max_src_len + 64, max_src_len=max_src_len, tools=tools)
    # the last answer is the trailing run of learned tokens; everything before it is the prompt
    return encoded.ids[: _last_answer_start([label != -100 for label in encoded.labels])]


def encode_text_sample(text: str, tokenizer: Any, *, max_len: int) -> Encoded:
    """Plain text (continued pre-training): [bos] text eos, every token learned, cut to max_len."""
    bos = getattr(tokenizer, "bos_token_id", None)
    eos = getattr(tokenizer, "eos_token_id", None)
    head = [int(bos)] if bos is not None and bos != eos else []
    body = encode_text(tokenizer, text) + ([int(eos)] if eos is not None else [])
    pieces = [Piece(body, ANSWER, True)]
    kept, removed, cut_at = truncate_pieces(pieces, max_len - len(head))
    out = Encoded()
    if head:
        out.add(head, SPECIAL, learn=False)  # nothing predicts the first token
    out.add_pieces(kept, removed, cut_at)
    return out
