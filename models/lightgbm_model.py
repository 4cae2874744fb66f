"""One LightGBM model set per species, global over sites (site as a categorical, lead as a feature).

Boosters: a Tweedie mean, averaged over one booster on top of the net's seasonal normal (climatology as an
offset) and one from scratch; q10/q50/q90 quantiles whose range is calibrated on held-out blocks of the training
history; the probability of a zero catch; the probability of a big catch (above the site's 90th percentile).
"""

from __future__ import annotations

import itertools
import json
from dataclasses import dataclass, field
from pathlib import Path

import lightgbm as lgb
import numpy as np
import pandas as pd

from features.table import LABEL_COLUMN
from models.baselines import climatology_forecast, climatology_table
from models.calibration import calibrated_widening, interval_bounds
from setnet.settings import Settings

QUANTILES = {"q10": 0.1, "q50": 0.5, "q90": 0.9}
BOOSTER_NAMES = ("mean", "mean_plain", "q10", "q50", "q90", "zero", "big")
# The mean forecast averages two Tweedie boosters: one from the net's seasonal normal, one from scratch.
MEAN_BOOSTERS = ("mean", "mean_plain")
BIG_CATCH_PERCENTILE = 0.9
PREDICTION_COLUMNS = ["mean_kg", "q10_kg", "q50_kg", "q90_kg", "p_zero", "p_big_catch", "big_catch_threshold_kg"]


def lightgbm_params(settings: Settings) -> dict:
    """The shared booster parameters (deterministic for a fixed seed)."""
    return {
        "learning_rate": 0.05,
        "num_leaves": 15,
        "max_bin": 63,
        "min_data_in_leaf": 300,
        "feature_fraction": 0.5,
        "bagging_fraction": 0.7,
        "bagging_freq": 1,
        "lambda_l2": 10.0,
        "extra_trees": True,
        "num_threads": settings.models.lightgbm_threads,
        "seed": settings.random_seed,
        "deterministic": True,
        "force_col_wise": True,
        "verbosity": -1,
        **settings.models.lightgbm_overrides,
    }


OBJECTIVES: dict[str, dict] = {
    # the mean starts from the net's seasonal normal (an offset) and learns half as fast: shrunk towards the normal
    "mean": {"objective": "tweedie", "tweedie_variance_power": 1.3, "learning_rate": 0.025},
    "mean_plain": {"objective": "tweedie", "tweedie_variance_power": 1.3},
    **{name: {"objective": "quantile", "alpha": alpha} for name, alpha in QUANTILES.items()},
    "zero": {"objective": "binary"},
    "big": {"objective": "binary"},
}


def big_catch_thresholds(rows: pd.DataFrame) -> dict[str, float]:
    """Labelled rows of one species -> per site the 90th percentile of its operated-day catches (kg)."""
    labelled = rows.drop_duplicates(["target_date", "site_id"]).dropna(subset=[LABEL_COLUMN])
    return labelled.groupby("site_id")[LABEL_COLUMN].quantile(BIG_CATCH_PERCENTILE).astype(float).to_dict()


def interval_quantiles(raw: dict[str, np.ndarray], widening: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Raw booster outputs (q10, q50, q90 in kg; zero = p_zero) -> q10, q50, q90 (kg): >= 0, ordered, widened,
    and coherent with the zero classifier: the q10 is 0 wherever an empty net has at least a 10 % chance."""
    q10, q50, q90 = np.sort(np.column_stack([raw["q10"], raw["q50"], raw["q90"]]).clip(min=0.0), axis=1).T
    q10 = np.where(raw["zero"] >= QUANTILES["q10"], 0.0, q10)
    q10, q90 = interval_bounds(q10, q90, widening)
    return q10, np.clip(q50, q10, q90), q90


@dataclass
class SpeciesModel:
    """The fitted boosters of one species and what they need to predict and explain."""

    species: str
    features: list[str]
    site_categories: list[str]
    boosters: dict[str, lgb.Booster] = field(default_factory=dict)
    thresholds_kg: dict[str, float] = field(default_factory=dict)
    interval_widening: float = 0.0
    climatology: pd.DataFrame | None = None  # site_id, species, day_of_year, climatology_kg of the training catches

    def seasonal_offset(self, rows: pd.DataFrame) -> np.ndarray:
        """Feature rows -> log(1 + the net's seasonal mean catch in kg): where the mean booster starts from."""
        if self.climatology is None:
            return np.zeros(len(rows))
        return np.log1p(climatology_forecast(self.climatology, rows).to_numpy())

    def log_offset(self, booster_name: str, rows: pd.DataFrame) -> np.ndarray | None:
        """Where a booster starts on its log scale: the seasonal offset for "mean", nothing for the others."""
        return self.seasonal_offset(rows) if booster_name == "mean" else None

    def mean_kg(self, matrix: pd.DataFrame, rows: pd.DataFrame) -> np.ndarray:
        """The mean catch (kg): the average of the mean boosters' forecasts."""
        forecasts = []
        for name in (n for n in MEAN_BOOSTERS if n in self.boosters):
            offset = self.log_offset(name, rows)
            score = self.boosters[name].predict(matrix, raw_score=True)
            forecasts.append(np.exp(score if offset is None else score + offset))
        return np.mean(forecasts, axis=0)

    def design_matrix(self, rows: pd.DataFrame) -> pd.DataFrame:
        """Feature rows -> the model's input columns, site_id as a categorical with fixed categories."""
        matrix = rows[self.features].copy()
        matrix["site_id"] = pd.Categorical(matrix["site_id"], categories=self.site_categories)
        return matrix

    def predict(self, rows: pd.DataFrame) -> pd.DataFrame:
        """Feature rows -> mean_kg, q10/q50/q90_kg (calibrated, ordered, >= 0), p_zero, p_big_catch, threshold."""
        matrix = self.design_matrix(rows)
        raw = {name: booster.predict(matrix) for name, booster in self.boosters.items() if name not in MEAN_BOOSTERS}
        raw["mean"] = self.mean_kg(matrix, rows)
        q10, q50, q90 = interval_quantiles(raw, self.interval_widening)
        return pd.DataFrame(
            {
                "mean_kg": raw["mean"].clip(min=0.0),
                "q10_kg": q10,
                "q50_kg": q50,
                "q90_kg": q90,
                "p_zero": raw["zero"],
                "p_big_catch": raw["big"],
                "big_catch_threshold_kg": rows.site_id.map(self.thresholds_kg).astype(float).to_numpy(),
            },
            index=rows.index,
        )

    def explain(self, rows: pd.DataFrame, top: int = 3) -> list[str]:
        """Feature rows -> per row a JSON list of the top features moving the mean forecast, in signed kg.

        LightGBM's own contributions (pred_contrib) are additive on the log scale of each Tweedie mean booster;
        a feature's kg effect on one booster is how much its forecast would change without it:
        mean * (1 - exp(-contribution)); the effect on the forecast is the average over the mean boosters.
        """
        matrix, effects = self.design_matrix(rows), []
        for name in (n for n in MEAN_BOOSTERS if n in self.boosters):
            with_bias = self.boosters[name].predict(matrix, pred_contrib=True)
            offset = self.log_offset(name, rows)
            booster_mean_kg = np.exp(with_bias.sum(axis=1) + (0.0 if offset is None else offset))
            effects.append(booster_mean_kg[:, None] * (1.0 - np.exp(-with_bias[:, :-1])))
        effect_kg = np.mean(effects, axis=0)
        order = np.argsort(-np.abs(effect_kg), axis=1)[:, :top]
        values = rows[self.features].to_numpy()
        explanations = []
        for row_index, feature_indices in enumerate(order):
            explanations.append(json.dumps([
                {"feature": self.features[i], "value": _plain(values[row_index, i]),
                 "effect_kg": round(float(effect_kg[row_index, i]), 1)}
                for i in feature_indices
            ], ensure_ascii=False))
        return explanations

    def save(self, folder: Path) -> None:
        """Write the boosters (LightGBM text format) and their metadata under `folder`."""
        folder.mkdir(parents=True, exist_ok=True)
        for name, booster in self.boosters.items():
            booster.save_model(str(folder / f"{name}.txt"))
        if self.climatology is not None:
            self.climatology.to_csv(folder / "climatology.csv", index=False, float_format="%.6g")
        meta = {"species": self.species, "features": self.features, "site_categories": self.site_categories,
                "thresholds_kg": self.thresholds_kg, "interval_widening": self.interval_widening}
        (folder / "meta.json").write_text(json.dumps(meta, ensure_ascii=False, indent=1), encoding="utf-8")

    @classmethod
    def load(cls, folder: Path) -> SpeciesModel:
        """Read a model written by `save`."""
        meta = json.loads((folder / "meta.json").read_text(encoding="utf-8"))
        boosters = {name: lgb.Booster(model_file=str(folder / f"{name}.txt")) for name in BOOSTER_NAMES
                    if name != "mean_plain" or (folder / f"{name}.txt").exists()}  # older models have one mean
        climatology_csv = folder / "climatology.csv"
        climatology = pd.read_csv(climatology_csv) if climatology_csv.exists() else None
        return cls(meta["species"], meta["features"], meta["site_categories"], boosters,
                   meta["thresholds_kg"], meta["interval_widening"], climatology)


def _plain(value: object) -> object:
    """A feature value as JSON can hold it (numbers rounded)."""
    if isinstance(value, (float, np.floating)):
        return None if np.isnan(value) else round(float(value), 2)
    if isinstance(value, (int, np.integer)):
        return int(value)
    return str(value)


def _fit_boosters(model: SpeciesModel, labelled: pd.DataFrame, settings: Settings, names: tuple[str, ...]) -> dict:
    """Fit the named boosters on labelled rows; the big-catch label uses the model's thresholds."""
    matrix = model.design_matrix(labelled)
    catch_kg = labelled[LABEL_COLUMN].to_numpy()
    threshold = labelled.site_id.map(model.thresholds_kg).astype(float).fillna(np.inf).to_numpy()
    labels = {"zero": (catch_kg <= 0).astype(float), "big": (catch_kg > threshold).astype(float)}
    base = lightgbm_params(settings)
    return {name: train_booster({**base, **OBJECTIVES[name]}, matrix, labels.get(name, catch_kg), settings,
                                model.log_offset(name, labelled)) for name in names}


def train_booster(params: dict, matrix: pd.DataFrame, label: np.ndarray, settings: Settings,
                  init_score: np.ndarray | None = None) -> lgb.Booster:
    """One booster (from `init_score` on its raw scale, if given): trained here, or on the configured Dask
    cluster with lightgbm.dask (same parameters)."""
    if settings.dask_scheduler_address:
        from models.distributed import train_on_cluster

        return train_on_cluster(params, matrix, label, settings, init_score)
    dataset = lgb.Dataset(matrix, label=label, init_score=init_score, categorical_feature=["site_id"])
    return lgb.train(params, dataset, num_boost_round=settings.models.lightgbm_rounds)


def out_of_fold_intervals(model: SpeciesModel, labelled: pd.DataFrame, settings: Settings
                          ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray] | None:
    """Labelled rows -> (q10_kg, q90_kg, p_zero, actual_kg) of every row, each predicted by boosters that never saw
    its block: the target dates are cut into `calibration_folds` contiguous blocks and each block is predicted by
    boosters fitted on the others, minus `max_lead_days` either side (blocked cross-validation, never shuffled, all
    inside the training window). None when a block would span fewer than 30 days.

    Boosters fitted on all but one block are close to the final ones, so the widening measured on them carries
    over; a single time-ordered split fits on half the history and over-corrects.
    """
    dates = labelled.target_date
    first, last = dates.min(), dates.max()
    folds = settings.models.calibration_folds
    if (last - first).days < folds * 30:
        return None
    edges = pd.date_range(first, last + pd.Timedelta(days=1), periods=folds + 1)
    gap = pd.Timedelta(days=settings.max_lead_days)
    parts = []
    for start, end in itertools.pairwise(edges):
        block = labelled[(dates >= start) & (dates < end)]
        others = labelled[(dates < start - gap) | (dates >= end + gap)]
        if block.empty or len(others) < 50:
            return None
        matrix = model.design_matrix(block)
        raw = {name: booster.predict(matrix)
               for name, booster in _fit_boosters(model, others, settings, ("q10", "q50", "q90", "zero")).items()}
        q10, _, q90 = interval_quantiles(raw, 0.0)
        parts.append(np.column_stack([q10, q90, raw["zero"], block[LABEL_COLUMN].to_numpy()]))
    q10, q90, p_zero, actual_kg = np.concatenate(parts).T
    return q10, q90, p_zero, actual_kg


def fit_species_model(rows: pd.DataFrame, species: str, features: list[str], site_categories: list[str],
                      settings: Settings) -> SpeciesModel:
    """Labelled feature rows of one species -> fitted boosters, big-catch thresholds and interval widening.

    The widening makes the held-out intervals of `out_of_fold_intervals` cover 80 % by `pit_coverage` (no
    widening when the history is too short to hold blocks out); the final boosters are then fitted on all rows.
    """
    labelled = rows[rows[LABEL_COLUMN].notna()]
    if len(labelled) < 50:
        raise ValueError(f"only {len(labelled)} labelled rows for {species}: too little history to train")
    operated = labelled.drop_duplicates(["target_date", "site_id"]).rename(columns={"target_date": "date"})
    model = SpeciesModel(species, features, site_categories, thresholds_kg=big_catch_thresholds(labelled),
                         climatology=climatology_table(operated[["date", "site_id", "species", LABEL_COLUMN]]))
    held_out = out_of_fold_intervals(model, labelled, settings)
    if held_out is not None:
        q10, q90, p_zero, actual_kg = held_out
        model.interval_widening = calibrated_widening(q10, q90, p_zero, actual_kg)
    model.boosters = _fit_boosters(model, labelled, settings, BOOSTER_NAMES)
    return model
