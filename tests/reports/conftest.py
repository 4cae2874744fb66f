"""A tiny report world made by code: a warehouse with 3 nets in 2 cooperatives and 2 species, and a small grid store."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import xarray as xr

from setnet.settings import Settings
from setnet.warehouse import connect, upsert
from tests.fixtures import tiny_sites

ISSUE_DATE = date(2025, 11, 30)
MODEL_VERSION = "test-v1"
SCRIPT_NAME = "<script>alert(1)</script>"
# The shared tiny registry made into the report's test world: two of the nets in one cooperative (a cooperative's
# page lists several), the middle one named by a script (everything shown must be escaped), set-net names, and
# every net on the report grid of `grid_dataset`; an English name for one cooperative only.
SITES = tiny_sites(
    site_id=["himi", "odd", "uozu"],
    name_ja=["氷見大敷", SCRIPT_NAME, "魚津定置"],
    name_en=["Himi Ohshiki", SCRIPT_NAME, "Uozu Teichi"],
    coop=["氷見漁協", "氷見漁協", "魚津漁協"],
    coop_en=["Himi Fisheries Cooperative", "Himi Fisheries Cooperative", None],  # Uozu's: none (the Japanese shows)
    lat=[36.90, 36.86, 36.84],
    lon=[137.00, 137.08, 137.35],
    bearing_deg=[90.0, 45.0, 20.0],
)
SPECIES_CODES = ["yellowtail", "firefly_squid"]
# Lead-1 (tomorrow) forecasts: (site, species) -> (q10, q50, q90) kg, chosen to exercise the rounding.
TOMORROW_KG = {
    ("himi", "yellowtail"): (410.0, 1234.0, 2870.0),
    ("himi", "firefly_squid"): (3.0, 18.0, 64.0),
    ("odd", "yellowtail"): (12.0, 42.0, 85.0),
    ("odd", "firefly_squid"): (0.0, 5.0, 21.0),
    ("uozu", "yellowtail"): (0.2, 7.4, 33.0),
    ("uozu", "firefly_squid"): (150.0, 348.0, 777.0),
}
# ... and its expected catch (mean_kg, the report's headline) and chance of an empty net (p_zero). A q10 above 0
# needs p_zero under 0.1 (the quantiles come from the one distribution); odd's firefly squid (q10 = 0) has 35 %.
TOMORROW_MEAN_KG = {
    ("himi", "yellowtail"): 1334.0,
    ("himi", "firefly_squid"): 26.0,
    ("odd", "yellowtail"): 47.0,
    ("odd", "firefly_squid"): 8.6,
    ("uozu", "yellowtail"): 13.2,
    ("uozu", "firefly_squid"): 412.0,
}
TOMORROW_P_ZERO = {("odd", "firefly_squid"): 0.35, ("uozu", "yellowtail"): 0.08}  # the others 0.04
STALE_SITE = "uozu"  # no catches in the last 14 days before ISSUE_DATE
# Why the lead-1 yellowtail forecast at himi is what it is (the models' `explanation` JSON, largest effects first).
HIMI_EXPLANATION = ('[{"feature": "temp_50m_c", "value": 14.23, "effect_kg": 120.4}, '
                    '{"feature": "catch_mean_7d_kg", "value": 812.0, "effect_kg": -64.0}, '
                    '{"feature": "moon_illumination", "value": 0.9, "effect_kg": 3.0}]')
BIG_CATCH_CHANCE = {("himi", "yellowtail"): 0.45, ("uozu", "firefly_squid"): 0.2}


def catches_frame(seed: int = 0) -> pd.DataFrame:
    """40 days of catches up to ISSUE_DATE, with absent (not operated) days: Sundays, random gaps, a stale net."""
    rng = np.random.default_rng(seed)
    days = pd.date_range(ISSUE_DATE - timedelta(days=39), ISSUE_DATE, freq="D")
    rows = []
    for day in days:
        for site_id in SITES.site_id:
            operated = day.day_of_week != 6 and rng.random() > 0.15
            if site_id == STALE_SITE and day.date() > ISSUE_DATE - timedelta(days=14):
                operated = False
            if not operated:
                continue
            for species in SPECIES_CODES:
                scale = 800.0 if species == "yellowtail" else 30.0
                rows.append((day.date(), site_id, species, round(float(rng.gamma(1.5, scale / 1.5)), 1)))
    return pd.DataFrame(rows, columns=["date", "site_id", "species", "catch_kg"])


def forecast_rows(issue_date: date, leads: list[int], ocean_date: date | None) -> pd.DataFrame:
    """Forecasts issued on issue_date: TOMORROW_KG at lead 1 on ISSUE_DATE, smooth made-up numbers otherwise."""
    rows = []
    for (site_id, species), (q10, q50, q90) in TOMORROW_KG.items():
        for lead in leads:
            factor = 1.0 if (issue_date == ISSUE_DATE and lead == 1) else 1.0 + 0.1 * np.sin(lead + issue_date.day)
            rows.append({
                "issue_date": issue_date, "target_date": issue_date + timedelta(days=lead), "lead_days": lead,
                "site_id": site_id, "species": species, "mean_kg": TOMORROW_MEAN_KG[(site_id, species)] * factor,
                "q10_kg": q10 * factor,
                "q50_kg": q50 * factor, "q90_kg": q90 * factor * (1 + 0.05 * (lead - 1)),
                "model_version": MODEL_VERSION, "ocean_date": ocean_date,
                "p_zero": TOMORROW_P_ZERO.get((site_id, species), 0.04), "p_big_catch": BIG_CATCH_CHANCE.get((site_id, species), 0.05),
                "big_catch_threshold_kg": 2000.0,
                "explanation": HIMI_EXPLANATION if (site_id, species) == ("himi", "yellowtail") else None,
            })
    return pd.DataFrame(rows)


# The serving version's lead-1 backtest per net and species (site_id -> species -> CRPSS against the seasonal normal,
# against the last haul): odd's yellowtail rounds to 0 and himi's firefly squid is below 0 (no better than the normal).
NET_SKILL = {
    "himi": {"yellowtail": (0.31, 0.07), "firefly_squid": (-0.04, -0.21)},
    "odd": {"yellowtail": (0.004, 0.18), "firefly_squid": (0.16, 0.09)},
    "uozu": {"yellowtail": (0.44, 0.26), "firefly_squid": (0.08, -0.33)},
}
NET_MEAN_ERROR_KG = {"all": 140.0, "himi": 210.0, "odd": 320.0, "uozu": 430.0}  # mae_mean_kg at lead 1


def evaluation_rows() -> pd.DataFrame:
    """Holdout scores at leads 1 and 2, pooled ('all') and per net: pooled, lead 1 beats the seasonal normal by 23%
    (CRPSS) and loses to the last haul by 12%; the error of the mean (mae_mean_kg) differs from the median's
    (mae_kg), and the MAE skills (skill_vs_*) from the CRPS skills."""
    rows = []
    for species in SPECIES_CODES:
        nets = {"all": (0.23, -0.12)} | {site: skill[species] for site, skill in NET_SKILL.items()}
        for site_id, (crpss_climatology, crpss_persistence) in nets.items():
            for lead in (1, 2):
                rows.append({
                    "model_version": MODEL_VERSION, "site_id": site_id, "species": species, "lead_days": lead,
                    "holdout_start": date(2025, 5, 1), "holdout_end": date(2025, 10, 31), "n_rows": 500,
                    "mae_kg": 100.0, "mae_mean_kg": NET_MEAN_ERROR_KG[site_id],
                    "rmse_kg": 150.0, "coverage_80": 0.91, "coverage_80_caught": 0.65 if site_id == "all" else 0.7,
                    "mae_climatology_kg": 130.0, "mae_persistence_kg": 89.0, "skill_vs_climatology": 0.02,
                    "skill_vs_persistence": -0.4, "crpss_climatology": crpss_climatology if lead == 1 else 0.05,
                    "crpss_persistence": crpss_persistence if lead == 1 else -0.30,
                })
    return pd.DataFrame(rows)


def model_run_rows() -> pd.DataFrame:
    """One training run per species."""
    return pd.DataFrame([{
        "model_version": MODEL_VERSION, "species": species, "trained_at": pd.Timestamp("2025-11-01 03:00"),
        "train_start": date(2022, 1, 1), "train_end": date(2025, 10, 31), "n_rows": 1000, "features": "[]",
        "params": "{}", "data_checksum": "abc", "artifact_dir": "models/test-v1",
    } for species in SPECIES_CODES])


def write_warehouse(path: Path, ocean_date: date | None, evaluations: bool = True) -> None:
    """The tiny warehouse: sites, catches, today's forecasts (leads 1..7), 30 days of lead-1 forecasts, scores."""
    past = [forecast_rows(ISSUE_DATE - timedelta(days=back), [1], ISSUE_DATE - timedelta(days=back))
            for back in range(1, 31)]
    with connect(path) as con:
        upsert(con, "sites", SITES)
        upsert(con, "catches", catches_frame())
        upsert(con, "forecasts", pd.concat([forecast_rows(ISSUE_DATE, list(range(1, 8)), ocean_date), *past]))
        upsert(con, "model_runs", model_run_rows())
        if evaluations:
            upsert(con, "model_evaluations", evaluation_rows())


def grid_dataset(days: int = 5, end: date = ISSUE_DATE, seed: int = 1) -> xr.Dataset:
    """A 10 x 12 grid, 3 depths, `days` days ending on `end`; the southern rows and a corner are land (NaN)."""
    rng = np.random.default_rng(seed)
    time = pd.date_range(end - timedelta(days=days - 1), end, freq="D")
    depth = np.array([0.494, 47.37, 92.33])
    lat = np.round(np.arange(10) * 0.05 + 36.60, 3)
    lon = np.round(np.arange(12) * 0.05 + 136.85, 3)
    land = (lat[:, None] < 36.72) | ((lat[:, None] < 36.82) & (lon[None, :] > 137.30))
    shape = (time.size, depth.size, lat.size, lon.size)
    temp_c = 18 - depth[None, :, None, None] / 15 + 0.8 * (lat[None, None, :, None] - 36.6) + rng.normal(0, .2, shape)

    def on_sea(values: np.ndarray) -> np.ndarray:
        return np.where(land, np.nan, values).astype("float32")

    return xr.Dataset(
        {
            "temp_c": (("time", "depth", "lat", "lon"), on_sea(temp_c)),
            "eastward_current_ms": (("time", "depth", "lat", "lon"), on_sea(rng.normal(0.2, 0.1, shape))),
            "northward_current_ms": (("time", "depth", "lat", "lon"), on_sea(rng.normal(0.05, 0.1, shape))),
            "ssh_m": (("time", "lat", "lon"), on_sea(rng.normal(0.1, 0.02, (time.size, lat.size, lon.size)))),
        },
        coords={"time": time, "depth": depth, "lat": lat, "lon": lon},
    )


def write_grid_store(path: Path, dataset: xr.Dataset) -> None:
    """Write the grid as the canonical Zarr (format 3) store."""
    dataset.to_zarr(path, mode="w", zarr_format=3, consolidated=False)


def ocean_forecast_dataset(issue: date = ISSUE_DATE, leads: int = 8, swift: dict | None = None) -> xr.Dataset:
    """An ocean forecast store issued on `issue` (leads 0..leads-1) on the grid of `grid_dataset`: calm currents
    (0.1 m/s east) except `swift`: {(lat_index, lon_index, lead): (east_ms, north_ms)} at every depth."""
    grid = grid_dataset(days=1, end=issue)
    shape = (1, leads, grid.depth.size, grid.lat.size, grid.lon.size)
    sea = np.isfinite(grid.temp_c.values[0, 0])
    east, north = np.full(shape, 0.1), np.zeros(shape)
    for (i, j, lead), (u, v) in (swift or {}).items():
        east[0, lead, :, i, j], north[0, lead, :, i, j] = u, v
    temp = np.broadcast_to(grid.temp_c.values[0][None, None], shape)

    def on_sea(values: np.ndarray) -> np.ndarray:
        return np.where(sea, values, np.nan).astype("float32")

    dims = ("issue_time", "lead_days", "depth", "lat", "lon")
    return xr.Dataset(
        {"temp_c": (dims, on_sea(temp)), "eastward_current_ms": (dims, on_sea(east)),
         "northward_current_ms": (dims, on_sea(north)),
         "ssh_m": (("issue_time", "lead_days", "lat", "lon"), on_sea(np.zeros(shape)[:, :, 0]))},
        coords={"issue_time": [pd.Timestamp(issue)], "lead_days": np.arange(leads), "depth": grid.depth,
                "lat": grid.lat, "lon": grid.lon},
    )


def nearest_cell(dataset: xr.Dataset, lat: float, lon: float) -> tuple[int, int]:
    """(lat_index, lon_index) of the grid cell nearest a point (the tiny world's nets sit on sea cells)."""
    return int(np.abs(dataset.lat.values - lat).argmin()), int(np.abs(dataset.lon.values - lon).argmin())


def make_world(root: Path) -> Settings:
    """Settings over a fresh tiny world under root whose forecasts used ocean data two days old."""
    settings = Settings(data_dir=root / "data")
    write_warehouse(settings.warehouse_path, ocean_date=ISSUE_DATE - timedelta(days=2))
    write_grid_store(settings.grid_store_path, grid_dataset())
    return settings


@pytest.fixture
def report_settings(tmp_path: Path) -> Settings:
    """A fresh tiny world for a test that changes it."""
    return make_world(tmp_path)


@pytest.fixture(scope="module")
def shared_settings(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    """One tiny world shared by the tests of a module that only read it."""
    return make_world(tmp_path_factory.mktemp("report-world"))
