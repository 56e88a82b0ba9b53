"""Reading series onto a regular grid, windows, scaling, held-out masks and the imputer's
contract: known answers on tiny files, one-line refusals, observed values unchanged, and a
save/load round trip."""

from __future__ import annotations

import gzip
from pathlib import Path

import numpy as np
import pytest

from vaekit.errors import ConfigError, DataError
from vaekit.timeseries import (
    ChannelScaler,
    TimeSeries,
    TimeSeriesImputer,
    hold_out,
    imputation_errors,
    make_windows,
    read_series,
    stitch,
)


def _write(tmp_path: Path, text: str, name: str = "s.csv") -> Path:
    path = tmp_path / name
    if name.endswith(".gz"):
        path.write_bytes(gzip.compress(text.encode()))
    else:
        path.write_text(text)
    return path


# ------------------------------------------------------------------------ the grid
def test_gaps_in_the_time_index_become_missing_steps(tmp_path):
    path = _write(tmp_path, "date,a,b\n2020-01-01,1,2\n2020-01-02,3,\n2020-01-05,5,6\n")
    s = read_series(path)
    assert s.freq == "1D" and len(s.values) == 5
    np.testing.assert_array_equal(s.values[:, 0], [1, 3, np.nan, np.nan, 5])
    np.testing.assert_array_equal(s.values[:, 1], [2, np.nan, np.nan, np.nan, 6])
    assert str(s.times[3]) == "2020-01-04T00:00:00"
    assert s.channels == ("a", "b") and "5 steps x 2 channels on a 1D grid" in s.describe()


def test_unordered_rows_timezones_and_a_given_step(tmp_path):
    text = ("time,x\n2013-01-01T08:00:00Z,3\n2013-01-01T06:00:00Z,1\n"
            "2013-01-01T09:00:00+01:00,2\n")  # 08:00 UTC twice? no: 09:00+01 is 08:00 UTC
    path = _write(tmp_path, text.replace("2013-01-01T09:00:00+01:00", "2013-01-01T08:00:00+01:00"))
    s = read_series(path, freq="1h")
    np.testing.assert_array_equal(s.values[:, 0], [1, 2, 3])  # 06, 07 (08+01), 08 UTC
    assert str(s.times[0]) == "2013-01-01T06:00:00"


def test_duplicate_times_are_refused_naming_the_lines(tmp_path):
    path = _write(tmp_path, "date,a\n2020-01-01,1\n2020-01-02,2\n2020-01-02,3\n")
    with pytest.raises(DataError, match=r"line 4: time 2020-01-02 appears again \(also line 3\)"):
        read_series(path)


def test_a_time_off_the_grid_is_refused(tmp_path):
    path = _write(tmp_path, "time,a\n2020-01-01T00:00,1\n2020-01-01T01:00,2\n"
                            "2020-01-01T02:00,5\n2020-01-01T02:30,3\n2020-01-01T04:00,4\n")
    with pytest.raises(DataError, match=r"line 5: time 2020-01-01T02:30:00 is not on the 1h "
                                        r"grid that starts at 2020-01-01; give --freq"):
        read_series(path)
    assert len(read_series(path, freq="30min").values) == 9


def test_an_all_missing_channel_is_refused_in_one_line(tmp_path):
    path = _write(tmp_path, "date,a,b\n2020-01-01,1,\n2020-01-02,2,\n2020-01-03,3,\n")
    s = read_series(path)
    with pytest.raises(DataError, match=r"channel 'b' has no observed value; leave it out"):
        s.check_channels()
    with pytest.raises(DataError, match="channel 'b' has no observed value"):
        TimeSeriesImputer(epochs=1, window=2).fit(s)


def test_long_files_pivot_to_one_channel_per_series_and_column(tmp_path):
    text = ("Ticker,Date,Open,Close\nA,2020-01-01,1,2\nB,2020-01-02,5,6\nA,2020-01-02,3,4\n"
            "B,2020-01-03,7,8\n")  # fmt: skip
    path = _write(tmp_path, text, "l.csv.gz")
    s = read_series(path, id_column="Ticker")
    assert s.channels == ("A:Open", "A:Close", "B:Open", "B:Close")
    np.testing.assert_array_equal(s.values[:, 0], [1, 3, np.nan])
    np.testing.assert_array_equal(s.values[:, 3], [np.nan, 6, 8])
    rows = read_series(path, id_column="Ticker", ids=["B"], columns=["Close"], freq="rows")
    assert rows.channels == ("B:Close",) and rows.values[:, 0].tolist() == [6, 8]
    with pytest.raises(DataError, match="no series 'C' in column 'Ticker'"):
        read_series(path, id_column="Ticker", ids=["C"])


@pytest.mark.parametrize(("text", "words"), [
    ("date,a\n2020-01-01,x\n", r"line 2, column 'a': 'x' is not a number"),
    ("date,a\nsoon,1\n", r"line 2: time 'soon' is neither a date/time"),
    ("date,a\n2020-01-01,1,2\n", r"line 2: 3 fields, the header has 2"),
    ("date\n2020-01-01\n", "needs a time column and at least one value column"),
])  # fmt: skip
def test_bad_files_are_one_line(tmp_path, text, words):
    with pytest.raises(DataError, match=words):
        read_series(_write(tmp_path, text))


def test_step_numbers_and_bad_freq(tmp_path):
    path = _write(tmp_path, "t,a\n0,1\n1,2\n3,4\n")
    s = read_series(path)
    assert s.values[:, 0].tolist()[:2] == [1, 2] and np.isnan(s.values[2, 0])
    with pytest.raises(DataError, match="unknown --freq '2x'"):
        read_series(_write(tmp_path, "date,a\n2020-01-01,1\n", "d.csv"), freq="2x")


# ------------------------------------------------------------------------ windows
def test_windows_cover_every_step_and_stitch_back_exactly():
    values = np.arange(30, dtype=float).reshape(10, 3)
    for window, stride in ((4, 1), (4, 3), (10, 5), (3, 3)):
        w = make_windows(values, window, stride)
        assert w.shape[1:] == (window, 3) and w[-1, -1, 0] == values[-1, 0]
        np.testing.assert_array_equal(stitch(w, 10, stride), values)
    with pytest.raises(DataError, match="fewer than one window of 12"):
        make_windows(values, 12, 1)


def test_scalers_use_observed_values_and_invert():
    values = np.array([[1.0, 10.0], [3.0, np.nan], [5.0, 30.0]])
    for kind in ("standard", "minmax"):
        sc = ChannelScaler.fit(values, kind)
        z = sc.transform(values)
        np.testing.assert_allclose(sc.inverse(z), values)
        again = ChannelScaler.from_state(sc.state())
        np.testing.assert_array_equal(again.transform(values), z)
    mm = ChannelScaler.fit(values, "minmax").transform(values)
    assert np.nanmin(mm, 0).tolist() == [0, 0] and np.nanmax(mm, 0).tolist() == [1, 1]
    with pytest.raises(ConfigError, match="unknown scaling"):
        ChannelScaler.fit(values, "robust")


def test_hold_out_hides_a_seeded_share_of_observed_entries_only():
    rng = np.random.default_rng(0)
    values = rng.normal(size=(200, 5))
    values[rng.random(values.shape) < 0.2] = np.nan
    hidden_values, mask = hold_out(values, 0.1, seed=3)
    observed = ~np.isnan(values)
    assert mask.sum() == round(0.1 * observed.sum()) and not (mask & ~observed).any()
    assert np.isnan(hidden_values[mask]).all()
    np.testing.assert_array_equal(hold_out(values, 0.1, seed=3)[1], mask)
    errors = imputation_errors(values, np.where(mask, 0.0, values), mask)
    assert errors["mae"] == pytest.approx(np.abs(values[mask]).mean())
    assert errors["mre"] == pytest.approx(1.0)  # all error: |0 - x| / |x|


# ------------------------------------------------------------------------ the imputer
@pytest.fixture(scope="module")
def fitted() -> tuple[TimeSeriesImputer, np.ndarray]:
    rng = np.random.default_rng(0)
    t = np.arange(300)
    noisy = np.sin(t / 8) + 0.1 * rng.normal(size=300)
    values = np.column_stack([np.sin(t / 8), np.cos(t / 8), noisy])
    masked, _ = hold_out(values, 0.2, seed=0)
    imp = TimeSeriesImputer(window=16, stride=2, epochs=2, latent_dim=2, hidden=(16, 16),
                            device="cpu").fit(masked)  # fmt: skip
    return imp, masked


def test_imputation_keeps_observed_values_and_fills_all(fitted):
    imp, masked = fitted
    filled = imp.transform(masked)
    observed = ~np.isnan(masked)
    np.testing.assert_array_equal(filled[observed], masked[observed])
    assert not np.isnan(filled).any()
    draws = imp.sample_imputations(masked, 3)
    assert draws.shape == (3, *masked.shape) and not np.isnan(draws).any()
    np.testing.assert_array_equal(draws[:, observed], np.broadcast_to(masked[observed],
                                                                      (3, observed.sum())))
    assert draws[0][~observed].tolist() != draws[1][~observed].tolist()  # draws differ
    assert imp.sample(4).shape == (4, 16, 3)


def test_save_load_round_trip_gives_the_same_imputations(fitted, tmp_path):
    imp, masked = fitted
    imp.save(tmp_path / "ts")
    again = TimeSeriesImputer.load(tmp_path / "ts")
    np.testing.assert_array_equal(again.transform(masked), imp.transform(masked))
    np.testing.assert_array_equal(again.sample_imputations(masked, 2),
                                  imp.sample_imputations(masked, 2))  # fmt: skip


def test_the_imputer_refuses_other_channels_and_bad_options(fitted):
    imp, masked = fitted
    with pytest.raises(DataError, match="X has 2 channels; the imputer was fitted on 3"):
        imp.transform(masked[:, :2])
    with pytest.raises(ConfigError, match="unknown model 'lstm'"):
        TimeSeriesImputer(model="lstm").fit(masked)
    with pytest.raises(ConfigError, match="n_draws must be a positive integer"):
        imp.sample_imputations(masked, 0)
    series = TimeSeries.from_array(masked, ["a", "b", "c"])
    assert isinstance(imp.transform(series), TimeSeries)


def test_a_series_on_another_grid_is_refused(fitted):
    _, masked = fitted
    days = np.datetime64("2020-01-01") + np.arange(300)
    daily = TimeSeries(masked, days, ("a", "b", "c"), "1D")
    imp = TimeSeriesImputer(window=16, stride=4, epochs=1, latent_dim=2, hidden=(8,),
                            device="cpu").fit(daily)  # fmt: skip
    assert imp.freq_ == "1D" and isinstance(imp.transform(daily), TimeSeries)
    hours = np.datetime64("2020-01-01T00") + np.arange(300)
    hourly = TimeSeries(masked, hours, ("a", "b", "c"), "1h")
    with pytest.raises(DataError, match="X is on a 1h grid; the imputer was fitted on a 1D"):
        imp.transform(hourly)
    assert imp.transform(masked).shape == masked.shape  # an array has no grid to check


def test_tiling_takes_each_step_from_one_window():
    from vaekit.timeseries.windows import tile

    values = np.arange(20, dtype=float).reshape(10, 2)
    w = make_windows(values, 4, 4)  # starts 0, 4, 6: the last overlaps steps 6-7
    w[2] += 100  # the last window's values differ from the one before
    out = tile(w, 10)
    np.testing.assert_array_equal(out[:8], values[:8])  # steps 6-7 from the second window
    np.testing.assert_array_equal(out[8:], values[8:] + 100)  # 8-9 from the last only


def test_compact_dates_are_dates(tmp_path):
    s = read_series(_write(tmp_path, "date,a\n20200101,1\n20200102,2\n20200201,3\n"))
    assert s.freq == "1D" and len(s.values) == 32


def test_grid_names_compare_by_step():
    from vaekit.timeseries.series import same_grid

    assert same_grid("1D", "24h") and same_grid("1h", "60min") and same_grid("rows", "1D")
    assert same_grid(None, "1h") and same_grid("1", "1")
    assert not same_grid("1D", "1h") and not same_grid("1W", "6D")
