"""Ocean values at each net: the nearest SEA cell, extracted in one vectorised, lazy read."""

import dask
import numpy as np
import pandas as pd
import pytest

from features import extract_site_ocean, site_cell_lookup
from ingest import normalise_grid
from tests.conftest import copernicus_like_grid


class CountingScheduler:
    """A Dask scheduler that fails when more than `max_computes` computations run (as in xarray's tests)."""

    def __init__(self, max_computes: int) -> None:
        self.max_computes = max_computes
        self.total_computes = 0

    def __call__(self, graph, keys, **kwargs):
        self.total_computes += 1
        if self.total_computes > self.max_computes:
            raise RuntimeError(f"Too many computes: {self.total_computes} > {self.max_computes}")
        return dask.get(graph, keys, **kwargs)


SITES = pd.DataFrame(
    {"site_id": ["coast", "offshore"], "lat": [36.7, 37.1], "lon": [137.0, 137.4], "bearing_deg": [0.0, 90.0]}
)


@pytest.fixture(params=["numpy", "dask"])
def grid(request: pytest.FixtureRequest):
    """The same canonical grid, in memory and Dask-backed: the code must give the same answers on both."""
    canonical = normalise_grid(copernicus_like_grid(days=5))
    return canonical.chunk({"time": 2}) if request.param == "dask" else canonical


def test_a_net_next_to_the_coast_reads_the_nearest_sea_cell_not_land(grid) -> None:
    lookup = site_cell_lookup(grid, SITES, max_distance_km=20)
    coast = lookup.set_index("site_id").loc["coast"]
    assert coast.cell_lat > 36.75  # rows south of 36.75 N are land in the fixture
    assert 0 < coast.distance_km < 20
    values = extract_site_ocean(grid, lookup)
    assert values.temp_surface_c.notna().all()


def test_a_net_outside_the_grid_is_refused() -> None:
    far = pd.DataFrame({"site_id": ["tokyo"], "lat": [35.6], "lon": [139.8], "bearing_deg": [0.0]})
    with pytest.raises(ValueError, match="tokyo is .* km from the nearest sea cell"):
        site_cell_lookup(normalise_grid(copernicus_like_grid(days=2)), far, max_distance_km=20)


def test_vectorised_extraction_equals_a_per_site_loop(grid) -> None:
    lookup = site_cell_lookup(grid, SITES, max_distance_km=20)
    values = extract_site_ocean(grid, lookup).set_index(["date", "site_id"])
    for site in lookup.itertuples():
        point = grid.isel(lat=site.lat_index, lon=site.lon_index)
        expected_50m = point.temp_c.sel(depth=50, method="nearest").values
        np.testing.assert_allclose(values.xs(site.site_id, level="site_id").temp_50m_c.values, expected_50m)
        expected_east = point.eastward_current_ms.isel(depth=0).values
        np.testing.assert_allclose(values.xs(site.site_id, level="site_id").current_east_ms.values, expected_east)


def test_extraction_reads_the_dask_grid_in_a_single_compute() -> None:
    grid = normalise_grid(copernicus_like_grid(days=5)).chunk({"time": 2})
    lookup = site_cell_lookup(grid, SITES, max_distance_km=20)
    scheduler = CountingScheduler(max_computes=1)
    with dask.config.set(scheduler=scheduler):
        extract_site_ocean(grid, lookup)
    assert scheduler.total_computes == 1
