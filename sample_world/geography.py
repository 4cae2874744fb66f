"""Where things are: the model grid, a coast that follows Toyama Bay, the set-net registry and net -> sea cell lookup."""

from __future__ import annotations

import numpy as np
import pandas as pd
from matplotlib.path import Path as PolygonPath

DEPTHS_M = np.array([0.494025, 47.37369, 92.32607])  # the first GLORYS12 levels near 0, 50 and 100 m
LATITUDES = np.round(36.0 + 0.05 * np.arange(41), 2)  # 36.0 .. 38.0 degrees_north, ascending
LONGITUDES = np.round(136.0 + 0.05 * np.arange(51), 2)  # 136.0 .. 138.5 degrees_east
EARTH_RADIUS_KM = 6371.0
BAY_CENTRE = (37.0, 137.3)  # (lat, lon) of the bay's cyclonic gyre

# Everything south of this line is land: the Echizen/Kaga coast, round the Noto Peninsula (west coast, north
# coast, tip at Rokkosaki, east coast past Himi), along the Toyama coast at the head of the bay and north-east past
# Itoigawa and Joetsu to the domain's eastern edge. (lon, lat) vertices; Sado island is left out.
COASTLINE_LON_LAT: tuple[tuple[float, float], ...] = (
    (135.90, 35.95), (136.05, 36.15), (136.15, 36.24), (136.35, 36.38), (136.55, 36.55), (136.65, 36.68),
    (136.75, 36.85), (136.72, 37.05), (136.70, 37.20), (136.75, 37.33),                     # Noto west coast
    (136.88, 37.40), (137.05, 37.44), (137.20, 37.49), (137.35, 37.54),                     # north coast to the tip
    (137.37, 37.47), (137.30, 37.38), (137.25, 37.30), (137.15, 37.25), (137.05, 37.12),    # Noto east coast
    (137.00, 37.05), (136.975, 36.96), (136.975, 36.90), (136.985, 36.85),                  # Himi
    (137.02, 36.81), (137.09, 36.785), (137.16, 36.770), (137.22, 36.763), (137.30, 36.762),  # Shinminato..Mizuhashi
    (137.345, 36.772), (137.39, 36.815), (137.415, 36.88), (137.455, 36.94),                # Namerikawa..Nyuzen
    (137.52, 36.965), (137.56, 36.975), (137.70, 37.00), (137.86, 37.04),                   # Asahi, Itoigawa
    (138.00, 37.10), (138.15, 37.15), (138.25, 37.19), (138.38, 37.28), (138.50, 37.36), (138.60, 37.42),  # Joetsu
)
LAND_POLYGON = PolygonPath([*COASTLINE_LON_LAT, (138.60, 35.90), (135.90, 35.90)], closed=False)

# The set-net registry, ordered so that the first three nets belong to three cooperatives and span the bay.
SITE_REGISTRY = pd.DataFrame(
    [
        ("himi_ouzakai", "氷見 大境", "Himi Ouzakai", "氷見漁協", "Himi Fisheries Cooperative", 36.960, 136.990, 45, 90),
        ("iwase", "岩瀬", "Iwase", "富山県漁協", "Toyama Prefecture Fisheries Cooperative", 36.775, 137.225, 55, 0),
        ("uozu", "魚津", "Uozu", "魚津漁協", "Uozu Fisheries Cooperative", 36.825, 137.380, 60, 315),
        ("himi_uba", "氷見 宇波", "Himi Uba", "氷見漁協", "Himi Fisheries Cooperative", 36.915, 136.990, 35, 90),
        ("shinminato", "新湊", "Shinminato", "新湊漁協", "Shinminato Fisheries Cooperative", 36.795, 137.095, 40, 10),
        ("mizuhashi", "水橋", "Mizuhashi", "富山県漁協", "Toyama Prefecture Fisheries Cooperative", 36.774, 137.300, 50, 0),
        ("namerikawa", "滑川", "Namerikawa", "滑川漁協", "Namerikawa Fisheries Cooperative", 36.785, 137.335, 70, 345),
        ("kurobe_ikuji", "黒部 生地", "Kurobe Ikuji", "くろべ漁協", "Kurobe Fisheries Cooperative", 36.890, 137.405, 75, 305),
        ("nyuzen", "入善", "Nyuzen", "入善町漁協", "Nyuzen Town Fisheries Cooperative", 36.950, 137.450, 80, 325),
        ("asahi_miyazaki", "朝日 宮崎", "Asahi Miyazaki", "宮崎漁協", "Miyazaki Fisheries Cooperative", 36.985, 137.565, 65, 340),
    ],
    columns=["site_id", "name_ja", "name_en", "coop", "coop_en", "lat", "lon", "depth_m", "bearing_deg"],
)


def land_mask(lat: np.ndarray = LATITUDES, lon: np.ndarray = LONGITUDES) -> np.ndarray:
    """Boolean (lat, lon) array, True where the cell centre lies on land."""
    lon2, lat2 = np.meshgrid(lon, lat)
    points = np.column_stack([lon2.ravel(), lat2.ravel()])
    return LAND_POLYGON.contains_points(points).reshape(lat2.shape)


def is_on_land(lat: float, lon: float) -> bool:
    """True when the point (lat, lon) lies on land."""
    return bool(LAND_POLYGON.contains_point((lon, lat)))


def haversine_km(lat1: np.ndarray, lon1: np.ndarray, lat2: np.ndarray, lon2: np.ndarray) -> np.ndarray:
    """Great-circle distance in km between points (broadcasting)."""
    phi1, phi2 = np.radians(lat1), np.radians(lat2)
    dphi, dlam = phi2 - phi1, np.radians(np.asarray(lon2) - np.asarray(lon1))
    a = np.sin(dphi / 2) ** 2 + np.cos(phi1) * np.cos(phi2) * np.sin(dlam / 2) ** 2
    return 2 * EARTH_RADIUS_KM * np.arcsin(np.sqrt(a))


def grid_km(lat: np.ndarray = LATITUDES, lon: np.ndarray = LONGITUDES) -> tuple[np.ndarray, np.ndarray]:
    """East and north offsets (km) of every cell from the bay centre, each shaped (lat, lon)."""
    lon2, lat2 = np.meshgrid(lon, lat)
    x_km = (lon2 - BAY_CENTRE[1]) * 111.32 * np.cos(np.radians(BAY_CENTRE[0]))
    y_km = (lat2 - BAY_CENTRE[0]) * 110.57
    return x_km, y_km


def nearest_sea_cells(sites: pd.DataFrame, land: np.ndarray,
                      lat: np.ndarray = LATITUDES, lon: np.ndarray = LONGITUDES) -> pd.DataFrame:
    """Per site, the (row, col) indices and distance (km) of its nearest sea cell; land cells are never chosen."""
    rows, cols = np.nonzero(~land)
    dist_km = haversine_km(sites["lat"].to_numpy()[:, None], sites["lon"].to_numpy()[:, None],
                           lat[rows][None, :], lon[cols][None, :])
    best = dist_km.argmin(axis=1)
    return pd.DataFrame({"site_id": sites["site_id"].to_numpy(), "row": rows[best], "col": cols[best],
                         "cell_lat": lat[rows[best]], "cell_lon": lon[cols[best]],
                         "distance_km": dist_km[np.arange(len(sites)), best]})


def select_sites(n_sites: int) -> pd.DataFrame:
    """The first `n_sites` (1..10) nets of the registry."""
    if not 1 <= n_sites <= len(SITE_REGISTRY):
        raise ValueError(f"sites must be 1..{len(SITE_REGISTRY)}, got {n_sites}")
    return SITE_REGISTRY.iloc[:n_sites].reset_index(drop=True)
