"""generate_world: a whole sample Toyama Bay (grids, sites, catches, truth) from one seed."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

import numpy as np
import pandas as pd

from sample_world import catch_model, forecasts, operations, size_classes, writers
from sample_world.geography import land_mask, nearest_sea_cells, select_sites
from sample_world.ocean import build_ocean, day_of_year
from setnet.settings import SPECIES

MAX_SITE_TO_SEA_KM = 5.0
SIZE_FILE_STEM = "buri_sizes"  # catches/buri_sizes_YYYY.csv: yellowtail by size class (sample_world.size_classes)


@dataclass(frozen=True)
class WorldFiles:
    """Where a generated world lives and which days it covers."""

    root: Path
    sites_csv: Path  # root/sites.csv
    grids_dir: Path  # root/grids (root/grids/YYYY/toyama_phy_YYYYMMDD.nc, one file per day)
    catches_dir: Path  # root/catches (catches_YYYY.csv; buri_sizes_YYYY.csv: 氷見漁協's yellowtail by size class)
    truth_csv: Path  # root/truth/truth.csv (the oracle; the pipeline never reads it)
    world_json: Path  # root/truth/world.json (the arguments the world was generated with, response included)
    start_date: date
    end_date: date
    response: catch_model.ResponseName  # the hidden ocean-to-catch function behind catches and truth
    forecasts_dir: Path | None = None  # root/forecasts (YYYY/toyama_phy_fc_YYYYMMDD.nc: daily means, leads 0..9)
    hourly_forecasts_dir: Path | None = None  # root/forecasts_hourly (YYYY/toyama_cur_fc_PT1H_YYYYMMDD.nc)


def world_dates(years: int, end_date: date) -> pd.DatetimeIndex:
    """Days end_date - years*365 + 1 .. end_date inclusive."""
    if years < 1:
        raise ValueError(f"years must be at least 1, got {years}")
    return pd.date_range(end_date - timedelta(days=years * 365 - 1), end_date, freq="D")


def runs_to_events(flags: np.ndarray, dates: pd.DatetimeIndex, kind: str, site_id: str = "") -> pd.DataFrame:
    """Consecutive True days of `flags` as event rows (kind, site_id, start, end, strength=days, unit)."""
    edges = np.diff(np.r_[0, flags.astype(int), 0])
    starts, stops = np.flatnonzero(edges == 1), np.flatnonzero(edges == -1)
    return pd.DataFrame({"kind": kind, "site_id": site_id, "start": dates[starts].date, "end": dates[stops - 1].date,
                         "strength": stops - starts, "unit": "days"})


def event_table(ocean_events: pd.DataFrame, dates: pd.DatetimeIndex, storms: np.ndarray, damaged: np.ndarray,
                site_ids: list[str]) -> pd.DataFrame:
    """Warm intrusions, kyucho episodes, storm closures and net repairs in one table, by start date."""
    parts = [ocean_events.assign(site_id=""), runs_to_events(storms, dates, "storm_no_fishing")]
    parts += [runs_to_events(damaged[:, i], dates, "net_repair", site_id) for i, site_id in enumerate(site_ids)]
    columns = ["kind", "site_id", "start", "end", "strength", "unit"]
    return pd.concat(parts, ignore_index=True)[columns].sort_values(["start", "kind", "site_id"], ignore_index=True)


def generate_world(out_dir: Path, years: int = 3, sites: int = 10, seed: int = 42,
                   end_date: date = date(2025, 11, 30),
                   response: catch_model.ResponseName = "default",
                   forecast_days: int = forecasts.FORECAST_DAYS) -> WorldFiles:
    """Write a sample Toyama Bay (grids, ocean forecasts, sites, catches, truth) under out_dir; same seed and
    response -> identical files. `response` picks the hidden ocean-to-catch function ("ocean": the school abundance
    has little weight); `forecast_days` how many of the last issue days have ocean forecast files (0: none)."""
    if response not in catch_model.RESPONSES:
        raise ValueError(f"response must be one of {sorted(catch_model.RESPONSES)}, got {response!r}")
    hidden = catch_model.RESPONSES[response]
    root = Path(out_dir)
    rng = np.random.default_rng(seed)
    dates = world_dates(years, end_date)
    doy = day_of_year(dates)

    # The ocean, then the nets' sea cells (never a land cell).
    land = land_mask()
    registry = select_sites(sites)
    site_ids = registry["site_id"].tolist()
    cells = nearest_sea_cells(registry, land)
    if (cells["distance_km"] > MAX_SITE_TO_SEA_KM).any():
        raise ValueError(f"a net lies more than {MAX_SITE_TO_SEA_KM} km from the sea:\n{cells}")
    ocean = build_ocean(rng, dates, land)
    at_nets = catch_model.ocean_at_nets(ocean.temp_c, ocean.east_ms, ocean.north_ms,
                                        cells["row"].to_numpy(), cells["col"].to_numpy())

    # Which nets are hauled each day.
    closed = operations.closed_days(dates)
    storms = operations.storm_days(rng, dates)
    damaged = operations.damaged_days(rng, at_nets.speed_ms, ocean.kyucho_ms)
    operated = ~closed[:, None] & ~storms[:, None] & ~damaged  # (day, site)

    # The hidden function and one draw from it.
    lunar_age = operations.lunar_age_days(dates)
    school = catch_model.school_abundance(rng, len(dates), len(site_ids), hidden)
    expected_kg = catch_model.expected_catch_kg(doy, lunar_age, at_nets, site_ids, school, hidden)
    p_zero = catch_model.zero_probability(expected_kg)
    median_kg = catch_model.median_catch_kg(expected_kg, p_zero)
    catch_kg = catch_model.draw_catch_kg(rng, expected_kg, p_zero)

    # Long tables in (date, site, species) order.
    keys = catch_model.site_day_frame(dates, site_ids)
    keys["date"] = keys["date"].dt.strftime("%Y-%m-%d")
    operated_long = np.repeat(operated.ravel(), len(catch_model.SPECIES_MODELS))
    q10_kg = catch_model.catch_quantile_kg(expected_kg, p_zero, 0.1)
    q90_kg = catch_model.catch_quantile_kg(expected_kg, p_zero, 0.9)
    truth = keys.assign(expected_kg=expected_kg.ravel(), median_kg=median_kg.ravel(), q10_kg=q10_kg.ravel(),
                        q90_kg=q90_kg.ravel(), p_zero=p_zero.ravel(),
                        operated=operated_long.astype(int))
    name_ja = {s.code: s.name_ja for s in SPECIES}
    catches = keys.assign(species=keys["species"].map(name_ja), catch_kg=np.round(catch_kg.ravel(), 1))
    catches = catches[operated_long].reset_index(drop=True)
    # Some cooperatives count their yellowtail by size class, in a file of their own (sample_world.size_classes).
    sized_sites = registry.site_id[registry.coop.isin(size_classes.SIZE_CLASS_COOPS)].tolist()
    sizes = size_classes.split_by_size(catches, sized_sites, seed)
    catches = catches[~((catches.species == size_classes.SIZE_CLASS_SPECIES) & catches.site_id.isin(sized_sites))]

    events = event_table(ocean.events, dates, storms & ~closed, damaged, site_ids)

    grids_dir, catches_dir = root / "grids", root / "catches"
    grids = writers.grid_dataset(dates, ocean.temp_c, ocean.east_ms, ocean.north_ms, ocean.ssh_m)
    writers.remove_stale(grids_dir, "*/toyama_phy_*.nc", writers.write_grids(grids, grids_dir))
    forecast_files = forecasts.write_forecasts(root, seed, dates, ocean, land, forecast_days)
    writers.remove_stale(root / "forecasts", "*/toyama_phy_fc_*.nc", forecast_files.daily)
    writers.remove_stale(root / "forecasts_hourly", "*/toyama_cur_fc_PT1H_*.nc", forecast_files.hourly)
    writers.write_events(forecast_files.episodes, root / "truth" / "kyucho_hourly.csv")
    sites_csv = writers.write_sites(registry, root / "sites.csv")
    writers.remove_stale(catches_dir, "catches_*.csv", writers.write_catches(catches, catches_dir))
    names = dict(zip(registry.site_id, registry.name_ja, strict=True))
    writers.remove_stale(catches_dir, f"{SIZE_FILE_STEM}_*.csv",
                         writers.write_size_classes(sizes, names, catches_dir, SIZE_FILE_STEM))
    truth_csv = writers.write_truth(truth, root / "truth" / "truth.csv")
    writers.write_events(events, root / "truth" / "events.csv")
    writers.write_net_cells(cells, root / "truth" / "net_cells.csv")
    world_json = writers.write_world_json({"years": years, "sites": sites, "seed": seed,
                                           "end_date": end_date.isoformat(), "response": response},
                                          root / "truth" / "world.json")
    return WorldFiles(root=root, sites_csv=sites_csv, grids_dir=grids_dir, catches_dir=catches_dir,
                      truth_csv=truth_csv, world_json=world_json, start_date=dates[0].date(),
                      end_date=dates[-1].date(), response=response, forecasts_dir=root / "forecasts",
                      hourly_forecasts_dir=root / "forecasts_hourly")
