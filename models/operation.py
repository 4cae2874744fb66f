"""Will the net operate? P(the net is hauled on D+L), one LightGBM binary classifier pooled over nets and leads.

The label of a (net, day): 1 when the warehouse holds a catch row of the net that day (an empty net included), 0
when it records a no-operation day (休漁 marker) or, between the net's first and last record, holds nothing for it
(a sample-world or cooperative export lists operated days only), NaN outside that window (unknown).

Every input of a row issued on D is known on D: the target day's calendar (weekday, public holiday, the New Year
break, month), the net's and the bay's operation up to and including D (a net idle while the bay fishes is
being repaired; a bay-wide idle spell is a storm that may last), and the target-day ocean columns of the feature
table (the forecast issued on D for D+L where archived; kyucho signals known on D). The catch forecasts stay
"given the net operates"; this model says how likely that is.

A day the net (almost) never fishes keeps its calendar rate (`calendar_rates`: the share of its labelled training
days of that class it operated: the New Year break, a Sunday, a public holiday, else the weekday; smoothed towards
the pooled rate): under NEVER_RATE, the classifier's answer is not used. Early stopping on storm-noisy blocks can
leave too few rounds to bring a closed day from the bay's base rate down to 0 (a Sunday was given 19 %).

Scores: the Brier score, its skill against climatology (the net's operating rate for the target's weekday and month
in the training window) and a reliability table (10 equal bins of the forecast probability).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

import jpholiday
import lightgbm as lgb
import numpy as np
import pandas as pd

OPERATION_KEYS = ["issue_date", "lead_days", "target_date", "site_id"]
LABEL = "operated"  # 1.0 hauled, 0.0 not hauled, NaN unknown
# The season by month only: a finer day of year names the day itself (every net and lead shares it), and the trees
# would learn last year's storms by their dates.
CALENDAR_FEATURES = ["weekday", "is_sunday", "is_public_holiday", "is_new_year_break", "month"]
HISTORY_FEATURES = ["operated_issue_day", "idle_streak_days", "idle_while_bay_out_days", "bay_operated_share",
                    "bay_idle_streak_days", "operated_share_14d", "days_since_operated"]
# Target-day ocean and kyucho columns taken from the feature table where it has them (features.table).
OCEAN_FEATURES = ["target_current_speed_ms", "target_current_along_ms", "target_current_across_ms", "swift_current",
                  "current_speed_ms_max_3d", "current_speed_jump_ms", "swift_current_days_7d", "swift_current_50m",
                  "ocean_is_forecast"]
BAY_OUT_SHARE = 0.5  # the bay "fishes" on a day when at least this share of the nets with a record operated
HISTORY_WINDOW_DAYS = 14
ROUNDS = 200
SHORT_HISTORY_ROUNDS = 100  # rounds of a fit on less than two cycles of held-out blocks (no early stopping)
LEAF_ROWS = (20, 200, 100)  # rows a leaf needs at least: 1 in 100 of the rows fit, within 20..200 (few in a short
# history, where a Sunday is 1 day in 7; many in a long one, where small leaves learn single storms)
EARLY_STOPPING_ROUNDS = 20
VALIDATION_BLOCK_DAYS = 28  # target days are cut into four-week blocks and every fourth one (the latest included)
VALIDATION_EVERY = 4  # is held out to stop the boosting (as the catch models' search does)
MIN_VALIDATION_ROWS = 100
RELIABILITY_BINS = 10
CALENDAR_PRIOR_DAYS = 2.0  # pseudo-rows (a target day counts once per lead) of the pooled rate added to each net's calendar rate (calendar_rates)
CALENDAR_CLIP = (0.005, 0.995)  # the calendar rates kept inside these: never certain
NEVER_RATE = 0.05  # a day class the net fished on less than this share of its training days keeps that rate
PARAMS = {"objective": "binary", "metric": "binary_logloss", "learning_rate": 0.05, "num_leaves": 7, "feature_fraction": 0.9, "bagging_fraction": 0.8, "bagging_freq": 1,
          "lambda_l2": 1.0, "deterministic": True, "force_col_wise": True, "verbosity": -1, "max_bin": 63}
PREDICTION_COLUMNS = ["site_id", "issue_date", "target_date", "lead_days", "fold_origin", "p_operate",
                      "p_climatology", LABEL]


def operation_matrix(catches: pd.DataFrame, no_operation: pd.DataFrame, dates: pd.DatetimeIndex,
                     site_ids: list[str], known_through: pd.Timestamp | None = None) -> pd.DataFrame:
    """Catch rows (date, site_id; any species) and no-operation days (date, site_id) -> (date x site) 1.0 operated,
    0.0 not operated (a recorded no-operation day, or no record from the net's first record to `known_through`, the
    last day whose records are in: default the last catch day), NaN unknown."""
    dates = pd.DatetimeIndex(dates)

    def marked(frame: pd.DataFrame) -> np.ndarray:
        flags = np.zeros((len(dates), len(site_ids)), dtype=bool)
        if not frame.empty:
            rows = dates.get_indexer(pd.to_datetime(frame.date))
            cols = pd.Index(site_ids).get_indexer(frame.site_id)
            keep = (rows >= 0) & (cols >= 0)
            flags[rows[keep], cols[keep]] = True
        return flags

    caught, idle = marked(catches), marked(no_operation)
    seen_before = np.maximum.accumulate(caught | idle, axis=0)
    if known_through is None:
        known_through = pd.to_datetime(catches.date).max() if len(catches) else dates.min() - pd.Timedelta(days=1)
    in_window = seen_before & (dates <= pd.Timestamp(known_through))[:, None]
    values = np.where(caught, 1.0, np.where(idle | in_window, 0.0, np.nan))
    return pd.DataFrame(values, index=dates, columns=site_ids)


def _streak(flags: np.ndarray) -> np.ndarray:
    """(day, site) booleans -> how many consecutive days up to and including each day were True."""
    index = np.arange(len(flags))[:, None]
    last_false = np.maximum.accumulate(np.where(~flags, index, -1), axis=0)
    return (index - last_false).astype(float)


def operation_history(matrix: pd.DataFrame) -> dict[str, np.ndarray]:
    """Operation matrix (date x site) -> HISTORY_FEATURES, each (date, site), from days up to and including each date."""
    values = matrix.to_numpy(float)
    operated, idle = values == 1.0, values == 0.0
    known = np.isfinite(values)
    with np.errstate(invalid="ignore", divide="ignore"):
        share = np.where(known.sum(axis=1) > 0, operated.sum(axis=1) / known.sum(axis=1), np.nan)
    bay_out = share >= BAY_OUT_SHARE
    idle_streak = _streak(idle)
    # the days of the current idle spell on which the bay fished: the net, not the weather, kept it in port
    damaged_day = (idle & bay_out[:, None]).astype(float)
    total = np.cumsum(damaged_day, axis=0)
    index = np.arange(len(values))[:, None]
    last_out = np.maximum.accumulate(np.where(~idle, index, -1), axis=0)
    before_spell = np.where(last_out >= 0, np.take_along_axis(total, np.maximum(last_out, 0), axis=0), 0.0)
    idle_while_bay_out = total - before_spell
    bay_idle = np.broadcast_to(_streak((np.isfinite(share) & ~bay_out)[:, None]), values.shape)
    window = HISTORY_WINDOW_DAYS
    ops = pd.DataFrame(operated.astype(float)).rolling(window, min_periods=1).sum().to_numpy()
    counted = pd.DataFrame(known.astype(float)).rolling(window, min_periods=1).sum().to_numpy()
    with np.errstate(invalid="ignore", divide="ignore"):
        share_14d = np.where(counted > 0, ops / counted, np.nan)
    last_operated = np.maximum.accumulate(np.where(operated, index, -1), axis=0)
    since = np.where(last_operated >= 0, index - last_operated, np.nan).astype(float)
    return {
        "operated_issue_day": values,
        "idle_streak_days": idle_streak,
        "idle_while_bay_out_days": idle_while_bay_out,
        "bay_operated_share": np.broadcast_to(share[:, None], values.shape),
        "bay_idle_streak_days": np.asarray(bay_idle, dtype=float),
        "operated_share_14d": share_14d,
        "days_since_operated": since,
    }


def target_calendar(targets: pd.DatetimeIndex) -> pd.DataFrame:
    """Target dates -> CALENDAR_FEATURES (weekday 0 = Monday; public holidays by jpholiday; New Year 29 Dec-3 Jan;
    month 1-12)."""
    unique = pd.DatetimeIndex(targets.unique())
    holiday = pd.Series([jpholiday.is_holiday(day.date()) for day in unique], index=unique)  # per distinct day
    new_year = ((targets.month == 12) & (targets.day >= 29)) | ((targets.month == 1) & (targets.day <= 3))
    return pd.DataFrame({
        "weekday": targets.day_of_week.to_numpy(float),
        "is_sunday": (targets.day_of_week == 6).astype(float),
        "is_public_holiday": holiday.reindex(targets).to_numpy(float),
        "is_new_year_break": np.asarray(new_year, dtype=float),
        "month": targets.month.to_numpy(float),
    })


def operation_rows(table: pd.DataFrame, matrix: pd.DataFrame) -> pd.DataFrame:
    """Feature table (features.table: any species' rows) + operation matrix -> one row per (issue_date, lead_days,
    target_date, site_id): calendar of the target, operation history up to the issue date, the table's target-day
    ocean columns, and the label `operated` of the target day (NaN: unknown or beyond the matrix)."""
    first_species = table.species.iloc[0] if len(table) else None
    rows = table[table.species == first_species]
    ocean = [c for c in OCEAN_FEATURES if c in rows.columns]
    out = rows[OPERATION_KEYS + ocean].reset_index(drop=True)
    out["issue_date"], out["target_date"] = pd.to_datetime(out.issue_date), pd.to_datetime(out.target_date)
    history = operation_history(matrix)
    day = matrix.index.get_indexer(out.issue_date)
    site = matrix.columns.get_indexer(out.site_id)
    known = (day >= 0) & (site >= 0)
    for name in HISTORY_FEATURES:
        values = np.full(len(out), np.nan)
        values[known] = history[name][day[known], site[known]]
        out[name] = values
    calendar = target_calendar(pd.DatetimeIndex(out.target_date))
    out[CALENDAR_FEATURES] = calendar.to_numpy()
    target = matrix.index.get_indexer(out.target_date)
    label = np.full(len(out), np.nan)
    labelled = (target >= 0) & (site >= 0)
    label[labelled] = matrix.to_numpy(float)[target[labelled], site[labelled]]
    out[LABEL] = label
    return out


def operation_feature_columns(rows: pd.DataFrame) -> list[str]:
    """The model inputs of operation rows: site_id (categorical), lead_days, calendar, history, ocean present."""
    return ["site_id", "lead_days", *CALENDAR_FEATURES, *HISTORY_FEATURES,
            *(c for c in OCEAN_FEATURES if c in rows.columns)]


@dataclass
class OperationModel:
    """The fitted classifier: P(operated) of an operation row; `calendar`: the calendar rates' log-odds by
    'site_id|day class', `calendar_pooled` for a net or class not seen in training."""

    booster: lgb.Booster
    features: list[str]
    sites: list[str]
    calendar: dict[str, float] = field(default_factory=dict)
    calendar_pooled: float = 0.0

    def calendar_logit(self, rows: pd.DataFrame) -> np.ndarray:
        """Operation rows -> the log-odds of the net's calendar rate for each row's day class."""
        keys = rows.site_id.astype(str).to_numpy() + "|" + day_class(rows)
        return pd.Series(keys).map(self.calendar).fillna(self.calendar_pooled).to_numpy(float)

    def _matrix(self, rows: pd.DataFrame) -> pd.DataFrame:
        frame = rows.reindex(columns=self.features).copy()
        frame["site_id"] = pd.Categorical(rows.site_id, categories=self.sites)
        for column in self.features:
            if column != "site_id":
                frame[column] = pd.to_numeric(frame[column], errors="coerce").astype(float)
        return frame

    def predict(self, rows: pd.DataFrame) -> np.ndarray:
        """Operation rows -> P(the net operates on the target day), in [0, 1]."""
        if rows.empty:
            return np.zeros(0)
        calendar = 1.0 / (1.0 + np.exp(-self.calendar_logit(rows)))
        boosted = self.booster.predict(self._matrix(rows))
        return np.clip(np.where(calendar < NEVER_RATE, calendar, boosted), 0.0, 1.0)

    def save(self, folder: Path) -> None:
        """Write booster.txt and meta.json into `folder`."""
        folder.mkdir(parents=True, exist_ok=True)
        self.booster.save_model(str(folder / "booster.txt"))
        (folder / "meta.json").write_text(json.dumps({"features": self.features, "sites": self.sites,
                                                      "calendar": self.calendar,
                                                      "calendar_pooled": self.calendar_pooled}),
                                          encoding="utf-8")

    @classmethod
    def load(cls, folder: Path) -> OperationModel:
        """The model `save` wrote into `folder`."""
        meta = json.loads((folder / "meta.json").read_text(encoding="utf-8"))
        return cls(lgb.Booster(model_file=str(folder / "booster.txt")), meta["features"], meta["sites"],
                   meta.get("calendar", {}), meta.get("calendar_pooled", 0.0))


def day_class(rows: pd.DataFrame) -> np.ndarray:
    """Operation rows (calendar columns) -> the day's class: 'new_year' (29 Dec - 3 Jan), 'sunday', 'holiday' (a
    public holiday), else the weekday '0'-'5' (each cooperative keeps its own days off, so each is its own class)."""
    weekday = rows.weekday.to_numpy(float).astype(int).astype(str)
    return np.select([rows.is_new_year_break.to_numpy(float) > 0, rows.is_sunday.to_numpy(float) > 0,
                      rows.is_public_holiday.to_numpy(float) > 0], ["new_year", "sunday", "holiday"], weekday)


def calendar_rates(labelled: pd.DataFrame) -> tuple[dict[str, float], float]:
    """Labelled operation rows -> (log-odds of operating by 'site_id|day class', pooled log-odds): each net's rate
    on its days of that class, shrunk towards the pooled rate by CALENDAR_PRIOR_DAYS pseudo-rows, kept within
    CALENDAR_CLIP."""
    outcome = labelled[LABEL].to_numpy(float)
    pooled = float(np.clip(outcome.mean(), *CALENDAR_CLIP))
    keys = labelled.site_id.astype(str).to_numpy() + "|" + day_class(labelled)
    grouped = pd.DataFrame({"key": keys, "y": outcome}).groupby("key").y.agg(["sum", "count"])
    rate = np.clip((grouped["sum"] + CALENDAR_PRIOR_DAYS * pooled) / (grouped["count"] + CALENDAR_PRIOR_DAYS), *CALENDAR_CLIP)
    logit = np.log(rate / (1 - rate))
    return {str(k): float(v) for k, v in logit.items()}, float(np.log(pooled / (1 - pooled)))


def fit_operation_model(rows: pd.DataFrame, sites: list[str], seed: int = 0, threads: int = 2) -> OperationModel:
    """Labelled operation rows -> one classifier (LightGBM binary objective), at most ROUNDS rounds, stopped early on
    held-out four-week blocks of target days (every VALIDATION_EVERY-th, the latest included; one year of history
    has no other block of the same season) and refit on all rows with the rounds found; a history shorter than two
    cycles of blocks is fit with SHORT_HISTORY_ROUNDS."""
    labelled = rows[rows[LABEL].notna()]
    if labelled.empty or labelled[LABEL].nunique() < 2:
        raise ValueError("too little operation history to fit (need operated and not-operated days)")
    features = operation_feature_columns(labelled)
    model = OperationModel(None, features, sorted(sites), *calendar_rates(labelled))  # type: ignore[arg-type]
    leaf_min, leaf_max, per = LEAF_ROWS
    params = PARAMS | {"seed": seed, "num_threads": threads,
                       "min_data_in_leaf": int(np.clip(len(labelled) // per, leaf_min, leaf_max))}
    block = (labelled.target_date.max() - labelled.target_date).dt.days // VALIDATION_BLOCK_DAYS
    held_out = (block % VALIDATION_EVERY == 0).to_numpy()
    early, late = labelled[~held_out], labelled[held_out]
    rounds = SHORT_HISTORY_ROUNDS
    span_days = (labelled.target_date.max() - labelled.target_date.min()).days
    if span_days >= 2 * VALIDATION_EVERY * VALIDATION_BLOCK_DAYS and len(late) >= MIN_VALIDATION_ROWS and len(early) >= MIN_VALIDATION_ROWS and early[LABEL].nunique() == 2:
        train = lgb.Dataset(model._matrix(early), early[LABEL].to_numpy(float), categorical_feature=["site_id"],
                            )
        valid = lgb.Dataset(model._matrix(late), late[LABEL].to_numpy(float), reference=train,
                            )
        probe = lgb.train(params, train, ROUNDS, valid_sets=[valid],
                          callbacks=[lgb.early_stopping(EARLY_STOPPING_ROUNDS, verbose=False)])
        rounds = max(probe.best_iteration, 1)
    data = lgb.Dataset(model._matrix(labelled), labelled[LABEL].to_numpy(float), categorical_feature=["site_id"],
                       )
    model.booster = lgb.train(params, data, rounds)
    return model


def climatology_probability(history: pd.DataFrame, rows: pd.DataFrame) -> np.ndarray:
    """Labelled days (date, site_id, operated) of the training window -> for each row's net and target day the net's
    operating rate on that weekday in that month (else that weekday, else at all, else the bay's rate)."""
    past = history[history[LABEL].notna()].assign(date=lambda f: pd.to_datetime(f.date))
    past = past.assign(weekday=past.date.dt.day_of_week, month=past.date.dt.month)
    target = pd.to_datetime(rows.target_date)
    keys = pd.DataFrame({"site_id": rows.site_id.to_numpy(), "weekday": target.dt.day_of_week.to_numpy(),
                         "month": target.dt.month.to_numpy()})
    result = np.full(len(rows), past[LABEL].mean() if len(past) else 0.5)
    for by in (["site_id"], ["site_id", "weekday"], ["site_id", "weekday", "month"]):  # finest last: overrides
        rate = past.groupby(by)[LABEL].mean().rename("rate")
        found = keys.merge(rate, left_on=by, right_index=True, how="left").rate.to_numpy(float)
        result = np.where(np.isfinite(found), found, result)
    return result


def matrix_long(matrix: pd.DataFrame) -> pd.DataFrame:
    """Operation matrix -> long (date, site_id, operated) rows."""
    stacked = matrix.rename_axis(index="date", columns="site_id").stack(future_stack=True).rename(LABEL)
    return stacked.reset_index()


def brier_score(p: np.ndarray, outcome: np.ndarray) -> float:
    """Mean squared difference between forecast probabilities and 0/1 outcomes (0 best, 1 worst)."""
    p, outcome = np.asarray(p, float), np.asarray(outcome, float)
    return float(np.mean((p - outcome) ** 2)) if len(p) else float("nan")


def operation_scores(predictions: pd.DataFrame, pooled_site_id: str = "all") -> pd.DataFrame:
    """Backtest rows (site_id, lead_days, p_operate, p_climatology, operated) -> per lead, pooled (`pooled_site_id`)
    and per net: brier, brier_climatology, brier_skill (1 - brier / brier_climatology), operated_rate, n."""
    frame = predictions[predictions[LABEL].notna()]
    frame = frame.assign(err=(frame.p_operate - frame[LABEL]) ** 2, err_clim=(frame.p_climatology - frame[LABEL]) ** 2)
    parts = [frame.assign(site_id=pooled_site_id), frame]
    scored = pd.concat(parts, ignore_index=True).groupby(["site_id", "lead_days"]).agg(
        brier=("err", "mean"), brier_climatology=("err_clim", "mean"), operated_rate=(LABEL, "mean"),
        n=(LABEL, "size")).reset_index()
    with np.errstate(invalid="ignore", divide="ignore"):
        scored["brier_skill"] = np.where(scored.brier_climatology > 0, 1 - scored.brier / scored.brier_climatology,
                                         np.nan)
    return scored


def operation_reliability(predictions: pd.DataFrame, bins: int = RELIABILITY_BINS) -> pd.DataFrame:
    """Backtest rows (p_operate, operated) -> per equal-width bin of the forecast probability with rows: p_from, p_to,
    mean_forecast, observed_rate, n (all leads pooled)."""
    frame = predictions[predictions[LABEL].notna()]
    p = frame.p_operate.to_numpy(float)
    binned = pd.DataFrame({"bin": np.clip(np.floor(p * bins), 0, bins - 1).astype(int), "p": p,
                           "y": frame[LABEL].to_numpy(float)})
    table = binned.groupby("bin").agg(mean_forecast=("p", "mean"), observed_rate=("y", "mean"),
                                      n=("y", "size")).reset_index()
    table.insert(1, "p_from", table.bin / bins)
    table.insert(2, "p_to", (table.bin + 1) / bins)
    return table


def backtest_operation(rows: pd.DataFrame, matrix: pd.DataFrame, origins: list[pd.Timestamp], fold_days: int,
                       seed: int = 0, threads: int = 2) -> pd.DataFrame:
    """Operation rows + matrix -> PREDICTION_COLUMNS of every fold: fit on targets before each origin, forecast issue
    dates in [origin, origin + fold_days); climatology from the matrix's days before the origin."""
    sites = sorted(matrix.columns)
    history = matrix_long(matrix)
    out = []
    labelled = rows[rows[LABEL].notna()]
    for origin in origins:
        train = labelled[labelled.target_date < origin]
        test = labelled[(labelled.issue_date >= origin) & (labelled.issue_date < origin + pd.Timedelta(days=fold_days))]
        if test.empty or train.empty or train[LABEL].nunique() < 2:
            continue
        model = fit_operation_model(train, sites, seed, threads)
        past = history[pd.to_datetime(history.date) < origin]
        out.append(test[["site_id", "issue_date", "target_date", "lead_days", LABEL]].assign(
            fold_origin=origin, p_operate=model.predict(test), p_climatology=climatology_probability(past, test)))
    if not out:
        return pd.DataFrame(columns=PREDICTION_COLUMNS)
    return pd.concat(out, ignore_index=True)[PREDICTION_COLUMNS]
