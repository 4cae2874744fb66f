"""Catch history: the seasonal climatology of a target day comes from earlier years only."""

import numpy as np
import pandas as pd
import pytest

from features.catch_history import catch_matrix, seasonal_climatology


def test_the_climatology_averages_the_same_season_of_earlier_years_over_operated_days() -> None:
    days = pd.date_range("2021-01-01", "2024-12-31", freq="D")
    rows = []
    for year, catch_kg in ((2021, 10.0), (2022, 20.0), (2023, 30.0)):
        for day in pd.date_range(f"{year}-06-01", f"{year}-06-30", freq="D"):
            rows.append({"date": day.date(), "site_id": "a", "species": "sardine", "catch_kg": catch_kg})
            rows.append({"date": day.date(), "site_id": "b", "species": "sardine", "catch_kg": 2 * catch_kg})
    rows.append({"date": pd.Timestamp("2024-06-15").date(), "site_id": "a", "species": "sardine", "catch_kg": 1e6})
    matrix = catch_matrix(pd.DataFrame(rows), days, ["a", "b"], ["sardine"])
    targets = pd.DatetimeIndex(["2024-06-15", "2023-06-15", "2022-06-15", "2021-06-15", "2024-01-15"])
    names, values = seasonal_climatology(matrix, targets)
    assert names == ["catch_climatology_kg", "catch_bay_climatology_kg"]
    net_a, bay = values[:, 0, 0, 0], values[:, 0, 0, 1]
    # 2024 sees 2021-2023 (not its own huge catch), 2023 sees 2021-2022, 2021 sees nothing
    assert net_a[0] == pytest.approx(20.0) and net_a[1] == pytest.approx(15.0) and net_a[2] == pytest.approx(10.0)
    assert np.isnan(net_a[3]) and np.isnan(net_a[4])  # no earlier year / no operated day in the window
    assert bay[0] == pytest.approx(30.0) and values[0, 1, 0, 0] == pytest.approx(40.0)
