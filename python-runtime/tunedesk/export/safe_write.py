"""Writing an export so that nothing half-written is ever left at the target.

Everything goes into a staging directory beside the target (same filesystem, so the final
rename is atomic); the staging directory is removed on any failure, and one left behind by
a killed process is swept the next time. Free space is checked *before* writing.
"""

from __future__ import annotations

import os
import shutil
import time
from pathlib import Path

from tunedesk.errors import ConfigError, DiskFullError

STAGING_PREFIX = ".tmp-export-"
# Room for config, tokenizer and index files beyond the weights, and for filesystem overhead.
SIZE_MARGIN_BYTES = 16 * 1024
SIZE_MARGIN_RATIO = 1.05
# Test hook: seconds to sleep after the first file is written, so a test can kill mid-write.
SLEEP_HOOK_ENV = "TUNEDESK_TEST_EXPORT_SLEEP_MID_WRITE"


def check_target(target: Path, force: bool) -> None:
    """Refuse a non-empty target unless --force; never write inside a checkpoint."""
    if target.exists() and not target.is_dir():
        raise ConfigError(f"{target} exists and is not a directory", "Choose another --out.")
    if target.is_dir() and any(target.iterdir()) and not force:
        raise ConfigError(
            f"{target} is not empty; refusing to overwrite it",
            "Choose another --out, or pass --force to replace what is there.",
        )
    if (target / "manifest.json").exists():
        raise ConfigError(f"{target} is a checkpoint; refusing to overwrite it", "Choose another --out.")


def check_free_space(parent: Path, expected_bytes: int) -> None:
    """disk_full before writing anything, with the numbers the user needs."""
    parent.mkdir(parents=True, exist_ok=True)
    free = shutil.disk_usage(parent).free
    needed = int(expected_bytes * SIZE_MARGIN_RATIO) + SIZE_MARGIN_BYTES
    if free < needed:
        raise DiskFullError(
            f"Not enough free space in {parent}: the export needs about {_human(needed)}, {_human(free)} is free",
            "Free disk space, choose another --out, or export in a smaller --dtype (fp16/bf16).",
        )


def _human(n: int) -> str:
    value = float(n)
    for unit in ("B", "KB", "MB", "GB", "TB"):
        if value < 1024 or unit == "TB":
            return f"{value:.1f} {unit}" if unit != "B" else f"{int(value)} B"
        value /= 1024
    return f"{n} B"


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def sweep_stale_staging(parent: Path) -> None:
    """Remove staging directories whose writer process is gone (killed mid-export)."""
    if not parent.is_dir():
        return
    for entry in parent.iterdir():
        if not entry.name.startswith(STAGING_PREFIX):
            continue
        try:
            pid = int(entry.name.rsplit("-", 1)[1])
        except (IndexError, ValueError):
            continue
        if not _pid_alive(pid):
            shutil.rmtree(entry, ignore_errors=True)


class StagedExport:
    """`with StagedExport(target) as staging:` write into staging; commit() moves it into place."""

    def __init__(self, target: Path, force: bool):
        self.target = target
        self.force = force
        self.staging = target.parent / f"{STAGING_PREFIX}{target.name}-{os.getpid()}"
        self.committed = False
        self.expected_bytes = 0  # what the export writes, to tell a full disk after a failed write

    def __enter__(self) -> Path:
        sweep_stale_staging(self.target.parent)
        if self.staging.exists():
            shutil.rmtree(self.staging)
        self.staging.mkdir(parents=True)
        return self.staging

    def commit(self) -> None:
        """Replace the target with the staging directory (the old target survives a failure here)."""
        old = None
        if self.target.exists():
            old = self.target.parent / f"{STAGING_PREFIX}{self.target.name}-old-{os.getpid()}"
            os.replace(self.target, old)
        os.replace(self.staging, self.target)
        if old is not None:
            shutil.rmtree(old, ignore_errors=True)
        self.committed = True

    def __exit__(self, exc_type, exc, _tb) -> None:
        if not self.committed:
            shutil.rmtree(self.staging, ignore_errors=True)
        if isinstance(exc, Exception):
            from tunedesk.failure_explain import write_failure

            # Any write failure: disk_full (folder, space needed) when the disk is the cause.
            explained = write_failure(
                exc, str(self.target.parent), f"the export {self.target.name}", lambda: self.expected_bytes
            )
            if explained is not None:
                raise explained from exc


def pause_for_kill_test() -> None:
    """Only for tests: pause mid-write so a test can kill the process there."""
    seconds = os.environ.get(SLEEP_HOOK_ENV)
    if seconds:
        time.sleep(float(seconds))
