"""Pointer-to-image latency of the explore page: one ``POST /api/decode.png`` per pointer
move (server decode + PNG encode + HTTP transfer on a kept-alive connection), median and 95th
percentile over many requests, for the default 20-D MNIST VAE and a conv VAE.

The peer is what a tutorial playground does per pointer move: decode, draw the image with
matplotlib's ``imshow`` and save the figure as PNG (same decoder, same z).
"""

from __future__ import annotations

import argparse
import http.client
import io
import json
import socket
import tempfile
import threading
import time
from pathlib import Path

import numpy as np
import torch

import vaekit
from _record import append_results
from vaekit.explore import ExploreSession, create_app
from vaekit.explore.server import listening_socket


def train_run(out: Path, arch: str, epochs: int) -> Path:
    cfg = vaekit.Config()
    cfg.model.arch = arch
    cfg.train.epochs = epochs
    cfg.out = str(out)
    return vaekit.fit(cfg, quiet=True)


def serve(session: ExploreSession) -> tuple[object, int, threading.Thread]:
    import uvicorn

    sock = listening_socket()
    server = uvicorn.Server(uvicorn.Config(create_app(session), log_level="warning"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    while not server.started:
        time.sleep(0.05)
    return server, sock.getsockname()[1], thread


def http_latency(port: int, zs: np.ndarray) -> list[float]:
    conn = http.client.HTTPConnection("127.0.0.1", port)
    conn.connect()
    conn.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)  # as browsers do
    times = []
    for z in zs:
        # bytes: http.client then sends headers and body in one write (a str body goes in a
        # second packet, and the server's delayed ACK adds ~40 ms to every request)
        body = json.dumps({"z": [float(v) for v in z]}).encode()
        t0 = time.perf_counter()
        conn.request("POST", "/api/decode.png", body, {"Content-Type": "application/json"})
        r = conn.getresponse()
        data = r.read()
        times.append((time.perf_counter() - t0) * 1e3)
        assert r.status == 200 and data[:4] == b"\x89PNG"
    conn.close()
    return times


@torch.no_grad()
def matplotlib_latency(session: ExploreSession, zs: np.ndarray) -> list[float]:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    times = []
    for z in zs:
        t0 = time.perf_counter()
        x = session.model.decode(torch.tensor(z, dtype=torch.float32)[None])
        fig, ax = plt.subplots(figsize=(2, 2))
        ax.imshow(session.run.to_images(x)[0, 0], cmap="gray")
        ax.axis("off")
        buf = io.BytesIO()
        fig.savefig(buf, format="png")
        plt.close(fig)
        times.append((time.perf_counter() - t0) * 1e3)
    return times


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--requests", type=int, default=200)
    ap.add_argument("--mlp-run", default=None, help="a trained 20-D MLP run (else trained here)")
    ap.add_argument("--conv-run", default=None, help="a trained conv run (else trained here)")
    ap.add_argument("--epochs", type=int, default=3, help="epochs of the runs trained here")
    args = ap.parse_args()
    torch.set_num_threads(min(torch.get_num_threads(), 2))
    tmp = Path(tempfile.mkdtemp(prefix="explore-bench-"))
    runs = {
        "20-D MLP VAE (784-512-256-20)": args.mlp_run or train_run(tmp / "mlp", "mlp", args.epochs),
        "20-D conv VAE": args.conv_run or train_run(tmp / "conv", "conv", args.epochs),
    }
    rows = []
    rng = np.random.default_rng(0)
    for name, run in runs.items():
        session = ExploreSession(run)
        meta = session.meta()
        zs = rng.normal(size=(args.requests, meta["latent_dim"]))
        server, port, thread = serve(session)
        http_latency(port, zs[:10])  # warm-up
        ours = http_latency(port, zs)
        server.should_exit = True
        thread.join(timeout=10)
        peer = matplotlib_latency(session, zs[: max(20, args.requests // 4)])
        rows.append(f"| {name} | {np.median(ours):.2f} | {np.percentile(ours, 95):.2f} | "
                    f"{np.median(peer):.1f} | {np.percentile(peer, 95):.1f} |")  # fmt: skip
        print(rows[-1], flush=True)
    head = (f"{args.requests} pointer moves (random z), each one `POST /api/decode.png` over a "
            "kept-alive HTTP connection to the uvicorn server, timed from request to the last "
            "PNG byte. Peer: decode + matplotlib imshow + savefig PNG per move (the tutorial "
            "playground's way), in-process without HTTP.\n\n"
            "| model | explore median ms | explore p95 ms | matplotlib median ms | "
            "matplotlib p95 ms |\n| --- | --- | --- | --- | --- |")  # fmt: skip
    append_results("Explore page: pointer-to-image latency", head + "\n" + "\n".join(rows))


if __name__ == "__main__":
    main()
