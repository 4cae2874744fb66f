"""One typed settings object, from defaults, an optional TOML file and SETNET_* environment variables."""

from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass
from datetime import date
from functools import cached_property
from pathlib import Path
from typing import Any

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


@dataclass(frozen=True)
class Species:
    """A species the forecasts cover: a stable code and the names cooperatives write."""

    code: str
    name_ja: str
    name_en: str
    aliases: tuple[str, ...] = ()


# The species setnet knows. Catch files may name them by code, Japanese or English name, or an alias.
SPECIES: tuple[Species, ...] = (
    Species("yellowtail", "ブリ", "Yellowtail", ("鰤", "ぶり", "ガンド", "フクラギ")),
    Species("firefly_squid", "ホタルイカ", "Firefly squid", ("蛍烏賊", "ほたるいか")),
    Species("sardine", "マイワシ", "Japanese sardine", ("イワシ", "真鰯", "まいわし")),
    Species("common_squid", "スルメイカ", "Japanese common squid", ("スルメ", "するめいか", "鯣烏賊")),
)


class Settings(BaseSettings):
    """Everything a run needs to know; paths derive from `data_dir` unless set."""

    model_config = SettingsConfigDict(env_prefix="SETNET_", extra="ignore")

    data_dir: Path = Field(default=Path("data"), description="Folder that holds everything a run writes")
    max_lead_days: int = Field(default=7, ge=1, le=14, description="Forecast leads 1..max_lead_days")
    quantiles: tuple[float, float, float] = (0.1, 0.5, 0.9)
    holdout_days: int = Field(default=180, ge=14, description="Last days of history held out for evaluation")
    calibration_folds: int = Field(default=3, ge=2, le=10, description="Blocks of the training history held out in turn to calibrate the intervals")
    backtest_min_train_days: int = Field(default=365, ge=28, description="History before the first backtest origin")
    backtest_fold_days: int = Field(default=365, ge=14, description="Days forecast from each backtest origin")
    big_catch_alert_probability: float = Field(default=0.4, gt=0, lt=1, description="p_big_catch that counts as a big-catch alert")
    random_seed: int = 42
    lightgbm_rounds: int = Field(default=150, ge=10)
    lightgbm_threads: int = Field(default=2, ge=1)
    lightgbm_overrides: dict[str, float | int | bool] = Field(
        default_factory=dict, description="Booster parameters replacing the defaults, e.g. a tuning run's best (JSON in SETNET_LIGHTGBM_OVERRIDES)")
    max_grid_age_days: int = Field(default=3, ge=0, description="Oldest ocean day a forecast may start from")
    site_search_radius_km: float = Field(default=15.0, gt=0, description="Farthest sea cell a net may use")
    dask_scheduler_address: str | None = Field(default=None, description="tcp://host:port of a Dask cluster")
    timezone: str = "Asia/Tokyo"
    product_table: Path | None = Field(default=None, description="TOML product table replacing ingest/tables/products.toml")
    species_dictionary: Path | None = Field(default=None, description="CSV replacing ingest/tables/species.csv")
    box_weight_table: Path | None = Field(default=None, description="CSV replacing ingest/tables/box_weights.csv")
    fish_weight_table: Path | None = Field(default=None, description="CSV replacing ingest/tables/fish_weights.csv")
    grid_margin_deg: float = Field(default=1.0, ge=0, description="A new grid store keeps the sites' box plus this")
    ocean_forecast_max_lead_days: int = Field(default=10, ge=1, le=30, description="Longest ocean forecast lead stored")
    ocean_radius_km: float = Field(default=10.0, ge=0, description="Radius (km) of the sea area averaged around a net")
    climatology_start: date | None = Field(default=None, description="First day of the ocean reference period (default: the grid store's first day)")
    climatology_end: date | None = Field(default=None, description="Last day of the ocean reference period, e.g. the training cutoff (default: none)")
    swift_current_percentile: float = Field(default=90.0, gt=0, lt=100, description="Percentile of a net's current speed above which the current counts as swift")
    catch_neighbour_count: int = Field(default=3, ge=0, description="Nearest other nets whose catches form the neighbour features")
    feature_cache_dir: Path | None = Field(default=None, description="Cache of ocean references (default: <data-dir>/features)")
    kyucho_advisory_kn: float = Field(default=1.0, gt=0, description="Current (knots) at a net that raises a swift-current advisory (急潮注意報)")
    kyucho_warning_kn: float = Field(default=1.5, gt=0, description="Current (knots) at a net that raises a swift-current warning (急潮警報)")
    kyucho_thresholds_kn: dict[str, tuple[float, float]] = Field(
        default_factory=dict, description="Per-net (advisory, warning) knots by site_id, replacing the two defaults")
    model_max_age_days: int = Field(default=30, ge=1, description="A model trained longer ago than this marks the report degraded")
    temperature_anomaly_alert_c: float = Field(default=2.0, gt=0, description="|temperature - day-of-year normal| at a net that the report flags")
    # operations (setnet/operations.py, docs/operations.md)
    run_lock_wait_seconds: float = Field(default=60.0, ge=0, description="How long a run waits for another run on the same data folder before it refuses")
    grid_drop_dir: Path | None = Field(default=None, description="Drop folder of provider NetCDF files (default: <data-dir>/inbox/grids)")
    catch_drop_dir: Path | None = Field(default=None, description="Drop folder of cooperative catch files (default: <data-dir>/inbox/catches)")
    grid_urls: list[str] = Field(default_factory=list, description="Grid file URLs to download into the grid drop folder; '{date:%Y%m%d}' is filled with each day from max_grid_age_days before the run date to the run date")
    max_catch_age_days: int = Field(default=2, ge=0, description="A forecast whose latest catch day is older than this is marked degraded")

    @cached_property
    def warehouse_path(self) -> Path:
        return self.data_dir / "setnet.duckdb"

    @cached_property
    def grid_store_path(self) -> Path:
        return self.data_dir / "grids.zarr"

    @cached_property
    def forecast_store_path(self) -> Path:
        return self.data_dir / "ocean_forecasts.zarr"

    @cached_property
    def models_dir(self) -> Path:
        return self.data_dir / "models"

    @cached_property
    def reports_dir(self) -> Path:
        return self.data_dir / "reports"

    @cached_property
    def lead_days(self) -> list[int]:
        return list(range(1, self.max_lead_days + 1))


def load_settings(config_file: Path | None = None, **overrides: Any) -> Settings:
    """Settings from defaults < TOML file (`SETNET_CONFIG` or `config_file`) < SETNET_* env < overrides."""
    path = config_file or (Path(os.environ["SETNET_CONFIG"]) if os.environ.get("SETNET_CONFIG") else None)
    from_file: dict[str, Any] = {}
    if path is not None:
        if not path.exists():
            raise FileNotFoundError(f"settings file not found: {path}")
        from_file = tomllib.loads(path.read_text(encoding="utf-8")).get("setnet", {})
    env_set = {name for name in Settings.model_fields if f"SETNET_{name.upper()}" in os.environ}
    values = {k: v for k, v in from_file.items() if k not in env_set}
    values.update({k: v for k, v in overrides.items() if v is not None})
    return Settings(**values)


def species_lookup() -> dict[str, str]:
    """Every accepted spelling of a species (code, names, aliases, lower-cased) -> its code."""
    lookup: dict[str, str] = {}
    for sp in SPECIES:
        for name in (sp.code, sp.name_ja, sp.name_en, *sp.aliases):
            lookup[name.strip().lower()] = sp.code
    return lookup
