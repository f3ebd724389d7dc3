"""``python -m tunedesk import-chatglm <dir> --out <dir> [--force] [--json] [--generation 2|3] [--check]``

Exit status: 0 converted (or, with --check, recognised), 1 refused or failed (the message says why
and what to do), 2 bad command line. ``--json`` prints one JSON object on stdout:
``{"ok": true, "summary": {...}}`` / ``{"ok": true, "check": {...}}`` or
``{"ok": false, "error": {"kind", "message", "hint"}}``.
"""

from __future__ import annotations

import argparse
import json
import signal
import sys
from pathlib import Path

from ..errors import TuneDeskError, report_command_failure

DESCRIPTION = """\
Convert a ChatGLM2-6B or ChatGLM3-6B checkpoint (also -base and -32k) into a native transformers
model (model_type glm) that TuneDesk trains with every method, without running the checkpoint's own
Python code. Weights, rotary settings (rope_ratio included) and the tokenizer (every id and special
token kept) are converted; the checkpoint's *.py files are not copied.
"""

EPILOG = """\
P-Tuning: the original scripts used ChatGLM's built-in prefix encoder (config.pre_seq_len). The
imported model has none; TuneDesk's P-Tuning v2 (a deep prefix on every layer) gives the same capability.

ChatGLM-6B (the first generation) cannot be converted: it needs its own code and transformers
4.27-4.33 in a separate environment; see `python -m tunedesk legacy-env --help`.
"""


def parse_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m tunedesk import-chatglm",
        description=DESCRIPTION,
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "source", help="the ChatGLM2/3 checkpoint folder (config.json, weights, tokenizer.model)"
    )
    parser.add_argument("--out", help="the new folder for the native model (required unless --check)")
    parser.add_argument("--force", action="store_true", help="replace --out when it exists and is not empty")
    parser.add_argument("--json", action="store_true", help="print one JSON object instead of text")
    parser.add_argument(
        "--generation",
        type=int,
        choices=(2, 3),
        help="force ChatGLM2 or ChatGLM3 when the folder has no tokenization_chatglm.py to tell",
    )
    parser.add_argument(
        "--check", action="store_true", help="only say which generation this is and what to do"
    )
    args = parser.parse_args(argv)
    if not args.check and not args.out:
        parser.error("--out is required (the folder the native model is written to)")
    return args


def _terminate(signum: int, _frame: object) -> None:
    # SIGTERM becomes an exception so the temporary folder is removed on the way out.
    raise KeyboardInterrupt(f"signal {signum}")


def describe(summary) -> str:
    lines = [
        f"Imported {summary.model} from {summary.source}",
        f"  into {summary.out} (model_type glm, loads without trust_remote_code)",
        f"  detected by: {'; '.join(summary.evidence)}",
        f"  tensors: {summary.source_tensors} read, {summary.native_tensors} written, "
        f"{len(summary.skipped_tensors)} dropped ({', '.join(summary.skipped_tensors) or 'none'})",
        f"  parameters: {summary.parameters:,} ({summary.dtype})",
        f"  tokenizer: {summary.vocab_size} ids (embedding rows {summary.padded_vocab_size}); special tokens "
        + ", ".join(f"{name}={token_id}" for name, token_id in summary.special_tokens.items()),
        f"  rotary: {summary.rope}",
    ]
    lines += [f"  note: {note}" for note in summary.notes]
    return "\n".join(lines)


def _check(source: Path) -> dict:
    from .detect import detect_chatglm, import_hint

    info = detect_chatglm(source)
    if info is None:
        return {"chatglm": False, "path": str(source), "hint": "Not a ChatGLM checkpoint: no import needed."}
    return {
        "chatglm": True,
        "path": str(source),
        "generation": info.generation,
        "model": info.name,
        "convertible": info.generation in (2, 3),
        "evidence": info.evidence,
        "rope_mode": info.rope_mode,
        "hint": import_hint(info),
    }


def main(argv: list[str]) -> int:
    args = parse_args(argv)
    signal.signal(signal.SIGTERM, _terminate)
    try:
        if args.check:
            result = _check(Path(args.source))
            print(
                json.dumps({"ok": True, "check": result}, ensure_ascii=False) if args.json else result["hint"]
            )
            return 0
        from .convert import import_chatglm

        summary = import_chatglm(
            Path(args.source), Path(args.out), force=args.force, generation=args.generation
        )
    except KeyboardInterrupt:
        print("import-chatglm: interrupted; nothing was written at the target.", file=sys.stderr)
        return 1
    except (TuneDeskError, OSError, ValueError) as exc:
        return report_command_failure("import-chatglm", exc, args.json)
    if args.json:
        print(json.dumps({"ok": True, "summary": summary.to_dict()}, ensure_ascii=False))
    else:
        print(describe(summary))
    return 0
