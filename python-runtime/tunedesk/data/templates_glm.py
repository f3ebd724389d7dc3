"""The three ChatGLM prompt layouts, token for token as liucongg/ChatGLM-Finetuning built them.

Reference: that repository's utils.py, classes GLMPromptDataSet, GLM2PromptDataSet and
GLM3PromptDataSet (and predict.py for the generation prompt). In their words:

glm  (ChatGLM-6B)::
    src = tokenize("[Round 1]\\n问：{instruction+input}\\n答：")
    if len(src) > max_src_len: src = src[:max_src_len - 3] + src[-3:]     # keep "\\n答："
    tgt = tokenize(output)[:max_len - 3 - len(src)]
    input_ids = src + [gMASK] + <sop> + tgt + <eop>
    labels    = [-100] * index(<sop>) + input_ids[index(<sop>):]          # <sop>, tgt, <eop> learned

glm2 (ChatGLM2-6B)::
    src = tokenize("[Round 1]\\n\\n问：{instruction+input}\\n\\n答：")
    if len(src) > max_src_len: src = src[:max_src_len - 4] + src[-4:]     # keep "\\n\\n答："
    tgt = tokenize(output)[:max_len - 3 - len(src)]
    input_ids = [gMASK] + sop + src + tgt + </s>
    labels    = [-100] * (len(src) + 2) + input_ids[len(src) + 2:]

glm3 (ChatGLM3-6B)::
    src = <|user|> + encode("\\n") + encode(instruction+input);  src = src[:max_src_len]
    tgt = (<|assistant|> + encode("\\n") + encode(output))[:max_len - 6 - len(src)]
    input_ids = [gMASK] + sop + src + tgt + eos
    labels    = [-100] * (len(src) + 2) + input_ids[len(src) + 2:]             # <|assistant|> learned too

``is_skip`` drops every sample that was truncated (source or target). Multi-turn samples (which
the original scripts did not have) put earlier rounds into the source the way each model's own
chat() does: "[Round i]\\n问：q\\n答：a\\n" (glm), "[Round i]\\n\\n问：q\\n\\n答：a\\n\\n" (glm2), and
<|system|>/<|user|>/<|assistant|> turns (glm3). A system message precedes the rounds as plain text
(glm, glm2) or as a <|system|> turn (glm3).
"""

from __future__ import annotations

from typing import Any

from tunedesk.data.tokens import (
    ANSWER,
    PROMPT,
    SPECIAL,
    Encoded,
    Piece,
    encode_text,
    eos_id,
    special_id,
    truncate_pieces,
)
from tunedesk.errors import ConfigError

GLM_MODES = ("glm", "glm2", "glm3")
GLM_CONTENT = "glm_content"  # key of a user message's text in the originals' layout, when it differs

# Per mode: round text, tokens kept at the end of a truncated source (the answer marker), and the
# tokens max_len reserves besides source and target — the originals' constants.
_ROUND = {"glm": "[Round {n}]\n问：{q}\n答：", "glm2": "[Round {n}]\n\n问：{q}\n\n答："}
_ROUND_DONE = {"glm": "[Round {n}]\n问：{q}\n答：{a}\n", "glm2": "[Round {n}]\n\n问：{q}\n\n答：{a}\n\n"}
_KEEP_TAIL = {"glm": 3, "glm2": 4, "glm3": 0}
_RESERVED = {"glm": 3, "glm2": 3, "glm3": 6}


def check_lengths(mode: str, max_len: int, max_src_len: int) -> None:
    """The originals crash (negative slices, assertions) on these; say what to change instead."""
    if max_src_len <= _KEEP_TAIL[mode]:
        raise ConfigError(
            f"--max_src_len {max_src_len} is too small for --mode {mode}",
            f"Use --max_src_len above {_KEEP_TAIL[mode]} (the answer marker alone takes that many tokens).",
        )
    if max_len - _RESERVED[mode] - max_src_len < 1:
        raise ConfigError(
            f"--max_len {max_len} leaves no room for the answer after --max_src_len {max_src_len} (mode {mode})",
            f"Make --max_len at least --max_src_len + {_RESERVED[mode] + 1}, e.g. the originals' 1560 and 1024.",
        )


def _split(messages: list[dict]) -> tuple[str, list[tuple[str, str]], str, str]:
    """(system text, earlier (question, answer) rounds, last question, last answer)."""
    system = messages[0]["content"] if messages[0]["role"] == "system" else ""
    body = messages[1:] if messages[0]["role"] == "system" else messages
    rounds = [(body[i]["content"], body[i + 1]["content"]) for i in range(0, len(body) - 2, 2)]
    # an instruction sample's question as the originals built it (instruction + input, no newline)
    question = body[-2].get(GLM_CONTENT, body[-2]["content"])
    return system, rounds, question, body[-1]["content"]


def _source_text(mode: str, messages: list[dict]) -> str:
    system, rounds, question, _ = _split(messages)
    text = f"{system}\n" if system else ""
    for n, (q, a) in enumerate(rounds, start=1):
        text += _ROUND_DONE[mode].format(n=n, q=q, a=a)
    return text + _ROUND[mode].format(n=len(rounds) + 1, q=question)


def _glm3_source(tokenizer: Any, messages: list[dict]) -> list[Piece]:
    system, rounds, question, _ = _split(messages)
    newline = encode_text(tokenizer, "\n")
    pieces: list[Piece] = []

    def turn(role: str, content: str) -> None:
        pieces.append(Piece([special_id(tokenizer, f"<|{role}|>", mode="glm3")], SPECIAL, False))
        pieces.append(Piece(newline + encode_text(tokenizer, content), PROMPT, False))

    if system:
        turn("system", system)
    for q, a in rounds:
        turn("user", q)
        turn("assistant", a)
    turn("user", question)
    return pieces


def encode_glm(
    record_messages: list[dict], tokenizer: Any, *, mode: str, max_len: int, max_src_len: int
) -> Encoded:
    """Encode one sample in ChatGLM layout ``mode`` (glm, glm2, glm3); see the module docstring."""
    gmask = special_id(tokenizer, "[gMASK]", mode=mode)
    answer_text = record_messages[-1]["content"]
    if mode == "glm3":
        src_pieces = _glm3_source(tokenizer, record_messages)
    else:
        src_pieces = [Piece(encode_text(tokenizer, _source_text(mode, record_messages)), PROMPT, False)]
    src_pieces, src_removed, src_cut_at = truncate_pieces(src_pieces, max_src_len, _KEEP_TAIL[mode])
    src_len = sum(len(p.ids) for p in src_pieces)

    if mode == "glm3":
        assistant = special_id(tokenizer, "<|assistant|>", mode=mode)
        tgt_pieces = [
            Piece([assistant], SPECIAL, True),
            Piece(encode_text(tokenizer, "\n") + encode_text(tokenizer, answer_text), ANSWER, True),
        ]
    else:
        tgt_pieces = [Piece(encode_text(tokenizer, answer_text), ANSWER, True)]
    tgt_pieces, tgt_removed, tgt_cut_at = truncate_pieces(tgt_pieces, max_len - _RESERVED[mode] - src_len)

    out = Encoded()
    if mode == "glm":
        sop = special_id(tokenizer, "<sop>", "sop", mode=mode)
        eop = special_id(tokenizer, "<eop>", "eop", mode=mode)
        out.add_pieces(src_pieces, src_removed, src_cut_at, limit="max_src_len")
        out.add([gmask], SPECIAL, learn=False)
        out.add([sop], SPECIAL, learn=True)  # the originals' labels start AT <sop> (context_length)
        out.add_pieces(tgt_pieces, tgt_removed, tgt_cut_at, limit="max_len")
        out.add([eop], SPECIAL, learn=True)
    else:
        sop = special_id(tokenizer, "sop", "<sop>", mode=mode)
        out.add([gmask, sop], SPECIAL, learn=False)
        out.add_pieces(src_pieces, src_removed, src_cut_at, limit="max_src_len")
        out.add_pieces(tgt_pieces, tgt_removed, tgt_cut_at, limit="max_len")
        out.add([eos_id(tokenizer, mode)], SPECIAL, learn=True)
    return out


def glm_generation_prompt(messages: list[dict], tokenizer: Any, *, mode: str, max_src_len: int) -> list[int]:
    """The ids a model is given to answer ``messages`` (ending with the user's turn), as in training."""
    with_answer = [*messages, {"role": "assistant", "content": "x"}]
    gmask = special_id(tokenizer, "[gMASK]", mode=mode)
    if mode == "glm3":
        pieces = _glm3_source(tokenizer, with_answer)
    else:
        pieces = [Piece(encode_text(tokenizer, _source_text(mode, with_answer)), PROMPT, False)]
    pieces, _, _ = truncate_pieces(pieces, max_src_len, _KEEP_TAIL[mode])
    src = [t for p in pieces for t in p.ids]
    if mode == "glm":
        return src + [gmask, special_id(tokenizer, "<sop>", "sop", mode=mode)]
    prompt = [gmask, special_id(tokenizer, "sop", "<sop>", mode=mode)] + src
    if mode == "glm3":  # ChatGLM3 answers after "<|assistant|>\n", which the training target starts with
        prompt += [special_id(tokenizer, "<|assistant|>", mode=mode)] + encode_text(tokenizer, "\n")
    return prompt
