"""Scoring forecasts against what was caught, and against the baselines on the same rows.

Point scores judge each method by the point forecast its loss calls for (MAE: a median; RMSE: the mean); the
error of the number a report shows, the expected catch (the mean), is mae_mean_kg. The
continuous ranked probability score judges a whole predictive distribution F against the catch y (kg):

    CRPS(F, y) = integral of (F(x) - 1{x >= y})^2 dx = E|X - y| - E|X - X'| / 2   (X, X' drawn from F),

lower is better, and for a point forecast it is the absolute error. The model's CRPS is exact for its hurdle
lognormal (models.distribution, the zero mass included). Climatology's distribution is its ensemble of training
catches (`models.baselines.climatology_members`: the net's operated days within +-15 days of the target day of
year, empty nets included), scored exactly as an empirical distribution. Persistence is a point forecast (the
last operated day's catch), so its CRPS is its absolute error. CRPSS = 1 - CRPS_model / CRPS_baseline.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from models.baselines import (
    climatology_forecast,
    climatology_median_table,
    climatology_members,
    climatology_table,
    persistence_forecast,
    seasonal_naive_forecast,
)
from models.calibration import pit_inside_share
from models.distribution import DISTRIBUTION_COLUMNS, QUANTILES, HurdleLogNormal
from setnet.warehouse import POOLED_SITE_ID

BASELINE_COLUMNS = ["climatology_kg", "climatology_median_kg", "persistence_kg", "seasonal_naive_kg",
                    "crps_climatology_kg", "crps_persistence_kg"]  # what `baseline_columns` adds
# The point forecast each method is judged by under absolute error (the median minimises it; RMSE uses the mean).
MAE_POINT_COLUMNS = {"model": "q50_kg", "climatology": "climatology_median_kg", "persistence": "persistence_kg",
                     "seasonal_naive": "seasonal_naive_kg"}
POINT_BASELINES = ("climatology", "persistence", "seasonal_naive")
CRPS_BASELINES = ("climatology", "persistence")
# What `score_rows` returns per (site_id, species, lead_days): the metric columns of `model_evaluations`.
EVALUATION_METRICS = [
    "n_rows", "mae_kg", "mae_mean_kg", "rmse_kg", *(f"pinball_{name}_kg" for name in QUANTILES), "pinball_kg",
    "coverage_80", "coverage_80_pit", "coverage_80_caught", "coverage_80_caught_expected",
    *(f"mae_{name}_kg" for name in POINT_BASELINES), *(f"skill_vs_{name}" for name in POINT_BASELINES),
    "crps_kg", *(f"crps_{name}_kg" for name in CRPS_BASELINES), *(f"crpss_{name}" for name in CRPS_BASELINES),
    "brier_zero", "big_catch_hit_rate", "big_catch_false_alarm_rate",
]


def skill(model_error: float, baseline_error: float) -> float:
    """1 - model_error / baseline_error: above 0 the model is better, 0 equal, below 0 worse."""
    return float(1.0 - model_error / baseline_error) if baseline_error > 0 else float("nan")


def skills(model_error: pd.Series, baseline_error: pd.Series) -> pd.Series:
    """`skill` element-wise (NaN where the baseline's error is not positive)."""
    return (1.0 - model_error / baseline_error).where(baseline_error > 0)


def pinball_loss(actual_kg: np.ndarray, quantile_kg: np.ndarray, alpha: float) -> float:
    """Mean pinball (quantile) loss in kg of a quantile forecast at level alpha."""
    return float(np.mean(pinball_losses(actual_kg, quantile_kg, alpha)))


def pinball_losses(actual_kg: np.ndarray, quantile_kg: np.ndarray, alpha: float) -> np.ndarray:
    """Per row, the pinball (quantile) loss in kg of a quantile forecast at level alpha."""
    difference = np.asarray(actual_kg, dtype=float) - np.asarray(quantile_kg, dtype=float)
    return np.maximum(alpha * difference, (alpha - 1.0) * difference)


def ensemble_crps_kg(member_group: np.ndarray, member_kg: np.ndarray, query_group: np.ndarray,
                     actual_kg: np.ndarray) -> np.ndarray:
    """Exact CRPS (kg) of each query's actual catch against the empirical distribution of its group's members.

    Groups are integers 0..G-1 (`member_group` per member, `query_group` per query). With a group's n members
    sorted x_1 <= ... <= x_n, k of them <= y and S_k their sum:
        E|X - y|  = (k y - S_k + (S_n - S_k) - (n - k) y) / n
        E|X - X'| = 2 sum_i (2 i - n - 1) x_i / n^2
    One sort of members and queries together gives every k and S_k (no loop over groups). A group without
    members scores as a point forecast of 0 (CRPS = y), as climatology forecasts 0 where it has no history.
    """
    member_group, query_group = np.asarray(member_group, dtype=np.int64), np.asarray(query_group, dtype=np.int64)
    member_kg, actual_kg = np.asarray(member_kg, dtype=float), np.asarray(actual_kg, dtype=float)
    groups = int(max(member_group.max(initial=-1), query_group.max(initial=-1))) + 1
    order = np.lexsort((member_kg, member_group))
    group, value = member_group[order], member_kg[order]
    n = np.bincount(group, minlength=groups).astype(float)
    total = np.bincount(group, weights=value, minlength=groups)
    start = np.cumsum(n) - n  # members in the groups before each group
    rank = np.arange(len(value)) - start[group] + 1.0
    pair_sum = np.bincount(group, weights=(2.0 * rank - n[group] - 1.0) * value, minlength=groups)

    # Members and queries sorted together (a member before a query at a tie): members up to a query are its k.
    is_query = np.r_[np.zeros(len(value), dtype=bool), np.ones(len(actual_kg), dtype=bool)]
    all_group, all_value = np.r_[group, query_group], np.r_[value, actual_kg]
    merged = np.lexsort((is_query, all_value, all_group))
    counted = np.cumsum(~is_query[merged])
    summed = np.cumsum(np.where(is_query[merged], 0.0, all_value[merged]))
    at = np.empty(len(merged), dtype=np.int64)
    at[merged] = np.arange(len(merged))
    position = at[len(value):]  # each query's place in the merged order
    k = counted[position] - start[query_group]
    below_sum = summed[position] - (np.cumsum(total) - total)[query_group]
    size, above_sum = n[query_group], total[query_group] - below_sum
    with np.errstate(invalid="ignore", divide="ignore"):
        distance = (k * actual_kg - below_sum + above_sum - (size - k) * actual_kg) / size
        crps = distance - pair_sum[query_group] / size**2
    return np.where(size > 0, np.maximum(crps, 0.0), np.abs(actual_kg))


def climatology_crps_kg(train_catches: pd.DataFrame, rows: pd.DataFrame) -> pd.Series:
    """Rows with actual_kg -> the CRPS (kg) of climatology's ensemble (`climatology_members` of `train_catches`
    at the row's net, species and target day of year), exact."""
    keys = ["site_id", "species", "day_of_year"]
    queries = rows[["site_id", "species"]].astype(str).assign(
        day_of_year=pd.to_datetime(rows.target_date).dt.day_of_year.to_numpy())
    groups = queries.drop_duplicates().reset_index(drop=True).rename_axis("group").reset_index()
    nets = groups[["site_id", "species"]].drop_duplicates()
    history = train_catches.astype({"site_id": str, "species": str}).merge(nets, on=["site_id", "species"])
    members = climatology_members(history).merge(groups, on=keys)
    query_group = queries.merge(groups, on=keys, how="left").group.to_numpy()
    crps = ensemble_crps_kg(members.group.to_numpy(), members.catch_kg.to_numpy(), query_group,
                            rows.actual_kg.to_numpy(dtype=float))
    return pd.Series(crps, index=rows.index, name="crps_climatology_kg")


def baseline_columns(train_catches: pd.DataFrame, rows: pd.DataFrame) -> pd.DataFrame:
    """Rows (with actual_kg) -> the same rows with the baselines' forecasts and scores (kg): climatology_kg (mean)
    and climatology_median_kg (from `train_catches` only), persistence_kg, seasonal_naive_kg, and the CRPS of
    climatology's ensemble (crps_climatology_kg) and of persistence's point forecast (crps_persistence_kg)."""
    climatology = climatology_forecast(climatology_table(train_catches), rows)
    median = climatology_forecast(climatology_median_table(train_catches), rows, "climatology_median_kg")
    persistence = persistence_forecast(rows, climatology)
    return rows.assign(
        climatology_kg=climatology,
        climatology_median_kg=median,
        persistence_kg=persistence,
        seasonal_naive_kg=seasonal_naive_forecast(rows, climatology),
        crps_climatology_kg=climatology_crps_kg(train_catches, rows),
        crps_persistence_kg=(persistence - rows.actual_kg).abs(),
    )


def add_scores(rows: pd.DataFrame) -> pd.DataFrame:
    """Rows with DISTRIBUTION_COLUMNS and actual_kg -> the same rows with crps_kg, the model's exact CRPS (kg)."""
    return rows.assign(crps_kg=HurdleLogNormal.from_frame(rows).crps_kg(rows.actual_kg.to_numpy(dtype=float)))


def row_scores(rows: pd.DataFrame, alert_probability: float) -> pd.DataFrame:
    """Scored rows -> per row the losses and hits whose group means are the metrics (NaN where an input is missing;
    the conditional ones, coverage on caught days and big-catch rates, NaN outside their condition)."""
    actual = rows.actual_kg.to_numpy(dtype=float)
    missing = np.full(len(rows), np.nan)

    def column(name: str) -> np.ndarray:
        return rows[name].to_numpy(dtype=float) if name in rows else missing

    inside = ((actual >= column("q10_kg")) & (actual <= column("q90_kg"))).astype(float)
    caught = actual > 0
    if "crps_kg" in rows:
        crps = column("crps_kg")
    elif set(DISTRIBUTION_COLUMNS) <= set(rows.columns):
        crps = add_scores(rows).crps_kg.to_numpy()
    else:
        crps = missing
    scores = {
        "abs_error_kg": np.abs(column(MAE_POINT_COLUMNS["model"]) - actual),
        **{f"abs_error_{name}_kg": np.abs(column(MAE_POINT_COLUMNS[name]) - actual) for name in POINT_BASELINES},
        "abs_error_mean_kg": np.abs(column("mean_kg") - actual),
        "squared_error_kg2": (column("mean_kg") - actual) ** 2,
        **{f"pinball_{name}_kg": pinball_losses(actual, column(f"{name}_kg"), alpha)
           for name, alpha in QUANTILES.items()},
        "inside_80": inside,
        "inside_80_pit": (pit_inside_share(actual, column("q10_kg"), column("q90_kg"), column("p_zero"))
                          if "p_zero" in rows else missing),
        "inside_80_caught": np.where(caught, inside, np.nan),
        # chance of a catch whose PIT lands in [0.1, 0.9], and of a catch: their ratio is what a calibrated
        # forecast's coverage on caught days reads (not 0.8: (0.9 - p_zero) / (1 - p_zero) for p_zero >= 0.1)
        "caught_inside_chance": np.clip(0.9 - np.maximum(column("p_zero"), 0.1), 0.0, None),
        "caught_chance": 1.0 - column("p_zero"),
        "crps_kg": crps,
        "crps_climatology_kg": column("crps_climatology_kg"),
        "crps_persistence_kg": (column("crps_persistence_kg") if "crps_persistence_kg" in rows
                                else np.abs(column("persistence_kg") - actual)),
        "brier_zero": (column("p_zero") - (actual == 0)) ** 2,
    }
    if "p_big_catch" in rows:
        big = actual > np.nan_to_num(column("big_catch_threshold_kg"), nan=np.inf)
        alert = (column("p_big_catch") >= alert_probability).astype(float)
        scores["big_catch_hit"] = np.where(big, alert, np.nan)
        scores["big_catch_false_alarm"] = np.where(big, np.nan, alert)
    else:
        scores["big_catch_hit"] = scores["big_catch_false_alarm"] = missing
    return pd.DataFrame(scores, index=rows.index)


def metrics_of(means: pd.DataFrame, n_rows: pd.Series) -> pd.DataFrame:
    """Group means of `row_scores` and group sizes -> EVALUATION_METRICS per group (same index)."""
    pinballs = means[[f"pinball_{name}_kg" for name in QUANTILES]]
    metrics = pd.DataFrame({
        "n_rows": n_rows.astype(int),
        "mae_kg": means.abs_error_kg,
        "mae_mean_kg": means.abs_error_mean_kg,
        "rmse_kg": np.sqrt(means.squared_error_kg2),
        **{column: pinballs[column] for column in pinballs},
        "pinball_kg": pinballs.mean(axis=1, skipna=False),
        "coverage_80": means.inside_80,
        "coverage_80_pit": means.inside_80_pit,
        "coverage_80_caught": means.inside_80_caught,
        "coverage_80_caught_expected": (means.caught_inside_chance / means.caught_chance).where(means.caught_chance > 0),
        **{f"mae_{name}_kg": means[f"abs_error_{name}_kg"] for name in POINT_BASELINES},
        **{f"skill_vs_{name}": skills(means.abs_error_kg, means[f"abs_error_{name}_kg"]) for name in POINT_BASELINES},
        "crps_kg": means.crps_kg,
        **{f"crps_{name}_kg": means[f"crps_{name}_kg"] for name in CRPS_BASELINES},
        **{f"crpss_{name}": skills(means.crps_kg, means[f"crps_{name}_kg"]) for name in CRPS_BASELINES},
        "brier_zero": means.brier_zero,
        "big_catch_hit_rate": means.big_catch_hit,
        "big_catch_false_alarm_rate": means.big_catch_false_alarm,
    }, index=means.index)
    return metrics[EVALUATION_METRICS]


def score_group(group: pd.DataFrame, alert_probability: float) -> pd.Series:
    """Scored rows of one group (say one species and lead) -> EVALUATION_METRICS over all of them."""
    scores = row_scores(group, alert_probability)
    return metrics_of(scores.mean().to_frame().T, pd.Series([len(group)])).iloc[0]


def _scores_by(scores: pd.DataFrame, keys: pd.DataFrame) -> pd.DataFrame:
    grouped = scores.groupby([keys[c] for c in keys.columns], observed=True, sort=True)
    return metrics_of(grouped.mean(), grouped.size()).reset_index()


def score_rows(rows: pd.DataFrame, alert_probability: float) -> pd.DataFrame:
    """Rows with actual_kg, forecasts and baseline columns -> EVALUATION_METRICS per site_id, species and lead:
    first the pooled rows of each species and lead (site_id = POOLED_SITE_ID, 'all'), then one per net (when the
    rows have site_id)."""
    scores = row_scores(rows, alert_probability)
    pooled = _scores_by(scores, rows[["species", "lead_days"]]).assign(site_id=POOLED_SITE_ID)
    parts = [pooled]
    if "site_id" in rows:
        parts.append(_scores_by(scores, rows[["site_id", "species", "lead_days"]].astype({"site_id": str})))
    return pd.concat(parts, ignore_index=True)[["site_id", "species", "lead_days", *EVALUATION_METRICS]]


def pooled(metrics: pd.DataFrame) -> pd.DataFrame:
    """`score_rows` output (or model_evaluations rows) -> the pooled rows only (all of them if it has no site_id)."""
    return metrics[metrics.site_id == POOLED_SITE_ID] if "site_id" in metrics else metrics


def reliability_table(rows: pd.DataFrame, bins: int = 10) -> pd.DataFrame:
    """Rows with species, p_zero and actual_kg -> per species and equal-width bin of the predicted chance of an
    empty net: the bin's range, rows, mean predicted p_zero and the observed share of empty nets (bins with rows)."""
    p_zero = rows.p_zero.to_numpy(dtype=float)
    frame = pd.DataFrame({
        "species": rows.species.to_numpy(),
        "bin": np.clip(np.floor(p_zero * bins), 0, bins - 1).astype(int),
        "p_zero": p_zero,
        "empty": (rows.actual_kg.to_numpy(dtype=float) == 0).astype(float),
    })
    table = frame.groupby(["species", "bin"]).agg(n_rows=("p_zero", "size"), p_zero_predicted=("p_zero", "mean"),
                                                  empty_share_observed=("empty", "mean")).reset_index()
    table.insert(1, "p_zero_from", table.pop("bin") / bins)
    table.insert(2, "p_zero_to", table.p_zero_from + 1 / bins)
    return table
