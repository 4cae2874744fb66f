"""The sample world: a synthetic Toyama Bay written as providers and cooperatives deliver it, plus its oracle."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

import jpholiday
import netCDF4
import numpy as np
import pandas as pd
import pytest
import xarray as xr

from sample_world import WorldFiles, generate_world
from sample_world.catch_model import (
    SPECIES_MODELS,
    current_penalty,
    draw_catch_kg,
    median_catch_kg,
    seasonal_curve,
    zero_probability,
)
from sample_world.geography import haversine_km
from sample_world.size_classes import KG_PER_FISH, SIZE_CLASS_COOPS
from setnet.settings import SPECIES

TINY_END = date(2025, 11, 30)
SITE_COLUMNS = ["site_id", "name_ja", "name_en", "coop", "lat", "lon", "depth_m", "bearing_deg"]
JA_TO_CODE = {s.name_ja: s.code for s in SPECIES}


@pytest.fixture(scope="module")
def catches(tiny: WorldFiles) -> pd.DataFrame:
    """Every catch file of the tiny world, read as text columns plus catch_kg (the yellowtail counted by size class
    summed back to kg by the world's weight of one fish)."""
    files = sorted(tiny.catches_dir.glob("catches_*.csv"))
    kg = pd.concat([pd.read_csv(f, dtype={"date": str, "site_id": str, "species": str}) for f in files],
                   ignore_index=True)
    return pd.concat([kg, sized_as_kg(tiny)], ignore_index=True).sort_values(["date", "site_id"], kind="stable")


def sized_as_kg(world: WorldFiles) -> pd.DataFrame:
    """The size-class files (日付,網名,魚種,銘柄,本数) as date, site_id, species, catch_kg rows."""
    sizes = pd.concat([pd.read_csv(f, dtype=str) for f in sorted(world.catches_dir.glob("buri_sizes_*.csv"))],
                      ignore_index=True)
    ids = dict(zip(pd.read_csv(world.sites_csv).name_ja, pd.read_csv(world.sites_csv).site_id, strict=True))
    sizes = sizes.assign(catch_kg=sizes["本数"].astype(int) * sizes["銘柄"].map(KG_PER_FISH))
    summed = sizes.groupby(["日付", "網名", "魚種"], as_index=False).catch_kg.sum()
    return pd.DataFrame({"date": summed["日付"], "site_id": summed["網名"].map(ids), "species": summed["魚種"],
                         "catch_kg": summed.catch_kg})


@pytest.fixture(scope="module")
def truth(tiny: WorldFiles) -> pd.DataFrame:
    """The oracle of the tiny world."""
    return pd.read_csv(tiny.truth_csv, dtype={"date": str})


@pytest.fixture(scope="module")
def surface_by_month(tiny: WorldFiles) -> dict[int, np.ndarray]:
    """Mean surface temperature of each sea cell per month (from the files, as a consumer reads them)."""
    by_month: dict[int, list[np.ndarray]] = {}
    for path in sorted(tiny.grids_dir.glob("*/*.nc")):
        with netCDF4.Dataset(path) as nc:
            by_month.setdefault(int(path.stem[-4:-2]), []).append(np.asarray(nc["thetao"][0, 0].filled(np.nan)))
    return {month: np.mean(fields, axis=0) for month, fields in by_month.items()}


def open_day(world: WorldFiles, day: date) -> xr.Dataset:
    """The decoded grid of one day."""
    return xr.open_dataset(world.grids_dir / f"{day:%Y}" / f"toyama_phy_{day:%Y%m%d}.nc").load()


def with_codes(catches: pd.DataFrame) -> pd.DataFrame:
    """Catches with species as codes, to join the truth."""
    return catches.assign(species=catches["species"].map(JA_TO_CODE))


# --- layout ---

def test_the_world_spans_years_times_365_days_ending_on_end_date(tiny: WorldFiles) -> None:
    assert tiny.end_date == TINY_END
    assert tiny.start_date == TINY_END - timedelta(days=364)


def test_files_exist_in_the_stated_layout(tiny: WorldFiles) -> None:
    assert tiny.sites_csv == tiny.root / "sites.csv" and tiny.sites_csv.is_file()
    assert tiny.grids_dir == tiny.root / "grids"
    assert tiny.catches_dir == tiny.root / "catches"
    assert tiny.truth_csv == tiny.root / "truth" / "truth.csv" and tiny.truth_csv.is_file()
    days = pd.date_range(tiny.start_date, tiny.end_date, freq="D")
    expected = {f"{d:%Y}/toyama_phy_{d:%Y%m%d}.nc" for d in days}
    found = {p.relative_to(tiny.grids_dir).as_posix() for p in tiny.grids_dir.rglob("*.nc")}
    assert found == expected
    assert sorted(p.name for p in tiny.catches_dir.iterdir()) == ["buri_sizes_2024.csv", "buri_sizes_2025.csv",
                                                                  "catches_2024.csv", "catches_2025.csv"]


def test_one_cooperative_counts_its_yellowtail_by_size_class_in_a_file_of_its_own(tiny: WorldFiles) -> None:
    sites = pd.read_csv(tiny.sites_csv)
    sized = set(sites.name_ja[sites.coop.isin(SIZE_CLASS_COOPS)])
    sizes = pd.concat([pd.read_csv(f, dtype=str) for f in tiny.catches_dir.glob("buri_sizes_*.csv")])
    assert list(sizes.columns) == ["日付", "網名", "魚種", "銘柄", "本数"]
    assert set(sizes["網名"]) == sized and set(sizes["魚種"]) == {"ブリ"}
    assert set(sizes["銘柄"]) == {"ブリ", "ガンド", "フクラギ"}
    assert (sizes.groupby(["日付", "網名"]).size() == 3).all() and (sizes["本数"].astype(int) >= 0).all()
    kg = pd.concat([pd.read_csv(f) for f in tiny.catches_dir.glob("catches_*.csv")])
    in_kg = kg[(kg.species == "ブリ")].site_id.map(dict(zip(sites.site_id, sites.coop, strict=True)))
    assert not in_kg.isin(SIZE_CLASS_COOPS).any()  # their yellowtail are in the size-class file only
    winter = sizes[sizes["日付"].str[5:7].isin(["12", "01", "02"])]
    fish = winter.assign(kg=winter["本数"].astype(int) * winter["銘柄"].map(KG_PER_FISH)).groupby("銘柄").kg.sum()
    assert fish["ブリ"] > fish["ガンド"] > 0 and fish["ブリ"] > fish["フクラギ"] > 0  # 寒ブリ: adults in winter


# --- ocean grids ---

def test_grids_decode_with_copernicus_names_units_and_standard_names(tiny: WorldFiles) -> None:
    ds = open_day(tiny, date(2025, 3, 1))
    expected = {
        "thetao": ("sea_water_potential_temperature", "degrees_C"),
        "uo": ("eastward_sea_water_velocity", "m s-1"),
        "vo": ("northward_sea_water_velocity", "m s-1"),
        "zos": ("sea_surface_height_above_geoid", "m"),
    }
    assert set(ds.data_vars) == set(expected)
    for name, (standard_name, units) in expected.items():
        assert ds[name].attrs["standard_name"] == standard_name
        assert ds[name].attrs["units"] == units
        assert ds[name].dtype == np.float32
    for name in ("thetao", "uo", "vo"):
        assert ds[name].dims == ("time", "depth", "latitude", "longitude")
    assert ds["zos"].dims == ("time", "latitude", "longitude")
    assert ds.attrs["Conventions"] == "CF-1.6"
    assert ds.attrs["source"] == "setnet sample world (synthetic)"
    assert ds.attrs["title"]


def test_time_is_midnight_in_hours_since_1950_and_depth_is_positive_down(tiny: WorldFiles) -> None:
    ds = open_day(tiny, date(2025, 3, 1))
    assert [pd.Timestamp(t) for t in ds.time.values] == [pd.Timestamp("2025-03-01 00:00")]
    assert ds.time.encoding["units"] == "hours since 1950-01-01"
    assert ds.time.encoding["calendar"] == "gregorian"
    np.testing.assert_allclose(ds.depth.values, [0.494025, 47.37369, 92.32607], rtol=1e-6)
    assert ds.depth.attrs["positive"] == "down"
    assert ds.depth.attrs["standard_name"] == "depth"
    assert ds.depth.attrs["axis"] == "Z"
    assert ds.depth.attrs["units"] == "m"


def test_grid_covers_toyama_bay_at_0_05_degrees(tiny: WorldFiles) -> None:
    ds = open_day(tiny, date(2025, 3, 1))
    np.testing.assert_allclose(ds.latitude.values, np.linspace(36.0, 38.0, 41), atol=1e-4)
    np.testing.assert_allclose(ds.longitude.values, np.linspace(136.0, 138.5, 51), atol=1e-4)
    assert (ds.latitude.attrs["units"], ds.latitude.attrs["standard_name"]) == ("degrees_north", "latitude")
    assert (ds.longitude.attrs["units"], ds.longitude.attrs["standard_name"]) == ("degrees_east", "longitude")


@pytest.mark.parametrize(
    ("place", "lat", "lon", "is_land"),
    [
        ("Toyama plain", 36.60, 137.20, True),
        ("Noto Peninsula", 37.20, 136.90, True),
        ("Joetsu hinterland", 37.00, 138.30, True),
        ("middle of Toyama Bay", 36.90, 137.25, False),
        ("open Japan Sea", 37.80, 137.50, False),
        ("off Kanazawa", 36.80, 136.40, False),
    ],
)
def test_land_is_nan_and_sea_has_values(tiny: WorldFiles, place: str, lat: float, lon: float, is_land: bool) -> None:
    ds = open_day(tiny, date(2025, 8, 15))
    cell = ds.sel(latitude=lat, longitude=lon, method="nearest")
    for name in ("thetao", "uo", "vo", "zos"):
        values = cell[name].values
        assert np.isnan(values).all() if is_land else np.isfinite(values).all(), f"{name} at {place}"


def test_land_mask_is_the_same_for_every_variable_and_depth(tiny: WorldFiles) -> None:
    ds = open_day(tiny, date(2025, 1, 10))
    land = np.isnan(ds.zos.values[0])
    assert 0.3 < land.mean() < 0.6
    for name in ("thetao", "uo", "vo"):
        for level in range(3):
            assert (np.isnan(ds[name].values[0, level]) == land).all()


def test_surface_is_more_than_10_c_colder_in_march_than_in_august(surface_by_month: dict[int, np.ndarray]) -> None:
    march, august = np.nanmean(surface_by_month[3]), np.nanmean(surface_by_month[8])
    assert 8.0 < march < 13.0
    assert 24.0 < august < 29.0
    assert august - march > 10.0


def test_deeper_water_is_colder_in_summer_and_varies_less(tiny: WorldFiles) -> None:
    monthly = []
    for day in pd.date_range(tiny.start_date, tiny.end_date, freq="7D"):
        ds = open_day(tiny, day.date())
        monthly.append(ds.thetao.mean(["latitude", "longitude"]).values[0])
    levels = np.array(monthly)  # (week, depth)
    ranges = levels.max(axis=0) - levels.min(axis=0)
    assert ranges[0] > ranges[1] > ranges[2]
    assert levels[:, 2].min() > 8.5 and levels[:, 2].max() < 19.0
    summer = levels[[i for i, d in enumerate(pd.date_range(tiny.start_date, tiny.end_date, freq="7D"))
                     if d.month == 8]]
    assert (summer[:, 0] > summer[:, 1]).all() and (summer[:, 1] > summer[:, 2]).all()


def test_currents_are_a_few_tenths_of_a_metre_per_second(tiny: WorldFiles) -> None:
    speeds = []
    for day in pd.date_range(tiny.start_date, tiny.end_date, freq="5D"):
        ds = open_day(tiny, day.date())
        speeds.append(np.hypot(ds.uo.values[0, 0], ds.vo.values[0, 0]))
    speed_ms = np.array(speeds)
    assert 0.05 < np.nanmedian(speed_ms) < 0.3
    assert np.nanpercentile(speed_ms, 99) < 1.0


def test_kyucho_episodes_bring_swift_coastal_currents_and_a_sea_level_jump(tiny: WorldFiles) -> None:
    events = pd.read_csv(tiny.root / "truth" / "events.csv", parse_dates=["start"])
    kyucho = events[(events.kind == "kyucho") & (events.start >= pd.Timestamp(tiny.start_date) + pd.Timedelta(days=5))]
    assert not kyucho.empty, "seed 42 has kyucho episodes in the tiny world"
    first = kyucho.start.iloc[0].date()
    calm = open_day(tiny, first - timedelta(days=5))
    swift = max((open_day(tiny, first + timedelta(days=k)) for k in range(3) if first + timedelta(days=k) <= tiny.end_date),
                key=lambda ds: float(np.nanmax(np.hypot(ds.uo.values, ds.vo.values))))
    assert 0.6 <= float(np.nanmax(np.hypot(swift.uo.values[0, 0], swift.vo.values[0, 0]))) <= 1.3
    assert float(np.nanmax(swift.zos.values - calm.zos.values)) > 0.05


# --- site registry ---

def test_sites_csv_has_the_registry_columns_and_the_first_three_nets_span_two_cooperatives(tiny: WorldFiles) -> None:
    assert tiny.sites_csv.read_text(encoding="utf-8").splitlines()[0] == ",".join(SITE_COLUMNS)
    sites = pd.read_csv(tiny.sites_csv)
    assert len(sites) == 3 and sites.site_id.is_unique
    assert sites.coop.nunique() >= 2
    assert sites.depth_m.between(30, 80).all()
    assert sites.bearing_deg.between(0, 360).all()
    assert sites.lat.between(36.7, 37.1).all() and sites.lon.between(136.9, 137.7).all()


def test_every_net_is_within_5_km_of_a_sea_cell(tmp_path: Path) -> None:
    world = generate_world(tmp_path, years=1, sites=10, seed=1, end_date=date(2024, 1, 10))
    sites = pd.read_csv(world.sites_csv)
    assert len(sites) == 10
    ds = open_day(world, date(2024, 1, 10))
    sea = np.isfinite(ds.thetao.values[0, 0])
    lat2, lon2 = np.meshgrid(ds.latitude.values, ds.longitude.values, indexing="ij")
    for site in sites.itertuples():
        distance_km = haversine_km(site.lat, site.lon, lat2[sea], lon2[sea])
        assert distance_km.min() < 5.0, site.site_id


def test_sites_outside_1_to_10_are_refused(tmp_path: Path) -> None:
    for bad in (0, 11):
        with pytest.raises(ValueError):
            generate_world(tmp_path, years=1, sites=bad)


# --- catches ---

def test_catch_files_have_the_canonical_header_and_japanese_species(tiny: WorldFiles, catches: pd.DataFrame) -> None:
    for path in tiny.catches_dir.glob("catches_*.csv"):
        assert path.read_text(encoding="utf-8").splitlines()[0] == "date,site_id,species,catch_kg"
    assert set(catches.species) == {"ブリ", "ホタルイカ", "マイワシ", "スルメイカ"}
    assert catches.date.str.fullmatch(r"\d{4}-\d{2}-\d{2}").all()
    assert (catches.catch_kg >= 0).all()
    assert np.allclose(catches.catch_kg, catches.catch_kg.round(1))
    years = {p.stem[-4:]: set(pd.read_csv(p).date.str[:4]) for p in tiny.catches_dir.glob("catches_*.csv")}
    assert all(found == {year} for year, found in years.items())


def test_no_rows_on_sundays_or_public_holidays(catches: pd.DataFrame) -> None:
    days = pd.to_datetime(catches.date.drop_duplicates())
    assert (days.dt.day_of_week != 6).all()
    assert not any(jpholiday.is_holiday(d.date()) for d in days)
    assert not any((d.month, d.day) in {(1, 1), (1, 2), (1, 3)} for d in days)


def test_rows_exist_exactly_on_the_days_the_truth_marks_operated(catches: pd.DataFrame, truth: pd.DataFrame) -> None:
    operated = truth[truth.operated == 1][["date", "site_id", "species"]]
    rows = with_codes(catches)[["date", "site_id", "species"]]
    assert len(rows) == len(operated)
    merged = rows.merge(operated, how="outer", indicator=True)
    assert (merged["_merge"] == "both").all()
    per_site_day = catches.groupby(["date", "site_id"]).size()
    assert (per_site_day == 4).all()  # a hauled net reports every species; an idle one none


def test_some_operable_days_are_lost_to_storms_and_repairs(truth: pd.DataFrame) -> None:
    days = truth.drop_duplicates(["date", "site_id"]).copy()
    when = pd.to_datetime(days.date)
    open_days = (when.dt.day_of_week != 6) & ~when.map(lambda d: jpholiday.is_holiday(d.date()))
    idle_share = 1 - days.operated[open_days].mean()
    assert 0.01 < idle_share < 0.25
    by_date = days.groupby("date").operated.agg(["min", "max"])
    assert ((by_date["min"] == 0) & (by_date["max"] == 0)).sum() > 52 + 10  # Sundays, holidays and storms


def test_zero_catches_are_common_and_the_tail_is_heavy(catches: pd.DataFrame) -> None:
    assert 0.1 < (catches.catch_kg == 0).mean() < 0.8
    positive = catches.catch_kg[catches.catch_kg > 0]
    assert positive.max() > 20 * positive.median()
    site_day_kg = catches.groupby(["date", "site_id"]).catch_kg.sum()
    assert 100 < site_day_kg.median() < 2000
    assert site_day_kg.quantile(0.95) > 1000


def test_species_come_in_their_seasons(truth: pd.DataFrame) -> None:
    month = truth.date.str[5:7].astype(int)
    mean_kg = truth.assign(month=month).pivot_table(index="month", columns="species", values="expected_kg")
    assert mean_kg["yellowtail"][[12, 1, 2]].mean() > 5 * mean_kg["yellowtail"][[6, 7, 8]].mean()  # 寒ブリ
    assert mean_kg["firefly_squid"][[4, 5]].mean() > 20 * mean_kg["firefly_squid"][[9, 10, 11]].mean()
    assert mean_kg["common_squid"][[3, 4, 5]].mean() > 5 * mean_kg["common_squid"][[8, 9, 10]].mean()
    assert mean_kg["sardine"][[5, 6, 7]].mean() > mean_kg["sardine"][[1, 2]].mean()


def test_catch_follows_the_hidden_expected_value(catches: pd.DataFrame, truth: pd.DataFrame) -> None:
    joined = with_codes(catches).merge(truth, on=["date", "site_id", "species"])
    assert joined.catch_kg.corr(joined.expected_kg, method="spearman") > 0.6
    for code, rows in joined.groupby("species"):
        assert rows.catch_kg.corr(rows.expected_kg, method="spearman") > 0.3, code
        assert 0.7 < rows.catch_kg.mean() / rows.expected_kg.mean() < 1.3, code


def test_yesterdays_catch_carries_information(catches: pd.DataFrame) -> None:
    ordered = catches.sort_values(["site_id", "species", "date"])
    previous_kg = ordered.groupby(["site_id", "species"]).catch_kg.shift(1)
    for species, rows in ordered.assign(previous_kg=previous_kg).dropna().groupby("species"):
        assert rows.catch_kg.corr(rows.previous_kg, method="spearman") > 0.25, species


# --- truth ---

def test_truth_covers_every_date_site_and_species(tiny: WorldFiles, truth: pd.DataFrame) -> None:
    assert tiny.truth_csv.read_text(encoding="utf-8").splitlines()[0] == \
        "date,site_id,species,expected_kg,median_kg,q10_kg,q90_kg,p_zero,operated"
    days = pd.date_range(tiny.start_date, tiny.end_date, freq="D").strftime("%Y-%m-%d")
    sites = pd.read_csv(tiny.sites_csv).site_id
    assert len(truth) == len(days) * len(sites) * 4
    assert not truth.duplicated(["date", "site_id", "species"]).any()
    assert set(truth.date) == set(days) and set(truth.site_id) == set(sites)
    assert set(truth.species) == {s.code for s in SPECIES}
    assert set(truth.operated) == {0, 1}
    assert (truth.median_kg <= truth.expected_kg + 1e-3).all() and (truth.median_kg >= 0).all()
    assert ((truth.q10_kg <= truth.median_kg) & (truth.median_kg <= truth.q90_kg)).all()
    assert truth.p_zero.between(0, 1).all()
    assert (truth.q10_kg[truth.p_zero >= 0.1] == 0).all() and (truth.q10_kg[truth.p_zero < 0.099] > 0).all()


def test_firefly_squid_prefer_dark_nights(truth: pd.DataFrame) -> None:
    import ephem

    squid = truth[(truth.species == "firefly_squid") & truth.date.str[5:7].isin(["04", "05"])].copy()
    squid["moon_lit"] = [ephem.Moon(f"{d} 00:00").moon_phase for d in squid.date]  # 0 new .. 1 full
    dark = squid[squid.moon_lit < 0.25].expected_kg.mean()
    bright = squid[squid.moon_lit > 0.75].expected_kg.mean()
    assert dark > 1.5 * bright


# --- the hidden function's pieces ---

def test_seasons_peak_where_the_fishers_expect_them() -> None:
    doy = np.arange(1, 366, dtype=float)
    peaks = {m.code: int(doy[seasonal_curve(doy, m).argmax()]) for m in SPECIES_MODELS}
    assert peaks["yellowtail"] >= 335 or peaks["yellowtail"] <= 59  # December-February
    assert 91 <= peaks["firefly_squid"] <= 151  # April-May
    assert 91 <= peaks["common_squid"] <= 151
    assert 121 <= peaks["sardine"] <= 243  # May-August, a broad season


def test_swift_currents_cut_the_catch() -> None:
    speed_ms = np.array([0.1, 0.3, 0.5, 0.8, 1.2])
    penalty = current_penalty(speed_ms)
    assert penalty[0] > 0.99 and penalty[2] == pytest.approx(0.5) and penalty[-1] < 0.05
    assert (np.diff(penalty) < 0).all()


def test_truth_mean_and_median_match_the_drawn_distribution() -> None:
    rng = np.random.default_rng(0)
    expected_kg = np.broadcast_to(np.array([80.0, 300.0, 900.0, 15.0]), (40000, 1, 4)).copy()
    p_zero = zero_probability(expected_kg)
    draws = draw_catch_kg(rng, expected_kg, p_zero)
    median = median_catch_kg(expected_kg, p_zero)[0, 0]
    np.testing.assert_allclose(draws.mean(axis=0)[0], expected_kg[0, 0], rtol=0.08)
    np.testing.assert_allclose(np.median(draws, axis=0)[0], median, rtol=0.05, atol=0.5)


# --- determinism ---

def test_same_seed_gives_identical_files_and_another_seed_does_not(tiny: WorldFiles, tmp_path: Path) -> None:
    again = generate_world(tmp_path / "again", years=1, sites=3, seed=42)
    other = generate_world(tmp_path / "other", years=1, sites=3, seed=43)
    name = "catches_2025.csv"
    assert (again.catches_dir / name).read_bytes() == (tiny.catches_dir / name).read_bytes()
    assert again.truth_csv.read_bytes() == tiny.truth_csv.read_bytes()
    assert again.sites_csv.read_bytes() == tiny.sites_csv.read_bytes()
    assert (other.catches_dir / name).read_bytes() != (tiny.catches_dir / name).read_bytes()
    day = date(2025, 6, 1)
    mine, same, different = open_day(tiny, day), open_day(again, day), open_day(other, day)
    for variable in ("thetao", "uo", "vo", "zos"):
        np.testing.assert_array_equal(mine[variable].values, same[variable].values)
        assert not np.allclose(mine[variable].values, different[variable].values, equal_nan=True)


def test_regenerating_into_the_same_folder_leaves_no_stale_files(tmp_path: Path) -> None:
    generate_world(tmp_path, years=1, sites=1, end_date=date(2024, 6, 30))
    world = generate_world(tmp_path, years=1, sites=1, end_date=date(2025, 3, 31))
    grid_days = sorted(p.stem[-8:] for p in world.grids_dir.rglob("*.nc"))
    assert (grid_days[0], grid_days[-1], len(grid_days)) == ("20240401", "20250331", 365)
    assert sorted(p.name for p in world.catches_dir.iterdir()) == ["buri_sizes_2024.csv", "buri_sizes_2025.csv",
                                                                  "catches_2024.csv", "catches_2025.csv"]


# --- the default world ---

@pytest.mark.slow
def test_default_world_has_himi_like_species_proportions(tmp_path: Path) -> None:
    world = generate_world(tmp_path / "default")  # how long it takes: `make bench-pipeline`, not a test
    assert (world.end_date - world.start_date).days + 1 == 3 * 365
    catches = pd.concat(pd.read_csv(p) for p in sorted(world.catches_dir.glob("catches_*.csv")))
    assert catches.site_id.nunique() == 10
    share = catches.groupby("species").catch_kg.sum() / catches.catch_kg.sum()
    assert 0.65 < share["マイワシ"] < 0.87  # sardine ~77 % of the four
    assert 0.10 < share["ホタルイカ"] + share["スルメイカ"] < 0.28  # squids ~18 %
    assert 0.025 < share["ブリ"] < 0.09  # yellowtail ~5 %


def test_time_is_stored_as_hours_since_1950_at_midnight(tiny: WorldFiles) -> None:
    with netCDF4.Dataset(tiny.grids_dir / "2025" / "toyama_phy_20250301.nc") as nc:
        hours = float(nc["time"][0])
        assert nc["time"].units == "hours since 1950-01-01"
    assert hours == (date(2025, 3, 1) - date(1950, 1, 1)).days * 24
