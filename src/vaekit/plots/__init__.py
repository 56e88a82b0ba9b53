"""Figures of a trained run (data for them from the model; drawing in :mod:`vaekit.render`)."""

from vaekit.plots.image_kinds import (
    arithmetic_data,
    interpolation_data,
    manifold_data,
    traversal_data,
)
from vaekit.plots.make import applicable_kinds, make_plot
from vaekit.plots.registry import PLOT_KINDS, register_plot
from vaekit.plots.report import make_report
from vaekit.plots.run import PlotRun
from vaekit.plots.stats_kinds import kl_data, latent_map_data

__all__ = [
    "PLOT_KINDS",
    "PlotRun",
    "applicable_kinds",
    "arithmetic_data",
    "interpolation_data",
    "kl_data",
    "latent_map_data",
    "make_plot",
    "make_report",
    "manifold_data",
    "register_plot",
    "traversal_data",
]
