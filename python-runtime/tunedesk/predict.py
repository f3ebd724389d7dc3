"""``python -m tunedesk predict``: generate with a base model, a checkpoint or an export.

The prompt is laid out with the run's own template (tunedesk.data.generation_prompt, the
same code training used), so a model is asked questions the way it was taught. Tokens
stream as ``predict_token`` events on stdout (and --events FILE); each answer ends with
``predict_finished``. With --file, each prediction is written next to its reference.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tunedesk.errors import ConfigError, DataError, classify
from tunedesk.events import EventWriter


def parse_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m tunedesk predict", description=__doc__.splitlines()[0])
    parser.add_argument(
        "--model", required=True, help="an export, a checkpoint (…/step-NNNNNN) or a base model directory"
    )
    what = parser.add_mutually_exclusive_group(required=True)
    what.add_argument("--prompt", help="one question")
    what.add_argument(
        "--file", help="JSONL of samples (the training formats); references are compared when present"
    )
    parser.add_argument("--out", help="with --file: where to write {prompt, prediction, reference} lines")
    parser.add_argument(
        "--history",
        default=None,
        help='with --prompt: the earlier turns of a chat as JSON, [{"role": "user"|"assistant", "content": ...}, ...]',
    )
    parser.add_argument("--max_new_tokens", type=int, default=128)
    parser.add_argument("--greedy", action="store_true", help="deterministic: always the most likely token")
    parser.add_argument("--temperature", type=float, default=0.8)
    parser.add_argument("--top_p", type=float, default=0.9)
    parser.add_argument("--seed", type=int, default=42, help="sampling seed (sampling is reproducible too)")
    parser.add_argument(
        "--mode", default=None, help="prompt template (glm, glm2, glm3, chat); default: the run's"
    )
    parser.add_argument(
        "--max_src_len", type=int, default=None, help="prompt tokens kept (default: the run's, else 1024)"
    )
    parser.add_argument(
        "--device", default="auto", help="auto (cuda when available, else cpu), cpu, cuda, cuda:N or mps"
    )
    parser.add_argument("--events", default=None, help="also append the events to this JSON-lines file")
    return parser.parse_args(argv)


def pick_device(choice: str) -> str:
    import torch

    if choice != "auto":
        return choice
    if torch.cuda.is_available():
        return "cuda"
    return "mps" if torch.backends.mps.is_available() else "cpu"


@dataclass
class Loaded:
    model: Any
    tokenizer: Any
    mode: str | None
    max_src_len: int
    what: str  # "export", "checkpoint" or "base"


def load_for_predict(path: Path) -> Loaded:
    """Accept what the user has: an export (export.json), a checkpoint (manifest.json) or a model dir."""
    from transformers import AutoModelForCausalLM, AutoTokenizer

    from tunedesk.export.source import is_checkpoint, load_tokenizer, load_training_model, open_checkpoint

    if not path.is_dir():
        raise ConfigError(f"{path}: no such directory", "Pass an export, a checkpoint or a model directory.")
    if is_checkpoint(path):
        source = open_checkpoint(path)
        src_len = int(source.run_config.get("max_src_len") or 1024)
        return Loaded(
            load_training_model(source), load_tokenizer(source), source.template_mode, src_len, "checkpoint"
        )
    record: dict[str, Any] = {}
    if (path / "export.json").is_file():
        record = json.loads((path / "export.json").read_text(encoding="utf-8"))
    mode = record.get("mode")
    if record.get("kind") == "gguf":
        raise ConfigError(
            f"{path} holds a GGUF file", "Run it with llama.cpp or Ollama; predict here needs an hf export."
        )
    if record.get("kind") == "ptuning-adapter":
        from peft import PeftModel

        base = AutoModelForCausalLM.from_pretrained(record["base_model"])
        model = PeftModel.from_pretrained(base, path / "adapter")
        return Loaded(model.eval(), AutoTokenizer.from_pretrained(path / "tokenizer"), mode, 1024, "export")
    if not (path / "config.json").is_file():
        raise ConfigError(
            f"{path}: not an export, a checkpoint or a model directory", "Pass the folder with config.json."
        )
    model = AutoModelForCausalLM.from_pretrained(path, dtype="auto").eval()
    return Loaded(model, AutoTokenizer.from_pretrained(path), mode, 1024, "export" if record else "base")


class TokenEvents:
    """A transformers streamer that turns each new token into a predict_token event.

    Text is emitted as the *difference* of the decoded answer so far, so multi-byte
    characters split over tokens come out whole (a trailing U+FFFD waits for its next byte).
    """

    def __init__(self, tokenizer: Any, events: EventWriter):
        self.tokenizer, self.events = tokenizer, events
        self.ids: list[int] = []
        self.text = ""
        self.index = 0
        self.prompt_seen = False

    def put(self, value: Any) -> None:
        if not self.prompt_seen:  # generate() hands over the prompt first
            self.prompt_seen = True
            return
        self.ids.extend(int(v) for v in value.reshape(-1).tolist())
        self._flush(final=False)

    def end(self) -> None:
        self._flush(final=True)

    def _flush(self, final: bool) -> None:
        text = self.tokenizer.decode(self.ids, skip_special_tokens=True)
        if text.endswith("\ufffd") and not final:
            return
        if len(text) > len(self.text) and text.startswith(self.text):
            self.events.emit("predict_token", index=self.index, text=text[len(self.text) :])
            self.index += 1
            self.text = text


def parse_history(text: str | None) -> list[dict]:
    """The earlier turns of a multi-turn chat: alternating user/assistant messages, oldest first."""
    if not text:
        return []
    try:
        turns = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ConfigError(f"--history is not valid JSON ({exc.msg})", 'Pass [{"role": "user", "content": "..."}, ...].') from exc
    if not isinstance(turns, list):
        raise ConfigError("--history must be a JSON list of turns", 'Pass [{"role": "user", "content": "..."}, ...].')
    for number, turn in enumerate(turns, start=1):
        expected = "user" if number % 2 else "assistant"
        if not isinstance(turn, dict) or turn.get("role") != expected or not isinstance(turn.get("content"), str):
            raise ConfigError(
                f"--history turn {number} must be {{'role': '{expected}', 'content': <text>}}",
                "Turns alternate user, assistant, user, ... and the new --prompt is the next user turn.",
            )
    if len(turns) % 2:
        raise ConfigError("--history ends on a user turn", "End the history on the assistant's answer; --prompt is the next question.")
    return [{"role": turn["role"], "content": turn["content"]} for turn in turns]


def generate(
    loaded: Loaded, messages: list[dict], args: argparse.Namespace, events: EventWriter, stats: dict | None = None
) -> str:
    """The answer to ``messages``; ``stats`` (when given) receives tokens and seconds, for tokens/s."""
    import time

    import torch

    from tunedesk.data import generation_prompt

    ids = generation_prompt(messages, loaded.tokenizer, mode=loaded.mode, max_src_len=loaded.max_src_len)
    streamer = TokenEvents(loaded.tokenizer, events)
    options: dict[str, Any] = {"max_new_tokens": args.max_new_tokens, "streamer": streamer}
    if args.greedy:
        options.update(do_sample=False, temperature=None, top_p=None, top_k=None)
    else:
        torch.manual_seed(args.seed)
        options.update(do_sample=True, temperature=args.temperature, top_p=args.top_p)
    tokenizer = loaded.tokenizer
    pad = tokenizer.pad_token_id if tokenizer.pad_token_id is not None else tokenizer.eos_token_id
    input_ids = torch.tensor([ids], device=next(loaded.model.parameters()).device)
    started = time.perf_counter()
    with torch.no_grad():
        output = loaded.model.generate(
            input_ids=input_ids, attention_mask=torch.ones_like(input_ids), pad_token_id=pad, **options
        )
    # Speed of this answer, for the Try screen's tokens/s: new tokens over the wall time of generate().
    if stats is not None:
        stats.update(tokens=int(output.shape[1] - len(ids)), seconds=round(time.perf_counter() - started, 4))
    answer = tokenizer.decode(output[0, len(ids) :].tolist(), skip_special_tokens=True)
    return answer


def char_f1(prediction: str, reference: str) -> float:
    """Overlap of characters (bag of characters): a language-neutral quick quality signal."""
    pred, ref = Counter(prediction.strip()), Counter(reference.strip())
    common = sum((pred & ref).values())
    if not pred or not ref:
        return float(pred == ref)
    if common == 0:
        return 0.0
    precision, recall = common / sum(pred.values()), common / sum(ref.values())
    return 2 * precision * recall / (precision + recall)


def _json_objects(path: Path) -> list[tuple[int, Any]]:
    """(line, object) for JSON lines, or for a JSON array (the other shape training accepts)."""
    text = path.read_text(encoding="utf-8")
    if text.lstrip().startswith("["):
        try:
            items = json.loads(text)
        except json.JSONDecodeError as exc:
            raise DataError(
                f"{path}:{exc.lineno}: not valid JSON ({exc.msg})", "Fix the JSON array."
            ) from exc
        # The line where each item starts, so problems point at the right place.
        decoder, index, out = json.JSONDecoder(), text.index("[") + 1, []
        for _ in items:
            while text[index] in " \t\r\n,":
                index += 1
            obj, end = decoder.raw_decode(text, index)
            out.append((text.count("\n", 0, index) + 1, obj))
            index = end
        return out
    out = []
    for line_no, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            out.append((line_no, json.loads(line)))
        except json.JSONDecodeError as exc:
            raise DataError(
                f"{path}:{line_no}: not valid JSON ({exc.msg})", "Fix that line; one JSON object per line."
            ) from exc
    return out


def read_prompts(path: Path) -> list[tuple[list[dict], str | list[str] | None, int]]:
    """(prompt messages, reference(s) or None, line) for every sample of a JSONL file or JSON array.

    An ``output`` that is a list (the originals' d2q_1.json) gives several references."""
    from tunedesk.data.formats import sample_kind, to_messages

    samples = []
    for line_no, obj in _json_objects(path):
        has_reference, references = True, None
        if isinstance(obj, dict) and sample_kind(obj) == "instruction" and "output" not in obj:
            obj, has_reference = {**obj, "output": ""}, False
        if isinstance(obj, dict) and isinstance(obj.get("output"), list):  # several references (d2q_1.json)
            references = [str(r) for r in obj["output"]]
            obj = {**obj, "output": ""}
        messages, reasons = to_messages(obj, allow_empty_output=True)
        if reasons and isinstance(obj, dict) and sample_kind(obj) != "instruction":
            # A chat sample that ends on the user's turn is a question without a reference.
            turns_key = "messages" if "messages" in obj else "conversations"
            role_key, text_key, answer_role = (
                ("role", "content", "assistant") if turns_key == "messages" else ("from", "value", "gpt")
            )
            obj = {**obj, turns_key: [*obj[turns_key], {role_key: answer_role, text_key: ""}]}
            messages, reasons = to_messages(obj, allow_empty_output=True)
            has_reference = False
        if messages is None or reasons:
            raise DataError(
                f"{path}:{line_no}: {'; '.join(reasons)}",
                "Use the training data formats (instruction, chat, sharegpt).",
            )
        reference = references if references is not None else messages[-1]["content"]
        samples.append((messages[:-1], reference if has_reference else None, line_no))
    if not samples:
        raise DataError(f"{path}: no samples", "Put one JSON object per line.")
    return samples


def main(argv: list[str]) -> int:
    args = parse_args(argv)
    from tunedesk.export.cli import _quiet_progress_bars

    _quiet_progress_bars()
    with EventWriter(args.events, echo=sys.stdout) as events:
        try:
            loaded = load_for_predict(Path(args.model))
            loaded.model.to(pick_device(args.device))
            loaded.mode = args.mode or loaded.mode
            loaded.max_src_len = args.max_src_len or loaded.max_src_len
            if args.prompt is not None:
                messages = [*parse_history(args.history), {"role": "user", "content": args.prompt}]
                stats: dict = {}
                text = generate(loaded, messages, args, events, stats)
                events.emit("predict_finished", text=text, **stats)
                print(text, file=sys.stderr)
                return 0
            return _predict_file(loaded, args, events)
        except Exception as exc:
            classified = classify(exc)
            events.emit(
                "log",
                level="error",
                message=f"{classified.message} — {classified.hint}",
                error=classified.as_event_error(),
            )
            print(
                f"predict failed ({classified.kind}): {classified.message}\n  → {classified.hint}",
                file=sys.stderr,
            )
            return 1


def _predict_file(loaded: Loaded, args: argparse.Namespace, events: EventWriter) -> int:
    source = Path(args.file)
    out = Path(args.out) if args.out else source.with_suffix(".predictions.jsonl")
    samples = read_prompts(source)
    exact, f1s = 0, []
    with open(out, "w", encoding="utf-8") as handle:
        for index, (messages, reference, line) in enumerate(samples):
            prediction = generate(loaded, messages, args, events)
            events.emit("predict_finished", text=prediction, sample=index, line=line)
            row = {"prompt": messages[-1]["content"], "prediction": prediction, "reference": reference}
            handle.write(json.dumps(row, ensure_ascii=False) + "\n")
            if reference is not None:  # several references: the best match counts
                options = reference if isinstance(reference, list) else [reference]
                exact += int(any(prediction.strip() == r.strip() for r in options))
                f1s.append(max((char_f1(prediction, r) for r in options), default=0.0))
    summary = f"{len(samples)} predictions written to {out}"
    if f1s:
        summary += f"; exact match {exact}/{len(f1s)} ({100 * exact / len(f1s):.1f}%), char F1 {sum(f1s) / len(f1s):.3f}"
    metrics = {"samples": len(samples), "with_reference": len(f1s), "exact_match": exact}
    if f1s:
        metrics["char_f1"] = sum(f1s) / len(f1s)
    events.emit("log", level="info", message=summary, metrics=metrics, out=str(out))
    print(summary, file=sys.stderr)
    return 0
