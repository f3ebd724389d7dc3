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
                  "tokens", "truncated"}]}
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
    parser.add_argument("--preview", type=int, default=5, help="how many samples to show as tokens")
    parser.add_argument(
        "--allow_empty_output", action="store_true", help="accept samples with an empty answer"
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

    loaded = load_file(args.train_path, allow_empty_output=args.allow_empty_output)
    report: dict[str, Any] = {
        "ok": not loaded.problems,
        "train_path": args.train_path,
        "samples": len(loaded.records),
        "format": loaded.format,
        "problems": [p.as_dict() for p in loaded.problems[:MAX_PROBLEMS]],
        "problem_count": len(loaded.problems),
        "stats": None,
        "histogram": None,
        "preview": [],
    }
    if args.model_name_or_path and loaded.records:
        report.update(tokenization(args, loaded.records))
    return report


def tokenization(args: argparse.Namespace, records: list) -> dict[str, Any]:
    from transformers import AutoTokenizer

    from tunedesk.data import check_mode, encode_records, render_preview
    from tunedesk.data.encode import encode_one

    mode = check_mode(args.mode, args.max_len, args.max_src_len)
    try:
        tokenizer = AutoTokenizer.from_pretrained(
            args.model_name_or_path, trust_remote_code=args.trust_remote_code
        )
    except (OSError, ValueError) as exc:
        raise TuneDeskError(
            f"cannot load a tokenizer from {args.model_name_or_path}: {exc}",
            "Point --model_name_or_path at a Hugging Face model folder (with tokenizer files).",
        ) from exc
    _, stats = encode_records(
        records, tokenizer, mode=mode, max_len=args.max_len, max_src_len=args.max_src_len, is_skip=False
    )
    full_lengths = [
        len(encode_one(r, tokenizer, mode=mode, max_len=UNLIMITED, max_src_len=UNLIMITED - 16).ids)
        for r in records
    ]
    preview = [
        {
            "line": r.line,
            **render_preview(r, tokenizer, mode=mode, max_len=args.max_len, max_src_len=args.max_src_len),
        }
        for r in records[: max(0, args.preview)]
    ]
    return {
        "mode": mode,
        "stats": stats.as_dict(),
        "histogram": length_histogram(full_lengths, args.max_len),
        "preview": preview,
    }


def human_summary(report: dict[str, Any]) -> str:
    lines = [f"{report['train_path']}: {report['samples']} valid samples ({report['format']})"]
    if report["problem_count"]:
        lines.append(f"{report['problem_count']} problem(s):")
        lines += [f"  {p['file']}:{p['line']}: {p['reason']}" for p in report["problems"][:20]]
    stats, histogram = report.get("stats"), report.get("histogram")
    if stats and histogram:
        lines.append(
            f"tokens: longest {histogram['longest']} before truncation, mean {stats['mean_tokens']} after; "
            f"{histogram['over_max_len']} sample(s) ({histogram['share_over_max_len']:.1%}) over max_len "
            f"{histogram['max_len']}, {stats['truncated']} truncated"
        )
    lines.append("OK" if report["ok"] else "NOT OK: fix the problems above (or train with --skip_bad_lines)")
    return "\n".join(lines)


def main(argv: list[str]) -> int:
    args = parse_args(argv)
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
