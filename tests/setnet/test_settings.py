"""Settings come from defaults, a TOML file, SETNET_* variables and explicit overrides, in that order."""

from pathlib import Path

import pytest

from setnet.settings import SPECIES, load_settings, species_lookup


def test_defaults_put_everything_under_data(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("SETNET_DATA_DIR", raising=False)
    settings = load_settings()
    assert settings.warehouse_path == Path("data/setnet.duckdb")
    assert settings.grid_store_path == Path("data/grids.zarr")
    assert settings.lead_days == [1, 2, 3, 4, 5, 6, 7]


def test_file_then_environment_then_override(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    config = tmp_path / "setnet.toml"
    config.write_text('[setnet]\ndata_dir = "/from/file"\nholdout_days = 60\n', encoding="utf-8")
    monkeypatch.delenv("SETNET_DATA_DIR", raising=False)
    assert load_settings(config).data_dir == Path("/from/file")
    assert load_settings(config).holdout_days == 60
    monkeypatch.setenv("SETNET_DATA_DIR", "/from/env")
    assert load_settings(config).data_dir == Path("/from/env")
    assert load_settings(config, data_dir=Path("/from/cli")).data_dir == Path("/from/cli")


def test_missing_settings_file_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError, match="settings file not found"):
        load_settings(tmp_path / "absent.toml")


def test_species_are_known_by_code_japanese_and_english_names() -> None:
    lookup = species_lookup()
    for species in SPECIES:
        assert lookup[species.code] == species.code
        assert lookup[species.name_ja.lower()] == species.code
        assert lookup[species.name_en.lower()] == species.code
    assert lookup["ぶり"] == "yellowtail"
