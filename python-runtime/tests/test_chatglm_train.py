"""The imported model is an ordinary native model: the trainer's four methods train it, and the
glm2/glm3 prompt layouts give the token ids the original ChatGLM tokenizer gives."""

from __future__ import annotations

import json

import pytest
from helpers.chatglm_helpers import (
    EN_WITHOUT_SOP_EOP,
    ReferenceChatGLMTokenizer,
    chatglm_config,
    corpus_lines,
    random_state_dict,
    train_sp_model,
    write_checkpoint,
)
from helpers.trainer_fixtures import read_events, write_data

from tunedesk.chatglm.convert import import_chatglm
from tunedesk.data.encode import encode_one
from tunedesk.data.records import Record

VOCAB = 448


@pytest.fixture(scope="module")
def imported(tmp_path_factory):
    root = tmp_path_factory.mktemp("imported")
    sp = train_sp_model(root / "sp.model", corpus_lines(seed=5, base_words=EN_WITHOUT_SOP_EOP))
    config = chatglm_config(3, VOCAB, num_layers=2, hidden_size=32, ffn_hidden_size=48, kv_channels=8)
    src = write_checkpoint(root / "chatglm3-6b", config, random_state_dict(config), sp, 3)
    import_chatglm(src, root / "native")
    return root


def _record(question: str, answer: str) -> Record:
    return Record(
        "data.jsonl", 1, [{"role": "user", "content": question}, {"role": "assistant", "content": answer}], {}
    )


@pytest.mark.parametrize("mode", ["glm2", "glm3"])
def test_prompt_layouts_give_the_original_ids(imported, mode):
    from transformers import AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(str(imported / "native"))
    reference = ReferenceChatGLMTokenizer(imported / "sp.model", 3)
    special, encode = reference.special, (lambda text: reference.encode(text, add_special_tokens=False))
    question, answer = "请告诉我答案 the world", "人工智能 question  code"

    got = encode_one(_record(question, answer), tokenizer, mode=mode, max_len=256, max_src_len=128).ids

    if mode == "glm3":  # liucongg's GLM3PromptDataSet
        source = [special["<|user|>"]] + encode("\n") + encode(question)
        target = [special["<|assistant|>"]] + encode("\n") + encode(answer)
    else:  # GLM2PromptDataSet: tokenize + convert_tokens_to_ids of the round text
        source = encode(f"[Round 1]\n\n问：{question}\n\n答：")
        target = encode(answer)
    assert got == [special["[gMASK]"], special["sop"]] + source + target + [reference.sp.eos_id()]


@pytest.mark.parametrize(
    "method, extra",
    [
        ("lora", []),
        ("freeze", ["--freeze_module_name", "layers.1."]),
        ("ptuning", ["--ptuning_version", "2", "--pre_seq_len", "4"]),
        ("all", []),
    ],
)
def test_every_method_trains_the_imported_model(imported, tmp_path, method, extra):
    from tunedesk.train import main as train_main

    data = write_data(str(tmp_path / "data.jsonl"), repeat=1)
    run_dir = tmp_path / f"run-{method}"
    args = ["--model_name_or_path", str(imported / "native"), "--train_path", data, "--mode", "glm3"]
    args += ["--train_type", method, "--max_steps", "2", "--per_device_train_batch_size", "2"]
    args += [
        "--max_len",
        "48",
        "--max_src_len",
        "24",
        "--output_dir",
        str(run_dir),
        "--device",
        "cpu",
        *extra,
    ]

    assert train_main(args) == 0, (run_dir / "train.log").read_text()[-2000:]

    events = read_events(str(run_dir))
    assert events[0]["type"] == "run_started" and events[0]["trainable_params"] > 0
    assert events[-1]["type"] == "run_finished" and events[-1]["status"] == "completed"
    losses = [e["values"]["loss"] for e in events if e["type"] == "metrics"]
    assert losses and all(loss == loss and loss > 0 for loss in losses)  # finite, positive
    manifest = json.loads((run_dir / "checkpoints" / "step-000002" / "manifest.json").read_text())
    assert manifest["method"] == method and manifest["base_model"] == str(imported / "native")
