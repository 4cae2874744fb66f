"""Settings come from defaults, a TOML file, SETNET_* variables and explicit overrides, in that order."""

from pathlib import Path

import pytest
from pydantic import ValidationError

from setnet.settings import SPECIES, FeatureSettings, Settings, load_settings, species_lookup


@pytest.fixture(autouse=True)
def _no_settings_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("SETNET_DATA_DIR", "SETNET_CONFIG", "SETNET_FEATURES__OCEAN_RADIUS_KM",
                 "SETNET_MODELS__LIGHTGBM_ROUNDS", "SETNET_OPERATIONS__GRID_URLS"):
        monkeypatch.delenv(name, raising=False)


def test_defaults_put_everything_under_data() -> None:
    settings = load_settings()
    assert settings.warehouse_path == Path("data/setnet.duckdb")
    assert settings.grid_store_path == Path("data/grids.zarr")
    assert settings.lead_days == [1, 2, 3, 4, 5, 6, 7]


def test_derived_paths_follow_a_copy_with_another_data_dir(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path / "a")
    assert settings.warehouse_path == tmp_path / "a" / "setnet.duckdb"  # read before copying (a cache would keep it)
    moved = settings.model_copy(update={"data_dir": tmp_path / "b"})
    assert moved.warehouse_path == tmp_path / "b" / "setnet.duckdb"
    assert moved.grid_store_path == tmp_path / "b" / "grids.zarr"
    assert moved.forecast_store_path == tmp_path / "b" / "ocean_forecasts.zarr"
    assert moved.models_dir == tmp_path / "b" / "models"
    assert moved.reports_dir == tmp_path / "b" / "reports"
    assert settings.updated(max_lead_days=3).lead_days == [1, 2, 3]


def test_file_then_environment_then_override(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    config = tmp_path / "setnet.toml"
    config.write_text('[setnet]\ndata_dir = "/from/file"\nrandom_seed = 7\n\n'
                      '[setnet.features]\nocean_radius_km = 4.0\nswift_current_percentile = 80\n', encoding="utf-8")
    from_file = load_settings(config)
    assert (from_file.data_dir, from_file.random_seed) == (Path("/from/file"), 7)
    assert (from_file.features.ocean_radius_km, from_file.features.swift_current_percentile) == (4.0, 80.0)
    assert from_file.features.catch_neighbour_count == FeatureSettings().catch_neighbour_count  # default kept
    monkeypatch.setenv("SETNET_DATA_DIR", "/from/env")
    monkeypatch.setenv("SETNET_FEATURES__OCEAN_RADIUS_KM", "6")
    from_env = load_settings(config)
    assert from_env.data_dir == Path("/from/env")
    assert from_env.features.ocean_radius_km == 6.0
    assert from_env.features.swift_current_percentile == 80.0  # the file's other keys of the section stay
    overridden = load_settings(config, data_dir=Path("/from/cli"), features={"ocean_radius_km": 2.0})
    assert overridden.data_dir == Path("/from/cli")
    assert overridden.features.ocean_radius_km == 2.0
    assert overridden.features.swift_current_percentile == 80.0
    assert load_settings(config, data_dir=None).data_dir == Path("/from/env")  # None: not given


def test_the_file_is_named_by_setnet_config(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    config = tmp_path / "setnet.toml"
    config.write_text('[setnet.models]\nlightgbm_rounds = 20\n', encoding="utf-8")
    monkeypatch.setenv("SETNET_CONFIG", str(config))
    assert Settings().models.lightgbm_rounds == 20
    assert load_settings().models.lightgbm_rounds == 20


def test_environment_values_parse_as_their_types(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SETNET_OPERATIONS__GRID_URLS", '["https://x/{date:%Y%m%d}.nc"]')
    monkeypatch.setenv("SETNET_MODELS__LIGHTGBM_ROUNDS", "25")
    settings = load_settings()
    assert settings.operations.grid_urls == ["https://x/{date:%Y%m%d}.nc"]
    assert settings.models.lightgbm_rounds == 25


def test_a_flat_key_of_a_section_in_the_file_is_refused(tmp_path: Path) -> None:
    config = tmp_path / "setnet.toml"
    config.write_text('[setnet]\nocean_radius_km = 4.0\n', encoding="utf-8")  # belongs in [setnet.features]
    with pytest.raises(ValidationError, match="ocean_radius_km"):
        load_settings(config)


def test_missing_settings_file_is_a_clear_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    with pytest.raises(FileNotFoundError, match="settings file not found"):
        load_settings(tmp_path / "absent.toml")
    monkeypatch.setenv("SETNET_CONFIG", str(tmp_path / "absent.toml"))
    with pytest.raises(FileNotFoundError, match="settings file not found"):
        load_settings()


def test_updated_validates_the_section_it_changes() -> None:
    settings = Settings()
    assert settings.updated(models={"tuning_trials": 2}).models.tuning_trials == 2
    assert settings.updated(models={"tuning_trials": 2}).models.lightgbm_rounds == settings.models.lightgbm_rounds
    with pytest.raises(ValidationError):
        settings.updated(models={"tuning_trials": 0})


def test_species_are_known_by_code_japanese_and_english_names() -> None:
    lookup = species_lookup()
    for species in SPECIES:
        assert lookup[species.code] == species.code
        assert lookup[species.name_ja.lower()] == species.code
        assert lookup[species.name_en.lower()] == species.code
    assert lookup["ぶり"] == "yellowtail"


def test_delivery_is_off_by_default_and_its_secrets_come_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    off = load_settings().delivery
    assert off.smtp_host is None and off.line_channel_token is None and not off.email_recipients
    monkeypatch.setenv("SETNET_DELIVERY__SMTP_PASSWORD", "smtp-secret")
    monkeypatch.setenv("SETNET_DELIVERY__LINE_CHANNEL_TOKEN", "line-secret")
    monkeypatch.setenv("SETNET_DELIVERY__LINE_RECIPIENTS", '{"氷見漁協": ["U1", "C2"]}')
    delivery = load_settings().delivery
    assert delivery.smtp_password.get_secret_value() == "smtp-secret"
    assert delivery.line_channel_token.get_secret_value() == "line-secret"
    assert delivery.line_recipients == {"氷見漁協": ["U1", "C2"]}
    assert "secret" not in repr(delivery) and "secret" not in str(load_settings().model_dump())
    with pytest.raises(ValidationError):
        Settings(delivery={"smtp_security": "tls"})
