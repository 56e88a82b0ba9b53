"""Time series: read multivariate series onto a regular grid, impute their missing steps
with GP-VAE or a recurrent VAE, and generate new windows.

Examples
--------
>>> from vaekit.timeseries import TimeSeriesImputer, read_series
>>> air = read_series("pm10.csv.gz", freq="1D")                 # doctest: +SKIP
>>> imp = TimeSeriesImputer(model="gp-vae", window=24).fit(air)  # doctest: +SKIP
>>> filled = imp.transform(air)                                 # doctest: +SKIP
"""

from vaekit.timeseries.imputer import TimeSeriesImputer
from vaekit.timeseries.series import TimeSeries, read_series
from vaekit.timeseries.windows import (
    ChannelScaler,
    hold_out,
    imputation_errors,
    make_windows,
    stitch,
)

__all__ = [
    "ChannelScaler",
    "TimeSeries",
    "TimeSeriesImputer",
    "hold_out",
    "imputation_errors",
    "make_windows",
    "read_series",
    "stitch",
]
