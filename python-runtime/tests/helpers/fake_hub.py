"""A local stand-in for the Hugging Face Hub, for tests (there is no network here).

It answers the requests huggingface_hub 1.x makes for ``tunedesk pull``, with the Hub's headers:

- ``GET /api/models/<repo>/revision/<rev>`` (HfApi.model_info, ``?blobs=true``): id, sha and the
  file list with sizes (``lfs.sha256`` for large files);
- ``HEAD /<repo>/resolve/<rev>/<file>`` (get_hf_file_metadata): X-Repo-Commit, ETag; large files
  answer 302 to a "CDN" URL with X-Linked-Etag / X-Linked-Size, as the Hub does;
- ``GET`` of either URL, honouring ``Range: bytes=N-`` (206 + Content-Range) for resumed downloads;
- errors as the Hub sends them: 404 + ``X-Error-Code: RepoNotFound`` / ``RevisionNotFound`` /
  ``EntryNotFound``; 401 + ``X-Error-Code: GatedRepo`` for the gated repo without its token.

Repos: ``tiny/model`` (safetensors + decoy pickle/onnx/README files), ``tiny/big`` (a 6 MiB
safetensors served slowly, to interrupt), ``tiny/gated`` (token ``hf_test_token``),
``tiny/pickle-only`` and ``tiny/huge`` (its listing claims 1 PiB).

Every request is logged (method, path, Range, whether an Authorization header came):
``server.requests`` in Python, ``GET /_log`` over HTTP. Run as a script (the TypeScript tests do):
``python fake_hub.py`` prints ``{"port": N}`` and serves until killed.
"""

from __future__ import annotations

import hashlib
import json
import random
import re
import struct
import sys
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

GATED_TOKEN = "hf_test_token"
LFS_MIN = 64 * 1024  # files at least this big are stored as "LFS" (sha256 etag, CDN redirect)


def safetensors_bytes(n_bytes: int, seed: int) -> bytes:
    """A valid safetensors file holding one U8 tensor of n_bytes pseudo-random bytes."""
    header = json.dumps(
        {"weight": {"dtype": "U8", "shape": [n_bytes], "data_offsets": [0, n_bytes]}}
    ).encode()
    header += b" " * (-len(header) % 8)
    return struct.pack("<Q", len(header)) + header + random.Random(seed).randbytes(n_bytes)


TINY_CONFIG = json.dumps(
    {
        "architectures": ["LlamaForCausalLM"],
        "model_type": "llama",
        "hidden_size": 64,
        "intermediate_size": 128,
        "num_attention_heads": 4,
        "num_key_value_heads": 4,
        "num_hidden_layers": 2,
        "vocab_size": 256,
        "max_position_embeddings": 128,
        "tie_word_embeddings": False,
        "torch_dtype": "float32",
    },
    indent=2,
).encode()


@dataclass
class FakeRepo:
    files: dict[str, bytes]
    commit: str
    gated: bool = False
    # bytes/second for GET of files at least LFS_MIN big (None: as fast as possible)
    rate: float | None = None
    # listing sizes that lie (the disk-space test); downloads still serve the real bytes
    claimed_sizes: dict[str, int] = field(default_factory=dict)


def git_blob_sha1(data: bytes) -> str:
    return hashlib.sha1(b"blob %d\0" % len(data) + data).hexdigest()


def default_repos() -> dict[str, FakeRepo]:
    tokenizer = json.dumps({"version": "1.0", "model": {"type": "BPE", "vocab": {}, "merges": []}}).encode()
    tok_config = b'{"model_max_length": 128}'
    return {
        "tiny/model": FakeRepo(
            commit="1" * 40,
            files={
                "config.json": TINY_CONFIG,
                "generation_config.json": b'{"max_new_tokens": 8}',
                "tokenizer.json": tokenizer,
                "tokenizer_config.json": tok_config,
                "model.safetensors": safetensors_bytes(200_000, seed=1),
                "pytorch_model.bin": b"PICKLE-DECOY" * 100,
                "README.md": b"# tiny model\n",
                ".gitattributes": b"*.safetensors filter=lfs\n",
                "onnx/model.onnx": b"ONNX-DECOY",
                "original/consolidated.00.pth": b"PTH-DECOY",
            },
        ),
        "tiny/big": FakeRepo(
            commit="2" * 40,
            rate=2 * 1024 * 1024,
            files={
                "config.json": TINY_CONFIG,
                "model.safetensors": safetensors_bytes(6 * 1024 * 1024, seed=2),
            },
        ),
        "tiny/gated": FakeRepo(
            commit="3" * 40,
            gated=True,
            files={"config.json": TINY_CONFIG, "model.safetensors": safetensors_bytes(100_000, seed=3)},
        ),
        "tiny/pickle-only": FakeRepo(
            commit="4" * 40,
            files={"config.json": TINY_CONFIG, "pytorch_model.bin": b"PICKLE" * 20_000},
        ),
        "tiny/huge": FakeRepo(
            commit="5" * 40,
            files={"config.json": TINY_CONFIG, "model.safetensors": safetensors_bytes(100_000, seed=5)},
            claimed_sizes={"model.safetensors": 2**50},
        ),
    }


class FakeHub:
    """The server; ``with FakeHub() as hub:`` starts it on a free port (``hub.endpoint``)."""

    def __init__(self, repos: dict[str, FakeRepo] | None = None):
        self.repos = repos if repos is not None else default_repos()
        self.requests: list[dict] = []
        self._lock = threading.Lock()
        hub = self

        class Handler(_Handler):
            server_hub = hub

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.port = self.httpd.server_address[1]
        self.endpoint = f"http://127.0.0.1:{self.port}"
        self._thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    def __enter__(self) -> FakeHub:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()

    def log(self, entry: dict) -> None:
        with self._lock:
            self.requests.append(entry)

    def downloads(self, repo: str) -> list[dict]:
        """The GETs of file contents for a repo (resolve or CDN URL)."""
        return [r for r in self.requests if r["method"] == "GET" and r.get("repo") == repo and r.get("file")]


_RESOLVE = re.compile(r"^/(?P<repo>[^/]+/[^/]+)/resolve/(?P<rev>[^/]+)/(?P<file>.+)$")
_INFO = re.compile(r"^/api/models/(?P<repo>[^/]+/[^/]+)/revision/(?P<rev>[^/]+)$")
_CDN = re.compile(r"^/_cdn/(?P<repo>[^/]+/[^/]+)/(?P<file>.+)$")


class _Handler(BaseHTTPRequestHandler):
    server_hub: FakeHub
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002 - quiet test output
        pass

    def do_HEAD(self) -> None:  # noqa: N802 - http.server's naming
        self._serve(head=True)

    def do_GET(self) -> None:  # noqa: N802
        self._serve(head=False)

    # --- routing -----------------------------------------------------------------------------

    def _serve(self, head: bool) -> None:
        path = self.path.split("?", 1)[0]
        entry = {
            "method": self.command,
            "path": path,
            "range": self.headers.get("Range"),
            "auth": bool(self.headers.get("Authorization")),
        }
        if path == "/_log":
            self.server_hub.log(entry)
            return self._json(200, self.server_hub.requests)
        for pattern, handler in ((_INFO, self._info), (_RESOLVE, self._resolve), (_CDN, self._cdn)):
            match = pattern.match(path)
            if match:
                entry.update({"repo": match["repo"], "file": match.groupdict().get("file")})
                self.server_hub.log(entry)
                return handler(match, head)
        self.server_hub.log(entry)
        self._error(404, "NotFound", "no such endpoint")

    def _repo(self, name: str) -> FakeRepo | None:
        repo = self.server_hub.repos.get(name)
        if repo is None:
            self._error(404, "RepoNotFound", f"Repository {name} not found")
        return repo

    def _commit(self, repo: FakeRepo, rev: str) -> str | None:
        if rev in ("main", repo.commit):
            return repo.commit
        self._error(404, "RevisionNotFound", f"Invalid rev id: {rev}")
        return None

    def _authorised(self, repo: FakeRepo) -> bool:
        if repo.gated and self.headers.get("Authorization") != f"Bearer {GATED_TOKEN}":
            self._error(401, "GatedRepo", "Access to this model is restricted. You must be authenticated.")
            return False
        return True

    def _info(self, match: re.Match, head: bool) -> None:
        repo = self._repo(match["repo"])
        commit = repo and self._commit(repo, match["rev"])
        if not repo or not commit:
            return
        siblings = []
        for name, data in repo.files.items():
            size = repo.claimed_sizes.get(name, len(data))
            sibling: dict = {"rfilename": name, "size": size, "blobId": git_blob_sha1(data)}
            if len(data) >= LFS_MIN:
                sibling["lfs"] = {
                    "size": size,
                    "sha256": hashlib.sha256(data).hexdigest(),
                    "pointerSize": 134,
                }
            siblings.append(sibling)
        self._json(
            200,
            {
                "id": match["repo"],
                "sha": commit,
                "private": False,
                "gated": "manual" if repo.gated else False,
                "siblings": siblings,
            },
        )

    def _resolve(self, match: re.Match, head: bool) -> None:
        repo = self._repo(match["repo"])
        commit = repo and self._commit(repo, match["rev"])
        if not repo or not commit or not self._authorised(repo):
            return
        data = repo.files.get(match["file"])
        if data is None:
            return self._error(404, "EntryNotFound", f"{match['file']} does not exist")
        if len(data) >= LFS_MIN:
            # Large files live on a CDN: the Hub answers 302 with the linked etag and size.
            self.send_response(302)
            self.send_header(
                "Location", f"http://{self.headers['Host']}/_cdn/{match['repo']}/{match['file']}"
            )
            self.send_header("X-Repo-Commit", commit)
            self.send_header("X-Linked-Etag", f'"{hashlib.sha256(data).hexdigest()}"')
            self.send_header("X-Linked-Size", str(len(data)))
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        self._content(data, head, commit, etag=git_blob_sha1(data), rate=None)

    def _cdn(self, match: re.Match, head: bool) -> None:
        repo = self._repo(match["repo"])
        if not repo or not self._authorised(repo):
            return
        data = repo.files.get(match["file"])
        if data is None:
            return self._error(404, "EntryNotFound", "no such blob")
        self._content(data, head, repo.commit, etag=hashlib.sha256(data).hexdigest(), rate=repo.rate)

    # --- responses ---------------------------------------------------------------------------

    def _content(self, data: bytes, head: bool, commit: str, etag: str, rate: float | None) -> None:
        start = 0
        ranged = re.match(r"bytes=(\d+)-$", self.headers.get("Range") or "")
        if ranged:
            start = int(ranged[1])
            if start >= len(data):
                return self._error(416, "RangeNotSatisfiable", "range past the end")
        body = data[start:]
        self.send_response(206 if ranged else 200)
        if ranged:
            self.send_header("Content-Range", f"bytes {start}-{len(data) - 1}/{len(data)}")
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Accept-Ranges", "bytes")
        self.send_header("ETag", f'"{etag}"')
        self.send_header("X-Repo-Commit", commit)
        self.end_headers()
        if head:
            return
        chunk = 64 * 1024
        try:
            for offset in range(0, len(body), chunk):
                self.wfile.write(body[offset : offset + chunk])
                if rate:
                    time.sleep(chunk / rate)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client was killed mid-download: that is the point of some tests

    def _json(self, status: int, payload: object) -> None:
        body = json.dumps(payload).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def _error(self, status: int, code: str, message: str) -> None:
        body = json.dumps({"error": message}).encode()
        self.send_response(status)
        self.send_header("X-Error-Code", code)
        self.send_header("X-Error-Message", message)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)


if __name__ == "__main__":
    with FakeHub() as server:
        print(json.dumps({"port": server.port}), flush=True)
        try:
            while True:
                time.sleep(3600)
        except KeyboardInterrupt:
            sys.exit(0)
