"""Downloads against a real HTTP server on 127.0.0.1, and the MNIST copy bundled with vaekit."""

from __future__ import annotations

import gzip
import hashlib
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from vaekit.data import download as dl
from vaekit.data import mnist as mn
from vaekit.errors import DataError

PAYLOAD = b"\x00\x00\x08\x01\x00\x00\x00\x05" + bytes([3, 1, 4, 1, 5])  # an IDX label file
GOOD_SHA = hashlib.sha256(PAYLOAD).hexdigest()
BUNDLED = mn.BUNDLED_DIR  # the real copy, whatever a test patches


class _Handler(BaseHTTPRequestHandler):
    """``/ok/NAME``: the file; ``/corrupt/NAME``: damaged bytes; ``/stall/NAME``: headers, then
    silence; ``/mnist/NAME``: the bundled MNIST file; anything else: 404."""

    files: dict[str, bytes] = {}
    stall_seconds = 10.0

    def do_GET(self) -> None:  # noqa: N802 (http.server's name)
        kind, _, name = self.path.strip("/").partition("/")
        if kind == "ok" and name in self.files:
            self._send(self.files[name])
        elif kind == "corrupt" and name in self.files:
            body = bytearray(self.files[name])
            body[len(body) // 2] ^= 0xFF
            self._send(bytes(body))
        elif kind == "truncated" and name in self.files:
            self._send(self.files[name][: len(self.files[name]) // 2])
        elif kind == "stall":
            self.send_response(200)
            self.send_header("Content-Length", "1000")
            self.end_headers()
            self.wfile.write(b"\x1f\x8b")
            self.wfile.flush()
            time.sleep(self.stall_seconds)
        elif kind == "mnist" and (BUNDLED / name).is_file():
            self._send((BUNDLED / name).read_bytes())
        else:
            self.send_error(404, "Not Found")

    def _send(self, body: bytes) -> None:
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def server() -> Iterator[str]:
    _Handler.files = {"labels.gz": gzip.compress(PAYLOAD)}
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    httpd.daemon_threads = True
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()
    httpd.server_close()


def test_download_serves_and_verifies(server, tmp_path):
    path = dl.download("labels.gz", [f"{server}/ok/"], GOOD_SHA, tmp_path)
    assert gzip.decompress(path.read_bytes()) == PAYLOAD
    assert sorted(p.name for p in tmp_path.iterdir()) == ["labels.gz"]  # no temporary left


def test_download_skips_bad_mirrors_in_order(server, tmp_path):
    mirrors = [f"{server}/missing/", f"{server}/corrupt/", f"{server}/truncated/", f"{server}/ok/"]
    path = dl.download("labels.gz", mirrors, GOOD_SHA, tmp_path, timeout=5)
    assert gzip.decompress(path.read_bytes()) == PAYLOAD


def test_download_all_mirrors_bad_is_one_line(server, tmp_path):
    mirrors = [f"{server}/missing/", f"{server}/corrupt/", f"{server}/truncated/"]
    with pytest.raises(DataError) as e:
        dl.download("labels.gz", mirrors, GOOD_SHA, tmp_path, timeout=5)
    msg = str(e.value)
    assert "\n" not in msg
    assert msg.startswith("could not download labels.gz")
    assert "Not Found" in msg  # the 404
    assert "corrupt download" in msg or "checksum mismatch" in msg  # flipped byte
    assert msg.count(server) == 3
    assert not (tmp_path / "labels.gz").exists()
    assert not list(tmp_path.iterdir())  # nothing half-written


def test_download_wrong_checksum_is_refused(server, tmp_path):
    with pytest.raises(DataError, match="checksum mismatch"):
        dl.download("labels.gz", [f"{server}/ok/"], "0" * 64, tmp_path)
    assert not (tmp_path / "labels.gz").exists()


def test_download_stalled_connection_times_out(server, tmp_path):
    t0 = time.monotonic()
    with pytest.raises(DataError) as e:
        dl.download("labels.gz", [f"{server}/stall/"], GOOD_SHA, tmp_path, timeout=0.5)
    assert time.monotonic() - t0 < 5
    assert "timed out" in str(e.value)


def test_download_refused_connection(tmp_path):
    import socket

    with socket.socket() as s:  # a port that nothing listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    with pytest.raises(DataError, match=r"\(offline\?\)"):
        dl.download("labels.gz", [f"http://127.0.0.1:{port}/"], GOOD_SHA, tmp_path, timeout=2)


def test_mnist_lookup_order(tmp_path, monkeypatch, mnist_subset):
    """--data-dir, then $VAEKIT_DATA_DIR, then the cache, then the bundled copy."""
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    monkeypatch.delenv("VAEKIT_DATA_DIR", raising=False)
    bundled = mn.locate_mnist(download_ok=False)
    assert {p.parent for p in bundled.values()} == {mn.BUNDLED_DIR}
    cache = tmp_path / "cache" / "vaekit" / "mnist"
    cache.mkdir(parents=True)
    for f in mnist_subset.iterdir():
        (cache / f.name).write_bytes(f.read_bytes())
    assert {p.parent for p in mn.locate_mnist(download_ok=False).values()} == {cache}
    env_dir = tmp_path / "env"
    (env_dir / "mnist").mkdir(parents=True)
    for f in mnist_subset.iterdir():
        (env_dir / "mnist" / f.name).write_bytes(f.read_bytes())
    monkeypatch.setenv("VAEKIT_DATA_DIR", str(env_dir))
    assert {p.parent for p in mn.locate_mnist().values()} == {env_dir / "mnist"}
    assert {p.parent for p in mn.locate_mnist(mnist_subset).values()} == {mnist_subset}
    # a $VAEKIT_DATA_DIR without mnist/ falls through to the cache
    monkeypatch.setenv("VAEKIT_DATA_DIR", str(tmp_path / "elsewhere"))
    assert {p.parent for p in mn.locate_mnist().values()} == {cache}


def test_bundled_mnist_is_complete_and_verified(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    monkeypatch.delenv("VAEKIT_DATA_DIR", raising=False)
    raw = mn.load_mnist(download_ok=False)
    assert raw.x_train.shape == (60000, 1, 28, 28) and raw.x_test.shape == (10000, 1, 28, 28)
    assert (mn.BUNDLED_DIR / "README.md").read_text().count("CC BY-SA 3.0") >= 1
    # a damaged bundled file is named, not used
    damaged = tmp_path / "bundled"
    damaged.mkdir()
    for name in mn.FILES:
        data = (mn.BUNDLED_DIR / f"{name}.gz").read_bytes()
        if name == "t10k-labels-idx1-ubyte":
            raw_bytes = bytearray(gzip.decompress(data))
            raw_bytes[-1] = (raw_bytes[-1] + 1) % 10
            data = gzip.compress(bytes(raw_bytes))
        (damaged / f"{name}.gz").write_bytes(data)
    monkeypatch.setattr(mn, "BUNDLED_DIR", damaged)
    with pytest.raises(DataError, match="bundled with vaekit is damaged"):
        mn.load_mnist(download_ok=False)


def test_mnist_downloads_only_without_a_bundled_copy(server, tmp_path, monkeypatch):
    """A stripped install (no bundled copy) downloads from the mirrors into the cache."""
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    monkeypatch.delenv("VAEKIT_DATA_DIR", raising=False)
    monkeypatch.setattr(mn, "BUNDLED_DIR", tmp_path / "stripped")
    monkeypatch.setattr(mn, "MIRRORS", (f"{server}/missing/", f"{server}/mnist/"))
    paths = mn.locate_mnist()
    cache = tmp_path / "cache" / "vaekit" / "mnist"
    assert {p.parent for p in paths.values()} == {cache}
    for stem, sha in mn.FILES.items():
        assert dl.sha256_of_content(paths[stem].read_bytes()) == sha
    with pytest.raises(DataError, match="downloading is disabled"):
        monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "empty"))
        mn.locate_mnist(download_ok=False)
