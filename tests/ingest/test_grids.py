"""Ocean grids: every product's layout becomes the same canonical grid; the store overlays per variable, keeps
provenance, refuses bad files without changing anything, and survives a crash part-way."""

import logging
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import xarray as xr

from ingest import IngestError, ingest_grids, ingest_sites, normalise_grid, open_grid_store
from ingest.products import load_product_table
from ingest.store import begin_journal, journal_path
from setnet.settings import Settings
from setnet.warehouse import connect
from tests.conftest import SHARED_DATA, copernicus_like_grid, write_daily_files
from tests.fixtures import TINY_SITES
from tests.ingest import product_files as pf

OISST_REAL = SHARED_DATA / "oisst_v2_daily_2003_2004_east_tasmania.nc"
PACKING_TOLERANCE = {"temp_c": 0.006, "salinity_psu": 0.001, "eastward_current_ms": 0.001,
                     "northward_current_ms": 0.001, "ssh_m": 0.001}


def normalised(path: Path) -> tuple[str, xr.Dataset]:
    """A provider file read as ingest reads it: product recognised, normalised to daily canonical fields."""
    products = load_product_table()
    with xr.open_dataset(path) as ds:
        product = products.identify(path.name, ds.attrs)
        return product.name, normalise_grid(ds, str(path), product).load()


def assert_matches_truth(canonical: xr.Dataset, truth: xr.Dataset) -> None:
    for name in canonical.data_vars:
        expected = truth[name].sel(time=canonical.time)
        if "depth" in expected.dims:
            expected = expected.sel(depth=canonical.depth, method="nearest")
        np.testing.assert_allclose(canonical[name].values, expected.values, atol=PACKING_TOLERANCE[name],
                                   err_msg=name)


def stored_state(settings: Settings) -> tuple[xr.Dataset | None, pd.DataFrame]:
    """Everything a grid ingest may change: the store's values and the provenance table."""
    store = open_grid_store(settings.grid_store_path).load() if settings.grid_store_path.exists() else None
    with connect(settings.warehouse_path) as con:
        sources = con.execute("SELECT * FROM grid_sources ORDER BY ALL").df()
    return store, sources


def sources(settings: Settings) -> pd.DataFrame:
    with connect(settings.warehouse_path, read_only=True) as con:
        return con.execute("SELECT date, variable, product, file FROM grid_sources ORDER BY ALL").df()


# --- normalisation: every layout, the same canonical values ---------------------------------------------------

@pytest.mark.parametrize(
    ("write", "product", "variables"),
    [
        (lambda t, d: pf.write_copernicus(t, d / "cmems_mod_glo_phy_my_0.083deg_P1D-m_2024.nc"), "copernicus_phy", 5),
        (lambda t, d: pf.write_copernicus(t, d / "cmems_mod_glo_phy-thetao_anfc.nc", packed=True), "copernicus_phy", 5),
        (lambda t, d: pf.write_oisst(t, d)[0], "oisst", 1),
        (lambda t, d: pf.write_fora(t, d / "fora_wnp30_2024.nc"), "fora_wnp30", 5),
        (lambda t, d: pf.write_jcope2m(t, d / "jcope2m_2024.nc"), "jcope2m", 5),
        (lambda t, d: pf.write_ghrsst(t, d)[0], "ghrsst", 1),
    ],
    ids=["copernicus", "copernicus-packed", "oisst", "fora-wnp30-cm", "jcope2m-table", "ghrsst-kelvin"],
)
def test_each_product_layout_normalises_to_the_same_canonical_values(write, product: str, variables: int,
                                                                     tmp_path: Path) -> None:
    truth = pf.truth(days=2)
    name, canonical = normalised(write(truth, tmp_path))
    assert name == product
    assert len(canonical.data_vars) == variables
    assert canonical.temp_c.dims == ("time", "depth", "lat", "lon")
    assert bool((canonical.lat.diff("lat") > 0).all()) and bool((canonical.lon.diff("lon") > 0).all())
    assert (canonical.time.dt.hour == 0).all()
    assert_matches_truth(canonical, truth)


def test_hycom_three_hourly_steps_in_one_file_average_to_the_daily_truth(tmp_path: Path) -> None:
    truth = pf.truth(days=1)
    steps = [xr.open_dataset(p) for p in pf.write_hycom_steps(truth, tmp_path)]
    name, canonical = "hycom", normalise_grid(xr.concat(steps, dim="time"), "hycom.nc", load_product_table().get("hycom"))
    assert canonical.sizes["time"] == 1
    assert_matches_truth(canonical, truth)
    assert name == load_product_table().identify("hycom_glby_930_2024010100_t000.nc", {}).name


def test_a_domain_across_the_0_360_seam_becomes_one_contiguous_grid() -> None:
    lon_360 = np.array([358.5, 359.0, 359.5, 0.0, 0.5, 1.0])  # as cut from a 0..360 product
    ds = xr.Dataset({"sst": (("time", "lat", "lon"), np.arange(12.0).reshape(1, 2, 6), {"units": "degC"})},
                    coords={"time": pd.to_datetime(["2024-01-01"]), "lat": [50.0, 50.5], "lon": lon_360})
    canonical = normalise_grid(ds)
    assert canonical.lon.values.tolist() == [-1.5, -1.0, -0.5, 0.0, 0.5, 1.0]
    assert canonical.temp_c.isel(time=0, depth=0, lat=0).values.tolist() == [0.0, 1.0, 2.0, 3.0, 4.0, 5.0]


def test_currents_in_cm_per_second_and_height_in_cm_are_converted(tmp_path: Path) -> None:
    truth = pf.truth(days=1)
    _, canonical = normalised(pf.write_fora(truth, tmp_path / "fora_wnp30.nc"))
    assert canonical.eastward_current_ms.attrs["units"] == "m s-1" and canonical.ssh_m.attrs["units"] == "m"
    assert float(np.nanmax(np.abs(canonical.eastward_current_ms))) < 1.0  # m/s, not cm/s


def test_the_real_oisst_file_reads_as_surface_temperature_in_celsius() -> None:
    if not OISST_REAL.exists():
        pytest.skip(f"shared real data absent: {OISST_REAL} (../shared is not beside the project)")
    with xr.open_dataset(OISST_REAL) as ds:
        canonical = normalise_grid(ds.isel(time=slice(0, 40)), str(OISST_REAL)).load()
    assert canonical.temp_c.dims == ("time", "depth", "lat", "lon")
    assert canonical.depth.values.tolist() == [0.0]
    assert str(canonical.time.values[0])[:10] == "2003-01-01"
    assert (canonical.time.dt.hour == 0).all()  # stamped at 12:00 by NOAA, stored as the day
    assert 10 < float(canonical.temp_c.mean()) < 25  # Tasmanian summer, degrees C


def test_the_real_oisst_file_is_stored_for_nets_it_covers_and_refused_for_nets_it_does_not(
        settings: Settings, sites_csv: Path, tmp_path: Path) -> None:
    if not OISST_REAL.exists():
        pytest.skip(f"shared real data absent: {OISST_REAL} (../shared is not beside the project)")
    ingest_sites(settings, sites_csv)  # Toyama Bay nets: far from Tasmania
    himi = TINY_SITES.set_index("site_id").loc["himi"]
    with pytest.raises(IngestError, match=re.escape(f"does not cover net himi at ({himi.lat:.3f}, {himi.lon:.3f})")):
        ingest_grids(settings, [OISST_REAL])
    assert not settings.grid_store_path.exists()
    tasmania = Settings(data_dir=tmp_path / "tasmania")
    registry = tmp_path / "tasmania.csv"
    registry.write_text("site_id,name_ja,name_en,coop,lat,lon,depth_m,bearing_deg\n"
                        "swansea,スワンシー,Swansea,c,-42.1,148.1,30,90\n", encoding="utf-8")
    ingest_sites(tasmania, registry)
    result = ingest_grids(tasmania, [OISST_REAL])
    assert (result.days_added, result.first_day, result.last_day) == (731, "2003-01-01", "2004-12-31")
    assert set(sources(tasmania)["product"]) == {"cf_generic"}  # a subset whose attributes name no product


# --- the store: overlay, provenance, overlap decisions ---------------------------------------------------------

def test_daily_files_are_ingested_and_rerunning_them_changes_nothing(settings: Settings, tmp_path: Path) -> None:
    write_daily_files(copernicus_like_grid(days=6), tmp_path / "nc")
    first = ingest_grids(settings, [tmp_path / "nc"])
    before = stored_state(settings)
    again = ingest_grids(settings, [tmp_path / "nc"])
    assert (first.days_added, first.days_replaced) == (6, 0)
    assert (again.files_unchanged, again.days_added, again.days_replaced) == (6, 0, 0)
    after = stored_state(settings)
    xr.testing.assert_identical(after[0], before[0])
    pd.testing.assert_frame_equal(after[1], before[1])
    with connect(settings.warehouse_path, read_only=True) as con:
        files = con.execute("SELECT kind, outcome, length(checksum) FROM ingested_files").fetchall()
    assert files == [("grids", "stored", 64)] * 6


def test_later_days_append_earlier_days_rebuild_and_newer_files_win(settings: Settings, tmp_path: Path) -> None:
    grid = copernicus_like_grid(days=12)
    write_daily_files(grid.isel(time=slice(4, 8)), tmp_path / "middle")
    write_daily_files(grid.isel(time=slice(10, 12)), tmp_path / "later")  # leaves a two-day gap
    write_daily_files(grid.isel(time=slice(0, 5)), tmp_path / "earlier")  # overlaps one stored day
    for folder in ("middle", "later", "earlier"):
        ingest_grids(settings, [tmp_path / folder])
    stored = open_grid_store(settings.grid_store_path)
    assert pd.DatetimeIndex(stored.time.values).equals(pd.date_range("2024-01-01", periods=12, freq="D"))
    assert bool(stored.temp_c.isel(time=8).isnull().all()) and bool(stored.temp_c.isel(time=9).isnull().all())
    expected = normalise_grid(grid)
    np.testing.assert_allclose(stored.temp_c.isel(time=slice(0, 8)).values, expected.temp_c.isel(time=slice(0, 8)).values)

    revised = grid.isel(time=slice(5, 6)).assign(thetao=grid.thetao.isel(time=slice(5, 6)) + 1.0)
    write_daily_files(revised, tmp_path / "revised")
    result = ingest_grids(settings, [tmp_path / "revised"])
    assert (result.days_added, result.days_replaced) == (0, 1)
    assert any("replaces temp_c of 1 day(s) (2024-01-06..2024-01-06)" in d for d in result.decisions), "\n".join(result.decisions)
    stored = open_grid_store(settings.grid_store_path)
    np.testing.assert_allclose(stored.temp_c.isel(time=5).values, expected.temp_c.isel(time=5).values + 1.0, atol=1e-5)


def test_temperature_and_currents_of_a_day_in_separate_files_are_merged(settings: Settings, tmp_path: Path) -> None:
    truth = pf.truth(days=2)
    pf.write_copernicus(truth, tmp_path / "cmems_mod_glo_phy-thetao_anfc_2024.nc", variables=("thetao",))
    pf.write_copernicus(truth, tmp_path / "cmems_mod_glo_phy-cur_anfc_2024.nc", variables=("uo", "vo"))
    ingest_grids(settings, [tmp_path / "cmems_mod_glo_phy-thetao_anfc_2024.nc"])
    ingest_grids(settings, [tmp_path / "cmems_mod_glo_phy-cur_anfc_2024.nc"])  # must not NaN-out temperature
    stored = open_grid_store(settings.grid_store_path).load()
    assert_matches_truth(stored[["temp_c", "eastward_current_ms", "northward_current_ms"]], truth)
    assert bool(stored.ssh_m.isnull().all())  # nobody delivered it
    files = sources(settings).groupby("variable").file.first().map(lambda f: Path(f).name)
    assert files.to_dict() == {"temp_c": "cmems_mod_glo_phy-thetao_anfc_2024.nc",
                               "eastward_current_ms": "cmems_mod_glo_phy-cur_anfc_2024.nc",
                               "northward_current_ms": "cmems_mod_glo_phy-cur_anfc_2024.nc"}


def test_two_products_on_different_grids_share_the_store_and_provenance_says_which(
        settings: Settings, tmp_path: Path) -> None:
    truth = pf.truth(days=2)
    pf.write_copernicus(truth, tmp_path / "cmems_mod_glo_phy_cur.nc", variables=("uo", "vo", "zos"))
    coarse = truth.isel(lat=slice(None, None, 2), lon=slice(None, None, 2))  # a coarser SST grid
    pf.write_oisst(coarse, tmp_path / "oisst")
    ingest_grids(settings, [tmp_path / "cmems_mod_glo_phy_cur.nc"])
    ingest_grids(settings, [tmp_path / "oisst"])
    stored = open_grid_store(settings.grid_store_path).load()
    assert stored.sizes["lat"] == truth.sizes["lat"]  # the store keeps its grid; OISST is interpolated onto it
    assert float(stored.temp_c.isel(depth=0).notnull().sum()) > 0
    assert bool(stored.temp_c.isel(depth=slice(1, None)).isnull().all())  # OISST has only the surface
    assert_matches_truth(stored[["eastward_current_ms", "ssh_m"]], truth)
    with connect(settings.warehouse_path, read_only=True) as con:
        products = dict(con.execute("SELECT DISTINCT variable, product || CASE WHEN regridded THEN '~' ELSE '' END"
                                    " FROM grid_sources").fetchall())
    assert products == {"temp_c": "oisst~", "eastward_current_ms": "copernicus_phy",
                        "northward_current_ms": "copernicus_phy", "ssh_m": "copernicus_phy"}


def test_oisst_final_files_replace_preliminary_ones_and_never_the_reverse(
        settings: Settings, tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    truth = pf.truth(days=2)
    pf.write_oisst(truth, tmp_path / "prelim", preliminary=True, offset_c=0.5)
    pf.write_oisst(truth, tmp_path / "final")
    ingest_grids(settings, [tmp_path / "prelim"])
    with caplog.at_level(logging.INFO, logger="ingest"):
        result = ingest_grids(settings, [tmp_path / "final"])
    assert result.days_replaced == 2
    assert "_preliminary.nc where it has values (the newer file wins)" in caplog.text
    final = open_grid_store(settings.grid_store_path).temp_c.isel(depth=0).load()
    assert_matches_truth(final.to_dataset().expand_dims(depth=[truth.depth.values[0]], axis=1)
                         .transpose("time", "depth", "lat", "lon"), truth)
    ingest_grids(settings, [tmp_path / "prelim"], force=True)  # a preliminary arriving late changes nothing
    xr.testing.assert_identical(open_grid_store(settings.grid_store_path).temp_c.isel(depth=0).load(), final)


def test_hourly_files_of_a_day_are_averaged_together(settings: Settings, tmp_path: Path) -> None:
    truth = pf.truth(days=2)
    pf.write_hycom_steps(truth, tmp_path / "hycom")
    result = ingest_grids(settings, [tmp_path / "hycom"])
    assert (result.files, result.days_added) == (16, 2)
    assert_matches_truth(open_grid_store(settings.grid_store_path).load(), truth)


def test_a_many_day_file_overlapping_stored_days_wins_on_its_days_only(settings: Settings, tmp_path: Path) -> None:
    truth = pf.truth(days=4)
    pf.write_copernicus(truth.isel(time=slice(0, 3)), tmp_path / "cmems_a.nc")
    newer = truth.isel(time=slice(2, 4)).copy(deep=True)
    newer["temp_c"] = newer.temp_c + 2.0
    pf.write_fora(newer, tmp_path / "fora_wnp30_b.nc")
    ingest_grids(settings, [tmp_path / "cmems_a.nc"])
    result = ingest_grids(settings, [tmp_path / "fora_wnp30_b.nc"])
    assert (result.days_added, result.days_replaced) == (1, 1)
    stored = open_grid_store(settings.grid_store_path).load()
    np.testing.assert_allclose(stored.temp_c.isel(time=slice(0, 2)), truth.temp_c.isel(time=slice(0, 2)), atol=1e-5)
    np.testing.assert_allclose(stored.temp_c.isel(time=slice(2, 4)), newer.temp_c, atol=1e-5)


def test_files_are_found_by_glob_and_a_product_can_be_named(settings: Settings, tmp_path: Path) -> None:
    with xr.open_dataset(pf.write_jcope2m(pf.truth(days=1), tmp_path / "jcope2m.nc")) as ds:
        anonymous = ds.load().assign_attrs(title="model output")  # neither name nor attributes say JCOPE2M
    (tmp_path / "jcope2m.nc").unlink()
    anonymous.to_netcdf(tmp_path / "model_output_20240101.nc")
    ingest_grids(settings, [tmp_path / "model_*.nc"])  # read by the common names: temp, salt, u, v, el
    assert set(sources(settings)["product"]) == {"cf_generic"}
    result = ingest_grids(settings, [tmp_path / "*.nc"], product="jcope2m")  # the option changes the reading
    assert (result.files_unchanged, result.days_replaced) == (0, 1)
    assert set(sources(settings)["product"]) == {"jcope2m"}
    with pytest.raises(IngestError, match="unknown product 'nemo'"):
        ingest_grids(settings, [tmp_path / "*.nc"], product="nemo")


def test_a_user_product_table_maps_new_names(settings: Settings, tmp_path: Path) -> None:
    table = tmp_path / "products.toml"
    table.write_text('[products.bay_model]\nfile_pattern = "bay_*"\nvariables = { temp_c = ["TEMP_X"] }\n'
                     'units = { temp_c = "degC" }\n', encoding="utf-8")
    source = pf.truth(days=1).temp_c.rename("TEMP_X").to_dataset()
    source.to_netcdf(tmp_path / "bay_20240101.nc")
    custom = Settings(data_dir=settings.data_dir, ingest={"product_table": table})
    ingest_grids(custom, [tmp_path / "bay_20240101.nc"])
    assert set(sources(custom)["product"]) == {"bay_model"}


# --- bad grids: refused with their reason, stores untouched ---------------------------------------------------

def _bad_files(folder: Path) -> dict[str, tuple[Path, str]]:
    truth = pf.truth(days=1, start="2024-01-05")
    folder.mkdir(parents=True, exist_ok=True)
    no_sst = pf.write_oisst(truth, folder / "oisst")[0]
    with xr.open_dataset(no_sst) as ds:
        ds.rename(sst="anom").load().to_netcdf(folder / "oisst-avhrr-v02r01.20240105x.nc")
    wrong_units = pf.write_copernicus(truth, folder / "cmems_units.nc", variables=("thetao",))
    with xr.open_dataset(wrong_units) as ds:
        ds.load().assign(thetao=ds.thetao.assign_attrs(units="degF")).to_netcdf(folder / "cmems_fahrenheit.nc")
    lying = pf.write_copernicus(truth.assign(temp_c=truth.temp_c + 273.15), folder / "cmems_lying_units.nc",
                                variables=("thetao",))
    truncated = folder / "cmems_truncated.nc"
    full = pf.write_copernicus(truth, folder / "cmems_full.nc").read_bytes()
    truncated.write_bytes(full[: len(full) // 2])
    all_nan = pf.write_copernicus(truth.assign(temp_c=truth.temp_c * np.nan), folder / "cmems_all_nan.nc",
                                  variables=("thetao",))
    elsewhere = pf.write_copernicus(truth.assign_coords(lat=truth.lat - 10), folder / "cmems_elsewhere.nc")
    only_u = pf.write_copernicus(truth, folder / "cmems_only_u.nc", variables=("uo",))
    return {
        "missing required variable": (folder / "oisst-avhrr-v02r01.20240105x.nc", "missing required variable|no ocean variable"),
        "unconvertible units": (wrong_units.with_name("cmems_fahrenheit.nc"), "units 'degF' that setnet cannot convert"),
        "mislabelled units": (lying, r"spans 2\d\d.*are its units right\?"),
        "truncated file": (truncated, "not a readable NetCDF grid|truncated or corrupt"),
        "all NaN": (all_nan, r"thetao \(temp_c\) has no values: all NaN"),
        "outside the nets": (elsewhere, "does not cover net himi"),
        "half a current": (only_u, "has only one current component"),
    }


@pytest.mark.parametrize("case", ["missing required variable", "unconvertible units", "mislabelled units",
                                  "truncated file", "all NaN", "outside the nets", "half a current"])
def test_a_bad_grid_is_refused_with_its_reason_and_the_stores_are_untouched(
        case: str, settings: Settings, sites_csv: Path, tmp_path: Path) -> None:
    ingest_sites(settings, sites_csv)
    (tmp_path / "good").mkdir()
    pf.write_copernicus(pf.truth(days=5), tmp_path / "good" / "cmems_good.nc")
    ingest_grids(settings, [tmp_path / "good"])
    before = stored_state(settings)
    path, reason = _bad_files(tmp_path / "bad")[case]
    with pytest.raises(IngestError, match=reason) as error:
        ingest_grids(settings, [path])
    assert "\n" not in str(error.value) and path.name in str(error.value)
    after = stored_state(settings)
    xr.testing.assert_identical(after[0], before[0])
    pd.testing.assert_frame_equal(after[1], before[1])
    with connect(settings.warehouse_path, read_only=True) as con:
        assert con.execute("SELECT outcome FROM ingested_files WHERE file = ?", [str(path.resolve())]).fetchone() == ("rejected",)


def test_good_files_beside_a_bad_one_are_stored(settings: Settings, tmp_path: Path) -> None:
    write_daily_files(copernicus_like_grid(days=3), tmp_path / "nc")
    (tmp_path / "nc" / "phy_broken.nc").write_bytes(b"not netcdf at all")
    result = ingest_grids(settings, [tmp_path / "nc"], raise_on_rejected=False)
    assert result.days_added == 3
    assert len(result.files_rejected) == 1 and "phy_broken.nc: not a readable NetCDF grid" in result.files_rejected[0]


def test_a_write_failing_part_way_leaves_the_stores_as_before(settings: Settings, tmp_path: Path,
                                                               monkeypatch: pytest.MonkeyPatch) -> None:
    truth = pf.truth(days=6)
    pf.write_copernicus(truth.isel(time=slice(0, 4)), tmp_path / "cmems_a.nc")
    ingest_grids(settings, [tmp_path / "cmems_a.nc"])
    before = stored_state(settings)
    changed = truth.isel(time=slice(2, 6)).copy(deep=True)
    changed["temp_c"] = changed.temp_c + 5.0
    pf.write_copernicus(changed, tmp_path / "cmems_b.nc")

    def crash(*args, **kwargs):
        raise OSError("disk full while recording provenance")

    monkeypatch.setattr("ingest.grids._record_sources", crash)  # after the Zarr write, before the commit
    with pytest.raises(OSError, match="disk full"):
        ingest_grids(settings, [tmp_path / "cmems_b.nc"])
    after = stored_state(settings)
    xr.testing.assert_identical(after[0], before[0])
    pd.testing.assert_frame_equal(after[1], before[1])
    assert not journal_path(settings.grid_store_path).exists()


def test_a_process_killed_mid_write_is_undone_at_the_next_ingest(settings: Settings, tmp_path: Path) -> None:
    truth = pf.truth(days=4)
    pf.write_copernicus(truth, tmp_path / "cmems_a.nc")
    ingest_grids(settings, [tmp_path / "cmems_a.nc"])
    before = stored_state(settings)
    store = settings.grid_store_path
    begin_journal(store, "killed-write", pd.date_range("2024-01-02", periods=2), "time")
    half = open_grid_store(store).isel(time=slice(1, 3)).load()
    (half[["temp_c"]] * 0 + 99).drop_vars(["lat", "lon", "depth", "time"]).to_zarr(
        store, region={"time": slice(1, 3)}, consolidated=False, mode="r+")  # then the process died
    ingest_grids(settings, [tmp_path / "cmems_a.nc"])  # unchanged file: but the journal is found and undone
    after = stored_state(settings)
    xr.testing.assert_identical(after[0], before[0])
    assert not journal_path(store).exists()


# --- ocean forecasts ---------------------------------------------------------------------------------------------

def test_forecast_files_go_to_their_own_store_keyed_by_issue_date_and_lead(settings: Settings, tmp_path: Path) -> None:
    from ingest import open_forecast_store

    truth = pf.truth(days=8, start="2024-03-01")
    pf.write_copernicus(truth.isel(time=slice(0, 1)), tmp_path / "cmems_analysis.nc")
    pf.write_copernicus_forecast(truth.isel(time=slice(0, 8)), tmp_path / "fc_20240301.nc", "2024-03-01T00:00")
    pf.write_copernicus_forecast(truth.isel(time=slice(1, 8)) + 1.0, tmp_path / "fc_20240302.nc", "2024-03-02T12:00")
    result = ingest_grids(settings, [tmp_path])
    assert (result.days_added, result.forecast_issues) == (1, 2)
    analysis = open_grid_store(settings.grid_store_path)
    assert analysis.sizes["time"] == 1  # the forecast's future days never enter the analysis
    forecasts = open_forecast_store(settings.forecast_store_path).load()
    assert forecasts.temp_c.dims == ("issue_time", "lead_days", "depth", "lat", "lon")
    assert pd.DatetimeIndex(forecasts.issue_time.values).strftime("%Y-%m-%d").tolist() == ["2024-03-01", "2024-03-02"]
    assert forecasts.lead_days.values.tolist() == list(range(settings.ingest.ocean_forecast_max_lead_days + 1))
    np.testing.assert_allclose(forecasts.temp_c.sel(issue_time="2024-03-02", lead_days=1),
                               truth.temp_c.sel(time="2024-03-03") + 1.0, atol=1e-5)
    assert bool(forecasts.temp_c.sel(issue_time="2024-03-01", lead_days=8).isnull().all())
    with connect(settings.warehouse_path, read_only=True) as con:
        rows = con.execute("SELECT issue_date, lead_days FROM ocean_forecast_sources ORDER BY issue_date").fetchall()
    assert [(str(d), leads) for d, leads in rows] == [("2024-03-01", "0..7"), ("2024-03-02", "0..6")]


def test_a_reissued_forecast_replaces_only_its_own_issue_time_and_a_later_issue_leaves_it_intact(
        settings: Settings, tmp_path: Path) -> None:
    from ingest import open_forecast_store

    truth = pf.truth(days=9, start="2024-03-01")
    folders = [tmp_path / name for name in ("first", "next", "rerun")]
    for folder in folders:
        folder.mkdir()
    pf.write_copernicus_forecast(truth.isel(time=slice(0, 8)), folders[0] / "fc_20240301.nc", "2024-03-01T00:00")
    ingest_grids(settings, [folders[0]])
    pf.write_copernicus_forecast(truth.isel(time=slice(1, 9)) + 1.0, folders[1] / "fc_20240302.nc", "2024-03-02T00:00")
    ingest_grids(settings, [folders[1]])  # the next issue, in a later run: the first issue's run stays as it was
    after_next = open_forecast_store(settings.forecast_store_path).load()
    np.testing.assert_allclose(after_next.temp_c.sel(issue_time="2024-03-01", lead_days=1),
                               truth.temp_c.sel(time="2024-03-02"), atol=1e-5)
    np.testing.assert_allclose(after_next.temp_c.sel(issue_time="2024-03-02", lead_days=1),
                               truth.temp_c.sel(time="2024-03-03") + 1.0, atol=1e-5)
    pf.write_copernicus_forecast(truth.isel(time=slice(0, 8)) + 3.0, folders[2] / "fc_20240301_v2.nc",
                                 "2024-03-01T00:00")
    ingest_grids(settings, [folders[2]])  # the first issue re-issued: its run is replaced, the next one untouched
    rerun = open_forecast_store(settings.forecast_store_path).load()
    assert pd.DatetimeIndex(rerun.issue_time.values).strftime("%Y-%m-%d").tolist() == ["2024-03-01", "2024-03-02"]
    np.testing.assert_allclose(rerun.temp_c.sel(issue_time="2024-03-01", lead_days=1),
                               truth.temp_c.sel(time="2024-03-02") + 3.0, atol=1e-5)
    xr.testing.assert_identical(rerun.sel(issue_time="2024-03-02"), after_next.sel(issue_time="2024-03-02"))


def test_a_forecast_without_an_issue_time_needs_one_given(settings: Settings, tmp_path: Path) -> None:
    pf.write_copernicus(pf.truth(days=3), tmp_path / "cmems_fc.nc", variables=("thetao",))
    with pytest.raises(IngestError, match="without an issue time .* pass --issue-date"):
        ingest_grids(settings, [tmp_path / "cmems_fc.nc"], forecast=True)
    result = ingest_grids(settings, [tmp_path / "cmems_fc.nc"], forecast=True, issue_date="2024-01-01")
    assert result.forecast_issues == 1 and not settings.grid_store_path.exists()
