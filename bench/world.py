"""A generated decade for the feature benchmark: daily 1/20-degree grids of Toyama Bay with a land mask, 50 nets
along the coast, and their catches. Written straight into a canonical Zarr store (no NetCDF) and a warehouse,
cached under bench/.data/ and regenerated only when the recipe changes.
"""

from __future__ import annotations

import json
import shutil
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import xarray as xr

from setnet.settings import SPECIES, Settings
from setnet.warehouse import connect, upsert

DATA = Path(__file__).resolve().parent / ".data"


@dataclass(frozen=True)
class Recipe:
    """What the generated world is; a change of any field regenerates it."""

    start: str = "2015-01-01"
    days: int = 3653
    lat_min: float = 36.0
    lat_max: float = 38.0
    lon_min: float = 136.0
    lon_max: float = 138.5
    step_deg: float = 0.05
    depths_m: tuple[float, ...] = (0.0, 50.0, 100.0)
    n_sites: int = 50
    time_chunk_days: int = 32
    seed: int = 20260401
    version: int = 1


# The Toyama Bay coast, (lon, lat) east of the Noto Peninsula: Himi, Toyama, Kurobe, Itoigawa, Joetsu.
MAINLAND_COAST = np.array([(136.0, 36.85), (136.95, 36.85), (137.2, 36.76), (137.55, 36.95), (137.86, 37.04),
                           (138.25, 37.18), (138.5, 37.30)])


def land_mask(lats: np.ndarray, lons: np.ndarray) -> np.ndarray:
    """(lat, lon) True on land: Honshu to the south, the Noto Peninsula to the west of the bay."""
    lat, lon = np.meshgrid(lats, lons, indexing="ij")
    mainland = lat < np.interp(lon, MAINLAND_COAST[:, 0], MAINLAND_COAST[:, 1])
    noto_east = np.interp(lat, [36.8, 37.1, 37.35, 37.5, 37.55], [136.97, 136.95, 137.2, 137.3, 136.0])
    noto = (lat < 37.55) & (lon < noto_east)
    return mainland | noto


def site_table(recipe: Recipe, lats: np.ndarray, lons: np.ndarray, rng: np.random.Generator) -> pd.DataFrame:
    """50 nets just off the coast (some a little inland of the grid's coastline, as real positions are)."""
    along = np.linspace(136.99, 138.2, recipe.n_sites)
    coast_lat = np.interp(along, MAINLAND_COAST[:, 0], MAINLAND_COAST[:, 1])
    lat = coast_lat + rng.uniform(-0.01, 0.04, recipe.n_sites)
    ids = [f"net{i:02d}" for i in range(recipe.n_sites)]
    return pd.DataFrame({
        "site_id": ids, "name_ja": [f"定置{i}" for i in range(recipe.n_sites)], "name_en": ids, "coop": "bench",
        "lat": np.round(lat, 4), "lon": np.round(along, 4), "depth_m": rng.uniform(30, 80, recipe.n_sites).round(),
        "bearing_deg": rng.uniform(0, 180, recipe.n_sites).round(),
    })


def grid_block(recipe: Recipe, days: pd.DatetimeIndex, lats: np.ndarray, lons: np.ndarray, land: np.ndarray,
               rng: np.random.Generator) -> dict[str, np.ndarray]:
    """Canonical fields for a block of days (numpy, float32, NaN on land)."""
    depth = np.asarray(recipe.depths_m)[None, :, None, None]
    phase = 2 * np.pi * (days.day_of_year.to_numpy() - 120) / 365.25
    t = (days - pd.Timestamp(recipe.start)).days.to_numpy()[:, None, None, None]
    lat = lats[None, None, :, None]
    lon = lons[None, None, None, :]
    seasonal = 8.0 * np.sin(phase)[:, None, None, None] * np.exp(-depth / 120.0)
    # a warm-current meander drifting along the slope, and slow large-scale anomalies
    meander = 1.5 * np.exp(-((lat - 37.2 - 0.3 * np.sin(2 * np.pi * t / 47.0 + lon * 3)) / 0.25) ** 2)
    anomaly = 0.8 * np.sin(2 * np.pi * t / 410.0 + lat * 2) * np.cos(lon * 1.7 - t / 90.0)
    shape = (len(days), len(recipe.depths_m), len(lats), len(lons))
    temp = 17 + seasonal - depth / 25.0 + (lat - 37.0) * -1.2 + meander * np.exp(-depth / 80.0) + anomaly
    temp = temp + rng.normal(0, 0.05, shape)
    swift = (rng.random(len(days)) < 0.04)[:, None, None, None] * rng.uniform(0.3, 0.9, (len(days), 1, 1, 1))
    east = 0.15 * np.cos(lat * 9 - t / 30.0) * np.exp(-depth / 150) + swift * np.exp(-depth / 200)
    north = 0.10 * np.sin(lon * 7 + t / 23.0) * np.exp(-depth / 150) + rng.normal(0, 0.02, shape)
    ssh = 0.3 + 0.1 * np.sin(phase)[:, None, None] + 0.05 * meander[:, 0] + rng.normal(0, 0.005, shape[:1] + shape[2:])
    sea = ~land
    return {
        "temp_c": np.where(sea, temp, np.nan).astype(np.float32),
        "eastward_current_ms": np.where(sea, east + 0 * temp, np.nan).astype(np.float32),
        "northward_current_ms": np.where(sea, north, np.nan).astype(np.float32),
        "ssh_m": np.where(sea, ssh, np.nan).astype(np.float32),
    }


def write_grid_store(path: Path, recipe: Recipe) -> None:
    """Write the decade into a canonical Zarr v3 store, chunked recipe.time_chunk_days x whole grid, block by block."""
    rng = np.random.default_rng(recipe.seed)
    lats = np.round(np.arange(recipe.lat_min, recipe.lat_max + 1e-9, recipe.step_deg), 4)
    lons = np.round(np.arange(recipe.lon_min, recipe.lon_max + 1e-9, recipe.step_deg), 4)
    land = land_mask(lats, lons)
    days = pd.date_range(recipe.start, periods=recipe.days, freq="D")
    import dask.array as da

    n_depth, chunk = len(recipe.depths_m), recipe.time_chunk_days
    template = xr.Dataset(
        {
            name: (dims, da.zeros(shape, chunks=(chunk, *shape[1:]), dtype=np.float32))
            for name, dims, shape in [
                (v, ("time", "depth", "lat", "lon"), (len(days), n_depth, len(lats), len(lons)))
                for v in ("temp_c", "eastward_current_ms", "northward_current_ms")
            ] + [("ssh_m", ("time", "lat", "lon"), (len(days), len(lats), len(lons)))]
        },
        coords={"time": days, "depth": np.asarray(recipe.depths_m), "lat": lats, "lon": lons},
        attrs={"title": "setnet benchmark grid"},
    )
    encoding = {name: {"chunks": (chunk, *template[name].shape[1:])} for name in template.data_vars}
    shutil.rmtree(path, ignore_errors=True)
    template.to_zarr(path, mode="w", compute=False, consolidated=False, zarr_format=3, encoding=encoding)
    block = chunk * 12
    for start in range(0, len(days), block):
        span = days[start:start + block]
        fields = grid_block(recipe, span, lats, lons, land, rng)
        part = xr.Dataset({name: (template[name].dims, values) for name, values in fields.items()},
                          coords={"time": span})
        part.drop_vars("time").to_zarr(path, region={"time": slice(start, start + len(span))}, consolidated=False)


def catch_table(recipe: Recipe, sites: pd.DataFrame, rng: np.random.Generator) -> pd.DataFrame:
    """Catches on operated days only (no Sundays, ~8 % other days off), four species with seasons."""
    days = pd.date_range(recipe.start, periods=recipe.days, freq="D")
    species = [s.code for s in SPECIES]
    keys = pd.MultiIndex.from_product([days, sites.site_id, species], names=["date", "site_id", "species"])
    frame = keys.to_frame(index=False)
    doy = frame.date.dt.day_of_year.to_numpy()
    peak = frame.species.map({"yellowtail": 340, "firefly_squid": 110, "sardine": 200, "common_squid": 260}).to_numpy()
    season = np.exp(np.cos(2 * np.pi * (doy - peak) / 365.25) * 1.5)
    frame["catch_kg"] = np.round(rng.gamma(0.8, 60.0 * season), 1)
    off_site_day = (frame.date.dt.day_of_week == 6) | (rng.random(len(frame)) < 0.08)
    frame = frame[~off_site_day.to_numpy()]
    return frame.assign(date=frame.date.dt.date, source_file="bench")


def ensure_world(recipe: Recipe | None = None, root: Path = DATA) -> Settings:
    """Settings of the cached benchmark world (generated on first use or when the recipe changed)."""
    recipe = recipe or Recipe()
    settings = Settings(data_dir=root / "world")
    marker = root / "world" / "recipe.json"
    wanted = json.dumps(asdict(recipe), sort_keys=True)
    if marker.exists() and marker.read_text() == wanted and settings.grid_store_path.exists():
        return settings
    shutil.rmtree(root / "world", ignore_errors=True)
    (root / "world").mkdir(parents=True)
    rng = np.random.default_rng(recipe.seed)
    write_grid_store(settings.grid_store_path, recipe)
    lats = np.arange(recipe.lat_min, recipe.lat_max + 1e-9, recipe.step_deg)
    lons = np.arange(recipe.lon_min, recipe.lon_max + 1e-9, recipe.step_deg)
    sites = site_table(recipe, lats, lons, rng)
    with connect(settings.warehouse_path) as con:
        upsert(con, "sites", sites)
        upsert(con, "catches", catch_table(recipe, sites, rng))
    marker.write_text(wanted)
    return settings
