"""The glm/glm2/glm3 layouts reproduce liucongg/ChatGLM-Finetuning token for token.

The references below are transcriptions of the original GLMPromptDataSet, GLM2PromptDataSet and
GLM3PromptDataSet loops (utils.py), written independently of tunedesk.data and run on the real
spo_0.json with a tokenizer that carries each model's special tokens. ``get_command`` of the
ChatGLM tokenizers becomes ``convert_tokens_to_ids`` here (same id for the same string).
"""

from __future__ import annotations

import json

import pytest

from tunedesk.data import encode_records, load_records
from tunedesk.errors import ConfigError

SPECIALS = {
    # ChatGLM-6B: [gMASK] then <sop> (its bos) before the answer, <eop> after it
    "glm": ["<unk>", "<pad>", "</s>", "[gMASK]", "<sop>", "<eop>"],
    # ChatGLM2/3: "[gMASK]", "sop" commands, eos "</s>"; ChatGLM3 adds role tokens
    "glm2": ["<unk>", "<pad>", "</s>", "[gMASK]", "sop", "eop"],
    "glm3": ["<unk>", "<pad>", "</s>", "[gMASK]", "sop", "eop", "<|system|>", "<|user|>", "<|assistant|>"],
}


def make_tokenizer(mode: str, texts: list[str]):
    """A SentencePiece-like BPE (Metaspace, like ChatGLM's) trained on a few samples."""
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers
    from transformers import PreTrainedTokenizerFast

    core = Tokenizer(models.BPE(unk_token="<unk>"))
    core.pre_tokenizer = pre_tokenizers.Metaspace()
    core.decoder = decoders.Metaspace()
    core.train_from_iterator(
        texts, trainers.BpeTrainer(vocab_size=1500, special_tokens=SPECIALS[mode], show_progress=False)
    )
    bos = "<sop>" if mode == "glm" else None  # the original glm loop finds <sop> as tokenizer.bos_token_id
    return PreTrainedTokenizerFast(
        tokenizer_object=core,
        unk_token="<unk>",
        pad_token="<pad>",
        eos_token="</s>",
        bos_token=bos,
        additional_special_tokens=SPECIALS[mode][3:],
    )


def reference_glm(sample, tokenizer, max_len, max_src_len):
    skip_flag = False
    src_tokens = tokenizer.tokenize(
        "[Round {}]\n问：{}\n答：".format(1, sample["instruction"] + sample["input"])
    )
    if len(src_tokens) > max_src_len:
        src_tokens = src_tokens[: max_src_len - 3] + src_tokens[-3:]
        skip_flag = True
    max_tgt_len = max_len - 3 - len(src_tokens)
    tgt_tokens = tokenizer.tokenize(sample["output"])
    if len(tgt_tokens) > max_tgt_len:
        tgt_tokens = tgt_tokens[:max_tgt_len]
        skip_flag = True
    tokens = src_tokens + ["[gMASK]", "<sop>"] + tgt_tokens + ["<eop>"]
    input_ids = tokenizer.convert_tokens_to_ids(tokens)
    context_length = input_ids.index(tokenizer.bos_token_id)
    mask_position = context_length - 1
    labels = [-100] * context_length + input_ids[mask_position + 1 :]
    return input_ids, labels, skip_flag


def reference_glm2(sample, tokenizer, max_len, max_src_len):
    skip_flag = False
    src_tokens = tokenizer.tokenize(
        "[Round {}]\n\n问：{}\n\n答：".format(1, sample["instruction"] + sample["input"])
    )
    if len(src_tokens) > max_src_len:
        src_tokens = src_tokens[: max_src_len - 4] + src_tokens[-4:]
        skip_flag = True
    max_tgt_len = max_len - 3 - len(src_tokens)
    tgt_tokens = tokenizer.tokenize(sample["output"])
    if len(tgt_tokens) > max_tgt_len:
        tgt_tokens = tgt_tokens[:max_tgt_len]
        skip_flag = True
    tokens = src_tokens + tgt_tokens + ["</s>"]
    input_ids = tokenizer.convert_tokens_to_ids(["[gMASK]", "sop"]) + tokenizer.convert_tokens_to_ids(tokens)
    context_length = len(src_tokens) + 2
    labels = [-100] * context_length + input_ids[context_length:]
    return input_ids, labels, skip_flag


def reference_glm3(sample, tokenizer, max_len, max_src_len):
    command = tokenizer.convert_tokens_to_ids
    skip_flag = False
    src_tokens = (
        [command("<|user|>")]
        + tokenizer.encode("\n", add_special_tokens=False)
        + tokenizer.encode(sample["instruction"] + sample["input"], add_special_tokens=False)
    )
    if len(src_tokens) > max_src_len:
        src_tokens = src_tokens[:max_src_len]
        skip_flag = True
    max_tgt_len = max_len - 6 - len(src_tokens)
    tgt_tokens = (
        [command("<|assistant|>")]
        + tokenizer.encode("\n", add_special_tokens=False)
        + tokenizer.encode(sample["output"], add_special_tokens=False)
    )
    if len(tgt_tokens) > max_tgt_len:
        tgt_tokens = tgt_tokens[:max_tgt_len]
        skip_flag = True
    input_ids = [command("[gMASK]"), command("sop")] + src_tokens + tgt_tokens + [tokenizer.eos_token_id]
    context_length = len(src_tokens) + 2
    labels = [-100] * context_length + input_ids[context_length:]
    return input_ids, labels, skip_flag


REFERENCES = {"glm": reference_glm, "glm2": reference_glm2, "glm3": reference_glm3}


@pytest.fixture(scope="module")
def spo(spo_path):
    """(records, raw samples) of spo_0.json: every line, empty answers included (the originals kept them)."""
    records, problems = load_records(spo_path, allow_empty_output=True)
    assert problems == [] and len(records) == 1441
    with open(spo_path, encoding="utf-8") as handle:
        samples = [json.loads(line) for line in handle if line.strip()]
    return records, samples


@pytest.fixture(scope="module")
def tokenizers(spo):
    _, samples = spo
    texts = [s["instruction"] + s["input"] + "\n" + s["output"] for s in samples[:300]]
    texts += ["[Round 1]\n问：\n答：", "[Round 1]\n\n问：\n\n答："]
    return {mode: make_tokenizer(mode, texts) for mode in REFERENCES}


# (max_len, max_src_len): the originals' defaults, then sizes that truncate sources and targets.
LENGTHS = [(1560, 1024), (256, 160), (96, 64), (64, 16)]


@pytest.mark.parametrize("mode", ["glm", "glm2", "glm3"])
@pytest.mark.parametrize(("max_len", "max_src_len"), LENGTHS)
def test_layout_matches_the_original_scripts(spo, tokenizers, mode, max_len, max_src_len):
    records, samples = spo
    tokenizer = tokenizers[mode]
    picked = list(range(0, 1441, 7))  # ~200 lines spread over the file, empty answers included
    features, stats = encode_records(
        [records[i] for i in picked],
        tokenizer,
        mode=mode,
        max_len=max_len,
        max_src_len=max_src_len,
        is_skip=False,
    )
    expected_truncated = 0
    for index, feature in zip(picked, features):
        ids, labels, skip_flag = REFERENCES[mode](samples[index], tokenizer, max_len, max_src_len)
        assert feature.input_ids == ids, f"spo_0.json:{index + 1} ({mode}) input_ids differ"
        assert feature.labels == labels, f"spo_0.json:{index + 1} ({mode}) labels differ"
        assert feature.truncated == skip_flag
        assert feature.line == index + 1
        assert len(ids) <= max_len
        expected_truncated += skip_flag
    assert stats.samples == stats.kept == len(picked)
    assert stats.truncated == expected_truncated
    if max_len < 1560:
        assert expected_truncated > 0, "these lengths must exercise truncation"


@pytest.mark.parametrize("mode", ["glm", "glm2", "glm3"])
def test_is_skip_drops_and_counts_truncated_samples_like_the_originals(spo, tokenizers, mode):
    records, samples = spo
    tokenizer = tokenizers[mode]
    max_len, max_src_len = 128, 96
    kept_reference = [
        i for i, s in enumerate(samples) if not REFERENCES[mode](s, tokenizer, max_len, max_src_len)[2]
    ]
    features, stats = encode_records(
        records, tokenizer, mode=mode, max_len=max_len, max_src_len=max_src_len, is_skip=True
    )
    assert [f.line - 1 for f in features] == kept_reference
    assert stats.skipped == stats.truncated == 1441 - len(kept_reference) > 0
    assert stats.kept == len(kept_reference)
    assert not any(f.truncated for f in features)
    assert stats.max_tokens == max(len(f.input_ids) for f in features) <= max_len


def test_truncated_glm_sources_keep_the_answer_marker(spo, tokenizers):
    records, _ = spo
    tokenizer = tokenizers["glm2"]
    features, stats = encode_records(
        records[:50], tokenizer, mode="glm2", max_len=64, max_src_len=32, is_skip=False
    )
    assert stats.truncated == 50
    for feature in features:
        source = tokenizer.convert_ids_to_tokens(feature.input_ids[2 : feature.labels.count(-100)])
        assert "".join(source).endswith("答：")
        assert feature.input_ids[:2] == tokenizer.convert_tokens_to_ids(["[gMASK]", "sop"])
        assert feature.labels[-1] == tokenizer.eos_token_id


def test_glm_masks_everything_before_sop(spo, tokenizers):
    records, _ = spo
    tokenizer = tokenizers["glm"]
    (feature,), _ = encode_records(
        records[:1], tokenizer, mode="glm", max_len=1560, max_src_len=1024, is_skip=False
    )
    sop = tokenizer.convert_tokens_to_ids("<sop>")
    at = feature.input_ids.index(sop)
    assert feature.input_ids[at - 1] == tokenizer.convert_tokens_to_ids("[gMASK]")
    assert set(feature.labels[:at]) == {-100}
    assert feature.labels[at:] == feature.input_ids[at:]
    assert feature.input_ids[-1] == tokenizer.convert_tokens_to_ids("<eop>")


def test_missing_special_tokens_are_a_config_error(spo, tokenizers):
    records, _ = spo
    with pytest.raises(ConfigError, match="<\\|user\\|>"):
        encode_records(
            records[:1], tokenizers["glm2"], mode="glm3", max_len=128, max_src_len=64, is_skip=False
        )


@pytest.mark.parametrize(
    ("mode", "max_len", "max_src_len"), [("glm", 100, 98), ("glm2", 100, 3), ("glm3", 100, 95)]
)
def test_lengths_the_originals_would_crash_on_are_config_errors(spo, tokenizers, mode, max_len, max_src_len):
    records, _ = spo
    with pytest.raises(ConfigError, match="max_"):
        encode_records(
            records[:1], tokenizers[mode], mode=mode, max_len=max_len, max_src_len=max_src_len, is_skip=False
        )


def test_chatglm_tokenizers_get_command_is_used_when_present(spo, tokenizers):
    """ChatGLM2/3's own tokenizers answer get_command(); the string look-up is the fallback."""
    from tunedesk.data.tokens import special_id

    class CommandTokenizer:
        def get_vocab(self):
            return {}

        def get_command(self, name):
            return {"[gMASK]": 64790, "sop": 64792}[name]

    assert special_id(CommandTokenizer(), "[gMASK]", mode="glm2") == 64790
    assert special_id(CommandTokenizer(), "sop", "<sop>", mode="glm2") == 64792
    with pytest.raises(ConfigError, match="glm3"):
        special_id(CommandTokenizer(), "<|user|>", mode="glm3")
