"""The sample world's two hidden responses: the default bay, and an ocean-dominated bay whose school abundance has
little weight (`setnet sample --response ocean`, docs/sample-world.md)."""

from __future__ import annotations

import hashlib
import json
import typing
from dataclasses import fields
from functools import lru_cache
from pathlib import Path

import netCDF4
import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from flows.cli import app, sample
from sample_world import WorldFiles, generate_world
from sample_world.catch_model import (
    DEFAULT_RESPONSE,
    OCEAN_RESPONSE,
    RESPONSES,
    CatchResponse,
    expected_catch_kg,
    ocean_at_nets,
    seasonal_curve,
)
from sample_world.ocean import day_of_year
from sample_world.operations import lunar_age_days

# sha256 of the tiny default world (1 year, 3 nets, seed 42) as generate_world wrote it before the responses
# existed. A change of the default world must be deliberate: then update these and say why in the commit.
# (Issue 13: 氷見漁協's yellowtail moved from catches_YYYY.csv to its own size-class file, buri_sizes_YYYY.csv,
# from a random stream of its own: the truth and every other file are unchanged. Issue 13 also gave the registry,
# sites.csv, an optional coop_en column: the cooperatives' English names, no draw changed.)
DEFAULT_TINY_SHA256 = {
    "sites.csv": "6acd3db27bbb30a35714e867e405f50d41f0e2a2d36de95cc4876707e7c9d3a4",
    "truth/truth.csv": "7e356d27ba4acecfaf24daeaeed93825849231ca2ab59d227480c8a52b16e137",
    "truth/events.csv": "8463c0e985515ef96cfea0ea2880d56719098002eccdf3b8cd95ce18d698d3bd",
    "truth/net_cells.csv": "95ea0fec1d8f447d3ad9f6c76ac6d8beb5d60e31df13febdbd536339f6ab2da9",
    "catches/catches_2024.csv": "b38545aefc36ff0dfee967ef63b6f53734b1b8e894014ef1760ae2edf7eddea0",
    "catches/catches_2025.csv": "1bfa241cf7d4f011ee3239944401a090746012b5c5aacf954e8d7a75b9fcea68",
}
SHARED_FILES = ["sites.csv", "truth/events.csv", "truth/net_cells.csv"]
NOISE_FIELDS = ("code", "depth_index", "peak_doy", "season_kappa", "season_floor", "moon_gain",
                "zero_base", "zero_scale_kg", "catch_sigma")


@pytest.fixture(scope="module")
def ocean_cli(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The tiny world's ocean twin, written through `setnet sample --response ocean`."""
    out = tmp_path_factory.mktemp("ocean_cli")
    result = CliRunner().invoke(app, ["sample", "--out", str(out), "--years", "1", "--sites", "3", "--seed", "42",
                                      "--response", "ocean"])
    assert result.exit_code == 0, result.output
    assert "ocean response" in result.output
    return out


def read_net_ocean_and_keys(world: Path) -> tuple[np.ndarray, np.ndarray, object, list[str], pd.DataFrame]:
    """A world's files -> (doy, lunar age, the ocean at each net's cell as written, site ids, truth)."""
    paths = sorted((world / "grids").glob("*/toyama_phy_*.nc"))
    cubes: dict[str, list[np.ndarray]] = {"thetao": [], "uo": [], "vo": []}
    for path in paths:  # one file per day: I/O only
        with netCDF4.Dataset(path) as nc:
            for name, days in cubes.items():
                days.append(np.asarray(nc[name][0].filled(np.nan), dtype=np.float32))
    temp_c, east_ms, north_ms = (np.stack(cubes[name]) for name in ("thetao", "uo", "vo"))
    cells = pd.read_csv(world / "truth" / "net_cells.csv")
    site_ids = pd.read_csv(world / "sites.csv").site_id.tolist()
    dates = pd.to_datetime([p.stem[-8:] for p in paths], format="%Y%m%d")
    at_nets = ocean_at_nets(temp_c, east_ms, north_ms, cells["row"].to_numpy(), cells["col"].to_numpy())
    truth = pd.read_csv(world / "truth" / "truth.csv")
    assert (truth.site_id.to_numpy().reshape(len(dates), len(site_ids), -1) == np.array(site_ids)[None, :, None]).all()
    return day_of_year(dates), lunar_age_days(dates), at_nets, site_ids, truth


@lru_cache(maxsize=4)
def school_residual(world: Path, response_name: str) -> pd.DataFrame:
    """Per in-season row (season > 0.3, school-free mean > 1 kg): log truth expected_kg and log of the school-free
    function `response` at the same ocean, i.e. log expected = log ocean_kg + log school when `response` is right."""
    response = RESPONSES[response_name]
    doy, lunar, at_nets, site_ids, truth = read_net_ocean_and_keys(world)
    shape = (len(doy), len(site_ids), len(response.species))
    ocean_kg = expected_catch_kg(doy, lunar, at_nets, site_ids, np.ones(shape), response)
    season = np.stack([seasonal_curve(doy, m) for m in response.species], axis=-1)[:, None, :]
    frame = truth[["species"]].assign(expected_kg=truth.expected_kg.to_numpy(), ocean_kg=ocean_kg.ravel(),
                                      season=np.broadcast_to(season, shape).ravel())
    kept = frame[(frame.season > 0.3) & (frame.ocean_kg > 1.0) & (frame.expected_kg > 0.5)]
    return kept.assign(log_expected=np.log(kept.expected_kg), log_ocean=np.log(kept.ocean_kg),
                       log_school=np.log(kept.expected_kg) - np.log(kept.ocean_kg))


# --- the default world is untouched ---

def test_the_default_response_writes_the_files_it_wrote_before_responses_existed(tiny: WorldFiles) -> None:
    digests = {name: hashlib.sha256((tiny.root / name).read_bytes()).hexdigest() for name in DEFAULT_TINY_SHA256}
    assert digests == DEFAULT_TINY_SHA256
    assert tiny.response == "default"
    assert json.loads(tiny.world_json.read_text(encoding="utf-8")) == {
        "years": 1, "sites": 3, "seed": 42, "end_date": "2025-11-30", "response": "default"}


# --- the parameters ---

def test_the_ocean_response_keeps_the_catch_noise_and_quarters_the_school_log_sd() -> None:
    for default, ocean in zip(DEFAULT_RESPONSE.species, OCEAN_RESPONSE.species, strict=True):
        assert {f: getattr(ocean, f) for f in NOISE_FIELDS} == {f: getattr(default, f) for f in NOISE_FIELDS}
        assert ocean.school_sigma == pytest.approx(default.school_sigma / 4)


def test_the_ocean_response_is_a_different_function_not_just_less_noise() -> None:
    for default, ocean in zip(DEFAULT_RESPONSE.species, OCEAN_RESPONSE.species, strict=True):
        assert (ocean.temp_opt_c, ocean.temp_sd_c) != (default.temp_opt_c, default.temp_sd_c), ocean.code
        assert ocean.temp_sd_c < default.temp_sd_c, ocean.code  # the ocean matters more
    assert OCEAN_RESPONSE.current_half_catch_ms < DEFAULT_RESPONSE.current_half_catch_ms
    differ = [f.name for f in fields(DEFAULT_RESPONSE.species[0])
              if any(getattr(d, f.name) != getattr(o, f.name)
                     for d, o in zip(DEFAULT_RESPONSE.species, OCEAN_RESPONSE.species, strict=True))]
    assert sorted(differ) == ["scale_kg", "school_sigma", "temp_opt_c", "temp_sd_c", "warm_gain_per_c"]


def test_an_unknown_response_is_refused_before_anything_is_written(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="response must be one of"):
        generate_world(tmp_path / "w", years=1, sites=1, response="river")  # type: ignore[arg-type]
    assert not (tmp_path / "w").exists()


# --- the CLI reaches the generator ---

def test_the_cli_offers_exactly_the_generators_responses() -> None:
    hints = typing.get_type_hints(sample, include_extras=True)
    choices = typing.get_args(typing.get_args(hints["response"])[0])
    assert set(choices) == set(RESPONSES)
    result = CliRunner().invoke(app, ["sample", "--out", "unused", "--response", "river"])
    assert result.exit_code != 0 and "river" in result.output


def test_setnet_sample_response_ocean_writes_the_ocean_world(ocean_cli: Path, tiny: WorldFiles) -> None:
    recorded = json.loads((ocean_cli / "truth" / "world.json").read_text(encoding="utf-8"))
    assert recorded == {"years": 1, "sites": 3, "seed": 42, "end_date": "2025-11-30", "response": "ocean"}
    assert (ocean_cli / "truth" / "truth.csv").read_bytes() != tiny.truth_csv.read_bytes()


# --- same seed and response -> the same files; the response changes only the catch function ---

def test_same_seed_and_response_give_identical_files(ocean_cli: Path, tmp_path: Path) -> None:
    again = generate_world(tmp_path / "again", years=1, sites=3, seed=42, response="ocean")
    assert again.response == "ocean"
    for name in ["truth/truth.csv", "truth/world.json", "catches/catches_2024.csv", "catches/catches_2025.csv",
                 *SHARED_FILES, "grids/2025/toyama_phy_20250601.nc"]:
        assert (again.root / name).read_bytes() == (ocean_cli / name).read_bytes(), name


def test_the_response_changes_catches_and_truth_but_not_the_ocean_or_the_operations(
        ocean_cli: Path, tiny: WorldFiles) -> None:
    for name in SHARED_FILES:
        assert (ocean_cli / name).read_bytes() == (tiny.root / name).read_bytes(), name
    with netCDF4.Dataset(ocean_cli / "grids/2025/toyama_phy_20250601.nc") as a, \
            netCDF4.Dataset(tiny.grids_dir / "2025/toyama_phy_20250601.nc") as b:
        np.testing.assert_array_equal(a["thetao"][:].filled(np.nan), b["thetao"][:].filled(np.nan))
    ocean_truth, default_truth = pd.read_csv(ocean_cli / "truth" / "truth.csv"), pd.read_csv(tiny.truth_csv)
    assert (ocean_truth.operated == default_truth.operated).all()
    assert not np.allclose(ocean_truth.expected_kg, default_truth.expected_kg)
    catches = "catches/catches_2025.csv"
    assert (ocean_cli / catches).read_bytes() != (tiny.root / catches).read_bytes()


# --- the school has little weight in the ocean world ---

def test_each_worlds_truth_is_its_own_response_times_a_school_of_its_own_size(
        ocean_cli: Path, tiny: WorldFiles) -> None:
    for world, response in ((tiny.root, DEFAULT_RESPONSE), (ocean_cli, OCEAN_RESPONSE)):
        sd = school_residual(world, response.name).groupby("species").log_school.std()
        sigma = pd.Series({m.code: m.school_sigma for m in response.species})
        np.testing.assert_allclose(sd[sigma.index], sigma, rtol=0.45, err_msg=response.name)


def test_the_ocean_world_is_not_the_default_function_with_a_smaller_school(ocean_cli: Path) -> None:
    """Read through the default function, the ocean world's truth leaves far more than its school unexplained."""
    sd = school_residual(ocean_cli, "default").groupby("species").log_school.std()
    sigma = pd.Series({m.code: m.school_sigma for m in OCEAN_RESPONSE.species})
    assert (sd[sigma.index] > 2 * sigma).all(), sd


def test_the_ocean_and_season_explain_more_of_the_expected_catch_in_the_ocean_world(
        ocean_cli: Path, tiny: WorldFiles) -> None:
    def ocean_share(world: Path, response: CatchResponse) -> pd.Series:
        """Per species: r2 of log expected_kg with the log school-free function, on in-season rows."""
        rows = school_residual(world, response.name)
        return rows.groupby("species")[["log_expected", "log_ocean"]].corr().xs("log_expected", level=1).log_ocean ** 2

    default, ocean = ocean_share(tiny.root, DEFAULT_RESPONSE), ocean_share(ocean_cli, OCEAN_RESPONSE)
    shares = pd.DataFrame({"default": default, "ocean": ocean})
    assert (ocean > 0.85).all(), shares
    assert (1 - ocean < 0.5 * (1 - default)).all(), shares  # the school's share at most half the default's
