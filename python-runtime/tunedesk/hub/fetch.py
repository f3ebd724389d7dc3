"""One file from the Hub, resumable: bytes go to ``<staging>/.incomplete/<file>`` and are moved
to ``<staging>/<file>`` only once their size and checksum match what the Hub lists.

huggingface_hub's own downloads (1.x) write to a per-process temporary file that is deleted when
the process dies, so a killed download starts over. Here the partial file is ours: a new pull
asks the server for the rest (``Range: bytes=N-``, via huggingface_hub's ``http_get``, which also
retries dropped connections and starts over if a server ignores the range).
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path
from typing import BinaryIO

from huggingface_hub import constants, get_hf_file_metadata, hf_hub_url
from huggingface_hub.file_download import http_get
from huggingface_hub.utils import build_hf_headers

from ..errors import TuneDeskError
from .progress import ProgressMeter
from .repo_files import RepoFile

PARTIAL_DIR = ".incomplete"
# http_get hands over (and we write) one chunk at a time; its default (10 MB) would leave progress
# silent for seconds on a slow link and lose up to 10 MB to a kill. This process only pulls.
CHUNK_BYTES = 256 * 1024


class ChecksumError(TuneDeskError):
    kind = "runtime"


class CountingFile:
    """The partial file as http_get sees it: every write is counted for the progress meter."""

    def __init__(self, f: BinaryIO, meter: ProgressMeter):
        self.f = f
        self.meter = meter

    def write(self, chunk: bytes) -> int:
        n = self.f.write(chunk)
        self.meter.add(len(chunk))
        return n

    def tell(self) -> int:
        return self.f.tell()

    def seek(self, offset: int, whence: int = 0) -> int:
        return self.f.seek(offset, whence)

    def truncate(self, size: int | None = None) -> int:
        # http_get truncates when the server ignored our Range and resends from byte 0.
        before = os.fstat(self.f.fileno()).st_size
        after = self.f.truncate(size)
        self.meter.rewind(before - after)
        return after


def partial_path(staging: Path, name: str) -> Path:
    return staging / PARTIAL_DIR / (name + ".part")


def bytes_on_disk(staging: Path, file: RepoFile) -> int:
    """What a previous pull left of this file: all of it, part of it, or nothing."""
    done = staging / file.name
    if done.is_file():
        return done.stat().st_size
    part = partial_path(staging, file.name)
    return part.stat().st_size if part.is_file() else 0


def file_url(repo_id: str, name: str, commit: str, endpoint: str) -> str:
    return hf_hub_url(repo_id, name, revision=commit, endpoint=endpoint)


def checksum_ok(path: Path, file: RepoFile) -> bool:
    """sha256 for LFS files (what the Hub lists), the git blob id for small ones."""
    if file.sha256:
        digest = hashlib.sha256()
    elif file.blob_id:
        digest = hashlib.sha1(b"blob %d\0" % path.stat().st_size)
    else:
        return True
    with path.open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest() == (file.sha256 or file.blob_id)


def fetch_file(
    *,
    repo_id: str,
    file: RepoFile,
    commit: str,
    endpoint: str,
    token: str | None,
    staging: Path,
    meter: ProgressMeter,
) -> None:
    done = staging / file.name
    if done.is_file() and done.stat().st_size == file.size:
        return
    meter.start_file(file.name)
    part = partial_path(staging, file.name)
    part.parent.mkdir(parents=True, exist_ok=True)
    # Pinned to a commit, so the bytes cannot change under a resumed download; the HEAD is asked
    # again per file because CDN locations are signed and expire.
    meta = get_hf_file_metadata(
        file_url(repo_id, file.name, commit, endpoint), token=token, endpoint=endpoint
    )
    expected = meta.size if meta.size is not None else file.size
    have = part.stat().st_size if part.is_file() else 0
    if have > expected:  # not ours to trust: start this file over
        part.unlink()
        meter.rewind(have)
        have = 0
    constants.DOWNLOAD_CHUNK_SIZE = CHUNK_BYTES
    with part.open("r+b" if part.exists() else "wb") as f:
        f.seek(0, os.SEEK_END)
        http_get(
            meta.location,
            CountingFile(f, meter),  # type: ignore[arg-type]  # duck-typed file object
            resume_size=have,
            headers=build_hf_headers(token=token),
            expected_size=expected,
            displayed_filename=file.name,
        )
        f.flush()
        os.fsync(f.fileno())
    if not checksum_ok(part, file):
        part.unlink()
        raise ChecksumError(
            f"{file.name} downloaded from {endpoint} does not match the checksum the Hub lists for it; it was deleted.",
            "Pull again: the file is downloaded anew. If it keeps failing, the mirror (HF_ENDPOINT) may serve stale files.",
        )
    done.parent.mkdir(parents=True, exist_ok=True)
    os.replace(part, done)
