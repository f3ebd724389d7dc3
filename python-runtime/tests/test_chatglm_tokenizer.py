"""The converted fast tokenizer keeps every id of ChatGLM's SentencePiece tokenizer."""

from __future__ import annotations

import random

import pytest
from helpers.chatglm_helpers import (
    EN_WITHOUT_SOP_EOP,
    ZH,
    ReferenceChatGLMTokenizer,
    corpus_lines,
    train_sp_model,
)

from tunedesk.chatglm.sp_model import read_sp_model
from tunedesk.chatglm.tokenizer import build_fast_tokenizer
from tunedesk.errors import ConfigError

FIXED_TEXTS = [
    "你好",
    "请告诉我答案：人工智能是什么？",
    "Hello world",
    "  leading spaces",
    "trailing spaces   ",
    "several   spaces  inside",
    "people and philosophy",  # contain 'eop' / 'sop' inside words: must stay plain text
    "sop eop",
    "[gMASK]sop<|user|>\n你好<|assistant|>",  # special names in text are text, as in the original
    "新字符 😀 ÉÀ ＡＢＣ全角",  # unknown to the vocabulary: byte fallback
    "tab\there\nnew line\n\n",
    "def f(x):\n    return x + 1",
    "1234567890",
    "",
    " ",
]


def _random_texts(count: int, seed: int = 3) -> list[str]:
    rng = random.Random(seed)
    alphabet = ZH + "the people learn fine tuning" + "  \n\t😀é,.!?：，。" + "0123456789"
    return ["".join(rng.choice(alphabet) for _ in range(rng.randint(1, 60))) for _ in range(300)]


@pytest.fixture(scope="module")
def models(tmp_path_factory):
    root = tmp_path_factory.mktemp("sp")
    return {
        # The ChatGLM2/3 settings: BPE with byte fallback, whitespace kept as is.
        "glm-like": train_sp_model(
            root / "a.model",
            corpus_lines(),
            normalization_rule_name="identity",
            remove_extra_whitespaces=False,
        ),
        # SentencePiece defaults (NFKC, squeeze spaces), to cover the normalizer options.
        "nfkc": train_sp_model(root / "b.model", corpus_lines(seed=1)),
        # No normal piece is spelled like a special token: every special keeps its own name.
        "no-collision": train_sp_model(root / "d.model", corpus_lines(seed=4, base_words=EN_WITHOUT_SOP_EOP)),
        "unigram-no-prefix": train_sp_model(
            root / "c.model", corpus_lines(seed=2), model_type="unigram", add_dummy_prefix=False
        ),
    }


@pytest.mark.parametrize("kind", ["glm-like", "nfkc", "unigram-no-prefix"])
@pytest.mark.parametrize("generation", [2, 3])
def test_every_id_is_kept(models, kind, generation):
    reference = ReferenceChatGLMTokenizer(models[kind], generation)
    fast = build_fast_tokenizer(models[kind], generation, 2048).tokenizer
    texts = FIXED_TEXTS + _random_texts(300)
    mismatches = [
        t
        for t in texts
        if fast.encode(t, add_special_tokens=False) != reference.encode(t, add_special_tokens=False)
    ]
    assert not mismatches, f"{len(mismatches)} texts differ, first: {mismatches[0]!r}"
    # The original prefixes [gMASK] sop when special tokens are added.
    assert all(fast.encode(t) == reference.encode(t) for t in texts[:20])
    # Pieces and piece -> id agree too (the original glm2 scripts use tokenize + convert_tokens_to_ids).
    for text in texts[:50]:
        pieces = reference.sp.encode_as_pieces(text)
        if reference.sp.unk_id() not in reference.sp.encode(text):
            assert fast.tokenize(text) == pieces
        # A text piece spelled like a special token ('sop' in 'philosophy') is where the original's
        # convert_token_to_id returns the *special* id; its encode() and ours give the piece's id.
        expected = [
            reference.sp.piece_to_id(p) if p in reference.special else reference.convert_token_to_id(p)
            for p in pieces
        ]
        assert fast.convert_tokens_to_ids(pieces) == expected


@pytest.mark.parametrize("generation", [2, 3])
def test_special_tokens_sit_at_the_original_ids(models, generation, tmp_path):
    from transformers import AutoTokenizer

    reference = ReferenceChatGLMTokenizer(models["no-collision"], generation)
    converted = build_fast_tokenizer(models["no-collision"], generation, 2048)
    assert not converted.renamed
    converted.tokenizer.save_pretrained(str(tmp_path))
    loaded = AutoTokenizer.from_pretrained(str(tmp_path))  # native: no trust_remote_code

    assert converted.special_ids == reference.special
    for name, token_id in reference.special.items():
        assert loaded.convert_tokens_to_ids(name) == token_id
        assert loaded.get_vocab()[name] == token_id
        assert loaded.convert_ids_to_tokens(token_id) == name
    assert len(loaded) == reference.sp.vocab_size() + len(reference.special)
    assert loaded.eos_token_id == reference.sp.eos_id() and loaded.pad_token_id == reference.sp.unk_id()
    assert loaded.padding_side == "left"
    # Survives save/load: the specials still do not match inside text.
    text = "people <|user|> sop"
    assert loaded.encode(text, add_special_tokens=False) == reference.encode(text, add_special_tokens=False)
    assert loaded.decode(loaded.encode("你好 world", add_special_tokens=False)) == "你好 world"


def test_chatglm3_prompt_ids_match_the_original_layout(models):
    """ChatGLM3's build_chat_input: [gMASK] sop <|user|> encode('\\n') encode(query) <|assistant|>."""
    reference = ReferenceChatGLMTokenizer(models["no-collision"], 3)
    fast = build_fast_tokenizer(models["no-collision"], 3, 2048).tokenizer
    query = "请告诉我答案"

    def ids(tok_ids, encode):
        return (
            [tok_ids["[gMASK]"], tok_ids["sop"], tok_ids["<|user|>"]]
            + encode("\n")
            + encode(query)
            + [tok_ids["<|assistant|>"]]
        )

    expected = ids(reference.special, lambda t: reference.encode(t, add_special_tokens=False))
    got = ids(fast.get_vocab(), lambda t: fast.encode(t, add_special_tokens=False))
    assert got == expected


def test_a_vocabulary_that_already_has_sop_renames_the_special_token(tmp_path):
    sp_path = train_sp_model(tmp_path / "t.model", corpus_lines(extra_words="sop sop sop eop eop eop"))
    reference = ReferenceChatGLMTokenizer(sp_path, 2)
    assert reference.sp.piece_to_id("sop") != reference.sp.unk_id(), (
        "the corpus must make 'sop' a normal piece"
    )

    converted = build_fast_tokenizer(sp_path, 2, 2048)

    assert converted.renamed == {"sop": "<sop>", "eop": "<eop>"}
    assert converted.tokenizer.convert_tokens_to_ids("<sop>") == reference.special["sop"]
    assert converted.tokenizer.encode("x sop") == reference.encode("x sop")  # prefix id and text ids kept


def test_sp_model_reader_reads_the_trainer_options(models):
    import sentencepiece as spm

    spec = read_sp_model(models["unigram-no-prefix"])
    processor = spm.SentencePieceProcessor(model_file=str(models["unigram-no-prefix"]))
    assert spec.model_type == "unigram" and not spec.add_dummy_prefix and spec.remove_extra_whitespaces
    assert [p.text for p in spec.pieces] == [processor.id_to_piece(i) for i in range(processor.vocab_size())]
    assert (spec.unk_id, spec.bos_id, spec.eos_id, spec.pad_id) == (0, 1, 2, -1)
    bpe = read_sp_model(models["glm-like"])
    assert bpe.model_type == "bpe" and bpe.byte_fallback and not bpe.remove_extra_whitespaces


def test_a_file_that_is_not_a_sentencepiece_model_is_named(tmp_path):
    bad = tmp_path / "tokenizer.model"
    bad.write_bytes(b"\xff\xff\xff\xff not a model")
    with pytest.raises(ConfigError, match="tokenizer.model"):
        build_fast_tokenizer(bad, 2, 2048)
