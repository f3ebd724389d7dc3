"""``demo-model``: the small embedded model that the demo preset and the tests train.

No download: random weights from a fixed seed (a tiny Llama, or transformers' native GLM), and a
byte-level BPE tokenizer trained on the bundled demo data, so any UTF-8 text (Chinese included)
tokenizes. The tokenizer also carries the ChatGLM special tokens ([gMASK], sop, eop, <|user|>,
<|assistant|>, <|system|>) so that --mode glm/glm2/glm3 run on it, and a short chat template.

Same inputs, same bytes: the directory is deterministic (tests hash its safetensors), and it is
written into a temporary folder that is renamed into place, so a half-written model never exists.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import shutil
import sys
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from tunedesk.errors import ConfigError, TuneDeskError

DEMO_DIR = Path(__file__).resolve().parents[2] / "resources" / "demo"  # in a checkout
DEMO_DIR_ENV = "TUNEDESK_DEMO_DATA_DIR"  # where a packaged app keeps resources/demo instead
MARKER = "tunedesk_demo.json"  # says what this directory is and what built it
FORMAT_VERSION = 1
SEED = 1234

PAD, BOS, EOS = "<pad>", "<s>", "</s>"
ROLE_TOKENS = ["<|system|>", "<|user|>", "<|assistant|>"]
CHATGLM_TOKENS = ["[gMASK]", "sop", "eop"]
SPECIAL_TOKENS = [PAD, BOS, EOS, *ROLE_TOKENS, *CHATGLM_TOKENS]

# A chat template in the ChatGLM3 spirit: role marker, newline, content; the answer ends with eos.
CHAT_TEMPLATE = (
    "{% for message in messages %}"
    "{{ '<|' + message['role'] + '|>\\n' + message['content'] }}"
    "{% if message['role'] == 'assistant' %}{{ eos_token }}{% else %}{{ '\\n' }}{% endif %}"
    "{% endfor %}"
    "{% if add_generation_prompt %}{{ '<|assistant|>\\n' }}{% endif %}"
)

# Text the prompt layouts add around samples, so their markers become single tokens too.
TEMPLATE_TEXT = [
    "[Round 1]\n问：",
    "\n答：",
    "[Round 1]\n\n问：",
    "\n\n答：",
    "User: ",
    "\nAssistant: ",
    "System: ",
]


@dataclass(frozen=True)
class DemoSize:
    """Model shape, chosen so the demo task is learned in about a minute on two CPU cores."""

    hidden_size: int = 64
    intermediate_size: int = 192
    num_hidden_layers: int = 2
    num_attention_heads: int = 4
    num_key_value_heads: int = 2
    max_position_embeddings: int = 256
    vocab_size: int = 1024  # target for BPE training; the real size is what training reaches
    # Wider than the usual 0.02: at hidden 64 that init makes every logit ~0 and leaves adapters
    # (LoRA, P-Tuning) nothing to steer; at 0.1 LoRA learns the demo task, full training in seconds.
    initializer_range: float = 0.1


FAMILIES = ("llama", "glm")


def demo_texts(data_dir: Path) -> list[str]:
    """Every string of the demo data files, in file order (the tokenizer's training corpus)."""
    texts = list(TEMPLATE_TEXT)
    for name in ("train.jsonl", "eval.jsonl"):
        path = data_dir / name
        if not path.is_file():
            raise ConfigError(
                f"demo data not found: {path}",
                f"Run from a TuneDesk checkout (resources/demo/), set {DEMO_DIR_ENV} or pass --data_dir.",
            )
        for line in path.read_text(encoding="utf-8").splitlines():
            if line.strip():
                row = json.loads(line)
                texts += [row.get("instruction", "") + row.get("input", ""), row.get("output", "")]
    return texts


def build_tokenizer(texts: list[str], vocab_size: int) -> Any:
    from tokenizers import AddedToken, Tokenizer, decoders, models, pre_tokenizers, trainers
    from transformers import PreTrainedTokenizerFast

    core = Tokenizer(models.BPE())
    core.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    core.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(
        vocab_size=vocab_size,
        special_tokens=[PAD, BOS, EOS, *ROLE_TOKENS],
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),  # all 256 bytes: nothing is unknown
        show_progress=False,
    )
    core.train_from_iterator(texts, trainer)
    # "sop"/"eop" only as whole words: as plain special tokens they would match inside "people"
    glm_markers = [
        AddedToken(t, special=True, single_word=t.isalpha(), normalized=False) for t in CHATGLM_TOKENS
    ]
    tokenizer = PreTrainedTokenizerFast(
        tokenizer_object=core,
        pad_token=PAD,
        bos_token=BOS,
        eos_token=EOS,
        additional_special_tokens=ROLE_TOKENS + glm_markers,
        model_max_length=DemoSize.max_position_embeddings,
    )
    tokenizer.chat_template = CHAT_TEMPLATE
    return tokenizer


def build_model(family: str, tokenizer: Any, size: DemoSize) -> Any:
    import torch

    ids = {
        "vocab_size": len(tokenizer),
        "pad_token_id": tokenizer.pad_token_id,  # GlmConfig's default (151329) is out of range here
        "bos_token_id": tokenizer.bos_token_id,
        "eos_token_id": tokenizer.eos_token_id,
    }
    shape = {k: v for k, v in asdict(size).items() if k != "vocab_size"}
    if family == "llama":
        from transformers import LlamaConfig, LlamaForCausalLM

        config, model_class = LlamaConfig(**shape, **ids, tie_word_embeddings=False), LlamaForCausalLM
    elif family == "glm":
        from transformers import GlmConfig, GlmForCausalLM

        head_dim = size.hidden_size // size.num_attention_heads
        config, model_class = GlmConfig(**shape, **ids, head_dim=head_dim), GlmForCausalLM
    else:
        raise ConfigError(f"unknown demo model family {family!r}", f"Use one of {', '.join(FAMILIES)}.")
    torch.manual_seed(SEED)
    model = model_class(config)
    model.generation_config.pad_token_id = tokenizer.pad_token_id
    model.generation_config.eos_token_id = tokenizer.eos_token_id
    model.generation_config.bos_token_id = tokenizer.bos_token_id
    return model.float().eval()


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def write_demo_model(
    out: str | os.PathLike[str],
    family: str = "llama",
    *,
    force: bool = False,
    data_dir: str | os.PathLike[str] | None = None,
    size: DemoSize | None = None,
) -> Path:
    """Write the demo model directory at ``out`` (atomically) and return its path.

    An existing demo model of the same family is kept unless ``force``; anything else at ``out``
    is never overwritten without ``force``.
    """
    out = Path(out).resolve()
    data = Path(data_dir or os.environ.get(DEMO_DIR_ENV) or DEMO_DIR).resolve()
    size = size or DemoSize()
    if out.exists() and not force:
        marker = out / MARKER
        if marker.is_file() and json.loads(marker.read_text(encoding="utf-8")).get("family") == family:
            return out
        raise ConfigError(f"{out} already exists", "Choose another --out, or pass --force to replace it.")

    import torch

    torch.set_num_threads(max(1, min(torch.get_num_threads(), 4)))
    tokenizer = build_tokenizer(demo_texts(data), size.vocab_size)
    model = build_model(family, tokenizer, size)

    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.parent / f".{out.name}.tmp-{os.getpid()}"
    shutil.rmtree(tmp, ignore_errors=True)
    try:
        model.save_pretrained(tmp, safe_serialization=True)
        tokenizer.save_pretrained(tmp)
        weights = sorted(tmp.glob("*.safetensors"))
        marker = {
            "format": "tunedesk-demo-model",
            "version": FORMAT_VERSION,
            "family": family,
            "seed": SEED,
            "size": asdict(size),
            "vocab_size": len(tokenizer),
            "parameters": sum(p.numel() for p in model.parameters()),
            "weights_sha256": {p.name: _sha256(p) for p in weights},
            "data_sha256": {
                name: _sha256(data / name)
                for name in ("train.jsonl", "eval.jsonl")
                if (data / name).is_file()
            },
        }
        (tmp / MARKER).write_text(json.dumps(marker, indent=2) + "\n", encoding="utf-8")
        if out.exists():  # force: move the old one aside first, so `out` is never half-written
            old = out.parent / f".{out.name}.old-{os.getpid()}"
            os.replace(out, old)
            shutil.rmtree(old, ignore_errors=True)
        os.replace(tmp, out)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return out


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m tunedesk demo-model", description=__doc__.split("\n")[0])
    parser.add_argument("--out", required=True, help="directory to write the model into")
    parser.add_argument("--family", choices=FAMILIES, default="llama", help="llama (default) or glm")
    parser.add_argument("--force", action="store_true", help="replace whatever is at --out")
    parser.add_argument(
        "--data_dir", default=None, help=f"demo data folder (default ${DEMO_DIR_ENV} or {DEMO_DIR})"
    )
    parser.add_argument("--json", action="store_true", help="print the result as one JSON object")
    args = parser.parse_args(argv)
    try:
        path = write_demo_model(args.out, args.family, force=args.force, data_dir=args.data_dir)
    except TuneDeskError as exc:
        print(f"error: {exc.message}\n{exc.hint}", file=sys.stderr)
        return 1
    info = json.loads((path / MARKER).read_text(encoding="utf-8"))
    if args.json:
        print(json.dumps({"ok": True, "path": str(path), **info}, ensure_ascii=False))
    else:
        print(
            f"demo model ({info['family']}, {info['parameters']:,} parameters, vocab {info['vocab_size']}) at {path}"
        )
    return 0
