"""The model registry: artifacts under <models_dir>/<version>/<species>/ and rows in `model_runs`."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import duckdb
import pandas as pd

from models.lightgbm_model import SpeciesModel


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


def latest_models(con: duckdb.DuckDBPyConnection, models_dir: Path) -> dict[str, tuple[str, SpeciesModel]]:
    """The newest trained model of each species: species -> (version, model)."""
    rows = con.execute(
        """SELECT species, model_version, artifact_dir FROM model_runs
           QUALIFY row_number() OVER (PARTITION BY species ORDER BY trained_at DESC, model_version) = 1
           ORDER BY species"""
    ).fetchall()
    return {species: (version, SpeciesModel.load(Path(folder))) for species, version, folder in rows}
