"""One LightGBM model set per species, global over sites: a Tweedie mean and q10/q50/q90 quantile boosters."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import lightgbm as lgb
import numpy as np
import pandas as pd

from features.table import LABEL_COLUMN
from setnet.settings import Settings

QUANTILE_NAMES = {0.1: "q10", 0.5: "q50", 0.9: "q90"}


def lightgbm_params(settings: Settings) -> dict:
    """The shared booster parameters (deterministic for a fixed seed)."""
    return {
        "learning_rate": 0.05,
        "num_leaves": 31,
        "min_data_in_leaf": 40,
        "feature_fraction": 0.9,
        "lambda_l2": 1.0,
        "num_threads": settings.lightgbm_threads,
        "seed": settings.random_seed,
        "deterministic": True,
        "force_col_wise": True,
        "verbosity": -1,
    }


@dataclass
class SpeciesModel:
    """The fitted boosters of one species and what they need to predict."""

    species: str
    features: list[str]
    site_categories: list[str]
    boosters: dict[str, lgb.Booster]

    def design_matrix(self, rows: pd.DataFrame) -> pd.DataFrame:
        """Feature rows -> the model's input columns, site_id as a categorical with fixed categories."""
        matrix = rows[self.features].copy()
        matrix["site_id"] = pd.Categorical(matrix["site_id"], categories=self.site_categories)
        return matrix

    def predict(self, rows: pd.DataFrame) -> pd.DataFrame:
        """Feature rows -> mean_kg, q10_kg, q50_kg, q90_kg (non-negative; quantiles in order)."""
        matrix = self.design_matrix(rows)
        out = pd.DataFrame({f"{name}_kg": booster.predict(matrix) for name, booster in self.boosters.items()},
                           index=rows.index)
        out = out.clip(lower=0.0)
        out[["q10_kg", "q50_kg", "q90_kg"]] = np.sort(out[["q10_kg", "q50_kg", "q90_kg"]].to_numpy(), axis=1)
        return out[["mean_kg", "q10_kg", "q50_kg", "q90_kg"]]

    def save(self, folder: Path) -> None:
        """Write the boosters (LightGBM text format) and their metadata under `folder`."""
        folder.mkdir(parents=True, exist_ok=True)
        for name, booster in self.boosters.items():
            booster.save_model(str(folder / f"{name}.txt"))
        meta = {"species": self.species, "features": self.features, "site_categories": self.site_categories}
        (folder / "meta.json").write_text(json.dumps(meta, ensure_ascii=False, indent=1), encoding="utf-8")

    @classmethod
    def load(cls, folder: Path) -> SpeciesModel:
        """Read a model written by `save`."""
        meta = json.loads((folder / "meta.json").read_text(encoding="utf-8"))
        boosters = {name: lgb.Booster(model_file=str(folder / f"{name}.txt")) for name in ("mean", "q10", "q50", "q90")}
        return cls(meta["species"], meta["features"], meta["site_categories"], boosters)


def fit_species_model(rows: pd.DataFrame, species: str, features: list[str], site_categories: list[str],
                      settings: Settings) -> SpeciesModel:
    """Labelled feature rows of one species -> fitted Tweedie mean and quantile boosters."""
    labelled = rows[rows[LABEL_COLUMN].notna()]
    if len(labelled) < 50:
        raise ValueError(f"only {len(labelled)} labelled rows for {species}: too little history to train")
    model = SpeciesModel(species, features, site_categories, {})
    matrix = model.design_matrix(labelled)
    label = labelled[LABEL_COLUMN].to_numpy()
    base = lightgbm_params(settings)
    objectives = {"mean": {"objective": "tweedie", "tweedie_variance_power": 1.3}}
    objectives.update({name: {"objective": "quantile", "alpha": q} for q, name in QUANTILE_NAMES.items()})
    for name, objective in objectives.items():
        dataset = lgb.Dataset(matrix, label=label, categorical_feature=["site_id"], free_raw_data=False)
        model.boosters[name] = lgb.train({**base, **objective}, dataset, num_boost_round=settings.lightgbm_rounds)
    return model
