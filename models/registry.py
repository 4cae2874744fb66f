"""The model registry: artifacts under <models_dir>/<version>/<species>/, rows in `model_runs`, promotion.

The daily forecast uses, per species, the model promoted most recently. A new model is promoted
automatically only when its backtest CRPSS against climatology (the skill of the whole predictive distribution, mean
over leads, pooled over nets) beats the current one's; a serving model scored before CRPSS existed is replaced.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import duckdb
import pandas as pd

from models.lightgbm_model import SpeciesModel
from setnet.warehouse import POOLED_SITE_ID, table_columns


def table_checksum(table: pd.DataFrame) -> str:
    """A stable SHA-256 of a table's contents (row order included)."""
    hashes = pd.util.hash_pandas_object(table, index=False).to_numpy()
    return hashlib.sha256(hashes.tobytes()).hexdigest()


def model_version(data_checksum: str, params: dict, features: list[str]) -> str:
    """The version of a model: the same data, parameters and features give the same version."""
    recipe = json.dumps({"data": data_checksum, "params": params, "features": features}, sort_keys=True)
    return "m" + hashlib.sha256(recipe.encode()).hexdigest()[:10]


def artifact_dir(models_dir: Path, version: str, species: str) -> Path:
    """Where one species' boosters of a version live."""
    return models_dir / version / species


def _pooled(con: duckdb.DuckDBPyConnection) -> str:
    """The SQL condition selecting model_evaluations' pooled rows (every row of a warehouse not yet migrated to
    per-net evaluations, opened read-only)."""
    return f"site_id = '{POOLED_SITE_ID}'" if "site_id" in table_columns(con, "model_evaluations") else "true"


def list_models(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """Registered models, newest first, with their pooled backtest skill (lead 1 and mean over leads) and promotion;
    crpss_climatology (mean over leads) is NaN for models scored before CRPS was."""
    crpss = ("avg(crpss_climatology)" if "crpss_climatology" in table_columns(con, "model_evaluations")
             else "NULL::DOUBLE")
    return con.execute(
        f"""
        WITH skill AS (
            SELECT model_version, species, avg(skill_vs_climatology) AS skill_vs_climatology,
                   {crpss} AS crpss_climatology,
                   avg(coverage_80) AS coverage_80, avg(mae_kg) FILTER (WHERE lead_days = 1) AS mae_lead1_kg
            FROM model_evaluations WHERE {_pooled(con)} GROUP BY ALL
        )
        SELECT r.model_version, r.species, r.trained_at, r.train_start, r.train_end, r.n_rows, r.promoted_at,
               coalesce(r.promoted_at = max(r.promoted_at) OVER (PARTITION BY r.species), false) AS serving,
               s.skill_vs_climatology, s.crpss_climatology, s.coverage_80, s.mae_lead1_kg
        FROM model_runs r LEFT JOIN skill s USING (model_version, species)
        ORDER BY r.trained_at DESC, r.species
        """
    ).df()


def _mean_skill(con: duckdb.DuckDBPyConnection, version: str, species: str) -> float | None:
    row = con.execute(
        "SELECT avg(crpss_climatology) FROM model_evaluations WHERE model_version = ? AND species = ? "
        f"AND {_pooled(con)}",
        [version, species],
    ).fetchone()
    return None if row is None or row[0] is None else float(row[0])


def serving_versions(con: duckdb.DuckDBPyConnection) -> dict[str, str]:
    """species -> the version the daily forecast uses (the most recently promoted)."""
    rows = con.execute(
        """SELECT species, model_version FROM model_runs WHERE promoted_at IS NOT NULL
           QUALIFY row_number() OVER (PARTITION BY species ORDER BY promoted_at DESC, model_version) = 1"""
    ).fetchall()
    return dict(rows)


def promote(con: duckdb.DuckDBPyConnection, version: str, species: list[str] | None = None) -> list[str]:
    """Make `version` serve its species (or the given ones); returns the species promoted."""
    known = [row[0] for row in con.execute(
        "SELECT species FROM model_runs WHERE model_version = ? ORDER BY species", [version]).fetchall()]
    if not known:
        raise ValueError(f"no model {version} in the registry (see `setnet models list`)")
    chosen = [s for s in known if species is None or s in species]
    for name in chosen:
        con.execute("UPDATE model_runs SET promoted_at = now()::TIMESTAMP WHERE model_version = ? AND species = ?",
                    [version, name])
    return chosen


def auto_promote(con: duckdb.DuckDBPyConnection, version: str) -> list[str]:
    """Promote `version` for each species with no serving model or whose backtest CRPSS against climatology it beats."""
    serving = serving_versions(con)
    chosen = []
    for (species,) in con.execute("SELECT species FROM model_runs WHERE model_version = ? ORDER BY species", [version]).fetchall():
        current = serving.get(species)
        if current == version:
            continue
        candidate_skill, current_skill = _mean_skill(con, version, species), _mean_skill(con, current or "", species)
        if current is None or current_skill is None or (candidate_skill is not None and candidate_skill > current_skill):
            chosen.append(species)
    return promote(con, version, chosen) if chosen else []


def promoted_models(con: duckdb.DuckDBPyConnection) -> dict[str, tuple[str, SpeciesModel]]:
    """The serving model of each species: species -> (version, model)."""
    folders = dict(con.execute("SELECT model_version || '/' || species, artifact_dir FROM model_runs").fetchall())
    return {species: (version, SpeciesModel.load(Path(folders[f"{version}/{species}"])))
            for species, version in sorted(serving_versions(con).items())}
