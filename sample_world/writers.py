"""Files as the providers and cooperatives deliver them: daily CF NetCDF grids, the registry, catch CSVs, the truth."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import xarray as xr

from sample_world.geography import DEPTHS_M, LATITUDES, LONGITUDES

GRID_VARIABLES = {  # name: (standard_name, units, long_name)
    "thetao": ("sea_water_potential_temperature", "degrees_C", "Temperature"),
    "uo": ("eastward_sea_water_velocity", "m s-1", "Eastward velocity"),
    "vo": ("northward_sea_water_velocity", "m s-1", "Northward velocity"),
    "zos": ("sea_surface_height_above_geoid", "m", "Sea surface height"),
}
TIME_ENCODING = {"units": "hours since 1950-01-01", "calendar": "gregorian", "dtype": "float64", "_FillValue": None}


def grid_dataset(dates: pd.DatetimeIndex, temp_c: np.ndarray, east_ms: np.ndarray, north_ms: np.ndarray,
                 ssh_m: np.ndarray) -> xr.Dataset:
    """All days as one dataset laid out like a Copernicus Marine GLORYS12 daily physics product."""
    dims4, dims3 = ("time", "depth", "latitude", "longitude"), ("time", "latitude", "longitude")
    values = {"thetao": (dims4, temp_c), "uo": (dims4, east_ms), "vo": (dims4, north_ms), "zos": (dims3, ssh_m)}
    data_vars = {}
    for name, (dims, array) in values.items():
        standard_name, units, long_name = GRID_VARIABLES[name]
        data_vars[name] = (dims, array.astype(np.float32),
                           {"standard_name": standard_name, "units": units, "long_name": long_name})
    coords = {
        "time": ("time", dates.to_numpy(dtype="datetime64[ns]"), {"standard_name": "time", "axis": "T"}),
        "depth": ("depth", DEPTHS_M.astype(np.float32),
                  {"standard_name": "depth", "units": "m", "positive": "down", "axis": "Z", "long_name": "Depth"}),
        "latitude": ("latitude", LATITUDES.astype(np.float32),
                     {"standard_name": "latitude", "units": "degrees_north", "axis": "Y", "long_name": "Latitude"}),
        "longitude": ("longitude", LONGITUDES.astype(np.float32),
                      {"standard_name": "longitude", "units": "degrees_east", "axis": "X", "long_name": "Longitude"}),
    }
    attrs = {
        "Conventions": "CF-1.6",
        "title": "Daily mean ocean physics, Toyama Bay (synthetic, GLORYS12-like layout)",
        "source": "setnet sample world (synthetic)",
        "institution": "setnet",
    }
    return xr.Dataset(data_vars, coords=coords, attrs=attrs)


def grid_path(grids_dir: Path, day: pd.Timestamp) -> Path:
    """grids/YYYY/toyama_phy_YYYYMMDD.nc"""
    return grids_dir / f"{day:%Y}" / f"toyama_phy_{day:%Y%m%d}.nc"


def write_grids(grids: xr.Dataset, grids_dir: Path) -> list[Path]:
    """One NetCDF4 file per day, float32 with NaN fill on land, time in hours since 1950-01-01."""
    compressed_float32 = {"dtype": "float32", "_FillValue": np.float32(np.nan), "zlib": True, "complevel": 1}
    encoding: dict[str, dict] = {name: dict(compressed_float32) for name in GRID_VARIABLES}
    encoding |= {"time": TIME_ENCODING, "depth": {"_FillValue": None}, "latitude": {"_FillValue": None},
                 "longitude": {"_FillValue": None}}
    paths = []
    for index, day in enumerate(pd.DatetimeIndex(grids.time.values)):
        path = grid_path(grids_dir, day)
        path.parent.mkdir(parents=True, exist_ok=True)
        grids.isel(time=slice(index, index + 1)).to_netcdf(path, format="NETCDF4", engine="netcdf4",
                                                          encoding=encoding)
        paths.append(path)
    return paths


def write_sites(sites: pd.DataFrame, path: Path) -> Path:
    """sites.csv: site_id,name_ja,name_en,coop,lat,lon,depth_m,bearing_deg (UTF-8)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    sites.to_csv(path, index=False, encoding="utf-8", lineterminator="\n")
    return path


def write_catches(catches: pd.DataFrame, catches_dir: Path) -> list[Path]:
    """catches/catches_YYYY.csv: date,site_id,species,catch_kg; operated days only, species in Japanese."""
    catches_dir.mkdir(parents=True, exist_ok=True)
    paths = []
    years = catches["date"].str.slice(0, 4)
    for year, rows in catches.groupby(years, sort=True):
        path = catches_dir / f"catches_{year}.csv"
        rows[["date", "site_id", "species", "catch_kg"]].to_csv(path, index=False, encoding="utf-8",
                                                                float_format="%.1f", lineterminator="\n")
        paths.append(path)
    return paths


def write_size_classes(sizes: pd.DataFrame, names: dict[str, str], catches_dir: Path, stem: str) -> list[Path]:
    """catches/<stem>_YYYY.csv: a cooperative's own export of yellowtail by size class, in fish (本):
    日付,網名,魚種,銘柄,本数 with the net's Japanese name, one row per day hauled and class."""
    catches_dir.mkdir(parents=True, exist_ok=True)
    paths = []
    for year, rows in sizes.groupby(sizes["date"].str.slice(0, 4), sort=True):
        path = catches_dir / f"{stem}_{year}.csv"
        pd.DataFrame({"日付": rows.date, "網名": rows.site_id.map(names), "魚種": "ブリ", "銘柄": rows.size_class,
                      "本数": rows.fish}).to_csv(path, index=False, encoding="utf-8", lineterminator="\n")
        paths.append(path)
    return paths


def write_truth(truth: pd.DataFrame, path: Path) -> Path:
    """truth/truth.csv: date,site_id,species,expected_kg,median_kg,q10_kg,q90_kg,p_zero,operated for every day,
    site and species (the hidden distribution's mean, quantiles and chance of an empty net)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    columns = ["date", "site_id", "species", "expected_kg", "median_kg", "q10_kg", "q90_kg", "p_zero", "operated"]
    truth[columns].to_csv(path, index=False, encoding="utf-8", float_format="%.3f", lineterminator="\n")
    return path


def write_events(events: pd.DataFrame, path: Path) -> Path:
    """truth/events.csv: the warm intrusions, kyucho episodes, storms and net repairs behind the truth."""
    path.parent.mkdir(parents=True, exist_ok=True)
    events.to_csv(path, index=False, encoding="utf-8", lineterminator="\n")
    return path


def write_net_cells(cells: pd.DataFrame, path: Path) -> Path:
    """truth/net_cells.csv: the sea cell each net's catches were driven by (row, col, lat, lon, distance_km)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    cells.to_csv(path, index=False, encoding="utf-8", float_format="%.4f", lineterminator="\n")
    return path


def write_world_json(arguments: dict, path: Path) -> Path:
    """truth/world.json: the arguments the world was generated with (years, sites, seed, end_date, response)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(arguments, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    return path


def remove_stale(folder: Path, pattern: str, keep: list[Path]) -> None:
    """Delete files matching `pattern` under `folder` that this run did not write (from an earlier, longer world)."""
    written = set(keep)
    for path in folder.glob(pattern):
        if path not in written:
            path.unlink()
