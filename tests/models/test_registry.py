"""Promotion: a new model serves a species only when the CRPSS of its whole distribution beats the serving one's."""

from pathlib import Path

import pandas as pd

from models.registry import auto_promote, serving_versions
from setnet.warehouse import connect, upsert


def register(con, version: str, crpss: dict[str, float | None], mae_skill: float) -> None:
    """A registered model of two species with pooled lead-1 and lead-2 evaluations."""
    runs = pd.DataFrame([{"model_version": version, "species": species, "trained_at": pd.Timestamp("2025-01-01"),
                          "train_start": pd.Timestamp("2023-01-01").date(), "train_end": pd.Timestamp("2024-12-31").date(),
                          "n_rows": 100, "features": "[]", "params": "{}", "data_checksum": "x", "artifact_dir": "."}
                         for species in crpss])
    upsert(con, "model_runs", runs)
    evaluations = pd.DataFrame([{"model_version": version, "site_id": "all", "species": species, "lead_days": lead,
                                 "holdout_start": pd.Timestamp("2024-01-01").date(),
                                 "holdout_end": pd.Timestamp("2024-12-31").date(), "n_rows": 10,
                                 "crpss_climatology": value, "skill_vs_climatology": mae_skill}
                                for species, value in crpss.items() for lead in (1, 2)])
    upsert(con, "model_evaluations", evaluations)


def test_a_model_is_promoted_where_its_crpss_beats_the_serving_one_and_nowhere_else(tmp_path: Path) -> None:
    with connect(tmp_path / "setnet.duckdb") as con:
        register(con, "m1", {"sardine": 0.10, "yellowtail": 0.05}, mae_skill=0.0)
        assert auto_promote(con, "m1") == ["sardine", "yellowtail"]  # nothing served before
        # better MAE skill but a worse distribution for sardine; a better distribution for yellowtail
        register(con, "m2", {"sardine": 0.08, "yellowtail": 0.07}, mae_skill=0.5)
        assert auto_promote(con, "m2") == ["yellowtail"]
        assert serving_versions(con) == {"sardine": "m1", "yellowtail": "m2"}


def test_a_serving_model_scored_before_crpss_existed_is_replaced(tmp_path: Path) -> None:
    with connect(tmp_path / "setnet.duckdb") as con:
        register(con, "m_old", {"sardine": None}, mae_skill=0.3)
        auto_promote(con, "m_old")
        register(con, "m_new", {"sardine": -0.01}, mae_skill=0.1)
        assert auto_promote(con, "m_new") == ["sardine"]
