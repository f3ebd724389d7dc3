"""SentencePiece-style vocabularies (tokenizer model "llama" in GGUF): Llama 2, Mistral v0.1-0.3,
Gemma, Phi-3. llama.cpp's SPM tokenizer merges the adjacent pair whose result has the highest score,
so scores must carry the merge order.

- With the original tokenizer.model beside the tokenizer: pieces, scores and types read with
  sentencepiece, as convert_hf_to_gguf.py's _create_vocab_sentencepiece does.
- With tokenizer.json only (a BPE with byte fallback): score = -(rank of the merge that makes the
  token), which is the order transformers' BPE applies (SentencePiece's converter emits merges in
  score order, so this reproduces the original scores' order).
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

BYTE_TOKEN = re.compile(r"<0x[0-9A-Fa-f]{2}>")


def is_sentencepiece_style(tokenizer_json: dict[str, Any]) -> bool:
    model = tokenizer_json.get("model", {})
    return model.get("type") == "BPE" and bool(model.get("byte_fallback"))


def _tokenizer_json(tokenizer: Any) -> dict[str, Any]:
    return json.loads(tokenizer.backend_tokenizer.to_str())


def llama_vocab(tokenizer: Any, vocab_size: int) -> tuple[list[str], list[float], list[Any]]:
    """(tokens, scores, token types) for vocab_size ids; ids the tokenizer lacks are padding."""
    import gguf

    tokens = [f"[PAD{i}]" for i in range(vocab_size)]
    scores = [-1000.0] * vocab_size
    types = [gguf.TokenType.UNUSED] * vocab_size
    model_file = Path(str(getattr(tokenizer, "name_or_path", "") or "")) / "tokenizer.model"
    if not (model_file.is_file() and _from_sentencepiece(model_file, tokens, scores, types)):
        _from_tokenizer_json(tokenizer, tokens, scores, types)
    # Added tokens: new ones beyond the base vocabulary; special ones in it become CONTROL (an
    # <unk> keeps its UNKNOWN type, as in the converter).
    for token_id, added in tokenizer.added_tokens_decoder.items():
        if token_id >= vocab_size:
            continue
        if tokens[token_id] != added.content:
            tokens[token_id] = added.content
            types[token_id] = gguf.TokenType.CONTROL if added.special else gguf.TokenType.USER_DEFINED
        elif added.special and types[token_id] == gguf.TokenType.NORMAL:
            types[token_id] = gguf.TokenType.CONTROL
    return tokens, scores, types


def _from_sentencepiece(path: Path, tokens: list, scores: list, types: list) -> int:
    import gguf
    from sentencepiece import SentencePieceProcessor

    sp = SentencePieceProcessor(model_file=str(path))
    n = min(sp.vocab_size(), len(tokens))
    for i in range(n):
        tokens[i] = sp.id_to_piece(i)
        scores[i] = sp.get_score(i)
        if sp.is_unknown(i):
            types[i] = gguf.TokenType.UNKNOWN
        elif sp.is_control(i):
            types[i] = gguf.TokenType.CONTROL
        elif sp.is_unused(i):
            types[i] = gguf.TokenType.UNUSED
        elif sp.is_byte(i):
            types[i] = gguf.TokenType.BYTE
        else:
            types[i] = gguf.TokenType.NORMAL
    return n


def _from_tokenizer_json(tokenizer: Any, tokens: list, scores: list, types: list) -> None:
    import gguf

    model = _tokenizer_json(tokenizer)["model"]
    rank = {}
    for i, merge in enumerate(model.get("merges", [])):
        left, right = merge if isinstance(merge, list) else merge.split(" ", 1)
        rank.setdefault(left + right, i)
    specials = set(tokenizer.all_special_tokens)
    for token, token_id in model["vocab"].items():
        if token_id >= len(tokens):
            continue
        tokens[token_id] = token
        scores[token_id] = -float(rank.get(token, 0))
        if token == model.get("unk_token"):
            types[token_id] = gguf.TokenType.UNKNOWN
        elif BYTE_TOKEN.fullmatch(token):
            types[token_id] = gguf.TokenType.BYTE
        elif token in specials:
            types[token_id] = gguf.TokenType.CONTROL
        else:
            types[token_id] = gguf.TokenType.NORMAL
