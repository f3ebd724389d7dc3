"""SentencePiece-style tokenizers (BPE with byte fallback: Llama 2, Mistral, Gemma, Phi-3) are written as
llama.cpp's "llama" tokenizer: tokens, scores in merge order, byte/control/unknown types."""

from __future__ import annotations

import json
from pathlib import Path

import gguf
from helpers.chatglm_helpers import corpus_lines, train_sp_model
from helpers.export_helpers import tiny_model
from tokenizers import Tokenizer, decoders, models, normalizers, trainers
from transformers import PreTrainedTokenizerFast

from tunedesk.export import gguf_export, gguf_vocab

CORPUS = ["the sky is blue and the sea is blue", "add two and two", "name a fruit: apple"] * 8


def spm_style_tokenizer() -> PreTrainedTokenizerFast:
    """A Llama-2-style tokenizer.json: <unk> <s> </s>, 256 byte tokens, learned ▁-pieces, byte fallback."""
    learner = Tokenizer(models.BPE())
    learner.normalizer = normalizers.Sequence([normalizers.Prepend("▁"), normalizers.Replace(" ", "▁")])
    learner.train_from_iterator(CORPUS, trainers.BpeTrainer(vocab_size=120, special_tokens=[]))
    learned = json.loads(learner.to_str())["model"]
    vocab = {"<unk>": 0, "<s>": 1, "</s>": 2}
    vocab.update({f"<0x{b:02X}>": 3 + b for b in range(256)})
    for token in sorted(learned["vocab"], key=learned["vocab"].get):
        vocab.setdefault(token, len(vocab))
    merges = [tuple(m) if isinstance(m, list) else tuple(m.split(" ")) for m in learned["merges"]]
    tok = Tokenizer(models.BPE(vocab, merges, unk_token="<unk>", byte_fallback=True, fuse_unk=True))
    tok.normalizer = learner.normalizer
    tok.decoder = decoders.Sequence(
        [decoders.Replace("▁", " "), decoders.ByteFallback(), decoders.Fuse(), decoders.Strip(" ", 1, 0)]
    )
    fast = PreTrainedTokenizerFast(tokenizer_object=tok, bos_token="<s>", eos_token="</s>", unk_token="<unk>")
    fast.chat_template = "{% for m in messages %}{{ m['content'] }}{% endfor %}"
    return fast


def test_tokenizer_json_vocab_scores_follow_merge_order(tmp_path):
    tokenizer = spm_style_tokenizer()
    assert gguf_export.tokenizer_model(tokenizer) == "llama"
    model = tiny_model("gemma", tokenizer)
    path = tmp_path / "spm.gguf"
    gguf_export.write_gguf(model, tokenizer, path, "q8_0")
    reader = gguf.GGUFReader(str(path))
    field = {k: f.contents() for k, f in reader.fields.items()}
    assert field["tokenizer.ggml.model"] == "llama" and field["tokenizer.ggml.pre"] == "default"
    assert "tokenizer.ggml.merges" not in field
    assert field["tokenizer.ggml.add_space_prefix"] is False  # Gemma, as GemmaModel.set_vocab writes
    tokens, scores, types = (field[f"tokenizer.ggml.{k}"] for k in ("tokens", "scores", "token_type"))
    assert len(tokens) == len(scores) == len(types) == model.config.vocab_size
    assert types[0] == gguf.TokenType.UNKNOWN and types[1] == gguf.TokenType.CONTROL
    assert tokens[3 + 0x41] == "<0x41>" and types[3 + 0x41] == gguf.TokenType.BYTE
    merges = json.loads(tokenizer.backend_tokenizer.to_str())["model"]["merges"]
    first, later = ("".join(merges[0]), "".join(merges[-1]))
    assert scores[tokens.index(first)] > scores[tokens.index(later)]  # earlier merge, higher priority
    assert field["tokenizer.ggml.bos_token_id"] == 1 and field["tokenizer.ggml.eos_token_id"] == 2
    assert gguf_export.verify_gguf(model, tokenizer, path, "q8_0").passed


def test_tokenizer_model_file_gives_sentencepiece_scores(tmp_path):
    """With the original tokenizer.model beside the tokenizer, pieces and scores are SentencePiece's own."""
    from sentencepiece import SentencePieceProcessor

    tokenizer = spm_style_tokenizer()
    model_file = train_sp_model(Path(tmp_path) / "tokenizer.model", corpus_lines())  # 420 pieces
    tokenizer.name_or_path = str(tmp_path)
    tokens, scores, types = gguf_vocab.llama_vocab(tokenizer, 440)
    sp = SentencePieceProcessor(model_file=str(model_file))
    assert tokens[:420] == [sp.id_to_piece(i) for i in range(420)]
    assert scores[:420] == [sp.get_score(i) for i in range(420)]
    assert types[sp.unk_id()] == gguf.TokenType.UNKNOWN
    assert tokens[430] == "[PAD430]" and types[430] == gguf.TokenType.UNUSED
