"""The sample world's ocean forecasts: Copernicus-like files whose error against the later analysis grows with lead."""

from __future__ import annotations

import hashlib
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import xarray as xr

from sample_world import WorldFiles, generate_world
from sample_world.forecasts import DAILY_LEADS, FORECAST_DAYS, HOURLY_LEAD_DAYS


def _analysis(world: WorldFiles, day: pd.Timestamp) -> xr.Dataset | None:
    path = world.grids_dir / f"{day:%Y}" / f"toyama_phy_{day:%Y%m%d}.nc"
    return xr.open_dataset(path) if path.exists() else None


@pytest.fixture(scope="module")
def rmse_by_lead(tiny: WorldFiles) -> dict[str, np.ndarray]:
    """Surface temperature and eastward current RMSE of the daily forecasts against the analysis, per lead."""
    squares: dict[str, list[list[float]]] = {"thetao": [[] for _ in range(DAILY_LEADS)],
                                             "uo": [[] for _ in range(DAILY_LEADS)]}
    for path in sorted(tiny.forecasts_dir.glob("*/*.nc")):
        with xr.open_dataset(path) as forecast:
            for lead, day in enumerate(pd.DatetimeIndex(forecast.time.values)):
                analysis = _analysis(tiny, day)
                if analysis is None:
                    continue
                with analysis:
                    for name in squares:
                        gap = forecast[name].isel(time=lead, depth=0).values - analysis[name].isel(time=0, depth=0).values
                        squares[name][lead].append(float(np.nanmean(gap**2)))
    return {name: np.sqrt([np.mean(v) for v in leads]) for name, leads in squares.items()}


def test_forecasts_exist_only_for_the_last_issue_days(tiny: WorldFiles) -> None:
    daily = sorted(tiny.forecasts_dir.glob("*/toyama_phy_fc_*.nc"))
    hourly = sorted(tiny.hourly_forecasts_dir.glob("*/toyama_cur_fc_PT1H_*.nc"))
    assert len(daily) == len(hourly) == FORECAST_DAYS
    assert daily[-1].name == f"toyama_phy_fc_{tiny.end_date:%Y%m%d}.nc"
    first = pd.Timestamp(tiny.end_date) - pd.Timedelta(days=FORECAST_DAYS - 1)
    assert daily[0].name == f"toyama_phy_fc_{first:%Y%m%d}.nc"


def test_a_daily_forecast_has_one_issue_time_and_leads_0_to_9(tiny: WorldFiles) -> None:
    path = min(tiny.forecasts_dir.glob("*/*.nc"))
    with xr.open_dataset(path) as ds:
        issued = pd.Timestamp(ds.forecast_reference_time.values)
        assert ds.forecast_reference_time.attrs["standard_name"] == "forecast_reference_time"
        leads = (pd.DatetimeIndex(ds.time.values) - issued) / pd.Timedelta(days=1)
        assert list(leads) == list(range(DAILY_LEADS))
        assert set(ds.data_vars) == {"thetao", "uo", "vo", "zos"}
        assert ds.thetao.attrs["standard_name"] == "sea_water_potential_temperature"


def test_an_hourly_forecast_has_surface_currents_every_hour_for_6_days(tiny: WorldFiles) -> None:
    path = min(tiny.hourly_forecasts_dir.glob("*/*.nc"))
    with xr.open_dataset(path) as ds:
        steps = pd.DatetimeIndex(ds.time.values)
        assert len(steps) == HOURLY_LEAD_DAYS * 24 and (np.diff(steps) == pd.Timedelta(hours=1)).all()
        assert steps[0] == pd.Timestamp(ds.forecast_reference_time.values)
        assert set(ds.data_vars) == {"uo", "vo"} and ds.sizes["depth"] == 1


def test_temperature_error_is_about_half_a_degree_at_day_1_and_past_1_c_by_day_7(rmse_by_lead) -> None:
    temp = rmse_by_lead["thetao"]
    assert 0.35 < temp[1] < 0.7
    assert temp[7] > 1.0
    assert (np.diff(temp) > 0).all()


def test_current_errors_grow_faster_than_temperature_errors(rmse_by_lead) -> None:
    temp, east = rmse_by_lead["thetao"], rmse_by_lead["uo"]
    assert east[7] / east[1] > temp[7] / temp[1]


def test_hourly_currents_carry_a_tide(tiny: WorldFiles) -> None:
    path = min(tiny.hourly_forecasts_dir.glob("*/*.nc"))
    with xr.open_dataset(path) as ds:
        east = ds.uo.isel(depth=0).sel(latitude=36.8, longitude=137.1, method="nearest").values
    wiggle = east - pd.Series(east).rolling(25, center=True, min_periods=1).mean().to_numpy()
    assert np.nanstd(wiggle) > 0.02


def test_hourly_kyucho_episodes_have_onset_peak_and_end_hours(tiny: WorldFiles) -> None:
    episodes = pd.read_csv(tiny.root / "truth" / "kyucho_hourly.csv", parse_dates=["onset_utc", "peak_utc", "end_utc"])
    assert len(episodes) > 0
    assert (episodes.onset_utc < episodes.peak_utc).all() and (episodes.peak_utc < episodes.end_utc).all()
    assert episodes.peak_ms.between(0.3, 1.5).all()


def _digest(folder: Path, pattern: str) -> str:
    sha = hashlib.sha256()
    for path in sorted(folder.glob(pattern)):
        sha.update(path.read_bytes())
    return sha.hexdigest()


def test_forecasts_change_none_of_the_worlds_other_draws(tiny: WorldFiles, tmp_path: Path) -> None:
    without = generate_world(tmp_path, years=1, sites=3, seed=42, forecast_days=0)
    assert not list(without.forecasts_dir.glob("*/*.nc"))
    for folder, pattern in ((tiny.catches_dir, "*.csv"), (tiny.grids_dir, "*/*.nc")):
        other = without.root / folder.relative_to(tiny.root)
        assert _digest(folder, pattern) == _digest(other, pattern)
    assert (tiny.truth_csv.read_bytes() == without.truth_csv.read_bytes())
