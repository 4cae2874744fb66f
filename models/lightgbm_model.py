"""One hurdle model per species, global over nets (net as a categorical), two LightGBM boosters:

- "catch": a classifier of P(catch > 0 | the net operates);
- "positive": a regression of ln(catch_kg) on the days the net caught something, whose spread (the sd of ln catch
  around it) is measured on held-out blocks of the training history, per bin of the predicted scale.

Both may start from the net's seasonal normal (init scores: the training history's log-odds of a catch and mean
ln kg at that net within +-15 days of the year), so the trees learn how the ocean, the catches so far and the
calendar move a catch away from the season's usual one; each fit's search decides whether they do.

The species' hurdle is fitted on the rows of every lead; a lead in `models.own_model_leads` (lead 1, tomorrow, by
default) may have a hurdle of its own besides, fitted on that lead's rows only with the parameters and start the
species' search chose (`SpeciesModel.lead_models`), kept only when on the search's held-out blocks it scores a lower
CRPS at that lead than the species' hurdle does (`SearchResult.lead_scores`): a row of that lead is then forecast and
explained by it alone.

Together they are one predictive distribution per forecast (models.distribution.HurdleLogNormal); every number the
forecast shows is read off it. A fit chooses its booster parameters by a small seeded search (models.tuning)
scored by the CRPS of that distribution on its held-out blocks, and keeps every trial; a fit given an earlier
search of the same history (a later backtest fold) reruns only its chosen trial there.
"""

from __future__ import annotations

import contextlib
import ctypes
import dataclasses
import itertools
import json
import time
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import TypeVar

import lightgbm as lgb
import numpy as np
import pandas as pd
from scipy.special import expit

from features.table import LABEL_COLUMN
from models.distribution import QUANTILES, HurdleLogNormal
from models.evaluate import pinball_loss
from models.tuning import candidate_params
from setnet.settings import Settings

BOOSTER_NAMES = ("catch", "positive")
BIG_CATCH_PERCENTILE = 0.9
PREDICTION_COLUMNS = ["mean_kg", "q10_kg", "q50_kg", "q90_kg", "p_zero", "p_big_catch", "big_catch_threshold_kg",
                      "positive_log_mean", "positive_log_sd"]
VALIDATION_BLOCK_DAYS = 28  # the training history is cut into four-week blocks ...
VALIDATION_EVERY = 4  # ... and every fourth one (the latest included) is held out
MIN_ROWS_PER_SPREAD_BIN = 30
DATASET_PARAMS = {"max_bin": 63, "feature_pre_filter": False, "verbosity": -1}
OBJECTIVES = {"catch": {"objective": "binary", "metric": "binary_logloss"},
              "positive": {"objective": "regression", "metric": "l2"}}


def lightgbm_params(settings: Settings) -> dict:
    """The booster parameters a search starts from (trial 0; deterministic for a fixed seed)."""
    return {
        "learning_rate": 0.05,
        "num_leaves": 15,
        "min_data_in_leaf": 100,
        "feature_fraction": 0.7,
        "bagging_fraction": 0.8,
        "bagging_freq": 1,
        "lambda_l2": 1.0,
        "extra_trees": False,
        "num_threads": settings.models.lightgbm_threads,
        "seed": settings.random_seed,
        "deterministic": True,
        "force_col_wise": True,
        **DATASET_PARAMS,
        **settings.models.lightgbm_overrides,
    }


def big_catch_thresholds(rows: pd.DataFrame) -> dict[str, float]:
    """Labelled rows of one species -> per site the 90th percentile of its operated-day catches (kg)."""
    labelled = rows.drop_duplicates(["target_date", "site_id"]).dropna(subset=[LABEL_COLUMN])
    return labelled.groupby("site_id")[LABEL_COLUMN].quantile(BIG_CATCH_PERCENTILE).astype(float).to_dict()


SEASON_HALF_WINDOW_DAYS = 15  # the seasonal normal pools the same net's days within +-15 days of the year
PRIOR_DAYS = 5.0  # pseudo-days pulling a sparse window towards the species' whole-history value


def seasonal_normals(labelled: pd.DataFrame) -> pd.DataFrame:
    """Labelled rows of one species -> per site and day of year (1..366) where both boosters start from: the
    log-odds of a catch (seasonal_logit) and the mean ln(kg) of a catch (seasonal_log_kg) of that net's operated
    days within +-15 days of the year, shrunk towards the species' whole history by PRIOR_DAYS pseudo-days."""
    days = labelled.drop_duplicates(["target_date", "site_id"])
    catch_kg = days[LABEL_COLUMN].to_numpy(dtype=float)
    caught = catch_kg > 0
    frame = pd.DataFrame({"site_id": days.site_id.astype(str).to_numpy(),
                          "day_of_year": pd.to_datetime(days.target_date).dt.day_of_year.to_numpy(),
                          "days": 1.0, "caught": caught.astype(float),
                          "log_kg": np.where(caught, np.log(np.where(caught, catch_kg, 1.0)), 0.0)})
    sums = frame.pivot_table(index="day_of_year", columns="site_id", values=["days", "caught", "log_kg"],
                             aggfunc="sum").reindex(pd.RangeIndex(1, 367, name="day_of_year")).fillna(0.0)
    wrap, window = SEASON_HALF_WINDOW_DAYS, 2 * SEASON_HALF_WINDOW_DAYS + 1  # the year is a circle
    padded = pd.concat([sums.iloc[-wrap:], sums, sums.iloc[:wrap]])
    windowed = padded.rolling(window, center=True).sum().iloc[wrap:-wrap]
    p_catch = float(caught.mean()) if caught.size else 0.5
    log_kg = float(frame.log_kg[caught].mean()) if caught.any() else 0.0
    share = (windowed["caught"] + PRIOR_DAYS * p_catch) / (windowed["days"] + PRIOR_DAYS)
    share = share.clip(0.01, 0.99)
    mean_log = (windowed["log_kg"] + PRIOR_DAYS * log_kg) / (windowed["caught"] + PRIOR_DAYS)
    normals = pd.DataFrame({"seasonal_logit": np.log(share / (1 - share)).stack(),
                            "seasonal_log_kg": mean_log.stack()}).reset_index()
    everywhere = pd.DataFrame({"site_id": ["*"], "day_of_year": [0], "seasonal_logit": [np.log(p_catch / (1 - p_catch))
                                                                                        if 0 < p_catch < 1 else 0.0],
                               "seasonal_log_kg": [log_kg]})
    return pd.concat([normals, everywhere], ignore_index=True)[["site_id", "day_of_year", "seasonal_logit",
                                                                "seasonal_log_kg"]]


@dataclass(frozen=True)
class LogSpread:
    """The sd of ln(catch_kg) around the positive booster's prediction, per bin of that prediction."""

    edges: tuple[float, ...]  # inner bin edges on the predicted ln(kg)
    sd: tuple[float, ...]  # one per bin

    @classmethod
    def measure(cls, predicted_log_kg: np.ndarray, actual_log_kg: np.ndarray, bins: int) -> LogSpread:
        """Held-out predictions and actuals (ln kg, positive catches) -> root-mean-square residual per quantile bin
        of the prediction (fewer bins when there are under MIN_ROWS_PER_SPREAD_BIN residuals a bin)."""
        bins = int(max(1, min(bins, len(predicted_log_kg) // MIN_ROWS_PER_SPREAD_BIN)))
        if len(predicted_log_kg) == 0:
            return cls((), (1.0,))
        edges = np.unique(np.quantile(predicted_log_kg, np.linspace(0, 1, bins + 1)[1:-1]))
        index = np.searchsorted(edges, predicted_log_kg)
        squares = np.bincount(index, (actual_log_kg - predicted_log_kg) ** 2, minlength=len(edges) + 1)
        counts = np.bincount(index, minlength=len(edges) + 1)
        return cls(tuple(map(float, edges)), tuple(map(float, np.sqrt(squares / np.maximum(counts, 1)))))

    def at(self, predicted_log_kg: np.ndarray) -> np.ndarray:
        """The sd of ln(catch_kg) for each predicted ln(kg)."""
        return np.asarray(self.sd)[np.searchsorted(np.asarray(self.edges), predicted_log_kg)]


@dataclass
class SpeciesModel:
    """The fitted hurdle of one species and what it needs to predict and explain."""

    species: str
    features: list[str]
    site_categories: list[str]
    boosters: dict[str, lgb.Booster] = field(default_factory=dict)
    spread: LogSpread = field(default_factory=lambda: LogSpread((), (1.0,)))
    thresholds_kg: dict[str, float] = field(default_factory=dict)
    params: dict = field(default_factory=dict)  # the chosen trial's changes from the defaults
    trials: pd.DataFrame | None = None  # every trial of the search that chose them (not saved)
    normals: pd.DataFrame | None = None  # seasonal_normals of the training rows: where the boosters start
    search: SearchResult | None = None  # the search that chose the parameters (not saved; a later fit may reuse it)
    booster_seconds: dict[str, float] = field(default_factory=dict)  # wall s training each booster (not saved)
    booster_cpu_seconds: dict[str, float] = field(default_factory=dict)  # CPU s of the same (`_clocked`; not saved)
    lead_models: dict[int, SpeciesModel] = field(default_factory=dict)  # lead_days -> the hurdle of that lead's own

    def booster_timings(self) -> dict[str, float]:
        """Seconds training each booster, the lead models' included: {"<booster>_wall_s", "<booster>_cpu_s"} (0 for
        one not trained here)."""
        models = [self, *self.lead_models.values()]
        return {f"{name}_{kind}_s": sum(getattr(m, clock).get(name, 0.0) for m in models) for name in BOOSTER_NAMES
                for kind, clock in (("wall", "booster_seconds"), ("cpu", "booster_cpu_seconds"))}

    def _row_models(self, rows: pd.DataFrame) -> list[tuple[SpeciesModel, np.ndarray]]:
        """Feature rows -> (hurdle, positions of the rows it forecasts): each lead model its lead's rows, the species'
        hurdle the rest."""
        if not self.lead_models:
            return [(self, np.arange(len(rows)))]
        leads = rows["lead_days"].to_numpy()
        own = np.isin(leads, list(self.lead_models))
        parts = [(model, np.flatnonzero(leads == lead)) for lead, model in sorted(self.lead_models.items())]
        return [(model, at) for model, at in [(self, np.flatnonzero(~own)), *parts] if at.size]

    def offsets(self, rows: pd.DataFrame) -> dict[str, np.ndarray]:
        """Feature rows -> per booster its starting raw score: the net's seasonal log-odds of a catch ("catch")
        and seasonal mean ln(kg) ("positive") on the target day of year (the species' own for an unseen net)."""
        if self.normals is None:
            return {name: np.zeros(len(rows)) for name in BOOSTER_NAMES}
        keys = pd.DataFrame({"site_id": rows.site_id.astype(str).to_numpy(),
                             "day_of_year": pd.to_datetime(rows.target_date).dt.day_of_year.to_numpy()})
        found = keys.merge(self.normals, on=["site_id", "day_of_year"], how="left")
        fallback = self.normals[self.normals.site_id == "*"].iloc[0]
        return {"catch": found.seasonal_logit.fillna(fallback.seasonal_logit).to_numpy(),
                "positive": found.seasonal_log_kg.fillna(fallback.seasonal_log_kg).to_numpy()}

    def design_matrix(self, rows: pd.DataFrame) -> pd.DataFrame:
        """Feature rows -> the model's input columns as float32, site_id a categorical with fixed categories."""
        matrix = rows[[c for c in self.features if c != "site_id"]].astype("float32")
        matrix.insert(0, "site_id", pd.Categorical(rows["site_id"], categories=self.site_categories))
        return matrix[self.features]

    def distribution(self, rows: pd.DataFrame) -> HurdleLogNormal:
        """Feature rows -> each row's predictive distribution of the catch (from its lead's own hurdle if it has one)."""
        values = np.empty((3, len(rows)))
        for model, at in self._row_models(rows):
            part = hurdle(model.boosters, model.design_matrix(rows.iloc[at]), model.offsets(rows.iloc[at]), model.spread)
            values[:, at] = part.p_zero, part.positive_log_mean, part.positive_log_sd
        return HurdleLogNormal.of(*values)

    def predict(self, rows: pd.DataFrame) -> pd.DataFrame:
        """Feature rows -> PREDICTION_COLUMNS, every one read off the same distribution (kg; probabilities 0..1)."""
        return prediction_frame(self.distribution(rows), rows.site_id.map(self.thresholds_kg).astype(float), rows.index)

    def explain(self, rows: pd.DataFrame, top: int = 3) -> list[str]:
        """Feature rows -> per row a JSON list of the `top` features moving the expected catch (mean_kg), in signed kg.

        LightGBM's own contributions (pred_contrib) are additive on the classifier's log-odds of a catch and on the
        positive booster's ln(kg), both above the net's seasonal normal they start from. A feature's effect in kg is how much the expected catch would change without it:
        mean - p(logit - c_catch) * exp(ln_kg - c_positive + sd^2 / 2), with the row's spread sd held fixed. A row
        of a lead with a hurdle of its own is explained by that hurdle, the one that forecast it.
        """
        if self.lead_models:
            reasons = np.empty(len(rows), dtype=object)
            for model, at in self._row_models(rows):
                reasons[at] = dataclasses.replace(model, lead_models={}).explain(rows.iloc[at], top)
            return list(reasons)
        matrix, offsets = self.design_matrix(rows), self.offsets(rows)
        catch_contrib = self.boosters["catch"].predict(matrix, pred_contrib=True)
        positive_contrib = self.boosters["positive"].predict(matrix, pred_contrib=True)
        logit = catch_contrib.sum(axis=1, keepdims=True) + offsets["catch"][:, None]
        log_kg = positive_contrib.sum(axis=1, keepdims=True) + offsets["positive"][:, None]
        half_variance = 0.5 * self.spread.at(log_kg[:, 0])[:, None] ** 2
        mean_kg = expit(logit) * np.exp(log_kg + half_variance)
        without_kg = expit(logit - catch_contrib[:, :-1]) * np.exp(log_kg - positive_contrib[:, :-1] + half_variance)
        effect_kg = mean_kg - without_kg
        order = np.argsort(-np.abs(effect_kg), axis=1)[:, :top]
        values = rows[self.features].to_numpy()
        return [json.dumps([{"feature": self.features[i], "value": _plain(values[row, i]),
                             "effect_kg": round(float(effect_kg[row, i]), 1)} for i in indices], ensure_ascii=False)
                for row, indices in enumerate(order)]

    def save(self, folder: Path) -> None:
        """Write the boosters (LightGBM text format) and their metadata under `folder`."""
        folder.mkdir(parents=True, exist_ok=True)
        for name, booster in self.boosters.items():
            booster.save_model(str(folder / f"{name}.txt"))
        if self.normals is not None:
            self.normals.to_csv(folder / "seasonal_normals.csv", index=False, float_format="%.9g")
        for lead, model in self.lead_models.items():
            model.save(folder / f"lead_{lead}")
        meta = {"species": self.species, "features": self.features, "site_categories": self.site_categories,
                "thresholds_kg": self.thresholds_kg, "params": self.params,
                "spread": {"edges": list(self.spread.edges), "sd": list(self.spread.sd)},
                "own_model_leads": sorted(self.lead_models)}
        (folder / "meta.json").write_text(json.dumps(meta, ensure_ascii=False, indent=1), encoding="utf-8")

    @classmethod
    def load(cls, folder: Path) -> SpeciesModel:
        """Read a model written by `save`."""
        meta = json.loads((folder / "meta.json").read_text(encoding="utf-8"))
        if "spread" not in meta:
            raise ValueError(f"{folder} holds a model of an older format (before the hurdle model): run `setnet train`")
        boosters = {name: lgb.Booster(model_file=str(folder / f"{name}.txt")) for name in BOOSTER_NAMES}
        spread = LogSpread(tuple(meta["spread"]["edges"]), tuple(meta["spread"]["sd"]))
        normals_csv = folder / "seasonal_normals.csv"
        normals = pd.read_csv(normals_csv, dtype={"site_id": str}) if normals_csv.exists() else None
        lead_models = {int(lead): cls.load(folder / f"lead_{lead}") for lead in meta.get("own_model_leads", [])}
        return cls(meta["species"], meta["features"], meta["site_categories"], boosters, spread,
                   meta["thresholds_kg"], meta.get("params", {}), normals=normals, lead_models=lead_models)


def prediction_frame(distribution: HurdleLogNormal, threshold_kg: pd.Series, index: pd.Index) -> pd.DataFrame:
    """A distribution per row and each row's big-catch threshold (kg) -> PREDICTION_COLUMNS."""
    threshold = threshold_kg.to_numpy(dtype=float)
    return pd.DataFrame({
        "mean_kg": distribution.mean_kg(),
        **{f"{name}_kg": distribution.quantile_kg(level) for name, level in QUANTILES.items()},
        "p_zero": distribution.p_zero,
        "p_big_catch": distribution.p_above(threshold),
        "big_catch_threshold_kg": threshold,
        "positive_log_mean": distribution.positive_log_mean,
        "positive_log_sd": distribution.positive_log_sd,
    }, index=index)


def hurdle(boosters: dict[str, lgb.Booster], matrix: pd.DataFrame, offsets: dict[str, np.ndarray],
           spread: LogSpread) -> HurdleLogNormal:
    """The two boosters' raw scores above their offsets -> the distribution: P(catch) = sigmoid(log-odds),
    ln(kg) of a catch ~ Normal(the positive score, the spread at it)."""
    logit = boosters["catch"].predict(matrix, raw_score=True) + offsets["catch"]
    log_mean = boosters["positive"].predict(matrix, raw_score=True) + offsets["positive"]
    return HurdleLogNormal.of(1.0 - expit(logit), log_mean, spread.at(log_mean))


def _plain(value: object) -> object:
    """A feature value as JSON can hold it (numbers rounded)."""
    if isinstance(value, (float, np.floating)):
        return None if np.isnan(value) else round(float(value), 2)
    if isinstance(value, (int, np.integer)):
        return int(value)
    return str(value)


def validation_mask(target_dates: pd.Series, gap_days: int) -> tuple[np.ndarray, np.ndarray]:
    """Target dates -> (fit, held_out) row masks: every VALIDATION_EVERY-th four-week block, counted back from the
    latest, is held out; rows within `gap_days` of a held-out block are in neither (their lagged inputs overlap it).

    Blocks across the whole history, not only its end, so a seasonal species is caught in the held-out rows too."""
    days_back = (target_dates.max() - target_dates).dt.days.to_numpy()
    held_out = (days_back // VALIDATION_BLOCK_DAYS) % VALIDATION_EVERY == 0
    day_index = days_back.max() - days_back  # 0 = the earliest day
    held_days = np.zeros(day_index.max() + 1, dtype=bool)
    held_days[day_index[held_out]] = True
    near = np.convolve(held_days, np.ones(2 * gap_days + 1), mode="same") > 0
    return ~near[day_index], held_out


@dataclass(frozen=True)
class _Part:
    """One side (fit or held out) of a fit's rows, as LightGBM datasets for both boosters."""

    catch: lgb.Dataset
    positive: lgb.Dataset
    matrix: pd.DataFrame
    catch_kg: np.ndarray
    offsets: dict[str, np.ndarray]
    lead_days: np.ndarray | None  # each row's lead, when the rows have one


def _datasets(model: SpeciesModel, rows: pd.DataFrame, params: dict, reference: _Part | None = None) -> _Part:
    """Rows -> binned datasets for the classifier (all rows) and the positive booster (rows with a catch), built once
    and shared by every trial (free_raw_data=False); held-out parts are binned like their `reference`."""
    matrix, catch_kg = model.design_matrix(rows), rows[LABEL_COLUMN].to_numpy(dtype=float)
    caught, offsets = catch_kg > 0, model.offsets(rows)
    dataset_params = {k: v for k, v in params.items() if k in DATASET_PARAMS}
    catch = lgb.Dataset(matrix, label=caught.astype(float), init_score=offsets["catch"], categorical_feature=["site_id"],
                        free_raw_data=False, params=dataset_params,
                        reference=None if reference is None else reference.catch)
    positive = lgb.Dataset(matrix[caught], label=np.log(catch_kg[caught]), init_score=offsets["positive"][caught],
                           categorical_feature=["site_id"], free_raw_data=False, params=dataset_params,
                           reference=None if reference is None else reference.positive)
    lead_days = rows["lead_days"].to_numpy() if "lead_days" in rows else None
    return _Part(catch, positive, matrix, catch_kg, offsets, lead_days)


def _train(params: dict, dataset: lgb.Dataset, settings: Settings, held_out: lgb.Dataset | None = None,
           rounds: int | None = None) -> lgb.Booster:
    """One booster: up to lightgbm_rounds with early stopping on `held_out`, or exactly `rounds` without it."""
    if held_out is None:
        return lgb.train(params, dataset, num_boost_round=rounds or settings.models.lightgbm_rounds)
    stop = lgb.early_stopping(settings.models.early_stopping_rounds, first_metric_only=True, verbose=False)
    return lgb.train(params, dataset, num_boost_round=settings.models.lightgbm_rounds, valid_sets=[held_out],
                     callbacks=[stop])


def _clocked(seconds: dict[str, float], cpu_seconds: dict[str, float], name: str, train, params: dict, *args,
             **kwargs):
    """`train(params, *args, **kwargs)`, its wall and CPU seconds added to `seconds[name]` and `cpu_seconds[name]`
    (CPU: this thread's when LightGBM runs on one thread, the fit's own, else the process's)."""
    clock = time.thread_time if params.get("num_threads") == 1 else time.process_time
    wall, cpu = time.perf_counter(), clock()
    booster = train(params, *args, **kwargs)
    seconds[name] = seconds.get(name, 0.0) + time.perf_counter() - wall
    cpu_seconds[name] = cpu_seconds.get(name, 0.0) + clock() - cpu
    return booster


Result = TypeVar("Result")


def run_fits(fits: Sequence[Callable[[Settings], Result]], settings: Settings) -> list[Result]:
    """Fits (each a function of the Settings it trains with) -> their results in order, `models.fit_workers` at a
    time on threads (LightGBM releases the GIL), each given its share of `models.lightgbm_threads`; one at a time
    when a Dask cluster trains the boosters."""
    workers = 1 if settings.dask_scheduler_address else min(settings.models.fit_workers, len(fits))
    if workers <= 1:
        return [fit(settings) for fit in fits]
    threads = max(1, settings.models.lightgbm_threads // workers)
    share = settings.updated(models={"lightgbm_threads": threads})
    with _lightgbm_threads_at_most(threads), ThreadPoolExecutor(max_workers=workers,
                                                                thread_name_prefix="setnet-fit") as pool:
        return list(pool.map(lambda fit: fit(share), fits))


@contextlib.contextmanager
def _lightgbm_threads_at_most(threads: int) -> Iterator[None]:
    """Every LightGBM call of the process on at most `threads` OpenMP threads while inside (LGBM_SetMaxThreads).

    LightGBM keeps the thread count of its calls in one process-wide variable that each call sets from its own
    parameters (a prediction or a Dataset without num_threads sets "all cores"): two fits on two Python threads
    would change each other's count between sizing a buffer and filling it in parallel, and crash. Under one cap
    every call of every fit runs on the same count."""
    library = lgb.basic._LIB  # LightGBM's own C API; its Python package does not wrap this pair
    previous = ctypes.c_int()
    library.LGBM_GetMaxThreads(ctypes.byref(previous))
    library.LGBM_SetMaxThreads(ctypes.c_int(threads))
    try:
        yield
    finally:
        library.LGBM_SetMaxThreads(previous)


def _trial_scores(booster_catch: lgb.Booster, booster_positive: lgb.Booster, held: _Part, bins: int
                  ) -> tuple[dict, LogSpread, np.ndarray]:
    """Two boosters of one trial and the held-out rows -> their scores (CRPS of the hurdle in kg, Brier of an empty
    net, RMSE of ln kg, MAE of the median, mean pinball loss of q10/q50/q90), the spread they imply and each held-out
    row's CRPS (kg)."""
    p_catch = expit(booster_catch.predict(held.matrix, raw_score=True) + held.offsets["catch"])
    log_kg = booster_positive.predict(held.matrix, raw_score=True) + held.offsets["positive"]
    caught = held.catch_kg > 0
    spread = LogSpread.measure(log_kg[caught], np.log(held.catch_kg[caught]), bins)
    distribution = HurdleLogNormal.of(1.0 - p_catch, log_kg, spread.at(log_kg))
    actual = held.catch_kg
    quantile_kg = {level: distribution.quantile_kg(level) for level in QUANTILES.values()}
    crps_kg = distribution.crps_kg(actual)
    return {
        "crps_kg": float(np.mean(crps_kg)),
        "brier_zero": float(np.mean((distribution.p_zero - ~caught) ** 2)),
        "rmse_log_kg": float(np.sqrt(np.mean((log_kg[caught] - np.log(actual[caught])) ** 2))) if caught.any() else np.nan,
        "mae_kg": float(np.mean(np.abs(quantile_kg[QUANTILES["q50"]] - actual))),
        "pinball_kg": float(np.mean([pinball_loss(actual, kg, level) for level, kg in quantile_kg.items()])),
        "rounds_catch": int(booster_catch.current_iteration()),
        "rounds_positive": int(booster_positive.current_iteration()),
    }, spread, crps_kg


SEASONAL_STARTS = {"search": (False, True), "always": (True,), "never": (False,)}


@dataclass(frozen=True)
class SearchResult:
    """What a fit's search chose (LightGBM parameter changes, whether the boosters start from the seasonal normal,
    the held-out spread) and every trial it scored."""

    params: dict
    seasonal_start: bool
    spread: LogSpread
    trials: pd.DataFrame
    n_rows: int = 0  # labelled rows the search was given (its fit part: all but about one in VALIDATION_EVERY)
    booster_seconds: dict[str, float] = field(default_factory=dict)  # wall s of its trials, per booster
    booster_cpu_seconds: dict[str, float] = field(default_factory=dict)  # CPU s of the same (`_clocked`)
    leads: dict[int, SearchResult] = field(default_factory=dict)  # lead_days -> its own rows' search, kept (it won)
    lead_scores: pd.DataFrame | None = None  # per own-model lead: held-out CRPS of its own hurdle and of this one


LEAD_SCORE_COLUMNS = ["lead_days", "held_out_rows", "crps_kg_own", "crps_kg_shared", "kept"]


def search_parameters(model: SpeciesModel, labelled: pd.DataFrame, settings: Settings,
                      earlier: SearchResult | None = None) -> SearchResult | None:
    """Labelled rows -> the best of every (parameter set, start) trial by held-out CRPS, each trial fitted on the rows
    outside the held-out blocks with early stopping on them; None when too little is held out.

    Each parameter set is tried from a constant and from the net's seasonal normal (models.seasonal_start "search"):
    which one wins depends on the bay (a season that explains most of the catch, or a school that lingers).
    `earlier`: a search on an earlier part of the same history; only its chosen trial is run again here (same
    parameters, start and trial number), for this history's own rounds and spread.
    Then each lead of `models.own_model_leads` gets a search of its own rows (`_lead_searches`)."""
    fit_rows, held_rows = validation_mask(labelled.target_date, settings.max_lead_days)
    fit, held = labelled[fit_rows], labelled[held_rows]
    if min(len(fit), len(held)) < 50 or (fit[LABEL_COLUMN] > 0).sum() < 10 or (held[LABEL_COLUMN] > 0).sum() < 10:
        return None
    base = lightgbm_params(settings)
    candidates = [(trial, changes, start) for trial, (changes, start) in
                  enumerate(itertools.product(candidate_params(settings.models.tuning_trials, settings.random_seed),
                                              SEASONAL_STARTS[settings.models.seasonal_start]))]
    if earlier is not None:
        chosen = int(earlier.trials.trial[earlier.trials.chosen].iloc[0])
        candidates = [(chosen, earlier.params, earlier.seasonal_start)]
    parts = {}
    for start in sorted({start for _, _, start in candidates}):
        # the held-out rows' starting points come from the fit rows only: they must not know their own catches
        start_model = dataclasses.replace(model, normals=seasonal_normals(fit) if start else None)
        fit_part = _datasets(start_model, fit, base)
        parts[start] = (fit_part, _datasets(start_model, held, base, reference=fit_part))
    rows, spreads, row_crps, seconds, cpu_seconds = [], [], [], {}, {}
    for trial, changes, start in candidates:
        fit_part, held_part = parts[start]
        boosters = {name: _clocked(seconds, cpu_seconds, name, _train, {**base, **changes, **OBJECTIVES[name]},
                                   getattr(fit_part, name), settings, getattr(held_part, name))
                    for name in BOOSTER_NAMES}
        scores, spread, crps_kg = _trial_scores(boosters["catch"], boosters["positive"], held_part,
                                                settings.models.spread_bins)
        rows.append({"trial": trial, "species": model.species, "params": json.dumps(changes, sort_keys=True),
                     "seasonal_start": start, **scores})
        spreads.append(spread)
        row_crps.append(crps_kg)
    trials = pd.DataFrame(rows)
    best = int(trials.crps_kg.idxmin())
    trials["chosen"] = trials.index == best
    result = SearchResult(json.loads(trials.params[best]), bool(trials.seasonal_start[best]), spreads[best], trials,
                          len(labelled), seconds, cpu_seconds)
    held_leads = parts[result.seasonal_start][1].lead_days
    return _lead_searches(model, labelled, settings, result, row_crps[best], held_leads)


def _lead_searches(model: SpeciesModel, labelled: pd.DataFrame, settings: Settings, shared: SearchResult,
                   shared_crps_kg: np.ndarray, held_leads: np.ndarray | None) -> SearchResult:
    """The species' search on all leads' rows and its chosen trial's held-out CRPS per row (kg) -> the same search
    with, per lead of `models.own_model_leads`, the chosen trial run again on that lead's rows only, kept in
    `leads` when its held-out CRPS is below the shared trial's on the same rows (`lead_scores` records both).

    Both are scored on the same rows: a lead's rows have the same target dates as every lead's, so the same
    four-week blocks are held out. With a year of history a lead's own rows (a seventh of the species') are often
    too few for a short season: the shared hurdle wins and stays."""
    if held_leads is None or not settings.models.own_model_leads:
        return shared
    one_model = settings.updated(models={"own_model_leads": []})
    leads = labelled["lead_days"].to_numpy()
    kept, scores = {}, []
    for lead in sorted(set(settings.models.own_model_leads)):  # one or two leads, each search vectorised
        rows = labelled[leads == lead]
        if len(rows) == len(labelled):
            continue  # the species' hurdle is this lead's already
        own = search_parameters(model, rows, one_model, earlier=shared)
        held = held_leads == lead
        if own is None or not held.any():
            continue  # too few of this lead's rows to fit and score a hurdle of its own
        own_crps = float(own.trials.crps_kg[own.trials.chosen].iloc[0])
        shared_crps = float(np.mean(shared_crps_kg[held]))
        scores.append({"lead_days": int(lead), "held_out_rows": int(held.sum()), "crps_kg_own": own_crps,
                       "crps_kg_shared": shared_crps, "kept": own_crps < shared_crps})
        for name in BOOSTER_NAMES:  # the lead's trial is part of this search's cost
            shared.booster_seconds[name] = shared.booster_seconds.get(name, 0.0) + own.booster_seconds.get(name, 0.0)
            shared.booster_cpu_seconds[name] = (shared.booster_cpu_seconds.get(name, 0.0)
                                                + own.booster_cpu_seconds.get(name, 0.0))
        if own_crps < shared_crps:
            kept[int(lead)] = own
    return dataclasses.replace(shared, leads=kept, lead_scores=pd.DataFrame(scores, columns=LEAD_SCORE_COLUMNS))


def fit_species_model(rows: pd.DataFrame, species: str, features: list[str], site_categories: list[str],
                      settings: Settings, searched: SearchResult | None = None,
                      earlier: SearchResult | None = None) -> SpeciesModel:
    """Labelled feature rows of one species -> the fitted hurdle: parameters and start searched on held-out blocks,
    spread measured there, then both boosters refitted on every row with the chosen parameters and rounds.

    `searched`: a search already run on an earlier part of the same history (the latest backtest fold's), reused
    instead of searching again; its rounds are scaled by how many more rows the refit has than its fit part had.
    `earlier`: a search on an earlier part of the history (the first backtest fold's) whose chosen parameters and
    start this fit keeps, running only that trial again on its own held-out blocks (its rounds, its spread)."""
    labelled = rows[rows[LABEL_COLUMN].notna()]
    if len(labelled) < 50 or (labelled[LABEL_COLUMN] > 0).sum() < 10:
        raise ValueError(f"only {len(labelled)} labelled rows ({(labelled[LABEL_COLUMN] > 0).sum()} with a catch) "
                         f"for {species}: too little history to train")
    model = SpeciesModel(species, features, site_categories, thresholds_kg=big_catch_thresholds(labelled))
    reused = searched is not None
    if not reused:
        searched = search_parameters(model, labelled, settings, earlier)
        if searched is None and earlier is not None:  # too little held out here: the earlier search as it was
            searched, reused = earlier, True
    rounds = {name: settings.models.lightgbm_rounds for name in BOOSTER_NAMES}
    start = settings.models.seasonal_start == "always"  # when nothing can be held out to choose
    if searched is not None:
        model.params, start, model.spread, model.trials = (searched.params, searched.seasonal_start, searched.spread,
                                                           searched.trials)
        model.search = searched
        if not reused:  # this fit's clock includes its own search, not one it reused
            model.booster_seconds = dict(searched.booster_seconds)
            model.booster_cpu_seconds = dict(searched.booster_cpu_seconds)
        chosen = model.trials[model.trials.chosen].iloc[0]
        # more rows than the search's fit part: proportionally more rounds (at least 10)
        searched_rows = searched.n_rows or len(labelled)
        grow = len(labelled) / max(1, searched_rows - searched_rows // VALIDATION_EVERY)
        rounds = {name: max(10, round(int(chosen[f"rounds_{name}"]) * grow)) for name in BOOSTER_NAMES}
    model.normals = seasonal_normals(labelled) if start else None
    params = {**lightgbm_params(settings), **model.params}
    everything = _datasets(model, labelled, params)
    model.boosters = {name: _clocked(model.booster_seconds, model.booster_cpu_seconds, name, train_booster,
                                     {**params, **OBJECTIVES[name]}, getattr(everything, name), settings, rounds[name])
                      for name in BOOSTER_NAMES}
    if searched is None:  # no held-out blocks: the spread of the refit's own residuals, an optimistic fallback
        caught = everything.catch_kg > 0
        log_kg = (model.boosters["positive"].predict(everything.matrix[caught], raw_score=True)
                  + everything.offsets["positive"][caught])
        model.spread = LogSpread.measure(log_kg, np.log(everything.catch_kg[caught]), settings.models.spread_bins)
    model.lead_models = _lead_models(model, labelled, settings, searched)
    return model


def _lead_models(model: SpeciesModel, labelled: pd.DataFrame, settings: Settings,
                 searched: SearchResult | None) -> dict[int, SpeciesModel]:
    """The species' fitted hurdle, its labelled rows and its search -> per lead whose own hurdle won on the search's
    held-out blocks (`searched.leads`, of `models.own_model_leads`) that hurdle refitted on the lead's rows only,
    reusing the lead's search (its rounds scaled to the rows, its spread), the species' big-catch thresholds kept."""
    if searched is None or not searched.leads or "lead_days" not in labelled:
        return {}
    one_model = settings.updated(models={"own_model_leads": []})
    leads = labelled["lead_days"].to_numpy()
    lead_models = {}
    for lead, lead_search in sorted(searched.leads.items()):
        if lead not in settings.models.own_model_leads:
            continue
        lead_model = fit_species_model(labelled[leads == lead], model.species, model.features, model.site_categories,
                                       one_model, searched=lead_search)
        lead_model.thresholds_kg = model.thresholds_kg
        lead_models[int(lead)] = lead_model
    return lead_models


def train_booster(params: dict, dataset: lgb.Dataset, settings: Settings, rounds: int) -> lgb.Booster:
    """One booster of `rounds` rounds: trained here, or on the configured Dask cluster with lightgbm.dask."""
    if settings.dask_scheduler_address:
        from models.distributed import train_on_cluster

        return train_on_cluster(params, dataset.data, dataset.label, settings, rounds, dataset.init_score)
    return _train(params, dataset, settings, rounds=rounds)
