"""The ocean at each net for an issue date (what the report warns from) is the features' own: same cell, same day,
same anomaly; the days ahead come from the newest usable ocean forecast, against the reference known on the issue date."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from features import build_features, ocean_at_nets, site_footprints
from features.net_ocean import NET_OCEAN_COLUMNS
from ingest.store import open_forecast_store, open_grid_store
from setnet.settings import Settings
from tests.features.conftest import SITES


def feature_row_per_net(settings: Settings, issue_date: str) -> pd.DataFrame:
    """The feature table's ocean columns of one issue date, one row per net (they do not depend on lead or species)."""
    table = build_features(settings, pd.DatetimeIndex([issue_date]))
    return table.drop_duplicates("site_id").set_index("site_id")


def analysis(frame: pd.DataFrame, level: str) -> pd.DataFrame:
    return frame[(frame.source == "analysis") & (frame.level == level)].set_index("site_id")


@pytest.mark.parametrize("issue_date", ["2024-01-02", "2024-04-02", "2024-05-16"])
def test_the_analysis_at_each_net_is_the_feature_tables_cell_day_and_anomaly(world: Settings, issue_date: str) -> None:
    frame = ocean_at_nets(world, SITES, issue_date)
    features = feature_row_per_net(world, issue_date)
    lookup = site_footprints(open_grid_store(world.grid_store_path), SITES, world.features.site_search_radius_km,
                             world.features.ocean_radius_km).lookup.set_index("site_id")
    assert list(frame.columns) == NET_OCEAN_COLUMNS
    for level, temp, anomaly in (("surface", "temp_surface_c", "temp_surface_anom_c"),
                                 ("50m", "temp_50m_c", "temp_50m_anom_c")):
        rows = analysis(frame, level).reindex(features.index)
        assert (rows.date == features.ocean_date).all()  # 2024-05-16: the store ends on the 14th, carried two days
        np.testing.assert_array_equal(rows.anomaly_c, features[anomaly].astype(float))
        np.testing.assert_array_equal(rows.temp_c, features[temp].astype(float))
        np.testing.assert_allclose(rows.normal_c, features[temp] - features[anomaly], rtol=1e-6)
        np.testing.assert_array_equal(rows[["cell_lat", "cell_lon"]], lookup.loc[features.index, ["cell_lat", "cell_lon"]])
    if issue_date != "2024-01-02":  # a 2024 row of spring has 2023 to compare with
        assert frame.normal_c.notna().all()


def test_no_grid_day_within_the_age_limit_gives_no_analysis(world: Settings) -> None:
    frame = ocean_at_nets(world, SITES, "2024-05-20")  # the store ends on the 14th: six days old, the limit is 3
    assert not (frame.source == "analysis").any()


def test_the_days_ahead_come_from_the_newest_forecast_issued_within_the_age_limit(world: Settings) -> None:
    frame = ocean_at_nets(world, SITES, "2024-04-03")  # no forecast issued on the 3rd: the one of the 2nd is used
    forecast = frame[frame.source == "forecast"]
    assert (forecast.forecast_issue_date == pd.Timestamp("2024-04-02")).all()
    assert sorted(forecast.date.unique()) == list(pd.date_range("2024-04-04", periods=world.max_lead_days))
    store = open_forecast_store(world.forecast_store_path)
    row = forecast[(forecast.site_id == "uozu") & (forecast.level == "50m")
                   & (forecast.date == pd.Timestamp("2024-04-06"))].iloc[0]
    lat_index = int(np.abs(store.lat.values - row.cell_lat).argmin())
    lon_index = int(np.abs(store.lon.values - row.cell_lon).argmin())
    expected = store.sel(issue_time="2024-04-02", lead_days=4).isel(depth=1, lat=lat_index, lon=lon_index)
    assert row.temp_c == pytest.approx(float(expected.temp_c), rel=1e-6)
    assert row.east_ms == pytest.approx(float(expected.eastward_current_ms), rel=1e-6)
    assert row.north_ms == pytest.approx(float(expected.northward_current_ms), rel=1e-6)


def test_a_forecast_days_normal_is_the_features_normal_of_that_day(world: Settings) -> None:
    forecast = ocean_at_nets(world, SITES, "2024-04-02")
    forecast = forecast[(forecast.source == "forecast") & (forecast.date == pd.Timestamp("2024-04-05"))]
    later = feature_row_per_net(world, "2024-04-05")  # its analysis of the 5th, against the same 2023 reference
    for level, temp, anomaly in (("surface", "temp_surface_c", "temp_surface_anom_c"),
                                 ("50m", "temp_50m_c", "temp_50m_anom_c")):
        rows = forecast[forecast.level == level].set_index("site_id").reindex(later.index)
        np.testing.assert_allclose(rows.normal_c, later[temp] - later[anomaly], rtol=1e-5)
        np.testing.assert_allclose(rows.anomaly_c, rows.temp_c - rows.normal_c)


def test_without_a_usable_forecast_there_are_no_days_ahead(world: Settings) -> None:
    assert set(ocean_at_nets(world, SITES, "2024-02-10").source) == {"analysis"}  # forecasts begin in March
    import shutil

    shutil.rmtree(world.forecast_store_path)
    assert set(ocean_at_nets(world, SITES, "2024-04-02").source) == {"analysis"}
