"""Epoch time of vaekit against the plain PyTorch tutorial loop, in one run.

Both train the same MLP VAE (784-400-400-20, ReLU, Bernoulli likelihood) on the 60,000
MNIST training images with batch 128 and Adam 1e-3. The tutorial loop is the one people
copy (PROTOCOLS.md section 1): a Dataset converting each uint8 image to a float tensor in
``__getitem__``, a shuffling DataLoader with 2 workers, sigmoid outputs with
``binary_cross_entropy(reduction="sum")``, gradient-norm clipping at 5, ``.item()`` every step.
vaekit runs as ``vaekit train`` (device-resident data, per-epoch permutation, fused Adam,
logits-based BCE, no per-step sync, denormals flushed on CPU), with the same clipping.
Each loop runs in a fresh process.

    python benchmarks/train_speed.py [--epochs 5] [--device auto]
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import torch
import torch.nn.functional as F
from torch import nn
from torch.utils.data import DataLoader, Dataset

from _record import append_results
from vaekit.data import load_mnist
from vaekit.train import resolve_device


# ----------------------------------------------------------------------------- the peer
class TutorialMNIST(Dataset):
    def __init__(self, images_uint8: torch.Tensor) -> None:
        self.images = images_uint8

    def __len__(self) -> int:
        return len(self.images)

    def __getitem__(self, i: int) -> torch.Tensor:
        return self.images[i].float().div(255.0).view(784)


class TutorialVAE(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.fc1, self.fc2 = nn.Linear(784, 400), nn.Linear(400, 400)
        self.fc_mu, self.fc_logvar = nn.Linear(400, 20), nn.Linear(400, 20)
        self.fc3, self.fc4, self.fc5 = nn.Linear(20, 400), nn.Linear(400, 400), nn.Linear(400, 784)

    def forward(self, x):
        h = F.relu(self.fc2(F.relu(self.fc1(x))))
        mu, logvar = self.fc_mu(h), self.fc_logvar(h)
        z = mu + torch.randn_like(mu) * torch.exp(0.5 * logvar)
        return torch.sigmoid(self.fc5(F.relu(self.fc4(F.relu(self.fc3(z)))))), mu, logvar


def tutorial_epochs(images: torch.Tensor, epochs: int, device: torch.device) -> list[float]:
    torch.manual_seed(0)
    model = TutorialVAE().to(device)
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    loader = DataLoader(TutorialMNIST(images), batch_size=128, shuffle=True, num_workers=2)
    times = []
    for _ in range(epochs):
        t0 = time.perf_counter()
        train_loss = 0.0
        for x in loader:
            x = x.to(device)
            recon, mu, logvar = model(x)
            bce = F.binary_cross_entropy(recon, x, reduction="sum")
            kld = -0.5 * torch.sum(1 + logvar - mu.pow(2) - logvar.exp())
            loss = (bce + kld) / x.shape[0]
            opt.zero_grad()
            loss.backward()
            nn.utils.clip_grad_norm_(model.parameters(), 5.0)
            opt.step()
            train_loss += loss.item()
        if device.type == "cuda":
            torch.cuda.synchronize()
        times.append(time.perf_counter() - t0)
    return times


# ----------------------------------------------------------------------------- vaekit
def vaekit_epochs(epochs: int, device: str, extra: list[str]) -> list[float]:
    """Run ``vaekit train`` exactly as a user would and read the epoch times it logged."""
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "run"
        cmd = [sys.executable, "-m", "vaekit", "train", "--hidden", "400,400", "--latent-dim", "20"]
        cmd += ["--batch-size", "128", "--lr", "1e-3", "--epochs", str(epochs), "--val-size", "0"]
        cmd += ["--set", "train.grad_clip=5", "--device", device, "--out", str(out), "-q", *extra]
        subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL)
        lines = (out / "metrics.jsonl").read_text().splitlines()
        return [json.loads(line)["seconds"] for line in lines]


def _tutorial_in_subprocess(epochs: int, device: str) -> list[float]:
    cmd = [sys.executable, __file__, "--tutorial-only", "--epochs", str(epochs), "--device", device]
    out = subprocess.run(cmd, check=True, capture_output=True, text=True).stdout
    return json.loads(out.strip().splitlines()[-1])


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--epochs", type=int, default=5)
    p.add_argument("--device", default="auto")
    p.add_argument("--tutorial-only", action="store_true", help=argparse.SUPPRESS)
    args = p.parse_args()
    device = resolve_device(args.device)
    if args.tutorial_only:
        raw = load_mnist()
        images = (raw.x_train.view(-1, 784) * 255).round().to(torch.uint8)
        print(json.dumps(tutorial_epochs(images, args.epochs, device)))
        return

    # each loop runs in a fresh process, as a user would run it
    tut = _tutorial_in_subprocess(args.epochs, str(device))
    ours = vaekit_epochs(args.epochs, str(device), [])
    # the first epoch includes warm-up (worker start, allocator); report the median of the rest
    t_med = statistics.median(tut[1:] or tut)
    o_med = statistics.median(ours[1:] or ours)
    rows = [("tutorial loop (DataLoader, 2 workers)", t_med, 1.0)]
    rows.append(("`vaekit train`", o_med, t_med / o_med))
    if device.type == "cuda":
        for label, extra in (
            ("`vaekit train --bf16`", ["--bf16"]),
            ("`vaekit train --bf16 --compile`", ["--bf16", "--compile"]),
        ):
            med = statistics.median(vaekit_epochs(args.epochs, str(device), extra)[1:])
            rows.append((label, med, t_med / med))
    table = (
        "| loop | seconds per epoch (median of epochs 2..N) | speed-up vs tutorial |\n"
        "| --- | --- | --- |\n"
    )
    table += "".join(f"| {name} | {sec:.2f} | {ratio:.2f}x |\n" for name, sec, ratio in rows)
    table += (
        f"\nMLP 784-400-400-20, batch 128, 60,000 images, {args.epochs} epochs each, "
        f"device {device}.\n"
    )
    tut_r, ours_r = [round(t, 2) for t in tut], [round(t, 2) for t in ours]
    table += f"All epoch times: tutorial {tut_r}, vaekit {ours_r}.\n"
    append_results(f"Training speed on MNIST, {device.type}", table)


if __name__ == "__main__":
    main()
