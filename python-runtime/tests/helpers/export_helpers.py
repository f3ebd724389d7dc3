"""Builders for the export tests: tiny base models of every family the GGUF writer covers (one
tiny configuration per family, in tiny_architecture) and checkpoints in format v1.

Holds no tests itself. Checkpoints are laid out exactly as python-runtime/README.md
"checkpoint format v1" describes (manifest.json written last), with non-zero trained
weights, so the export code sees what the real trainer writes. Tests that need the real
trainer's own checkpoint call train() (python -m tunedesk train, 2 steps).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import torch
from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers
from transformers import AutoModelForCausalLM, PreTrainedTokenizerFast

SPECIALS = ["<pad>", "<s>", "</s>"]
CHAT_TEMPLATE = (
    "{% for m in messages %}<|{{ m['role'] }}|>{{ m['content'] }}\n{% endfor %}"
    "{% if add_generation_prompt %}<|assistant|>{% endif %}"
)
TRAIN_RECORDS = [
    {"instruction": "把下面的句子翻译成英文：", "input": "你好", "output": "hello"},
    {"instruction": "Say the colour of the sky.", "input": "", "output": "blue"},
    {"instruction": "Add two and two.", "input": "", "output": "four"},
    {"instruction": "Name a fruit.", "input": "", "output": "apple"},
]


def make_tokenizer(out: Path) -> PreTrainedTokenizerFast:
    """A byte-level BPE (gpt2-style) with a few learned merges: small, and GGUF-exportable."""
    tok = Tokenizer(models.BPE())
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tok.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(
        vocab_size=300, special_tokens=SPECIALS, initial_alphabet=pre_tokenizers.ByteLevel.alphabet()
    )
    corpus = [json.dumps(r, ensure_ascii=False) for r in TRAIN_RECORDS] * 4 + ["the sky is blue and the sea"]
    tok.train_from_iterator(corpus, trainer)
    fast = PreTrainedTokenizerFast(tokenizer_object=tok, bos_token="<s>", eos_token="</s>", pad_token="<pad>")
    fast.chat_template = CHAT_TEMPLATE
    fast.save_pretrained(out)
    return fast


# Every family the GGUF writer covers; make_base_model and tiny_model build any of them.
FAMILY_NAMES = ("llama", "llama3", "mistral", "qwen2", "qwen3", "gemma", "phi3", "glm4", "glm")


def tiny_architecture(family: str, tokenizer, tie: bool = False) -> torch.nn.Module:
    """A freshly initialised tiny model of `family`: hidden 64 with head_dim 16 (rows divisible by 32,
    so every GGUF quant type applies), 2 layers, sized to `tokenizer`. The one place the tiny
    configurations are written down; callers seed and spread the weights as their tests need."""
    import transformers as tf

    common = dict(
        vocab_size=len(tokenizer),
        hidden_size=64,
        intermediate_size=128,
        num_hidden_layers=2,
        num_attention_heads=4,
        num_key_value_heads=2,
        max_position_embeddings=256,
        bos_token_id=tokenizer.bos_token_id,
        eos_token_id=tokenizer.eos_token_id,
        pad_token_id=tokenizer.pad_token_id,
        tie_word_embeddings=tie,
    )
    if family == "llama":
        return tf.LlamaForCausalLM(tf.LlamaConfig(**common))
    if family == "llama3":  # Llama 3.1/3.2 RoPE scaling (original context below max positions)
        rope = {
            "rope_type": "llama3",
            "rope_theta": 500000.0,
            "factor": 8.0,
            "low_freq_factor": 1.0,
            "high_freq_factor": 4.0,
            "original_max_position_embeddings": 128,
        }
        return tf.LlamaForCausalLM(tf.LlamaConfig(rope_parameters=rope, **common))
    if family == "mistral":
        return tf.MistralForCausalLM(tf.MistralConfig(head_dim=16, sliding_window=None, **common))
    if family == "qwen2":
        return tf.Qwen2ForCausalLM(tf.Qwen2Config(**common))
    if family == "qwen3":  # heads * head_dim != hidden, as in Qwen3
        return tf.Qwen3ForCausalLM(tf.Qwen3Config(head_dim=32, **common))
    if family == "gemma":
        common["tie_word_embeddings"] = True  # Gemma always ties (llama.cpp has no output tensor for it)
        return tf.GemmaForCausalLM(tf.GemmaConfig(head_dim=16, **common))
    if family == "phi3":
        return tf.Phi3ForCausalLM(tf.Phi3Config(**common))
    if family == "glm":  # GLM-4-9B-chat-hf, ChatGLM2/3 after import-chatglm
        return tf.GlmForCausalLM(tf.GlmConfig(head_dim=16, **common))
    if family == "glm4":
        return tf.Glm4ForCausalLM(tf.Glm4Config(head_dim=16, **common))
    raise ValueError(family)


def make_base_model(out: Path, family: str = "llama", seed: int = 0, tie: bool = False) -> Path:
    """Write a tiny random base model (hidden 64, 2 layers) plus its tokenizer to `out`."""
    out.mkdir(parents=True, exist_ok=True)
    tokenizer = make_tokenizer(out)
    torch.manual_seed(seed)
    model = tiny_architecture(family, tokenizer, tie=tie)
    # Random init gives near-zero logits; a larger spread makes logit comparisons meaningful.
    with torch.no_grad():
        for p in model.parameters():
            if p.dim() == 2:
                p.normal_(0, 0.08)
    model.save_pretrained(out)
    return out


def tiny_model(family: str, tokenizer, seed: int = 0, tie: bool = False) -> torch.nn.Module:
    """A tiny model of `family` in eval mode, for the GGUF family tests (not saved)."""
    model = tiny_architecture(family, tokenizer, tie=tie)
    torch.manual_seed(seed)
    # Random init gives near-zero logits; a larger spread makes logit comparisons meaningful. Norms get
    # non-trivial values so a missing norm transform (Gemma's +1) shows in the logits.
    with torch.no_grad():
        for name, p in model.named_parameters():
            if p.dim() == 2:
                p.normal_(0, 0.08)
            elif "norm" in name:
                p.add_(torch.randn_like(p) * 0.1)
            else:
                p.normal_(0, 0.02)
    return model.eval()


def tokenizer_at(root: Path):
    return make_tokenizer(root)


def write_train_data(run_dir: Path) -> Path:
    path = run_dir / "data" / "train.jsonl"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(
        "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in TRAIN_RECORDS), encoding="utf-8"
    )
    return path


def _finish(ckpt: Path, run_dir: Path, base: Path, method: str, weights: str, ptuning_version=None) -> Path:
    train_path = write_train_data(run_dir)
    run_config = {
        "model_name_or_path": str(base),
        "mode": "chat",
        "train_type": method,
        "ptuning_version": ptuning_version,
        "train_path": str(train_path),
        "max_len": 64,
    }
    (run_dir / "run.json").write_text(json.dumps(run_config))
    (ckpt / "run_config.json").write_text(json.dumps(run_config))
    PreTrainedTokenizerFast.from_pretrained(base).save_pretrained(ckpt / "tokenizer")
    files = {str(p.relative_to(ckpt)): p.stat().st_size for p in ckpt.rglob("*") if p.is_file()}
    manifest = {
        "format": "tunedesk-checkpoint",
        "version": 1,
        "step": 2,
        "epoch": 0.5,
        "method": method,
        "ptuning_version": ptuning_version,
        "engine": "torch",
        "base_model": str(base),
        "weights": weights,
        "loss": 1.0,
        "run_id": run_dir.name,
        "created": time.time(),
        "files": files,
    }
    (ckpt / "manifest.json").write_text(json.dumps(manifest))
    return ckpt


def _ckpt_dir(run_dir: Path) -> Path:
    ckpt = run_dir / "checkpoints" / "step-000002"
    ckpt.mkdir(parents=True, exist_ok=True)
    return ckpt


def make_lora_checkpoint(run_dir: Path, base: Path, seed: int = 1) -> Path:
    """A LoRA checkpoint whose B matrices are random and non-zero (as after training)."""
    from peft import LoraConfig, get_peft_model

    ckpt = _ckpt_dir(run_dir)
    model = AutoModelForCausalLM.from_pretrained(base, dtype=torch.float32)
    peft_model = get_peft_model(model, LoraConfig(r=4, lora_alpha=8, target_modules=["q_proj", "v_proj"]))
    torch.manual_seed(seed)
    with torch.no_grad():
        for name, p in peft_model.named_parameters():
            if "lora_B" in name:
                p.normal_(0, 0.2)
    peft_model.save_pretrained(ckpt / "adapter")
    return _finish(ckpt, run_dir, base, "lora", "adapter")


def make_ptuning_checkpoint(run_dir: Path, base: Path, version: int = 2) -> Path:
    """P-Tuning v2 = peft prefix tuning (a deep prefix); v1 = peft prompt tuning (soft prompt)."""
    from peft import PrefixTuningConfig, PromptTuningConfig, TaskType, get_peft_model

    ckpt = _ckpt_dir(run_dir)
    model = AutoModelForCausalLM.from_pretrained(base, dtype=torch.float32)
    if version == 2:
        config = PrefixTuningConfig(task_type=TaskType.CAUSAL_LM, num_virtual_tokens=4)
    else:
        config = PromptTuningConfig(task_type=TaskType.CAUSAL_LM, num_virtual_tokens=4)
    peft_model = get_peft_model(model, config)
    torch.manual_seed(2)
    with torch.no_grad():
        for p in peft_model.parameters():
            if p.requires_grad:
                p.normal_(0, 0.5)
    peft_model.save_pretrained(ckpt / "adapter")
    return _finish(ckpt, run_dir, base, "ptuning", "adapter", ptuning_version=version)


def make_freeze_checkpoint(run_dir: Path, base: Path) -> Path:
    """Freeze: the last layer's MLP trained; only those tensors are saved."""
    from safetensors.torch import save_file

    ckpt = _ckpt_dir(run_dir)
    model = AutoModelForCausalLM.from_pretrained(base, dtype=torch.float32)
    torch.manual_seed(3)
    trained = {}
    for name, p in model.state_dict().items():
        if name.startswith("model.layers.1.mlp."):
            trained[name] = (p + torch.randn_like(p) * 0.05).contiguous()
    save_file(trained, str(ckpt / "trainable.safetensors"))
    return _finish(ckpt, run_dir, base, "freeze", "trainable")


def make_full_checkpoint(run_dir: Path, base: Path) -> Path:
    ckpt = _ckpt_dir(run_dir)
    model = AutoModelForCausalLM.from_pretrained(base, dtype=torch.float32)
    torch.manual_seed(4)
    with torch.no_grad():
        for p in model.parameters():
            p.add_(torch.randn_like(p) * 0.02)
    model.save_pretrained(ckpt / "model")
    return _finish(ckpt, run_dir, base, "all", "full")


PYTHON_RUNTIME = Path(__file__).resolve().parents[2]
DEMO_TRAIN = PYTHON_RUNTIME.parent / "resources" / "demo" / "train.jsonl"


def train(model_dir: str, run_dir: Path, method: str) -> Path:
    """A checkpoint the real trainer wrote: 2 steps of `method` on 16 demo lines; returns step-000002."""
    data = run_dir.parent / f"{run_dir.name}-data.jsonl"
    data.write_text(
        "".join(DEMO_TRAIN.read_text(encoding="utf-8").splitlines(keepends=True)[:16]), encoding="utf-8"
    )
    args = [
        "--train_path", str(data), "--model_name_or_path", model_dir, "--output_dir", str(run_dir),
        "--train_type", method, "--max_steps", "2", "--save_model_step", "2", "--learning_rate", "1e-2",
        "--per_device_train_batch_size", "4", "--max_len", "48", "--max_src_len", "24", "--warmup_ratio", "0",
    ]  # fmt: skip
    env = {**os.environ, "OMP_NUM_THREADS": "1", "TOKENIZERS_PARALLELISM": "false"}
    proc = subprocess.run(
        [sys.executable, "-m", "tunedesk", "train", *args],
        cwd=PYTHON_RUNTIME, capture_output=True, text=True, timeout=300, env=env,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr[-3000:]
    checkpoint = run_dir / "checkpoints" / "step-000002"
    assert (checkpoint / "manifest.json").is_file()
    return checkpoint
