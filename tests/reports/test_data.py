"""The I/O edge: the warehouse and the grid store read into ReportData, one grid day only."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from features import build_features, site_footprints
from ingest.store import open_grid_store
from reports.data import (
    ReportData,
    ReportError,
    load_box_weights,
    load_level_fields,
    load_net_ocean,
    load_report_data,
    load_surface_field,
    report_data_loaded_once,
)
from reports.labels import LABELS
from reports.view import record_models_note
from setnet.settings import Settings
from setnet.warehouse import connect, upsert
from tests.reports.conftest import (
    ISSUE_DATE,
    MODEL_VERSION,
    NET_SKILL,
    SITES,
    evaluation_rows,
    grid_dataset,
    nearest_cell,
    ocean_forecast_dataset,
    write_grid_store,
    write_warehouse,
)


def test_report_data_holds_the_days_the_report_needs(shared_settings: Settings) -> None:
    data = load_report_data(shared_settings, ISSUE_DATE)
    assert isinstance(data, ReportData)
    assert set(data.sites.site_id) == set(SITES.site_id)
    assert sorted(data.forecasts.lead_days.unique()) == list(range(1, 8))
    assert (data.forecasts.issue_date == pd.Timestamp(ISSUE_DATE)).all()
    assert data.recent_catches.date.min() >= pd.Timestamp(ISSUE_DATE - timedelta(days=29))
    assert data.recent_catches.date.max() <= pd.Timestamp(ISSUE_DATE)
    assert data.recent_lead1.target_date.between(pd.Timestamp(ISSUE_DATE - timedelta(days=29)),
                                                 pd.Timestamp(ISSUE_DATE)).all()
    assert set(data.evaluations.lead_days) == {1} and set(data.evaluations.model_version) == {MODEL_VERSION}
    assert set(data.species.species) >= {"yellowtail", "firefly_squid"}  # empty registry -> setnet's SPECIES
    assert data.latest_catch_date == ISSUE_DATE - timedelta(days=1)  # the issue date is a Sunday: no hauls
    assert data.surface is not None and data.surface.day == ISSUE_DATE
    assert pd.api.types.is_datetime64_any_dtype(data.forecasts.target_date)


def test_a_run_reads_its_report_data_once_and_every_other_read_is_fresh(report_settings: Settings) -> None:
    with report_data_loaded_once():
        first = load_report_data(report_settings, ISSUE_DATE)
        assert load_report_data(report_settings, ISSUE_DATE) is first  # the summaries sent after the report
        with pytest.raises(ReportError):  # another day is read (and fails) on its own
            load_report_data(report_settings, ISSUE_DATE + timedelta(days=1))
    fresh = load_report_data(report_settings, ISSUE_DATE)
    assert fresh is not first and fresh.forecasts.equals(first.forecasts)


def test_the_skill_read_is_the_serving_versions_own_pooled_and_per_net(report_settings: Settings) -> None:
    with connect(report_settings.warehouse_path) as con:  # an older version's backtest, scored better everywhere
        upsert(con, "model_evaluations", evaluation_rows().assign(model_version="old-v0", crpss_climatology=0.9))
    evaluations = load_report_data(report_settings, ISSUE_DATE).evaluations
    assert set(evaluations.model_version) == {MODEL_VERSION} and set(evaluations.lead_days) == {1}
    assert sorted(set(evaluations.site_id)) == ["all", "himi", "odd", "uozu"]
    per_net = evaluations[evaluations.site_id != "all"].set_index(["site_id", "species"]).crpss_climatology
    assert per_net.to_dict() == {(site, species): skill[0] for site, nets in NET_SKILL.items()
                                 for species, skill in nets.items()}


def test_the_record_names_its_models_and_whether_it_is_out_of_sample(shared_settings: Settings) -> None:
    record_models = load_report_data(shared_settings, ISSUE_DATE).record_models
    assert record_models.to_dict("records") == [{"model_version": MODEL_VERSION, "train_end": pd.Timestamp("2025-10-31"),
                                                 "first_issue": pd.Timestamp("2025-10-31")}]
    text = LABELS["ja"]
    assert record_models_note(record_models, text) == (
        "この成績の予想を出したモデル：test-v1（2025-10-31までのデータで学習）。どの日も、モデルの学習に使っていない日の予想です。")
    retrained = record_models.assign(train_end=pd.Timestamp("2025-11-15"))  # a model re-issuing days it learnt from
    assert record_models_note(retrained, text).endswith("一部は学習に使った日の予想なので、実際より良く見えることがあります。")
    assert record_models_note(record_models.iloc[:0], text) == ""


def test_no_forecasts_is_a_report_error(shared_settings: Settings) -> None:
    with pytest.raises(ReportError, match=r"no forecasts for 2024-02-29 in .*setnet\.duckdb: run `setnet forecast"):
        load_report_data(shared_settings, date(2024, 2, 29))


def write_daily_chunked_store(path: Path, end: date) -> None:
    """A grid store chunked one day per chunk, with a day of all-NaN (missing) data before `end`."""
    grid = grid_dataset(days=5, end=end)
    grid["temp_c"].loc[{"time": pd.Timestamp(end - timedelta(days=1))}] = np.nan
    encoding = {name: {"chunks": (1,) + grid[name].shape[1:]} for name in grid.data_vars}
    grid.to_zarr(path, mode="w", zarr_format=3, consolidated=False, encoding=encoding)


def corrupt_chunks_except(store: Path, keep_time_index: int) -> None:
    """Overwrite every data chunk of every other day with garbage: reading one of them fails."""
    for chunk in store.glob("*/c/*/**/*"):
        if chunk.is_file() and chunk.relative_to(store).parts[2] != str(keep_time_index):
            chunk.write_bytes(b"not a chunk")


def test_only_the_issue_day_is_read_from_the_grid(tmp_path: Path) -> None:
    store = tmp_path / "grids.zarr"
    write_daily_chunked_store(store, ISSUE_DATE)
    corrupt_chunks_except(store, keep_time_index=4)
    field = load_surface_field(store, ISSUE_DATE)
    assert field is not None and field.day == ISSUE_DATE
    assert field.temp_c.shape == (10, 12) and np.isnan(field.temp_c).any() and np.isfinite(field.temp_c).any()
    assert field.depth_m == pytest.approx(0.494)


def test_the_map_uses_the_latest_day_with_data_on_or_before_the_issue_date(tmp_path: Path) -> None:
    store = tmp_path / "grids.zarr"
    write_daily_chunked_store(store, ISSUE_DATE + timedelta(days=2))  # the store runs past the issue date
    field = load_surface_field(store, ISSUE_DATE + timedelta(days=1))  # that day is all NaN: a missing day
    assert field is not None and field.day == ISSUE_DATE


def test_no_grid_day_within_the_lookback_gives_no_map(tmp_path: Path) -> None:
    store = tmp_path / "grids.zarr"
    write_grid_store(store, grid_dataset(days=5, end=ISSUE_DATE))
    assert load_surface_field(store, ISSUE_DATE + timedelta(days=30)) is None
    assert load_surface_field(store, ISSUE_DATE - timedelta(days=30)) is None
    assert load_surface_field(tmp_path / "absent.zarr", ISSUE_DATE) is None


def test_the_ocean_at_each_net_comes_from_its_nearest_sea_cell_and_the_forecast(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path / "data")
    grid = grid_dataset(days=5)
    write_grid_store(settings.grid_store_path, grid)
    himi = nearest_cell(grid, 36.90, 137.00)
    ocean_forecast_dataset(swift={(*himi, 2): (0.5, -0.5)}).to_zarr(settings.forecast_store_path, mode="w",
                                                                     zarr_format=3, consolidated=False)
    levels = load_level_fields(settings.grid_store_path, ISSUE_DATE)
    assert [round(level.depth_m) for level in levels] == [0, 47]  # the surface and the level nearest 50 m
    frame, issued = load_net_ocean(settings, SITES, ISSUE_DATE)
    assert issued == ISSUE_DATE
    assert set(frame.source) == {"analysis", "forecast"} and set(frame.level) == {"surface", "50m"}
    analysis = frame[frame.source == "analysis"]
    assert (analysis.date == pd.Timestamp(ISSUE_DATE)).all() and len(analysis) == 2 * len(SITES)
    at_himi = analysis[(analysis.site_id == "himi") & (analysis.level == "surface")].iloc[0]
    assert at_himi.temp_c == pytest.approx(float(grid.temp_c.isel(time=-1, depth=0, lat=himi[0], lon=himi[1])))
    forecast = frame[frame.source == "forecast"]
    assert sorted(forecast.date.unique()) == list(pd.date_range(ISSUE_DATE + timedelta(days=1), periods=7))
    swift = forecast[(forecast.site_id == "himi") & (forecast.date == pd.Timestamp(ISSUE_DATE + timedelta(days=2)))]
    assert swift.east_ms.tolist() == pytest.approx([0.5, 0.5]) and swift.north_ms.tolist() == pytest.approx([-0.5, -0.5])
    assert frame.normal_c.isna().all()  # five days of grid: no earlier year to make a normal from


def test_without_a_grid_store_there_is_no_ocean_at_the_nets(tmp_path: Path) -> None:
    assert load_net_ocean(Settings(data_dir=tmp_path / "data"), SITES, ISSUE_DATE) == (None, None)


def write_warm_year(settings: Settings) -> None:
    """400 days of grid up to ISSUE_DATE whose last 300 days are 3 °C warmer than the year before."""
    grid = grid_dataset(days=400)
    grid["temp_c"] = grid.temp_c.where(grid.time < pd.Timestamp(ISSUE_DATE - timedelta(days=300)), grid.temp_c + 3.0)
    write_grid_store(settings.grid_store_path, grid)


def test_the_normal_temperature_comes_from_earlier_years_around_the_same_day(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path / "data")
    write_warm_year(settings)
    frame, issued = load_net_ocean(settings, SITES, ISSUE_DATE)
    assert issued is None and set(frame.source) == {"analysis"}
    gap = (frame.temp_c - frame.normal_c).to_numpy()
    assert np.all(np.abs(gap - 3.0) < 1.0)  # this year is 3 °C warmer than last year's same weeks


def test_the_reports_net_cell_and_normal_are_the_features(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path / "data")
    write_warehouse(settings.warehouse_path, ocean_date=ISSUE_DATE)
    write_warm_year(settings)
    frame = load_report_data(settings, ISSUE_DATE).net_ocean
    features = build_features(settings, pd.DatetimeIndex([ISSUE_DATE])).drop_duplicates("site_id").set_index("site_id")
    lookup = site_footprints(open_grid_store(settings.grid_store_path), SITES, settings.features.site_search_radius_km,
                             settings.features.ocean_radius_km).lookup.set_index("site_id")
    for level, temp, anomaly in (("surface", "temp_surface_c", "temp_surface_anom_c"),
                                 ("50m", "temp_50m_c", "temp_50m_anom_c")):
        rows = frame[(frame.source == "analysis") & (frame.level == level)].set_index("site_id").reindex(features.index)
        assert (rows.date == features.ocean_date).all()
        np.testing.assert_array_equal(rows[["cell_lat", "cell_lon"]], lookup.loc[features.index, ["cell_lat", "cell_lon"]])
        np.testing.assert_array_equal(rows.temp_c, features[temp].astype(float))
        assert rows.anomaly_c.notna().all()
        np.testing.assert_array_equal(rows.anomaly_c, features[anomaly].astype(float))
        np.testing.assert_allclose(rows.temp_c - rows.normal_c, features[anomaly], rtol=1e-5)  # what alerts compare


def test_box_weights_come_from_the_ingest_table_and_the_run_time_from_the_forecasts(shared_settings: Settings) -> None:
    data = load_report_data(shared_settings, ISSUE_DATE)
    assert data.box_kg["yellowtail"] == 15.0 and data.box_kg["firefly_squid"] == 2.5
    assert data.made_at is not None and str(data.made_at.tzinfo) == "Asia/Tokyo"
    assert {"p_big_catch", "explanation"} <= set(data.forecasts.columns)


def test_an_unreadable_box_table_leaves_kilograms_only(tmp_path: Path) -> None:
    table = tmp_path / "boxes.csv"
    table.write_text("species,size_class,kg_per_box\nyellowtail,,heavy\n", encoding="utf-8")
    assert load_box_weights(Settings(data_dir=tmp_path, ingest={"box_weight_table": table})) == {}



def test_a_warehouse_from_before_coop_en_is_read_with_no_english_cooperative_names(report_settings: Settings) -> None:
    import duckdb

    from reports.data import load_report_data

    with duckdb.connect(str(report_settings.warehouse_path)) as con:  # as migration 11 found it: no coop_en yet
        con.execute("ALTER TABLE sites DROP COLUMN coop_en")
    data = load_report_data(report_settings, ISSUE_DATE)  # read-only: the schema is not migrated by a report
    assert "coop_en" in data.sites and data.sites.coop_en.isna().all()
    assert set(data.sites.coop) == {"氷見漁協", "魚津漁協"}
