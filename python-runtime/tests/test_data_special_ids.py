"""Special tokens win over plain vocabulary pieces of the same spelling (converted ChatGLM tokenizers)."""

from tokenizers import Tokenizer
from tokenizers.models import WordLevel
from tokenizers.pre_tokenizers import Whitespace
from transformers import PreTrainedTokenizerFast

from tunedesk.data.tokens import special_id


def test_added_special_sop_beats_a_plain_sop_piece():
    # "sop" is an ordinary learned piece (id 3); the real ChatGLM "sop" special lives as "<sop>".
    vocab = {"[UNK]": 0, "hello": 1, "world": 2, "sop": 3}
    backend = Tokenizer(WordLevel(vocab, unk_token="[UNK]"))
    backend.pre_tokenizer = Whitespace()
    tok = PreTrainedTokenizerFast(tokenizer_object=backend, unk_token="[UNK]")
    tok.add_special_tokens({"additional_special_tokens": ["<sop>"]})
    special = tok.convert_tokens_to_ids("<sop>")
    assert special != 3
    assert special_id(tok, "sop", "<sop>", mode="glm2") == special


def test_plain_vocabulary_is_still_used_when_no_special_exists():
    vocab = {"[UNK]": 0, "sop": 1}
    tok = PreTrainedTokenizerFast(
        tokenizer_object=Tokenizer(WordLevel(vocab, unk_token="[UNK]")), unk_token="[UNK]"
    )
    assert special_id(tok, "sop", "<sop>", mode="glm2") == 1
