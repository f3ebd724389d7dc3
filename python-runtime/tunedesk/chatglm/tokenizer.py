"""ChatGLM2/3's SentencePiece tokenizer -> a fast tokenizer (tokenizer.json) that keeps every id.

The original ``ChatGLMTokenizer`` (tokenization_chatglm.py) encodes text with the SentencePiece model
alone and appends its special tokens *after* the SentencePiece vocabulary, in this order:
``[MASK] [gMASK] [sMASK] sop eop`` and, for ChatGLM3, ``<|system|> <|user|> <|assistant|> <|observation|>``.
They never come out of plain text (ChatGLM3's ``encode_special_tokens`` defaults to False), and
``tokenizer.encode(text)`` prefixes ``[gMASK] sop``. The converted tokenizer does the same: the special
tokens are special added tokens at the same ids, ``split_special_tokens`` keeps them from being matched
inside text (``people`` must not yield ``eop``), and a post-processor adds the prefix.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from ..errors import ConfigError
from .sp_model import CONTROL, NORMAL, UNKNOWN, UNUSED, USER_DEFINED, SpModel, read_sp_model

GLM_SPECIAL_TOKENS = ["[MASK]", "[gMASK]", "[sMASK]", "sop", "eop"]
GLM3_ROLE_TOKENS = ["<|system|>", "<|user|>", "<|assistant|>", "<|observation|>"]
SPACE = "\u2581"  # SentencePiece's visible space


@dataclass
class ConvertedTokenizer:
    """What the conversion produced: the transformers tokenizer plus facts for the import summary."""

    tokenizer: object  # transformers TokenizersBackend (PreTrainedTokenizerFast)
    sp_vocab_size: int
    special_ids: dict[str, int]  # original special-token name -> id
    renamed: dict[str, str]  # original name -> name in tokenizer.json, when the SP vocab already had it
    model_type: str

    @property
    def vocab_size(self) -> int:
        return self.sp_vocab_size + len(self.special_ids)


def special_tokens_for(generation: int) -> list[str]:
    return GLM_SPECIAL_TOKENS + (GLM3_ROLE_TOKENS if generation == 3 else [])


def _bpe_merges(sp: SpModel) -> list[tuple[str, str]]:
    """Merges in SentencePiece's priority order: a piece with a higher score is merged first."""
    vocab = {p.text for p in sp.pieces if p.type in (NORMAL, USER_DEFINED)}
    ranked = sorted(
        ((i, p) for i, p in enumerate(sp.pieces) if p.type == NORMAL and len(p.text) > 1),
        key=lambda item: (-item[1].score, item[0]),
    )
    merges = []
    for _, piece in ranked:
        for cut in range(1, len(piece.text)):
            left, right = piece.text[:cut], piece.text[cut:]
            if left in vocab and right in vocab:
                merges.append((left, right))
    return merges


def _normalizer(sp: SpModel):
    from tokenizers import Regex, normalizers

    steps = []
    if sp.precompiled_charsmap:
        steps.append(normalizers.Precompiled(sp.precompiled_charsmap))
    if sp.remove_extra_whitespaces:
        # SentencePiece drops leading/trailing spaces and squeezes runs of spaces (only U+0020).
        steps += [
            normalizers.Replace(Regex(r"\A +"), ""),
            normalizers.Replace(Regex(r" +\z"), ""),
            normalizers.Replace(Regex(" {2,}"), " "),
        ]
    if sp.add_dummy_prefix:
        steps.append(normalizers.Prepend(" " if sp.escape_whitespaces else SPACE))
    if sp.escape_whitespaces:
        steps.append(normalizers.Replace(" ", SPACE))
    return normalizers.Sequence(steps)


def _decoder(sp: SpModel):
    from tokenizers import decoders

    steps = [decoders.Replace(SPACE, " ")]
    if sp.byte_fallback:
        steps += [decoders.ByteFallback(), decoders.Fuse()]
    if sp.add_dummy_prefix:
        steps.append(decoders.Strip(content=" ", left=1, right=0))
    return decoders.Sequence(steps)


def build_fast_tokenizer(sp_path: Path, generation: int, model_max_length: int):
    """Convert ``sp_path`` (ChatGLM's tokenizer.model); see the module docstring for the contract."""
    from tokenizers import AddedToken, Tokenizer, processors
    from tokenizers.models import BPE, Unigram
    from transformers import PreTrainedTokenizerFast

    sp = read_sp_model(sp_path)
    if sp.treat_whitespace_as_suffix:
        raise ConfigError(
            f"{sp_path} puts the space after words (treat_whitespace_as_suffix); ChatGLM's never does.",
            "This tokenizer is not a ChatGLM2/3 tokenizer.model; import the original checkpoint.",
        )
    unk = sp.pieces[sp.unk_id].text if 0 <= sp.unk_id < len(sp.pieces) else "<unk>"
    if sp.model_type == "bpe":
        vocab = {p.text: i for i, p in enumerate(sp.pieces)}
        model = BPE(vocab, _bpe_merges(sp), unk_token=unk, fuse_unk=True, byte_fallback=sp.byte_fallback)
    elif sp.model_type == "unigram":
        # Unused pieces must never be chosen; SentencePiece skips them, a very low score does the same.
        scores = [(p.text, -1e9 if p.type == UNUSED else p.score) for p in sp.pieces]
        model = Unigram(scores, unk_id=sp.unk_id, byte_fallback=sp.byte_fallback)
    else:
        raise ConfigError(
            f"{sp_path} is a SentencePiece '{sp.model_type}' model; only BPE and unigram convert.",
            "ChatGLM2/3 ship a BPE tokenizer.model; check that the file belongs to the checkpoint.",
        )
    tok = Tokenizer(model)
    tok.normalizer = _normalizer(sp)
    tok.decoder = _decoder(sp)

    sp_texts = {p.text for p in sp.pieces}
    # Control and unknown pieces are in the model vocabulary already; as special tokens they keep their id.
    controls = [
        AddedToken(p.text, special=True, normalized=False) for p in sp.pieces if p.type in (CONTROL, UNKNOWN)
    ]
    user_defined = [
        AddedToken(p.text, special=False, normalized=False) for p in sp.pieces if p.type == USER_DEFINED
    ]
    tok.add_special_tokens(controls)
    tok.add_tokens(user_defined)

    special_ids, renamed = {}, {}
    for offset, name in enumerate(special_tokens_for(generation)):
        content = name
        if name in sp_texts:
            # A normal piece already has this text: one string cannot own two ids, so the special token
            # gets an unambiguous name; its id is what templates use (see the import summary).
            content = f"<{name}>" if not name.startswith("<") else f"<{name}_special>"
            renamed[name] = content
        new_id = len(sp.pieces) + offset
        tok.add_special_tokens([AddedToken(content, special=True, normalized=False)])
        got = tok.token_to_id(content)
        if got != new_id:
            raise ConfigError(
                f"special token {name!r} would get id {got} instead of {new_id} in the converted tokenizer.",
                "Report this checkpoint's tokenizer.model; the conversion keeps ids or refuses.",
            )
        special_ids[name] = new_id

    gmask, sop = special_ids["[gMASK]"], special_ids["sop"]
    gmask_text, sop_text = renamed.get("[gMASK]", "[gMASK]"), renamed.get("sop", "sop")
    eos_text = sp.pieces[sp.eos_id].text if 0 <= sp.eos_id < len(sp.pieces) else "</s>"
    tok.post_processor = processors.TemplateProcessing(
        single=f"{gmask_text} {sop_text} $A",
        pair=f"{gmask_text} {sop_text} $A $B {eos_text}",
        special_tokens=[(gmask_text, gmask), (sop_text, sop), (eos_text, sp.eos_id)],
    )

    fast = PreTrainedTokenizerFast(
        tokenizer_object=tok,
        unk_token=unk,
        eos_token=eos_text,
        pad_token=unk,  # the original pads with the unknown id
        padding_side="left",
        split_special_tokens=True,
        clean_up_tokenization_spaces=False,
        model_max_length=model_max_length,
    )
    return ConvertedTokenizer(fast, len(sp.pieces), special_ids, renamed, sp.model_type)
