"""Tiny models and data for the trainer-core tests (hidden 32, 2 layers: a training step is milliseconds).

Built from configs, never downloaded. ``tiny_model_dir`` writes a llama- or glm-family model with
a byte-level BPE tokenizer trained on the sample data, so any UTF-8 text tokenizes.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys

PYTHON_RUNTIME = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

SAMPLES = [
    ("把这句话翻译成英文：你好", "", "Hello"),
    ("What is 2 + 3?", "", "5"),
    ("Reverse the word", "abc", "cba"),
    ("Name the colour of the sky", "", "blue"),
    ("请回答：一加一等于几？", "", "二"),
    ("Spell cat backwards", "", "tac"),
    ("Capital of France?", "", "Paris"),
    ("Opposite of hot", "", "cold"),
]


# So the glm/glm2/glm3 prompt layouts of the original scripts work on the tiny models too.
CHATGLM_SPECIALS = ["[gMASK]", "sop", "eop", "<|system|>", "<|user|>", "<|assistant|>", "<|observation|>"]


def write_data(path: str, repeat: int = 4) -> str:
    with open(path, "w", encoding="utf-8") as handle:
        for _ in range(repeat):
            for instruction, inp, out in SAMPLES:
                handle.write(
                    json.dumps({"instruction": instruction, "input": inp, "output": out}, ensure_ascii=False)
                    + "\n"
                )
    return path


def _tokenizer(out_dir: str):
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers
    from transformers import PreTrainedTokenizerFast

    tok = Tokenizer(models.BPE())
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tok.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(
        vocab_size=320,
        special_tokens=["<pad>", "<s>", "</s>", *CHATGLM_SPECIALS],
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
    )
    tok.train_from_iterator([" ".join(s) for s in SAMPLES] * 4, trainer)
    fast = PreTrainedTokenizerFast(tokenizer_object=tok, bos_token="<s>", eos_token="</s>", pad_token="<pad>")
    fast.save_pretrained(out_dir)
    return fast


def tiny_model_dir(out_dir: str, family: str = "llama", layers: int = 2, hidden: int = 32) -> str:
    import torch
    from transformers import GlmConfig, GlmForCausalLM, LlamaConfig, LlamaForCausalLM

    os.makedirs(out_dir, exist_ok=True)
    tok = _tokenizer(out_dir)
    common = dict(
        vocab_size=len(tok),
        hidden_size=hidden,
        intermediate_size=hidden * 2,
        num_hidden_layers=layers,
        num_attention_heads=4,
        num_key_value_heads=2,
        max_position_embeddings=512,
        pad_token_id=tok.pad_token_id,
        bos_token_id=tok.bos_token_id,
        eos_token_id=tok.eos_token_id,
    )
    torch.manual_seed(0)
    if family == "glm":
        model = GlmForCausalLM(GlmConfig(head_dim=hidden // 4, **common))
    else:
        model = LlamaForCausalLM(LlamaConfig(**common))
    model.save_pretrained(out_dir)
    return out_dir


def run_train(args: list[str], env: dict | None = None, timeout: int = 180) -> subprocess.CompletedProcess:
    """The trainer as the app runs it: a subprocess."""
    return subprocess.run(
        [sys.executable, "-m", "tunedesk", "train", *args],
        cwd=PYTHON_RUNTIME,
        capture_output=True,
        text=True,
        timeout=timeout,
        env={**os.environ, **(env or {})},
    )


def read_events(run_dir: str) -> list[dict]:
    with open(os.path.join(run_dir, "events.jsonl"), encoding="utf-8") as handle:
        return [json.loads(line) for line in handle if line.strip()]


def base_args(model_dir: str, data: str, out: str, *extra: str) -> list[str]:
    """A small, fast run: 8-sample micro-batches, short sequences, metrics every step."""
    return [
        "--train_path",
        data,
        "--model_name_or_path",
        model_dir,
        "--output_dir",
        out,
        "--per_device_train_batch_size",
        "8",
        "--max_len",
        "64",
        "--max_src_len",
        "32",
        "--show_loss_step",
        "1",
        "--warmup_ratio",
        "0",
        *extra,
    ]


def metric_losses(events: list[dict]) -> list[float]:
    return [e["values"]["loss"] for e in events if e["type"] == "metrics"]


def subprocess_env() -> dict:
    # One thread per process: on a shared two-core machine, torch's thread pool spinning
    # against other processes makes tiny models 20x slower.
    return {"OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1", "TOKENIZERS_PARALLELISM": "false"}


# The original README's ChatGLM3 LoRA command, after `deepspeed --master_port 520 train.py`.
SEED_COMMAND = (
    "--train_path {data} --model_name_or_path {model} --per_device_train_batch_size 1 --max_len 1560 "
    "--max_src_len 1024 --learning_rate 1e-4 --weight_decay 0.1 --num_train_epochs 2 "
    "--gradient_accumulation_steps 4 --warmup_ratio 0.1 --mode glm3 --train_type lora --lora_dim 16 "
    '--lora_alpha 64 --lora_dropout 0.1 --lora_module_name "query_key_value,dense_h_to_4h,dense_4h_to_h,dense" '
    "--seed 1234 --ds_file ds_zero2_no_offload.json --gradient_checkpointing --show_loss_step 10 --output_dir {out}"
)
