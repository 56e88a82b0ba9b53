"""The optimizers of a training run: the main one, and those a model owns itself."""

from __future__ import annotations

import torch

from vaekit.config import TrainConfig
from vaekit.models import VAE

OPTIMIZERS = {"adam": torch.optim.Adam, "adamw": torch.optim.AdamW}


def opt_params(opt: torch.optim.Optimizer) -> list[torch.nn.Parameter]:
    """Every parameter ``opt`` updates."""
    return [p for group in opt.param_groups for p in group["params"]]


def build_optimizers(
    model: VAE, config: TrainConfig, device: torch.device
) -> tuple[list[torch.nn.Parameter], torch.optim.Optimizer, dict[str, torch.optim.Optimizer]]:
    """The main optimizer's parameters, the main optimizer and the auxiliary optimizers.

    A model may own extra optimizers (``model.auxiliary_optimizers()``: name ->
    (parameters, Adam options)); the main optimizer (``config.optimizer``) takes every
    other parameter.
    """
    fused = device.type in ("cpu", "cuda")
    specs = getattr(model, "auxiliary_optimizers", dict)()
    aux_ids = {id(p) for params, _ in specs.values() for p in params}
    main_params = [p for p in model.parameters() if id(p) not in aux_ids]
    aux = {
        name: torch.optim.Adam(params, fused=fused, **options)
        for name, (params, options) in specs.items()
    }
    optimizer = OPTIMIZERS[config.optimizer](
        main_params,
        lr=config.lr,
        betas=tuple(config.adam_betas),
        eps=config.adam_eps,
        weight_decay=config.weight_decay,
        fused=fused,
    )
    return main_params, optimizer, aux
