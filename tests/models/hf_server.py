"""A local HTTP server speaking enough of the Hugging Face Hub protocol for huggingface_hub 2.4.

Serves ``/api/models`` (search), ``/api/models/{repo}[/revision/{rev}]`` (siblings with LFS sha256
and sizes), ``HEAD``/``GET /{repo}/resolve/{rev}/{file}`` (ETag, X-Repo-Commit, X-Linked-Etag,
X-Linked-Size, a 302 to a "CDN" path like the real Hub) and Range requests (206 + Content-Range).
``FaultPlan`` injects cut connections, 5xx answers (on files and on the metadata endpoint, with
Retry-After), stalls, flipped bytes and ignored Ranges. It is the named imitation of the Hub: the real
one cannot be reached from the test machines, and its rare faults cannot be had on demand.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import re
import socket
import threading
import time
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path


@dataclasses.dataclass
class FaultPlan:
    """Faults for file GETs; each cut and stall fires once."""

    cut_at: list[int] = dataclasses.field(default_factory=list)  # absolute offsets, for `cut_file`
    cut_file: str | None = None
    fail_next: int = 0  # answer this many file GETs with 500
    stall_at: int | None = None  # send up to this offset, then go silent for stall_s
    stall_s: float = 3.0
    stall_file: str | None = None
    flip_at: int | None = None  # serve this byte of `flip_file` inverted (always)
    flip_file: str | None = None
    ignore_range: bool = False
    throttle_bps: int | None = None  # slow the body down (for pause/close tests)
    # The metadata endpoint (/api/models/{repo}): answer the next requests with these statuses, in order,
    # each with this Retry-After header (when set), as a busy or rate-limiting Hub does.
    info_errors: list[int] = dataclasses.field(default_factory=list)
    info_retry_after: str | None = None


@dataclasses.dataclass
class RepoContent:
    files: dict[str, bytes]
    commit: str
    downloads: int = 0


class FakeHub:
    """The server plus its content and counters; use as a context manager."""

    def __init__(self) -> None:
        self.repos: dict[str, RepoContent] = {}
        self.faults = FaultPlan()
        # Transfers ask for the rest of a file (an open Range, or none); header checks ask for a closed
        # Range (bytes=a-b). They are counted apart, so resume tests still see every byte of a transfer once.
        self.served: dict[str, int] = {}  # body bytes sent per file name, by transfers
        self.range_starts: dict[str, list[int]] = {}  # start offset of each transfer GET
        self.probed: dict[str, int] = {}  # body bytes sent per file name, by closed-Range reads
        self.requests: list[tuple[str, str]] = []
        self.lock = threading.Lock()
        self._digests: dict[tuple[str, int], tuple[bytes, str]] = {}
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _make_handler(self))
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def add_repo(self, repo_id: str, files: dict[str, bytes | Path], downloads: int = 0) -> str:
        data = {n: (Path(v).read_bytes() if isinstance(v, Path) else v) for n, v in files.items()}
        commit = hashlib.sha1(repo_id.encode() + b"".join(data[n] for n in sorted(data))).hexdigest()
        self.repos[repo_id] = RepoContent(data, commit, downloads)
        return commit

    def sha256(self, repo_id: str, name: str) -> str:
        return self.digest("sha256", self.repos[repo_id].files[name])

    def digest(self, kind: str, data: bytes) -> str:
        """``hashlib.new(kind, data).hexdigest()``, remembered per object: a real Hub does not hash its files
        per request, and the benchmark's server must not spend this machine's CPU doing so either."""
        key = (kind, id(data))
        hit = self._digests.get(key)
        if hit is None or hit[0] is not data:
            hit = self._digests[key] = (data, hashlib.new(kind, data).hexdigest())
        return hit[1]

    def reset_counters(self) -> None:
        with self.lock:
            self.served.clear()
            self.range_starts.clear()
            self.probed.clear()
            self.requests.clear()

    def __enter__(self) -> FakeHub:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()


_RESOLVE = re.compile(r"^/([^/]+/[^/]+)/resolve/([^/]+)/(.+)$")
_INFO = re.compile(r"^/api/models/([^/]+/[^/]+?)(?:/revision/([^/]+))?$")
_CDN = re.compile(r"^/cdn-lfs/([^/]+/[^/]+)/([0-9a-f]{40})/(.+)$")


def _make_handler(hub: FakeHub) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, format: str, *args: object) -> None:  # quiet
            pass

        def do_HEAD(self) -> None:
            self._dispatch(head=True)

        def do_GET(self) -> None:
            self._dispatch(head=False)

        def _dispatch(self, head: bool) -> None:
            parsed = urllib.parse.urlsplit(self.path)
            path = urllib.parse.unquote(parsed.path)
            with hub.lock:
                hub.requests.append((self.command, path))
            try:
                if path == "/api/models":
                    return self._search(urllib.parse.parse_qs(parsed.query))
                m = _INFO.match(path)
                if m:
                    return self._info(m.group(1), m.group(2))
                m = _RESOLVE.match(path)
                if m:
                    return self._resolve(m.group(1), m.group(2), m.group(3), head)
                m = _CDN.match(path)
                if m:
                    return self._file(m.group(1), m.group(3), head)
                self._json(404, {"error": "not found"})
            except (BrokenPipeError, ConnectionResetError):
                pass

        def _json(self, code: int, body: object, headers: dict[str, str] | None = None) -> None:
            raw = json.dumps(body).encode()
            self.send_response(code)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(raw)))
            for k, v in (headers or {}).items():
                self.send_header(k, v)
            self.end_headers()
            self.wfile.write(raw)

        def _repo(self, repo_id: str) -> RepoContent | None:
            repo = hub.repos.get(repo_id)
            if repo is None:
                self._json(404, {"error": "Repository not found"}, {"X-Error-Code": "RepoNotFound"})
            return repo

        def _search(self, q: dict[str, list[str]]) -> None:
            search = (q.get("search") or [""])[0].lower()
            gguf_only = "gguf" in q.get("filter", [])
            out = []
            for rid, repo in sorted(hub.repos.items(), key=lambda kv: -kv[1].downloads):
                if search and search not in rid.lower():
                    continue
                if gguf_only and not any(n.endswith(".gguf") for n in repo.files):
                    continue
                out.append({"id": rid, "modelId": rid, "downloads": repo.downloads, "likes": 0,
                            "siblings": [{"rfilename": n} for n in repo.files]})
            self._json(200, out)

        def _info(self, repo_id: str, rev: str | None) -> None:
            f = hub.faults
            with hub.lock:
                status = f.info_errors.pop(0) if f.info_errors else None
            if status is not None:
                after = {"Retry-After": f.info_retry_after} if f.info_retry_after is not None else {}
                self._json(status, {"error": "the Hub is having a moment"}, after)
                return
            repo = self._repo(repo_id)
            if repo is None:
                return
            siblings = []
            for n, data in repo.files.items():
                sha = hub.digest("sha256", data)
                siblings.append({"rfilename": n, "size": len(data), "blobId": hub.digest("sha1", data),
                                 "lfs": {"sha256": sha, "size": len(data), "pointerSize": 134}})
            self._json(200, {"id": repo_id, "modelId": repo_id, "sha": repo.commit, "private": False,
                             "tags": ["gguf"], "siblings": siblings})

        def _resolve(self, repo_id: str, rev: str, name: str, head: bool) -> None:
            repo = self._repo(repo_id)
            if repo is None:
                return
            if name not in repo.files:
                self._json(404, {"error": "Entry not found"}, {"X-Error-Code": "EntryNotFound"})
                return
            data = repo.files[name]
            sha = hub.digest("sha256", data)
            self.send_response(302)
            self.send_header("Location", f"/cdn-lfs/{repo_id}/{repo.commit}/{urllib.parse.quote(name)}")
            self.send_header("X-Repo-Commit", repo.commit)
            self.send_header("X-Linked-Etag", f'"{sha}"')
            self.send_header("X-Linked-Size", str(len(data)))
            self.send_header("ETag", f'"{hub.digest("sha1", data)}"')
            self.send_header("Content-Length", "0")
            self.end_headers()

        def _file(self, repo_id: str, name: str, head: bool) -> None:
            repo = self._repo(repo_id)
            if repo is None or name not in repo.files:
                return
            data = repo.files[name]
            f = hub.faults
            if not head and f.fail_next > 0:
                with hub.lock:
                    f.fail_next -= 1
                self._json(500, {"error": "Internal Error"})
                return
            if not head and f.flip_file == name and f.flip_at is not None:
                b = bytearray(data)
                b[f.flip_at] ^= 0xFF
                data = bytes(b)
            start, end = 0, len(data)
            rng = self.headers.get("Range")
            partial = False
            probe = bool(rng and re.match(r"bytes=\d+-\d+$", rng))
            if rng and not f.ignore_range:
                m = re.match(r"bytes=(\d+)-(\d*)$", rng)
                if m:
                    start = int(m.group(1))
                    end = min(int(m.group(2)) + 1, len(data)) if m.group(2) else len(data)  # clamped, as RFC 9110 says
                    if start >= len(data):
                        self.send_response(416)
                        self.send_header("Content-Range", f"bytes */{len(data)}")
                        self.send_header("Content-Length", "0")
                        self.end_headers()
                        return
                    partial = True
            self.send_response(206 if partial else 200)
            self.send_header("Content-Type", "application/octet-stream")
            self.send_header("Accept-Ranges", "bytes")
            self.send_header("ETag", f'"{hub.digest("sha256", repo.files[name])}"')
            if partial:
                self.send_header("Content-Range", f"bytes {start}-{end - 1}/{len(data)}")
            self.send_header("Content-Length", str(end - start))
            self.end_headers()
            if head:
                return
            if probe:
                self._send_body(name, data, start, end, hub.probed)
                return
            with hub.lock:
                hub.range_starts.setdefault(name, []).append(start)
            stop = end
            cut = None
            if f.cut_file == name:
                pending = sorted(c for c in f.cut_at if start < c < end)
                if pending:
                    cut = pending[0]
                    stop = cut
            stall = f.stall_at if (f.stall_file == name and f.stall_at is not None
                                   and start < f.stall_at < end) else None
            if stall is not None:
                stop = min(stop, stall)
            self._send_body(name, data, start, stop)
            if cut is not None and stop == cut:
                with hub.lock:
                    f.cut_at.remove(cut)
                self._abort()
            elif stall is not None and stop == stall:
                with hub.lock:
                    f.stall_at = None
                time.sleep(f.stall_s)
                self._abort()
            elif stop < end:
                self._send_body(name, data, stop, end)

        def _send_body(self, name: str, data: bytes, start: int, stop: int,
                       counter: dict[str, int] | None = None) -> None:
            # Views, not copies, and big pieces unless throttled: the server shares this machine's CPU
            # with the client it serves, which a real Hub does not.
            view = memoryview(data)
            step = 64 * 1024 if hub.faults.throttle_bps else 1024 * 1024
            for pos in range(start, stop, step):
                piece = view[pos:min(pos + step, stop)]
                self.wfile.write(piece)
                with hub.lock:
                    counted = hub.served if counter is None else counter
                    counted[name] = counted.get(name, 0) + len(piece)
                bps = hub.faults.throttle_bps
                if bps:
                    time.sleep(len(piece) / bps)

        def _abort(self) -> None:
            self.wfile.flush()
            self.close_connection = True
            try:
                self.connection.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass

    return Handler
