"""Ocean values at each net: the nearest SEA cell, extracted in one vectorised, lazy read."""

import dask
import numpy as np
import pandas as pd
import pytest

from features import extract_site_ocean, site_cell_lookup, site_footprints
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


# --- footprints: radius means and fronts; the on-disk store reader -------------------------------------------------

def test_the_radius_mean_averages_the_sea_cells_within_the_radius_and_ignores_land(grid) -> None:
    from features.ocean import haversine_km

    footprints = site_footprints(grid, SITES, max_distance_km=20, radius_km=12)
    values = extract_site_ocean(grid, footprints).set_index(["date", "site_id"])
    surface = grid.temp_c.isel(depth=0).values  # (time, lat, lon), NaN on land
    for site in SITES.itertuples():
        near = haversine_km(site.lat, site.lon, grid.lat.values[:, None], grid.lon.values[None, :]) <= 12
        expected = np.nanmean(np.where(near[None], surface, np.nan), axis=(1, 2))
        np.testing.assert_allclose(values.xs(site.site_id, level="site_id").temp_surface_radius_c, expected, rtol=1e-5)
        assert footprints.lookup.set_index("site_id").n_radius_cells[site.site_id] == (near & ~np.isnan(surface[0])).sum()


def test_front_strength_is_the_horizontal_temperature_gradient_in_c_per_km() -> None:
    from features.ocean import KM_PER_DEGREE

    grid = normalise_grid(copernicus_like_grid(days=3))
    east_km = (grid.lon - 137.0) * KM_PER_DEGREE * np.cos(np.radians(grid.lat))
    grid["temp_c"] = (20 + 0.05 * east_km).where(grid.temp_c.notnull()).transpose(*grid.temp_c.dims)
    footprints = site_footprints(grid, SITES, max_distance_km=20, radius_km=15)
    values = extract_site_ocean(grid, footprints)
    np.testing.assert_allclose(values.front_surface_c_per_km, 0.05, rtol=1e-3)  # also next to the coast


def test_a_radius_smaller_than_the_gap_to_the_sea_uses_the_nearest_sea_cell(grid) -> None:
    footprints = site_footprints(grid, SITES, max_distance_km=20, radius_km=0.1)
    values = extract_site_ocean(grid, footprints)
    np.testing.assert_allclose(values.temp_surface_radius_c, values.temp_surface_c)


def test_the_store_reader_gives_the_same_values_as_the_in_memory_grid(tmp_path) -> None:
    from features.ocean import store_signal_array

    canonical = normalise_grid(copernicus_like_grid(days=75))
    path = tmp_path / "grids.zarr"
    encoding = {name: {"chunks": (32, *canonical[name].shape[1:])} for name in canonical.data_vars}
    canonical.to_zarr(path, consolidated=False, zarr_format=3, encoding=encoding)
    footprints = site_footprints(canonical, SITES, max_distance_km=20, radius_km=12)
    start, end = pd.Timestamp("2024-01-20"), pd.Timestamp("2024-03-05")
    from_memory = extract_site_ocean(canonical, footprints, start, end)
    from_store = extract_site_ocean(path, footprints, start, end)
    pd.testing.assert_frame_equal(from_store, from_memory)
    dates, lazy = store_signal_array(path, start, end, footprints)
    assert dates[0] == start and dates[-1] == end and lazy.shape[0] == len(dates)


def test_the_store_reader_is_lazy_and_computes_once(tmp_path) -> None:
    from features.ocean import store_signal_array

    canonical = normalise_grid(copernicus_like_grid(days=70))
    path = tmp_path / "grids.zarr"
    canonical.to_zarr(path, consolidated=False, zarr_format=3,
                      encoding={n: {"chunks": (32, *canonical[n].shape[1:])} for n in canonical.data_vars})
    footprints = site_footprints(canonical, SITES, max_distance_km=20, radius_km=12)
    scheduler = CountingScheduler(max_computes=0)
    with dask.config.set(scheduler=scheduler):
        _dates, _lazy = store_signal_array(path, None, None, footprints)  # building the graph reads nothing
    assert scheduler.total_computes == 0
    scheduler = CountingScheduler(max_computes=1)
    with dask.config.set(scheduler=scheduler):
        extract_site_ocean(path, footprints)
    assert scheduler.total_computes == 1
