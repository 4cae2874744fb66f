"""Tiny NetCDF files laid out as the real ocean products lay them out, all made from one canonical truth.

`truth()` is a canonical dataset (the store's layout); each writer turns it into one product's file: its variable
names, dimension names and order, time units, longitude convention, latitude order, units and integer packing.
Ingesting any of them must give the truth back (within the packing's precision).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import xarray as xr

from tests.conftest import copernicus_like_grid

LAT = np.round(np.arange(36.6, 37.21, 0.1), 4)
LON = np.round(np.arange(136.8, 137.61, 0.1), 4)
DEPTH = np.array([0.494025, 47.37369, 92.32607])


def truth(days: int = 3, start: str = "2024-01-01", seed: int = 0) -> xr.Dataset:
    """Canonical fields (time, depth, lat, lon) over a small Toyama Bay grid, with land (NaN) on the southern row."""
    source = copernicus_like_grid(days=days, start=start, seed=seed)
    rng = np.random.default_rng(seed + 1)
    salinity = np.where(np.isnan(source.thetao.values), np.nan,
                        34.0 + rng.normal(0, 0.2, source.thetao.shape)).astype("float32")
    ds = xr.Dataset(
        {
            "temp_c": (("time", "depth", "lat", "lon"), source.thetao.values),
            "salinity_psu": (("time", "depth", "lat", "lon"), salinity),
            "eastward_current_ms": (("time", "depth", "lat", "lon"), source.uo.values),
            "northward_current_ms": (("time", "depth", "lat", "lon"), source.vo.values),
            "ssh_m": (("time", "lat", "lon"), source.zos.values),
        },
        coords={"time": source.time.values, "depth": DEPTH, "lat": LAT, "lon": LON},
    )
    return ds


def _time_encoding(units: str) -> dict:
    return {"time": {"units": units, "calendar": "gregorian", "dtype": "float64"}}


def _packed(scale: float, offset: float = 0.0, fill: int = -32767) -> dict:
    return {"dtype": "int16", "scale_factor": scale, "add_offset": offset, "_FillValue": fill}


def write_copernicus(ds: xr.Dataset, path: Path, variables: tuple[str, ...] = ("thetao", "so", "uo", "vo", "zos"),
                     packed: bool = False) -> Path:
    """Copernicus Marine physics: thetao/so/uo/vo/zos on (time, depth, latitude, longitude), hours since 1950.

    `packed` writes short integers with scale_factor/add_offset, as the analysis-forecast files come.
    """
    names = {"thetao": ("temp_c", "sea_water_potential_temperature", "degrees_C"),
             "so": ("salinity_psu", "sea_water_salinity", "1e-3"),
             "uo": ("eastward_current_ms", "eastward_sea_water_velocity", "m s-1"),
             "vo": ("northward_current_ms", "northward_sea_water_velocity", "m s-1"),
             "zos": ("ssh_m", "sea_surface_height_above_geoid", "m")}
    out = xr.Dataset(
        {name: ds[names[name][0]].rename(lat="latitude", lon="longitude").assign_attrs(
            standard_name=names[name][1], units=names[name][2]) for name in variables},
        attrs={"source": "MERCATOR GLORYS12V1", "title": "Global Ocean Physics Reanalysis", "Conventions": "CF-1.6"},
    )
    out["latitude"].attrs.update(standard_name="latitude", units="degrees_north", axis="Y")
    out["longitude"].attrs.update(standard_name="longitude", units="degrees_east", axis="X")
    out["depth"].attrs.update(standard_name="depth", units="m", positive="down", axis="Z")
    packing = {"thetao": _packed(0.001, 20.0), "so": _packed(0.001, 20.0), "uo": _packed(0.0001),
               "vo": _packed(0.0001), "zos": _packed(0.0001)}
    encoding = {**_time_encoding("hours since 1950-01-01"),
                **({name: packing[name] for name in variables} if packed else {})}
    out.to_netcdf(path, encoding=encoding)
    return path


def write_oisst(ds: xr.Dataset, folder: Path, preliminary: bool = False, offset_c: float = 0.0) -> list[Path]:
    """NOAA OISST v2.1 daily: one file a day, `sst` int16 (scale 0.01, _FillValue -999) on (time, zlev, lat, lon),
    lon 0..360, time in days since 1978-01-01 12:00:00; the preliminary file is named *_preliminary.nc."""
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    surface = ds.temp_c.isel(depth=0) + offset_c
    for t in surface.time.values:
        day = pd.Timestamp(t)
        sst = surface.sel(time=[t]).expand_dims(zlev=[0.0], axis=1)
        sst = sst.assign_coords(time=[day + pd.Timedelta(hours=12)], lon=sst.lon % 360)
        out = xr.Dataset({"sst": sst.assign_attrs(long_name="Daily sea surface temperature", units="Celsius")},
                         attrs={"title": "NOAA/NCEI 1/4 Degree Daily Optimum Interpolation Sea Surface Temperature "
                                         "(OISST) Analysis, Version 2.1", "date_created": "2024-01-20T00:00:00Z"})
        out["zlev"].attrs.update(units="meters", long_name="Sea surface height", positive="down")
        name = f"oisst-avhrr-v02r01.{day:%Y%m%d}{'_preliminary' if preliminary else ''}.nc"
        out.to_netcdf(folder / name, encoding={**_time_encoding("days since 1978-01-01 12:00:00"),
                                               "sst": _packed(0.01, 0.0, -999)})
        paths.append(folder / name)
    return paths


def write_hycom_steps(ds: xr.Dataset, folder: Path, hours: tuple[int, ...] = (0, 3, 6, 9, 12, 15, 18, 21),
                      wobble_c: float = 0.4) -> list[Path]:
    """HYCOM: one file per 3-hourly step, water_temp (int16, scale 0.001, offset 20), water_u/v, surf_el,
    lon 0..360, time in hours since 2000-01-01. Step h carries temp + wobble*cos(2*pi*h/24): the daily mean is the truth."""
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for t in ds.time.values:
        for hour in hours:
            stamp = pd.Timestamp(t) + pd.Timedelta(hours=hour)
            step = ds.sel(time=[t]).assign_coords(time=[stamp], lon=ds.lon % 360)
            wobble = np.float32(wobble_c * np.cos(2 * np.pi * hour / 24))
            out = xr.Dataset(
                {"water_temp": (step.temp_c + wobble).assign_attrs(units="degC", long_name="Water Temperature"),
                 "salinity": step.salinity_psu.assign_attrs(units="psu"),
                 "water_u": step.eastward_current_ms.assign_attrs(units="m/s", standard_name="eastward_sea_water_velocity"),
                 "water_v": step.northward_current_ms.assign_attrs(units="m/s", standard_name="northward_sea_water_velocity"),
                 "surf_el": step.ssh_m.assign_attrs(units="m", standard_name="sea_surface_elevation")},
                attrs={"institution": "Naval Oceanographic Office", "source": "HYCOM archive file"},
            )
            path = folder / f"hycom_glby_930_{stamp:%Y%m%d%H}_t000.nc"
            out.to_netcdf(path, encoding={**_time_encoding("hours since 2000-01-01 00:00:00"),
                                          "water_temp": _packed(0.001, 20.0), "salinity": _packed(0.001, 20.0),
                                          "water_u": _packed(0.001), "water_v": _packed(0.001),
                                          "surf_el": _packed(0.001)})
            paths.append(path)
    return paths


def write_fora(ds: xr.Dataset, path: Path) -> Path:
    """JAMSTEC FORA-WNP30: to (degreeC), so, uo/vo in cm s-1, ht in cm, latitude descending, many days per file."""
    flipped = ds.isel(lat=slice(None, None, -1))
    out = xr.Dataset(
        {"to": flipped.temp_c.assign_attrs(standard_name="sea_water_potential_temperature", units="degreeC"),
         "so": flipped.salinity_psu.assign_attrs(standard_name="sea_water_practical_salinity", units="psu"),
         "uo": (flipped.eastward_current_ms * 100).assign_attrs(standard_name="sea_water_eastward_velocity", units="cm s-1"),
         "vo": (flipped.northward_current_ms * 100).assign_attrs(standard_name="sea_water_northward_velocity", units="cm s-1"),
         "ht": (flipped.ssh_m * 100).assign_attrs(standard_name="sea_surface_height_above_sea_level", units="cm")},
        attrs={"title": "FORA-WNP30 daily mean"},
    ).rename(lat="latitude", lon="longitude")
    out.to_netcdf(path, encoding=_time_encoding("days since 1982-01-01 00:00:00"))
    return path


def write_ghrsst(ds: xr.Dataset, folder: Path) -> list[Path]:
    """Satellite L3/L4 SST in GHRSST format: analysed_sst in kelvin (int16, scale 0.001, offset 298.15), lat descending."""
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for t in ds.time.values:
        sst = (ds.temp_c.isel(depth=0).sel(time=[t]) + 273.15).isel(lat=slice(None, None, -1))
        out = xr.Dataset({"analysed_sst": sst.assign_attrs(units="kelvin",
                                                           standard_name="sea_surface_foundation_temperature")},
                         attrs={"gds_version_id": "2.0", "title": "Himawari L3C SST"})
        path = folder / f"{pd.Timestamp(t):%Y%m%d}000000-JAXA-L3C_GHRSST-SSTskin-H08_AHI-v2.nc"
        out.to_netcdf(path, encoding={**_time_encoding("seconds since 1981-01-01 00:00:00"),
                                      "analysed_sst": _packed(0.001, 298.15)})
        paths.append(path)
    return paths


def write_jcope2m(ds: xr.Dataset, path: Path) -> Path:
    """JCOPE2M as distributed: temp/salt/u/v/el with no standard_name, on (time, lev, lat, lon); read by the product table."""
    out = xr.Dataset(
        {"temp": ds.temp_c.assign_attrs(units="degC"), "salt": ds.salinity_psu.assign_attrs(units="psu"),
         "u": ds.eastward_current_ms.assign_attrs(units="m/s"), "v": ds.northward_current_ms.assign_attrs(units="m/s"),
         "el": ds.ssh_m.assign_attrs(units="m")},
        attrs={"title": "JCOPE2M reanalysis"},
    ).rename(depth="lev")
    out.to_netcdf(path, encoding=_time_encoding("days since 1993-01-01 00:00:00"))
    return path


def write_copernicus_forecast(ds: xr.Dataset, path: Path, issued: str) -> Path:
    """A Copernicus-style forecast file: daily means from the issue day onwards and a scalar forecast_reference_time."""
    out = xr.Dataset(
        {"thetao": ds.temp_c.rename(lat="latitude", lon="longitude").assign_attrs(
            standard_name="sea_water_potential_temperature", units="degrees_C")},
        attrs={"source": "MERCATOR PSY4", "title": "Global Ocean Physics Analysis and Forecast"},
    )
    out = out.assign_coords(forecast_reference_time=((), pd.Timestamp(issued), {"standard_name": "forecast_reference_time"}))
    out.to_netcdf(path, encoding={**_time_encoding("hours since 1950-01-01"),
                                  "forecast_reference_time": {"units": "hours since 1950-01-01"}})
    return path
