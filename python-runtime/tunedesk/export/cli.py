"""``python -m tunedesk export --checkpoint DIR [--out DIR] [--dtype] [--format hf|gguf] [--force]``

Events (export_progress, export_finished) go to stdout as JSON lines, and to --events FILE
when given; human-readable messages go to stderr. Exit code 0 only for a verified export.
"""

from __future__ import annotations

import argparse
import signal
import sys
from pathlib import Path

from tunedesk.errors import TuneDeskError, classify
from tunedesk.events import EventWriter


def parse_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m tunedesk export",
        description="Export a checkpoint as a merged model, verified against the training-time model.",
    )
    parser.add_argument(
        "--checkpoint",
        required=True,
        help="checkpoint directory (…/checkpoints/step-NNNNNN), or a run directory (its newest complete checkpoint)",
    )
    parser.add_argument(
        "--out", default=None, help="target directory (default: <run>/exports/<step>-<format>-<dtype>)"
    )
    parser.add_argument(
        "--dtype",
        "--gguf_type",
        dest="dtype",
        default=None,
        choices=("fp32", "fp16", "bf16", "q8_0", "q5_0", "q4_0"),
        help="weights dtype (default fp32 for hf, fp16 for gguf; q8_0, q5_0 and q4_0 are gguf quantisations)",
    )
    parser.add_argument("--format", dest="fmt", default="hf", choices=("hf", "gguf"))
    parser.add_argument("--max_shard_size", default="2GB", help="safetensors shard size (hf format)")
    parser.add_argument("--force", action="store_true", help="replace a non-empty target directory")
    parser.add_argument(
        "--samples", type=int, default=4, help="samples of the run's data used for verification"
    )
    parser.add_argument("--events", default=None, help="also append the events to this JSON-lines file")
    return parser.parse_args(argv)


def _terminate(signum: int, _frame: object) -> None:
    # Turn SIGTERM into an exception so the staging directory is removed on the way out.
    raise KeyboardInterrupt(f"signal {signum}")


def _quiet_progress_bars() -> None:
    # transformers' tqdm bars would interleave with our own progress events on the terminal.
    try:
        from transformers.utils import logging as hf_logging

        hf_logging.disable_progress_bar()
    except ImportError:
        pass


def main(argv: list[str]) -> int:
    args = parse_args(argv)
    _quiet_progress_bars()
    signal.signal(signal.SIGTERM, _terminate)
    out = str(Path(args.out).resolve()) if args.out else ""
    with EventWriter(args.events, echo=sys.stdout) as events:

        def progress(stage: str, fraction: float) -> None:
            events.emit("export_progress", stage=stage, fraction=fraction)

        def say(message: str) -> None:
            print(message, file=sys.stderr, flush=True)
            events.emit("log", level="info", message=message)

        try:
            from tunedesk.export.pipeline import ExportOptions, run_export

            options = ExportOptions(
                checkpoint=Path(args.checkpoint),
                out=Path(args.out) if args.out else None,
                dtype=args.dtype,
                fmt=args.fmt,
                max_shard_size=args.max_shard_size,
                force=args.force,
                samples=args.samples,
            )
            result = run_export(options, progress, say)
        except KeyboardInterrupt:
            error = {
                "kind": "interrupted",
                "message": "The export was cancelled",
                "hint": "Nothing was written to the target.",
            }
            events.emit("export_finished", status="failed", out=out, error=error)
            print("export cancelled; nothing was written", file=sys.stderr)
            return 130
        except Exception as exc:  # every failure ends as a classified export_finished
            classified = classify(exc)
            extra = {}
            if isinstance(exc, TuneDeskError) and getattr(exc, "record", None) is not None:
                extra["verification"] = exc.record  # what was measured, for the UI to show
            events.emit(
                "export_finished", status="failed", out=out, error=classified.as_event_error(), **extra
            )
            print(
                f"export failed ({classified.kind}): {classified.message}\n  → {classified.hint}",
                file=sys.stderr,
            )
            return 1
        if result.record.get("ollama"):  # a log event too, so the app and the TS CLI show it
            say(f"Ollama: {result.record['ollama']['command']}")
        progress("done", 1.0)
        events.emit(
            "export_finished",
            status="completed",
            out=str(result.out),
            verification=result.verification.as_dict(),
        )
        v = result.verification
        checked = (
            f"the GGUF file ({result.record['dtype']} tensors read back and dequantised)"
            if result.kind == "gguf"
            else "the exported model"
        )
        print(
            f"exported ({result.kind}, {result.record['dtype']}) to {result.out}\n"
            f"  verified {checked} on {v.samples} samples ({v.samples_source}): max |Δlogit| "
            f"{v.max_abs_logit_diff:.3g} <= tolerance {v.tolerance:.3g}",
            file=sys.stderr,
        )
        return 0
