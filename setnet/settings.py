"""One typed settings object, from defaults, an optional TOML file and SETNET_* environment variables.

Precedence (highest first): keyword arguments > SETNET_* environment variables > the `[setnet]` table of the TOML
file named by `config_file` or SETNET_CONFIG > the defaults here. Each stage's settings are a section:
`settings.ingest`, `settings.features`, `settings.models`, `settings.reports`, `settings.operations`,
`settings.delivery`; what every
stage shares (`data_dir`, `timezone`, `random_seed`, `max_lead_days`, `max_grid_age_days`,
`dask_scheduler_address`) is top-level. In TOML a section is a table (`[setnet.features]`), in the environment a
double underscore (`SETNET_FEATURES__OCEAN_RADIUS_KM=5`), in code a dict (`Settings(features={...})`).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, PositiveInt, SecretStr
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    TomlConfigSettingsSource,
)


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

_SECTION = ConfigDict(extra="forbid", frozen=False)


class IngestSettings(BaseModel):
    """Reading the sources into the stores (ingest/, docs/data-sources.md)."""

    model_config = _SECTION

    product_table: Path | None = Field(default=None, description="TOML product table replacing ingest/tables/products.toml")
    species_dictionary: Path | None = Field(default=None, description="CSV replacing ingest/tables/species.csv")
    box_weight_table: Path | None = Field(default=None, description="CSV replacing ingest/tables/box_weights.csv")
    fish_weight_table: Path | None = Field(default=None, description="CSV replacing ingest/tables/fish_weights.csv")
    plausibility_table: Path | None = Field(default=None, description="CSV replacing ingest/tables/plausibility.csv (most kg per species, net and day)")
    future_date_tolerance_days: int = Field(default=1, ge=0, le=366, description="Days after today (where the nets are) a catch date may lie before it is quarantined")
    grid_margin_deg: float = Field(default=1.0, ge=0, description="A new grid store keeps the sites' box plus this")
    ocean_forecast_max_lead_days: int = Field(default=10, ge=1, le=30, description="Longest ocean forecast lead stored")
    hourly_forecast_max_lead_hours: int = Field(default=239, ge=23, le=720, description="Longest lead (hours after the issue day's 00:00 UTC) of hourly ocean forecasts stored")


class FeatureSettings(BaseModel):
    """The ocean at each net and the feature table (features/, docs/features.md)."""

    model_config = _SECTION

    site_search_radius_km: float = Field(default=15.0, gt=0, description="Farthest sea cell a net may use")
    ocean_radius_km: float = Field(default=10.0, ge=0, description="Radius (km) of the sea area averaged around a net")
    climatology_start: date | None = Field(default=None, description="First day of the ocean reference period (default: the grid store's first day)")
    climatology_end: date | None = Field(default=None, description="Last day of the ocean reference period, e.g. the training cutoff (default: none)")
    swift_current_percentile: float = Field(default=90.0, gt=0, lt=100, description="Percentile of a net's current speed above which the current counts as swift")
    catch_neighbour_count: int = Field(default=3, ge=0, description="Nearest other nets whose catches form the neighbour features")
    feature_cache_dir: Path | None = Field(default=None, description="Cache of ocean references (default: <data-dir>/features)")


class ModelSettings(BaseModel):
    """Training, calibration and the backtest (models/, docs/architecture.md)."""

    model_config = _SECTION

    backtest_min_train_days: int = Field(default=365, ge=28, description="History before the first backtest origin")
    backtest_fold_days: int = Field(default=365, ge=14, description="Days forecast from each backtest origin")
    big_catch_alert_probability: float = Field(default=0.4, gt=0, lt=1, description="p_big_catch that counts as a big-catch alert")
    lightgbm_rounds: int = Field(default=400, ge=10, description="Most boosting rounds a booster may take (the search stops each trial early on its held-out blocks)")
    early_stopping_rounds: int = Field(default=20, ge=5, description="Rounds without a better held-out score after which a trial stops")
    tuning_trials: int = Field(default=3, ge=1, le=50, description="Parameter sets every fit tries on its held-out blocks (the first: the defaults), each from both starts when seasonal_start is 'search'")
    search_folds: Literal["ends", "first", "every"] = Field(default="ends", description="Which backtest folds of a species search its parameters: the earliest and the latest ('ends': the folds between rerun the earliest's chosen trial, each refitting with early stopping on its own held-out blocks; the final fit reuses the latest's search, as with 'every'), the earliest only ('first': every later fold and the final fit reuse its choice), or every fold ('every', about twice the CPU work of 'ends' on 4 folds); a fold only ever reuses a search of earlier data, so all are leakage-safe")
    seasonal_start: Literal["search", "always", "never"] = Field(default="search", description="Whether the boosters start from the net's seasonal normal: chosen by each fit's search (every parameter set tried both ways), always, or never")
    training_ocean: Literal["analysis", "persisted"] = Field(default="persisted", description="Target-day ocean values of the rows a model is fit on where no ocean forecast was archived: the target day's later analysis ('analysis', perfect prog: the trees learn what the target-day ocean does) or the issue day's analysis persisted ('persisted'). Scored and forecast rows always carry what was known on their issue date. The default is what measured better fed the forecast (docs/model-forecast-value.md)")
    own_model_leads: list[PositiveInt] = Field(default=[1], description="Leads (days ahead) whose forecasts may come from a hurdle of their own, fitted on that lead's rows only with the parameters and start the species' search chose (its rounds and spread its own), kept in a fit only when it scores a lower CRPS than the species' hurdle on that lead's rows of the search's held-out blocks; every other lead from the species' hurdle fitted on all leads. Lead 1, tomorrow's catch, follows the latest catches more closely than a model shared with leads up to a week can (docs/performance.md, 'A model of its own for tomorrow'); [] for one hurdle for every lead")
    spread_bins: int = Field(default=4, ge=1, le=20, description="Bins of the predicted catch size with their own spread of ln(catch)")
    lightgbm_threads: int = Field(default=2, ge=1, description="LightGBM threads of a run, shared among the fits it runs at once (fit_workers)")
    fit_workers: int = Field(default=2, ge=1, description="Fits run at once on threads (backtest folds, the final fits of the species), each with lightgbm_threads // fit_workers LightGBM threads (at least 1); LightGBM gives the same boosters on any number of threads (deterministic), so this changes only the time. One fit at a time when dask_scheduler_address is set")
    lightgbm_overrides: dict[str, float | int | bool] = Field(
        default_factory=dict, description="Booster parameters replacing the defaults, e.g. a tuning run's best (JSON in SETNET_MODELS__LIGHTGBM_OVERRIDES)")


class ReportSettings(BaseModel):
    """The thresholds the morning report applies (reports/, docs/report.md)."""

    model_config = _SECTION

    kyucho_advisory_kn: float = Field(default=1.0, gt=0, description="Current (knots) at a net that raises a swift-current advisory (急潮注意報)")
    kyucho_warning_kn: float = Field(default=1.5, gt=0, description="Current (knots) at a net that raises a swift-current warning (急潮警報)")
    kyucho_thresholds_kn: dict[str, tuple[float, float]] = Field(
        default_factory=dict, description="Per-net (advisory, warning) knots by site_id, replacing the two defaults")
    model_max_age_days: int = Field(default=30, ge=1, description="A model trained longer ago than this marks the report degraded")
    temperature_anomaly_alert_c: float = Field(default=2.0, gt=0, description="|temperature - day-of-year normal| at a net that the report flags")


class OperationsSettings(BaseModel):
    """Scheduling, locking and late data (setnet/operations.py, ingest/inbox.py, docs/operations.md)."""

    model_config = _SECTION

    run_lock_wait_seconds: float = Field(default=60.0, ge=0, description="How long a run waits for another run on the same data folder before it refuses")
    grid_drop_dir: Path | None = Field(default=None, description="Drop folder of provider NetCDF files (default: <data-dir>/inbox/grids)")
    catch_drop_dir: Path | None = Field(default=None, description="Drop folder of cooperative catch files (default: <data-dir>/inbox/catches)")
    grid_urls: list[str] = Field(default_factory=list, description="Grid file URLs to download into the grid drop folder; '{date:%Y%m%d}' is filled with each day from max_grid_age_days before the run date to the run date")
    max_catch_age_days: int = Field(default=2, ge=0, description="A forecast whose latest catch day is older than this is marked degraded")


class DeliverySettings(BaseModel):
    """Sending each cooperative's evening summary by e-mail and LINE (reports/delivery.py, docs/operations.md).

    Off by default: e-mail needs `smtp_host`, `email_sender` and `email_recipients`; LINE needs
    `line_channel_token` and `line_recipients`. Recipients are keyed by cooperative (its name or folder name).
    Secrets come from the environment: SETNET_DELIVERY__SMTP_PASSWORD, SETNET_DELIVERY__LINE_CHANNEL_TOKEN.
    """

    model_config = _SECTION

    smtp_host: str | None = Field(default=None, description="SMTP server host name (none: no e-mail)")
    smtp_port: int = Field(default=587, ge=1, le=65535, description="SMTP server port (587 submission, 465 ssl, 25)")
    smtp_security: Literal["none", "starttls", "ssl"] = Field(
        default="starttls", description="Plain SMTP, STARTTLS after connecting, or TLS from the start (SMTPS)")
    smtp_local_hostname: str | None = Field(
        default=None, description="Name this machine gives in EHLO (none: its fully qualified domain name)")
    smtp_username: str | None = Field(default=None, description="SMTP login (none: send without logging in)")
    smtp_password: SecretStr | None = Field(default=None, description="SMTP password (SETNET_DELIVERY__SMTP_PASSWORD)")
    email_sender: str | None = Field(default=None, description="From: address, e.g. 'setnet <forecast@example.org>'")
    email_recipients: dict[str, list[str]] = Field(
        default_factory=dict, description="Cooperative (name or folder name) -> e-mail addresses")
    email_attach_pdf: bool = Field(default=True, description="Attach the cooperative's A4 PDF page when it exists")
    line_api_base: str = Field(default="https://api.line.me",
                               description="LINE Messaging API base URL (the push endpoint is <base>/v2/bot/message/push)")
    line_channel_token: SecretStr | None = Field(
        default=None, description="LINE channel access token (SETNET_DELIVERY__LINE_CHANNEL_TOKEN; none: no LINE)")
    line_recipients: dict[str, list[str]] = Field(
        default_factory=dict, description="Cooperative (name or folder name) -> LINE user or group ids")
    timeout_seconds: float = Field(default=30.0, gt=0, description="Longest wait (s) for the SMTP or LINE server per attempt")
    retries: int = Field(default=3, ge=0, le=10, description="Further attempts after a transient failure (connection, 5xx, 429)")
    backoff_seconds: float = Field(default=5.0, ge=0, description="Wait (s) before the first retry, doubled for each next one")
    max_backoff_seconds: float = Field(default=120.0, ge=0, description="Longest wait (s) between attempts, a server's Retry-After too")


# The TOML file the next Settings() reads (set by load_settings; else SETNET_CONFIG).
_config_file: ContextVar[Path | None] = ContextVar("setnet_config_file", default=None)


class Settings(BaseSettings):
    """Everything a run needs to know; paths derive from `data_dir`."""

    model_config = SettingsConfigDict(env_prefix="SETNET_", env_nested_delimiter="__", extra="forbid",
                                      toml_table_header=("setnet",))

    data_dir: Path = Field(default=Path("data"), description="Folder that holds everything a run writes")
    timezone: str = Field(default="Asia/Tokyo", description="Where the nets are: today's date, issue times")
    random_seed: int = 42
    max_lead_days: int = Field(default=7, ge=1, le=14, description="Forecast leads 1..max_lead_days")
    max_grid_age_days: int = Field(default=3, ge=0, description="Oldest ocean day a forecast may start from")
    dask_scheduler_address: str | None = Field(default=None, description="tcp://host:port of a Dask cluster")
    ingest: IngestSettings = Field(default_factory=IngestSettings)
    features: FeatureSettings = Field(default_factory=FeatureSettings)
    models: ModelSettings = Field(default_factory=ModelSettings)
    reports: ReportSettings = Field(default_factory=ReportSettings)
    operations: OperationsSettings = Field(default_factory=OperationsSettings)
    delivery: DeliverySettings = Field(default_factory=DeliverySettings)

    @classmethod
    def settings_customise_sources(cls, settings_cls: type[BaseSettings], init_settings: PydanticBaseSettingsSource,
                                   env_settings: PydanticBaseSettingsSource,
                                   dotenv_settings: PydanticBaseSettingsSource,
                                   file_secret_settings: PydanticBaseSettingsSource,
                                   ) -> tuple[PydanticBaseSettingsSource, ...]:
        """init > SETNET_* env > the TOML file's [setnet] table > defaults."""
        return init_settings, env_settings, TomlConfigSettingsSource(settings_cls, toml_file=config_path())

    @property
    def warehouse_path(self) -> Path:
        return self.data_dir / "setnet.duckdb"

    @property
    def grid_store_path(self) -> Path:
        return self.data_dir / "grids.zarr"

    @property
    def forecast_store_path(self) -> Path:
        return self.data_dir / "ocean_forecasts.zarr"

    @property
    def hourly_forecast_store_path(self) -> Path:
        return self.data_dir / "ocean_forecasts_hourly.zarr"

    @property
    def models_dir(self) -> Path:
        return self.data_dir / "models"

    @property
    def reports_dir(self) -> Path:
        return self.data_dir / "reports"

    @property
    def lead_days(self) -> list[int]:
        return list(range(1, self.max_lead_days + 1))

    def updated(self, **changes: Any) -> Settings:
        """A copy with `changes`: top-level values, or per section a dict of fields merged into it (validated).

        `settings.updated(data_dir=path, models={"lightgbm_rounds": 30})`.
        """
        update = {}
        for name, value in changes.items():
            current = getattr(self, name)
            if isinstance(current, BaseModel) and isinstance(value, dict):
                value = type(current).model_validate({**current.model_dump(), **value})
            update[name] = value
        return self.model_copy(update=update)


def config_path() -> Path | None:
    """The TOML file settings are read from: load_settings' `config_file`, else SETNET_CONFIG, else none."""
    chosen = _config_file.get()
    if chosen is None and os.environ.get("SETNET_CONFIG"):
        chosen = Path(os.environ["SETNET_CONFIG"])
    if chosen is not None and not chosen.exists():
        raise FileNotFoundError(f"settings file not found: {chosen}")
    return chosen


@contextmanager
def _reading(config_file: Path | None) -> Iterator[None]:
    token = _config_file.set(config_file)
    try:
        yield
    finally:
        _config_file.reset(token)


def load_settings(config_file: Path | None = None, **overrides: Any) -> Settings:
    """Settings from defaults < TOML file (`config_file` or SETNET_CONFIG) < SETNET_* env < overrides (None: unset)."""
    with _reading(config_file):
        return Settings(**{name: value for name, value in overrides.items() if value is not None})


def species_lookup() -> dict[str, str]:
    """Every accepted spelling of a species (code, names, aliases, lower-cased) -> its code."""
    lookup: dict[str, str] = {}
    for sp in SPECIES:
        for name in (sp.code, sp.name_ja, sp.name_en, *sp.aliases):
            lookup[name.strip().lower()] = sp.code
    return lookup
