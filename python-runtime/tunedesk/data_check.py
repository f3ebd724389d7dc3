"""``data-check``: validate a data file (and, given a model, how it tokenizes) without training.

The app's wizard calls ``python -m tunedesk data-check --train_path F [--model_name_or_path M]
--json`` and reads ONE JSON object from stdout:

    {"ok": bool, "train_path": str, "samples": int (valid ones),
     "format": "<instruction|chat|sharegpt|mixed>-<jsonl|json-array>" or "unknown",
     "problems": [{"file", "line", "reason"}] (first 100), "problem_count": int,
     # with --model_name_or_path (else null / []):
     "mode": "glm"|"glm2"|"glm3"|"chat",
     "stats": {"samples", "kept", "skipped", "truncated", "max_tokens", "mean_tokens"},
     "histogram": {"bins": [edges], "counts": [n], "max_len", "over_max_len", "share_over_max_len",
                   "longest"},                # lengths BEFORE truncation
     "preview": [{"line", "segments": [{"text", "kind": prompt|answer|special|truncated}],
                  "tokens", "truncated"}],
     "empty_answers": {"count", "lines" (first 100), "trained": bool},
     "notes": [str]}                          # one sentence per special case: what is trained and why
    # when the check itself fails (unreadable file or tokenizer): {"ok": false, "error": {kind, message, hint}}

Exit status 0 when the file is valid, 1 when it has problems or cannot be checked.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
from typing import Any

from tunedesk.errors import TuneDeskError

MAX_PROBLEMS = 100
HISTOGRAM_BINS = 10
UNLIMITED = 10**9  # a max_len no sample reaches: to measure lengths before truncation


def parse_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m tunedesk data-check", description=__doc__.split("\n")[0])
    parser.add_argument("--train_path", required=True, help="the data file (JSON lines or a JSON array)")
    parser.add_argument(
        "--model_name_or_path", default=None, help="a model directory: also check tokenization"
    )
    parser.add_argument("--mode", choices=("glm", "glm2", "glm3", "chat"), default=None, help="prompt layout")
    parser.add_argument("--max_len", type=int, default=1560, help="as in training (default 1560)")
    parser.add_argument("--max_src_len", type=int, default=1024, help="as in training (default 1024)")
    parser.add_argument(
        "--preview", type=int, default=None, help="how many samples to show as tokens (JSON: 5 unless given)"
    )
    parser.add_argument(
        "--allow_empty_output", action="store_true", help="accepted for old commands: empty answers are trained"
    )
    parser.add_argument(
        "--drop_empty_output", action="store_true", help="leave out samples whose answer is empty"
    )
    parser.add_argument(
        "--trust_remote_code", action="store_true", help="allow the model's own tokenizer code"
    )
    parser.add_argument("--json", action="store_true", help="print one JSON object (for the app)")
    return parser.parse_args(argv)


def length_histogram(lengths: list[int], max_len: int, bins: int = HISTOGRAM_BINS) -> dict[str, Any]:
    """Equal-width bins over [0, max(longest, max_len)], plus how many samples exceed max_len."""
    top = max([max_len, *lengths])
    width = max(1, math.ceil(top / bins))
    edges = [i * width for i in range(bins + 1)]
    counts = [0] * bins
    for length in lengths:
        counts[min(length // width, bins - 1)] += 1
    over = sum(1 for length in lengths if length > max_len)
    return {
        "bins": edges,  # len(counts) + 1 edges; bin i holds lengths in [edges[i], edges[i+1])
        "counts": counts,
        "max_len": max_len,
        "over_max_len": over,
        "share_over_max_len": round(over / len(lengths), 4) if lengths else 0.0,
        "longest": max(lengths, default=0),
    }


def check(args: argparse.Namespace) -> dict[str, Any]:
    from tunedesk.data import load_file
    from tunedesk.data.records import skippable

    loaded = load_file(args.train_path, drop_empty_output=args.drop_empty_output)
    report: dict[str, Any] = {
        "ok": not loaded.problems,
        "train_path": args.train_path,
        "samples": len(loaded.records),
        "format": loaded.format,
        "problems": [p.as_dict() for p in loaded.problems[:MAX_PROBLEMS]],
        "problem_count": len(loaded.problems),
        "skippable": skippable(loaded),
        "stats": None,
        "histogram": None,
        "preview": [],
        "empty_answers": {
            "count": len(loaded.empty_answers),
            "lines": loaded.empty_answers[:MAX_PROBLEMS],
            "trained": not args.drop_empty_output,
        },
        "notes": data_notes(loaded, args),
    }
    if args.model_name_or_path and loaded.records:
        report.update(tokenization(args, loaded.records, report))
    return report


def data_notes(loaded, args: argparse.Namespace) -> list[str]:
    """What the file's special cases mean for training, one sentence each."""
    notes = []
    empty = loaded.empty_answers
    if empty:
        lines = ", ".join(str(n) for n in empty[:20]) + (" ..." if len(empty) > 20 else "")
        if args.drop_empty_output:
            notes.append(f"{len(empty)} sample(s) with an empty answer are left out (--drop_empty_output): lines {lines}")
        else:
            notes.append(
                f"{len(empty)} sample(s) with an empty answer are trained (the model learns to answer with "
                f"nothing, as the original scripts did): lines {lines}; --drop_empty_output leaves them out"
            )
    if loaded.kinds.get("instruction") and args.mode not in ("glm", "glm2", "glm3"):
        notes.append('instruction samples: the user turn is "instruction" + newline + "input" (Alpaca layout)')
    if loaded.kinds.get("text"):
        notes.append(f"{loaded.kinds['text']} plain-text sample(s): every token is learned (continued pre-training)")
    return notes


def tokenization(args: argparse.Namespace, records: list, report: dict[str, Any]) -> dict[str, Any]:
    from transformers import AutoTokenizer

    from tunedesk.data import DataProblem, check_mode, encode_records, render_preview
    from tunedesk.data.encode import SampleError, encode_one
    from tunedesk.data.mode_default import default_mode

    mode, mode_note = default_mode(args.mode, args.model_name_or_path)
    mode = check_mode(mode, args.max_len, args.max_src_len)
    try:
        tokenizer = AutoTokenizer.from_pretrained(
            args.model_name_or_path, trust_remote_code=args.trust_remote_code
        )
    except (OSError, ValueError) as exc:
        raise TuneDeskError(
            f"cannot load a tokenizer from {args.model_name_or_path}: {exc}",
            "Point --model_name_or_path at a Hugging Face model folder (with tokenizer files).",
        ) from exc
    # lengths before truncation, measured up to 16x max_len: a 50 MB sample is not tokenized whole
    measure = min(UNLIMITED, max(args.max_len * 16, 4096))
    full_lengths, good = [], []
    problems = []
    for r in records:
        try:
            full = encode_one(r, tokenizer, mode=mode, max_len=measure, max_src_len=measure - 16)
            full_lengths.append(len(full.ids))
            good.append(r)
        except SampleError as exc:
            problems.append(DataProblem(r.file, r.line, str(exc)))
    if problems:
        report["ok"] = False
        report["problem_count"] += len(problems)
        report["problems"] = (report["problems"] + [p.as_dict() for p in problems])[:MAX_PROBLEMS]
        report["skippable"] = report["skippable"] and bool(good)
    _, stats = encode_records(
        good, tokenizer, mode=mode, max_len=args.max_len, max_src_len=args.max_src_len, is_skip=False
    )
    count = 5 if args.preview is None else max(0, args.preview)
    preview = [
        {
            "line": r.line,
            **render_preview(r, tokenizer, mode=mode, max_len=args.max_len, max_src_len=args.max_src_len),
        }
        for r in good[:count]
    ]
    notes = report["notes"] + ([mode_note] if mode_note else []) + stats_notes(stats)
    multi_turn = sum(1 for r in good if sum(m["role"] == "assistant" for m in r.messages) > 1)
    if mode in ("glm", "glm2", "glm3") and multi_turn:
        notes.append(
            f"{multi_turn} multi-turn sample(s): --mode {mode} learns only the last answer (earlier rounds are "
            "the prompt, as in the model's own chat()); --mode chat learns every assistant turn"
        )
    return {
        "mode": mode,
        "stats": stats.as_dict(),
        "histogram": length_histogram(full_lengths, args.max_len),
        "preview": preview,
        "notes": notes,
    }


def stats_notes(stats) -> list[str]:
    notes = []
    if stats.folded_system:
        notes.append(
            f"{stats.folded_system} system prompt(s) folded into the first user turn: the model's chat "
            "template rejects a system turn"
        )
    if stats.rewritten_turns:
        notes.append(
            f"{stats.rewritten_turns} assistant turn(s) are rendered by the chat template differently from the "
            "data (Qwen3 drops the reasoning of earlier turns): what is learned is what the template renders"
        )
    if stats.tool_samples:
        notes.append(
            f"{stats.tool_samples} tool-calling sample(s), laid out by the chat template: the tool calls and "
            "answers are learned, tool descriptions and results are not"
        )
    if stats.cut_before_tokenizing:
        notes.append(
            f"{stats.cut_before_tokenizing} sample(s) far longer than max_len were cut as text before tokenizing"
        )
    return notes


MARKS = {"prompt": ("", ""), "answer": ("\u00ab", "\u00bb"), "special": ("", ""), "truncated": ("[cut: ", "]")}


def preview_text(item: dict[str, Any]) -> str:
    """One previewed sample as text: learned spans in \u00ab\u00bb, truncation as [cut: ...]."""
    body = "".join(MARKS[s["kind"]][0] + s["text"] + MARKS[s["kind"]][1] for s in item["segments"])
    return f"--- line {item['line']}: {item['tokens']} tokens{' (truncated)' if item['truncated'] else ''}\n{body}"


def human_summary(report: dict[str, Any]) -> str:
    lines = [f"{report['train_path']}: {report['samples']} valid samples ({report['format']})"]
    if report.get("mode"):
        lines.append(f"prompt layout: --mode {report['mode']}")
    if report["problem_count"]:
        lines.append(f"{report['problem_count']} problem(s):")
        lines += [f"  {p['file']}:{p['line']}: {p['reason']}" for p in report["problems"][:20]]
    lines += [f"note: {note}" for note in report.get("notes", [])]
    stats, histogram = report.get("stats"), report.get("histogram")
    if stats and histogram:
        lines.append(
            f"tokens: longest {histogram['longest']} before truncation, mean {stats['mean_tokens']} after; "
            f"{histogram['over_max_len']} sample(s) ({histogram['share_over_max_len']:.1%}) over max_len "
            f"{histogram['max_len']}, {stats['truncated']} truncated"
        )
    if report.get("preview"):
        lines.append("preview (learned tokens in \u00ab\u00bb):")
        lines += [preview_text(item) for item in report["preview"]]
    if report["ok"]:
        lines.append("OK")
    elif report.get("skippable"):
        lines.append("NOT OK: fix the problems above (or train with --skip_bad_lines to leave those lines out)")
    else:
        lines.append("NOT OK: fix the problems above (skipping them would leave nothing to train on)")
    return "\n".join(lines)


def main(argv: list[str]) -> int:
    args = parse_args(argv)
    if args.preview is None and not args.json:
        args.preview = 0  # text mode shows samples only when asked (--preview N)
    try:
        report = check(args)
    except TuneDeskError as exc:
        report = {
            "ok": False,
            "train_path": args.train_path,
            "error": {"kind": exc.kind, "message": exc.message, "hint": exc.hint},
        }
        if not args.json:
            print(f"error: {exc.message}\n{exc.hint}", file=sys.stderr)
            return 1
    if args.json:
        print(json.dumps(report, ensure_ascii=False))
    else:
        print(human_summary(report))
    return 0 if report["ok"] else 1
