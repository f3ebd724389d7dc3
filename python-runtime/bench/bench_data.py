"""The trainer benchmark's data and models, generated deterministically (no download).

Instruction records whose encoded length spreads from about 50 to 500 tokens, skewed short as
real instruction sets are (log-uniform word counts); a byte-level BPE tokenizer trained on them;
Qwen2-shaped models built from a config.
"""

from __future__ import annotations

import json
import math
import random
from pathlib import Path

SEED = 1234
SYLLABLES = ["ka", "lo", "mi", "ne", "su", "ta", "ri", "po", "de", "an", "ve", "zu", "ol", "ish", "er", "ma"]


def words(rng: random.Random, count: int) -> str:
    out = []
    for _ in range(count):
        out.append("".join(rng.choice(SYLLABLES) for _ in range(rng.randint(1, 3))))
    return " ".join(out)


def write_records(path: Path, samples: int) -> Path:
    """``samples`` instruction/output records; prompt ~40% of the words, the answer the rest."""
    rng = random.Random(SEED)
    with path.open("w", encoding="utf-8") as handle:
        for _ in range(samples):
            total = int(math.exp(rng.uniform(math.log(40), math.log(470))))  # ~50-500 tokens encoded
            prompt = max(3, int(total * rng.uniform(0.2, 0.6)))
            record = {"instruction": words(rng, prompt), "input": "", "output": words(rng, max(2, total - prompt))}
            handle.write(json.dumps(record) + "\n")
    return path


def build_model_dir(out: Path, data: Path, hidden: int, layers: int, vocab: int | None) -> tuple[str, int]:
    """A Qwen2-shaped model (GQA 4:1, SwiGLU, tied embeddings off) and the tokenizer; ``vocab``
    widens the embedding and head to that many rows (a 150k-vocabulary model's head cost)."""
    import torch
    from transformers import Qwen2Config, Qwen2ForCausalLM

    from tunedesk.demo_model import build_tokenizer

    texts = []
    for line in data.read_text(encoding="utf-8").splitlines():
        row = json.loads(line)
        texts += [row["instruction"], row["output"]]
    tokenizer = build_tokenizer(texts, 2048)
    tokenizer.model_max_length = 1024
    config = Qwen2Config(
        vocab_size=max(vocab or 0, len(tokenizer)),
        hidden_size=hidden,
        intermediate_size=hidden * 3,
        num_hidden_layers=layers,
        num_attention_heads=max(4, hidden // 64),
        num_key_value_heads=max(1, hidden // 256),
        max_position_embeddings=1024,
        tie_word_embeddings=False,
        pad_token_id=tokenizer.pad_token_id,
        bos_token_id=tokenizer.bos_token_id,
        eos_token_id=tokenizer.eos_token_id,
    )
    torch.manual_seed(SEED)
    model = Qwen2ForCausalLM(config)
    out.mkdir(parents=True, exist_ok=True)
    model.save_pretrained(out)
    tokenizer.save_pretrained(out)
    return str(out), sum(p.numel() for p in model.parameters())
