"""``vaekit train``: train a model into a run directory (or resume one)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer
from rich.console import Console

from vaekit.config import Config, layered_config, presets_help
from vaekit.errors import ConfigError, VaekitError

if TYPE_CHECKING:
    from vaekit.data import DataBundle

#: the names of ``vaekit.data.registry.DATASETS``, for the help text (a test keeps them
#: equal; importing the registry here would load PyTorch for ``--help``)
DATASET_NAMES = ("mnist", "dsprites", "moses", "sentences")

_FLAGS = {  # CLI parameter -> config key
    "model": "model.name",
    "arch": "model.arch",
    "hidden": "model.hidden",
    "latent_dim": "model.latent_dim",
    "likelihood": "model.likelihood",
    "beta": "model.beta",
    "gamma": "model.gamma",
    "iw_samples": "model.iw_samples",
    "posterior": "model.posterior",
    "flow_steps": "model.flow_steps",
    "prior": "model.prior",
    "prior_components": "model.prior_components",
    "inference": "model.inference",
    "word_dropout": "model.word_dropout",
    "dataset": "data.dataset",
    "data_dir": "data.data_dir",
    "binarize": "data.binarize",
    "val_size": "data.val_size",
    "kl_schedule": "train.kl_schedule",
    "warmup_epochs": "train.warmup_epochs",
    "free_bits": "train.free_bits",
    "epochs": "train.epochs",
    "batch_size": "train.batch_size",
    "lr": "train.lr",
    "seed": "train.seed",
    "device": "train.device",
    "threads": "train.threads",
    "bf16": "train.bf16",
    "compile": "train.compile",
    "out": "out",
}


def build_config(
    config_file: Path | None, flags: dict[str, Any], sets: list[str], preset: str | None = None
) -> Config:
    """Defaults, then the preset, then the YAML file, then explicit flags, then ``--set``
    (:func:`vaekit.config.layered_config`, as ``vaekit sweep`` layers them)."""
    values = {_FLAGS[name]: value for name, value in flags.items()}
    return layered_config(config_file, preset, values, sets)


def train_command(
    model: str = typer.Option(
        None, "--model", help="Registered model (see 'vaekit models'). [default: vae]"
    ),
    dataset: str = typer.Option(
        None, "--dataset",
        help=f"Dataset name ({', '.join(DATASET_NAMES)}; default mnist), a .npy/.npz/.csv(.gz) "
        "path or a text file (.txt, .smi).",
    ),
    data_dir: str = typer.Option(None, "--data-dir", help="Directory holding the dataset files."),
    arch: str = typer.Option(
        None,
        "--arch",
        help="Encoder/decoder: mlp | conv | burgess (64x64, disentanglement literature).",
    ),
    hidden: str = typer.Option(None, "--hidden", help="Hidden widths, e.g. 512,256."),
    latent_dim: int = typer.Option(None, "--latent-dim", help="Latent dimensions. [default: 20]"),
    likelihood: str = typer.Option(
        None,
        "--likelihood",
        help="auto | bernoulli | gaussian | gaussian-learned | gaussian-learned-dim.",
    ),
    binarize: str = typer.Option(None, "--binarize", help="none | static | dynamic."),
    beta: float = typer.Option(
        None, "--beta", help="Weight on the KL term (btcvae: on the total correlation)."
    ),
    gamma: float = typer.Option(
        None, "--gamma", help="factorvae: TC penalty [10]; btcvae: dimension-wise KL weight [1]."
    ),
    iw_samples: int = typer.Option(
        None, "--iw-samples", help="Importance samples per input (iwae [5], hvae [1])."
    ),
    posterior: str = typer.Option(
        None, "--posterior", help="gaussian | planar | iaf (flows). [default: gaussian]"
    ),
    flow_steps: int = typer.Option(None, "--flow-steps", help="Flow steps. [default: 4]"),
    prior: str = typer.Option(None, "--prior", help="normal | mog | vamp. [default: normal]"),
    prior_components: int = typer.Option(
        None, "--prior-components", help="Mixture components / pseudo-inputs. [10 | 500]"
    ),
    inference: str = typer.Option(
        None, "--inference", help="hvae: bottom-up | ladder. [default: bottom-up]"
    ),
    kl_schedule: str = typer.Option(
        None, "--kl-schedule", help="constant | linear | cyclical | logistic."
    ),
    word_dropout: float = typer.Option(
        None, "--word-dropout", help="seq-vae: decoder inputs replaced by <unk> (e.g. 0.25)."
    ),
    preset: str = typer.Option(
        None, "--preset", help=presets_help()
    ),
    warmup_epochs: float = typer.Option(
        None, "--warmup-epochs", help="Epochs of linear KL warm-up."
    ),
    free_bits: float = typer.Option(
        None, "--free-bits", help="Free-bits floor, nats per latent dim."
    ),
    epochs: int = typer.Option(
        None, "--epochs", help="Epochs in total (with --resume: the new total)."
    ),
    batch_size: int = typer.Option(None, "--batch-size", help="Batch size. [default: 128]"),
    lr: float = typer.Option(None, "--lr", help="Learning rate. [default: 1e-3]"),
    seed: int = typer.Option(None, "--seed", help="Random seed. [default: 0]"),
    device: str = typer.Option(None, "--device", help="auto | cpu | cuda."),
    threads: int = typer.Option(
        None,
        "--threads",
        help="CPU threads, fixed. [default: the free cores, re-checked every second]",
    ),
    val_size: float = typer.Option(None, "--val-size", help="Validation fraction (<1) or count."),
    bf16: bool = typer.Option(None, "--bf16/--no-bf16", help="bf16 autocast on CUDA."),
    compile: bool = typer.Option(None, "--compile/--no-compile", help="torch.compile the loss."),
    out: Path = typer.Option(
        None, "--out", help="Run directory. [default: runs/<model>-<data>-<time>]"
    ),
    resume_dir: Path = typer.Option(None, "--resume", help="Continue this run directory."),
    config_file: Path = typer.Option(None, "--config", help="YAML configuration file."),
    sets: list[str] = typer.Option(
        None, "--set", help="key=value overrides, e.g. train.grad_clip=5."
    ),
    quiet: bool = typer.Option(False, "--quiet", "-q", help="No progress bar."),
) -> None:
    """Train a VAE and write a run directory (config, weights, checkpoint, metrics).

    Under torchrun (torchrun --nproc-per-node N -m vaekit train ...) the processes train
    one model with DistributedDataParallel; --batch-size is the global batch.
    """
    from vaekit.train import train_run
    from vaekit.train.distributed import launch_rank

    console = Console(stderr=True)
    flags = {k: v for k, v in locals().items() if k in _FLAGS}
    if resume_dir is not None:
        kept = ("epochs", "device", "threads")
        others = [k for k, v in flags.items() if v is not None and k not in kept]
        if others or config_file or sets or preset:
            raise ConfigError(
                "with --resume only --epochs, --device and --threads may be given "
                f"(got {', '.join('--' + k.replace('_', '-') for k in others) or '--config/--set'})"
            )
        continue_run(resume_dir, epochs, device, threads, quiet, console)
        return
    cfg = build_config(config_file, flags, sets or [], preset)
    trained = train_run(cfg, quiet=quiet, console=console)
    run_dir = trained.run_dir
    if launch_rank() == 0:
        result = _held_out_loss(run_dir, cfg, trained.data, quiet, console)
        console.print(
            f"[green]trained[/] {cfg.model.name} on {cfg.data.dataset}: {run_dir}{result}",
            soft_wrap=True,
        )
        typer.echo(str(run_dir))


def continue_run(
    run_dir: Path, epochs: int | None, device: str | None, threads: int | None, quiet: bool,
    console: Console,
) -> None:  # fmt: skip
    """Continue a train run from its checkpoint (``vaekit train --resume``, ``vaekit
    resume``); print its held-out loss, and its path on stdout."""
    from vaekit.cli.hints import thread_note
    from vaekit.io.run import Run
    from vaekit.train import resume_run
    from vaekit.train.distributed import launch_rank

    run = Run.open(run_dir, "train")
    note = thread_note(run, threads)
    resumed = resume_run(run_dir, epochs=epochs, device=device, quiet=quiet, console=console,
                         threads=threads, note=note and f"note: {note}")  # fmt: skip
    if launch_rank() == 0:  # under torchrun, rank 0 speaks for the job
        held_out = _held_out_loss(run_dir, run.config(), resumed.data, quiet, console)
        console.print(f"run {run_dir}: {resumed.result.epochs} epochs done{held_out}",
                      soft_wrap=True)  # fmt: skip
        typer.echo(str(run_dir))


def _held_out_loss(
    run_dir: Path, cfg: Config, data: DataBundle | None = None, quiet: bool = False,
    console: Console | None = None,
) -> str:  # fmt: skip
    """``"; test loss 102.31 nats ..."``: the -ELBO of the finished run on its test split
    (else its validation split), also written to ``evaluation.json``; empty without either.

    A split larger than ``train.held_out_examples`` is measured on a seeded subset of that
    many, said in a start line and in the result. Ctrl-C stops only this measurement: the
    trained run is complete, and the message says how to evaluate it later.
    ``data``: the run's prepared data, when at hand (else it is read again).
    """
    from vaekit.eval import evaluate_run
    from vaekit.train import resolve_device

    console = console or Console(stderr=True)
    device = resolve_device(cfg.train.device)
    cap = cfg.train.held_out_examples
    if data is not None:
        split = data.test if data.test is not None else data.val
        if split is None:
            return ""
        name = "test" if data.test is not None else "val"
        if 0 < cap < len(split):
            console.print(
                f"held-out loss on {cap:,} of {len(split):,} {name} examples (a seeded subset; "
                "--set train.held_out_examples=0 for all, or 'vaekit evaluate RUN')",
                soft_wrap=True,
            )
    try:
        r = evaluate_run(run_dir, metrics=["elbo"], device=device, data=data, max_examples=cap,
                         batch_size=cfg.train.eval_batch_size, quiet=quiet,
                         console=console)  # fmt: skip
    except KeyboardInterrupt:
        console.print(
            f"interrupted the held-out loss; the trained run {run_dir} is complete "
            f"(measure it with: vaekit evaluate {run_dir})",
            soft_wrap=True,
        )
        raise typer.Exit(130) from None
    except VaekitError:  # no held-out split
        return ""
    part = f" on {r['n']:,} of {r['of']:,}" if "of" in r else ""
    return f"; {r['split']} loss {r['loss']:.2f} nats (-ELBO{part}, evaluation.json)"
