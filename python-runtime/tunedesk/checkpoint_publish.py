"""When a checkpoint counts as complete, and how one is published or removed without ever losing
the newest complete one.

Complete = manifest.json present, a TuneDesk checkpoint, and every file it lists there with its
listed size (manifests carry ``files: {relative path: bytes}``). A checkpoint is written whole in
a temporary folder (manifest last) and only then takes its ``step-NNNNNN`` name:

- a new step: one rename;
- the same step again (STOP right after a periodic save, a resumed run): the old and new folders
  are swapped atomically where the system can (Linux renameat2 RENAME_EXCHANGE), otherwise the
  old one is moved aside, the new one moved in, and only then is the old one deleted;
- pruning (save_total_limit) renames a folder out of the listing before deleting its files.

A kill at any moment therefore leaves the newest complete checkpoint on disk: under its name,
or (fallback path only, between two renames) as a complete ``.old-step-*`` folder that
``recover_interrupted_saves`` puts back at the run's next save.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import stat
import sys
from typing import Any

FORMAT = "tunedesk-checkpoint"
VERSION = 1
MANIFEST = "manifest.json"
OLD_PREFIX = ".old-"  # a complete checkpoint moved aside while its replacement moves in
DELETING_PREFIX = ".del-"  # out of the listing, being deleted

# Test hook only: kill this process (SIGKILL, no clean-up) right before the N-th file operation
# of checkpoint writing, counted from the start of the process. Never set in normal use.
TEST_HOOK_KILL_AT_FILE_OP = "TUNEDESK_TEST_HOOK_KILL_AT_FILE_OP"
# Test hook only: append the name of every file operation to this file (to see what was covered).
TEST_HOOK_FILE_OP_LOG = "TUNEDESK_TEST_HOOK_FILE_OP_LOG"
_file_ops_done = 0


def file_op(name: str) -> None:
    """Mark the start of one file operation of a save; the test hook may kill the process here."""
    global _file_ops_done
    _file_ops_done += 1
    log = os.environ.get(TEST_HOOK_FILE_OP_LOG)
    if log:
        with open(log, "a", encoding="utf-8") as handle:
            handle.write(f"{_file_ops_done} {name}\n")
    target = os.environ.get(TEST_HOOK_KILL_AT_FILE_OP)
    if target and int(target) == _file_ops_done:
        if hasattr(signal, "SIGKILL"):
            os.kill(os.getpid(), signal.SIGKILL)
        os._exit(137)  # Windows: as abrupt as it gets


def fsync_dir(path: str) -> None:
    if os.name != "posix":  # directories cannot be opened for fsync on Windows
        return
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def manifest_problem(checkpoint_dir: str) -> tuple[dict[str, Any] | None, str | None]:
    """(manifest, None) for a complete checkpoint, else (manifest or None, why it is not complete)."""
    path = os.path.join(checkpoint_dir, MANIFEST)
    try:
        with open(path, encoding="utf-8") as handle:
            manifest = json.load(handle)
    except FileNotFoundError:
        return None, "no manifest.json: the save did not finish"
    except (OSError, ValueError):
        return None, "manifest.json cannot be read"
    if (
        not isinstance(manifest, dict)
        or manifest.get("format") != FORMAT
        or manifest.get("version") != VERSION
    ):
        return None, f"manifest.json is not a TuneDesk checkpoint v{VERSION}"
    files = manifest.get("files")
    # Manifests without file sizes (hand-made, or older tools) are judged by their manifest alone.
    listed: dict[str, int | None] = (
        dict(files)
        if isinstance(files, dict)
        else dict.fromkeys(files, None)
        if isinstance(files, list)
        else {}
    )
    for name, size in listed.items():
        full = os.path.join(checkpoint_dir, *name.split("/"))
        try:
            info = os.lstat(full)  # a link is never followed out of the checkpoint (plain files only)
        except OSError:
            info = None
        if info is None or not stat.S_ISREG(info.st_mode):
            return manifest, f"{name} is missing"
        actual = info.st_size
        if isinstance(size, int) and actual != size:
            return manifest, f"{name} has {actual} bytes, the manifest lists {size}"
    return manifest, None


def is_complete(checkpoint_dir: str) -> bool:
    return os.path.isdir(checkpoint_dir) and manifest_problem(checkpoint_dir)[1] is None


def list_files(folder: str) -> dict[str, int]:
    """Every file under folder (but the manifest) with its size, by relative path with '/'."""
    files = {}
    for root, _dirs, names in os.walk(folder):
        for name in names:
            full = os.path.join(root, name)
            relative = os.path.relpath(full, folder).replace(os.sep, "/")
            if relative != MANIFEST:
                files[relative] = os.path.getsize(full)
    return dict(sorted(files.items()))


def complete_checkpoints(run_dir: str) -> list[str]:
    """Complete checkpoint directories, oldest step first (read-only: never repairs anything)."""
    root = os.path.join(run_dir, "checkpoints")
    if not os.path.isdir(root):
        return []
    names = sorted(
        n for n in os.listdir(root) if n.startswith("step-") and is_complete(os.path.join(root, n))
    )
    return [os.path.join(root, n) for n in names]


def remove_tree(path: str) -> None:
    """Take a checkpoint folder out of the listing with one rename, then delete its files."""
    if not os.path.lexists(path):
        return
    parent, name = os.path.split(path)
    doomed = (
        path
        if name.startswith(DELETING_PREFIX)
        else os.path.join(parent, f"{DELETING_PREFIX}{name}-{os.getpid()}")
    )
    if doomed != path:
        file_op(f"hide {name} before deleting it")
        os.replace(path, doomed)
    file_op(f"delete {name}")
    if os.path.islink(doomed):  # never follow a link while deleting
        os.unlink(doomed)
    else:
        shutil.rmtree(doomed, ignore_errors=True)


def _exchange(first: str, second: str) -> bool:
    """Swap two paths atomically (Linux renameat2 RENAME_EXCHANGE); False where unsupported."""
    if not _EXCHANGE_ENABLED or not sys.platform.startswith("linux"):
        return False
    import ctypes
    import errno

    try:
        libc = ctypes.CDLL(None, use_errno=True)
        renameat2 = libc.renameat2
    except (OSError, AttributeError):
        return False
    at_fdcwd, rename_exchange = -100, 2
    result = renameat2(at_fdcwd, os.fsencode(first), at_fdcwd, os.fsencode(second), rename_exchange)
    if result == 0:
        return True
    code = ctypes.get_errno()
    if code in (errno.EINVAL, errno.ENOSYS, errno.EOPNOTSUPP, errno.ENOTSUP):  # file system without it
        return False
    raise OSError(code, os.strerror(code), first, None, second)


_EXCHANGE_ENABLED = True  # tests switch the atomic swap off to exercise the portable path


def publish(tmp: str, final: str) -> None:
    """Give the complete checkpoint in tmp its final name, replacing a checkpoint already there
    only once the new one is in place."""
    root, name = os.path.split(final)
    if not os.path.lexists(final):
        file_op(f"move the new {name} in")
        os.replace(tmp, final)
        return
    file_op(f"swap the new {name} with the old one")
    if _exchange(tmp, final):  # now tmp holds the old checkpoint
        fsync_dir(root)
        remove_tree(tmp)
        return
    aside = os.path.join(root, f"{OLD_PREFIX}{name}-{os.getpid()}")
    file_op(f"move the old {name} aside")
    os.replace(final, aside)
    file_op(f"move the new {name} in")
    os.replace(tmp, final)
    fsync_dir(root)
    remove_tree(aside)


def recover_interrupted_saves(root: str) -> list[str]:
    """Put back a complete checkpoint left aside by a save that was killed between its two renames,
    and finish interrupted deletions. Only the process that writes the run's checkpoints calls this
    (another one could race a save in progress). Returns what it restored."""
    if not os.path.isdir(root):
        return []
    restored = []
    for name in sorted(os.listdir(root)):
        path = os.path.join(root, name)
        if name.startswith(DELETING_PREFIX):
            remove_tree(path)
        elif name.startswith(OLD_PREFIX):
            step_name = name[len(OLD_PREFIX) :].rsplit("-", 1)[0]
            final = os.path.join(root, step_name)
            if is_complete(final) or not is_complete(path):
                remove_tree(path)
                continue
            if os.path.lexists(final):
                remove_tree(final)  # an incomplete leftover under the name
            file_op(f"restore {step_name} from aside")
            os.replace(path, final)
            restored.append(final)
    if restored:
        fsync_dir(root)
    return restored


def prune_checkpoints(run_dir: str, keep: int, protect: str | None = None) -> list[str]:
    """Delete the oldest complete checkpoints beyond ``keep`` (never ``protect``); return what was removed."""
    complete = complete_checkpoints(run_dir)
    removable = [
        p
        for p in complete[: max(0, len(complete) - keep)]
        if not protect or os.path.abspath(p) != os.path.abspath(protect)
    ]
    for path in removable:
        remove_tree(path)
    return removable
