"""Figures of a trained run (data for them from the model; drawing in :mod:`vaekit.viz`)."""

from vaekit.plots.make import applicable_kinds, make_plot
from vaekit.plots.registry import PLOT_KINDS, register_plot
from vaekit.plots.report import make_report
from vaekit.plots.run import PlotRun

__all__ = ["PLOT_KINDS", "PlotRun", "applicable_kinds", "make_plot", "make_report", "register_plot"]
