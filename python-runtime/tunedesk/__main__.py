"""Entry point: ``python -m tunedesk <command> [options]``.

Each command lives in its own module and is imported only when chosen, so ``doctor`` and
``--help`` answer without loading torch.
"""

from __future__ import annotations

import importlib
import sys

# command -> (module, one-line help). Every module exposes ``main(argv: list[str]) -> int``.
COMMANDS: dict[str, tuple[str, str]] = {
    "train": ("tunedesk.train", "fine-tune a model (Freeze, P-Tuning v1/v2, LoRA, full)"),
    "doctor": ("tunedesk.doctor", "report Python, torch, devices and installed engines"),
    "demo-model": ("tunedesk.demo_model", "write the small embedded demo model (no download)"),
    "data-check": ("tunedesk.data_check", "validate a data file and preview how it tokenizes (--json)"),
    "export": ("tunedesk.export.cli", "export a checkpoint as a merged, verified model"),
    "predict": ("tunedesk.predict", "generate answers from a model, checkpoint or export"),
    "convert-weights": ("tunedesk.convert_weights", "write a safetensors copy of pickle (.bin) weights, reading tensors only"),
    "import-chatglm": ("tunedesk.chatglm.cli", "convert a ChatGLM2/3 checkpoint to native transformers"),
    "pull": ("tunedesk.hub.pull", "download a model from the Hugging Face Hub (safetensors only, resumable)"),
    "legacy-env": ("tunedesk.chatglm.legacy", "ChatGLM-6B's separate environment (transformers 4.27-4.33), by consent"),
}


def usage() -> str:
    lines = ["usage: python -m tunedesk <command> [options]", "", "commands:"]
    lines += [f"  {name:<16} {help_text}" for name, (_, help_text) in COMMANDS.items()]
    lines += ["", "Run `python -m tunedesk <command> --help` for the options of one command."]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    from tunedesk.closed_pipe import flush_console, guard_console

    restore = guard_console()  # a closed console pipe never ends a command with a trace, nor stops a run
    try:
        return _dispatch(argv)
    finally:
        flush_console()
        restore()


def _dispatch(argv: list[str] | None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if not argv or argv[0] in ("-h", "--help"):
        print(usage())
        return 0
    command, rest = argv[0], argv[1:]
    if command not in COMMANDS:
        print(f"unknown command {command!r}\n\n{usage()}", file=sys.stderr)
        return 2
    module = importlib.import_module(COMMANDS[command][0])
    return int(module.main(rest) or 0)


if __name__ == "__main__":
    sys.exit(main())
