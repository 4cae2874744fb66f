"""Will the net operate? The label from the catch records, leakage-safe inputs, a classifier that beats the net's
weekday-and-month operating rate, and the Brier score and reliability it is judged by."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from models.operation import (
    CALENDAR_FEATURES,
    HISTORY_FEATURES,
    LABEL,
    NEVER_RATE,
    OperationModel,
    backtest_operation,
    brier_score,
    calendar_rates,
    climatology_probability,
    day_class,
    fit_operation_model,
    operation_matrix,
    operation_reliability,
    operation_rows,
    operation_scores,
    target_calendar,
)

SITES = ["east", "north", "south", "west"]
LEADS = list(range(1, 8))
START = pd.Timestamp("2023-01-01")
DAYS = 730


def key_table(dates: pd.DatetimeIndex, sites: list[str] = SITES, species: tuple[str, ...] = ("sardine", "yellowtail"),
              leads: list[int] = LEADS) -> pd.DataFrame:
    """A feature table's keys (features.table): one row per issue date, lead, net and species."""
    keys = pd.MultiIndex.from_product([dates, leads, sites, species],
                                      names=["issue_date", "lead_days", "site_id", "species"]).to_frame(index=False)
    return keys.assign(target_date=keys.issue_date + pd.to_timedelta(keys.lead_days, unit="D"))


def storm_world(seed: int = 0) -> tuple[pd.DataFrame, pd.DataFrame, pd.DatetimeIndex]:
    """Two years of four nets: never hauled on Sundays, bay-wide storms that often last several days, and a net now
    and then torn and repaired for a week -> (catch rows of hauled days, recorded no-operation days, the days)."""
    rng = np.random.default_rng(seed)
    dates = pd.date_range(START, periods=DAYS, freq="D")
    storm = np.zeros(DAYS, dtype=bool)
    for day in range(DAYS):  # a storm starts, or the last one carries on
        storm[day] = rng.random() < 0.06 or (day > 0 and storm[day - 1] and rng.random() < 0.7)
    damaged = np.zeros((DAYS, len(SITES)), dtype=bool)
    for day, site in zip(*np.nonzero(rng.random((DAYS, len(SITES))) < 0.01), strict=True):
        damaged[day:day + 7, site] = True
    operated = np.asarray(dates.day_of_week != 6)[:, None] & ~storm[:, None] & ~damaged
    day, site = np.nonzero(operated)
    catches = pd.DataFrame({"date": dates[day].date, "site_id": np.asarray(SITES)[site]})
    idle_day, idle_site = np.nonzero(~operated & storm[:, None])  # some exports mark the storm days: 休漁
    no_operation = pd.DataFrame({"date": dates[idle_day].date, "site_id": np.asarray(SITES)[idle_site]})
    return catches, no_operation.iloc[::2], dates


@pytest.fixture(scope="module")
def world() -> tuple[pd.DataFrame, pd.DataFrame]:
    """(operation rows, matrix) of the storm world."""
    catches, no_operation, dates = storm_world()
    matrix = operation_matrix(catches, no_operation, pd.date_range(START, periods=DAYS + 7), SITES)
    return operation_rows(key_table(dates), matrix), matrix


@pytest.fixture(scope="module")
def backtest(world: tuple[pd.DataFrame, pd.DataFrame]) -> pd.DataFrame:
    rows, matrix = world
    return backtest_operation(rows, matrix, [START + pd.Timedelta(days=365)], 365)


def test_a_net_operated_when_it_has_a_catch_row_and_not_when_it_has_none_or_a_marker() -> None:
    dates = pd.date_range("2024-05-01", periods=6)
    catches = pd.DataFrame({"date": ["2024-05-02", "2024-05-02", "2024-05-04"], "site_id": ["a", "a", "a"]})
    marked = pd.DataFrame({"date": ["2024-05-03", "2024-05-05"], "site_id": ["b", "b"]})
    matrix = operation_matrix(catches, marked, dates, ["a", "b"], known_through=pd.Timestamp("2024-05-05"))
    # a: nothing known before its first record, a silent day between records is a day off, nothing after the
    # records are in; b: a 休漁 marker counts from its first record on
    np.testing.assert_array_equal(matrix["a"].to_numpy(), [np.nan, 1, 0, 1, 0, np.nan])
    np.testing.assert_array_equal(matrix["b"].to_numpy(), [np.nan, np.nan, 0, 0, 0, np.nan])


def test_a_no_operation_known_after_the_issue_day_never_reaches_its_inputs() -> None:
    catches, no_operation, _ = storm_world()
    days = pd.date_range(START, periods=DAYS + 7)
    issue = pd.Timestamp("2023-06-14")
    later = pd.to_datetime(catches.date) > issue
    changed = pd.concat([catches[~later], catches[later].sample(frac=0.5, random_state=1)])  # fewer later hauls
    storms = pd.DataFrame({"date": pd.date_range(issue + pd.Timedelta(days=1), periods=5).date, "site_id": "east"})
    keys = key_table(pd.DatetimeIndex([issue - pd.Timedelta(days=1), issue]))
    before = operation_rows(keys, operation_matrix(catches, no_operation, days, SITES))
    after = operation_rows(keys, operation_matrix(changed, pd.concat([no_operation, storms]), days, SITES))
    inputs = HISTORY_FEATURES + CALENDAR_FEATURES
    pd.testing.assert_frame_equal(before[inputs], after[inputs])
    assert not before[LABEL].equals(after[LABEL])  # the labels (target days) did change: the check can fail


def test_the_history_of_a_row_is_its_issue_day_s(world: tuple[pd.DataFrame, pd.DataFrame]) -> None:
    rows, matrix = world
    row = rows.iloc[len(rows) // 2]
    assert row.operated_issue_day == matrix.loc[row.issue_date, row.site_id]
    assert row[LABEL] == matrix.loc[row.target_date, row.site_id]


def test_the_classifier_beats_the_weekday_and_month_rate_at_every_lead(backtest: pd.DataFrame) -> None:
    scores = operation_scores(backtest).set_index(["site_id", "lead_days"])
    pooled = scores.loc["all"]
    assert list(pooled.index) == LEADS
    assert (pooled.brier_skill > 0).all(), pooled
    assert pooled.brier_skill[1] > pooled.brier_skill[7]  # a storm that has started is seen the day after


def test_chances_are_probabilities(backtest: pd.DataFrame) -> None:
    assert backtest.p_operate.between(0, 1).all() and backtest.p_climatology.between(0, 1).all()
    sundays = pd.to_datetime(backtest.target_date).dt.day_of_week == 6
    assert backtest.p_operate[sundays].max() < 0.2 and backtest.p_operate[~sundays].median() > 0.7  # never on Sundays


def test_a_short_history_learns_the_days_off() -> None:
    dates = pd.date_range(START, periods=50)
    hauled = dates[dates.day_of_week != 6]  # 50 days of three nets, never out on a Sunday
    catches = pd.DataFrame({"date": np.repeat(hauled.date, 3), "site_id": SITES[:3] * len(hauled)})
    rows = operation_rows(key_table(dates, SITES[:3]), operation_matrix(catches, catches.iloc[:0],
                                                                        pd.date_range(START, periods=60), SITES[:3]))
    labelled = rows[rows[LABEL].notna()]
    p = fit_operation_model(labelled, SITES[:3]).predict(labelled)
    assert brier_score(p, labelled[LABEL]) < 0.5 * brier_score(np.full(len(p), labelled[LABEL].mean()), labelled[LABEL])


def test_a_saved_model_predicts_the_same(world: tuple[pd.DataFrame, pd.DataFrame], tmp_path) -> None:
    rows, _ = world
    train = rows[rows.target_date < START + pd.Timedelta(days=200)]
    model = fit_operation_model(train, SITES)
    model.save(tmp_path / "operation")
    np.testing.assert_allclose(OperationModel.load(tmp_path / "operation").predict(rows.head(50)),
                               model.predict(rows.head(50)))


def test_a_history_with_one_outcome_cannot_be_fit() -> None:
    rows = key_table(pd.date_range(START, periods=30)).assign(**{LABEL: 1.0})
    with pytest.raises(ValueError, match="too little operation history"):
        fit_operation_model(operation_rows(rows, pd.DataFrame(1.0, index=pd.date_range(START, periods=40),
                                                              columns=SITES)), SITES)


def test_brier_on_a_hand_example() -> None:
    assert brier_score(np.array([0.9, 0.2, 0.5]), np.array([1, 0, 1])) == pytest.approx((0.01 + 0.04 + 0.25) / 3)
    rows = pd.DataFrame({"site_id": ["a", "a", "b", "b"], "lead_days": 1, "p_operate": [0.9, 0.2, 0.5, 1.0],
                         "p_climatology": [0.5, 0.5, 0.5, 0.5], LABEL: [1.0, 0.0, 1.0, np.nan]})
    pooled = operation_scores(rows).set_index("site_id").loc["all"]
    assert pooled.brier == pytest.approx(0.1) and pooled.brier_climatology == pytest.approx(0.25)
    assert pooled.brier_skill == pytest.approx(1 - 0.1 / 0.25) and pooled.n == 3  # unknown outcome not scored


def test_climatology_is_the_net_s_rate_for_the_weekday_and_month() -> None:
    history = pd.DataFrame({"date": pd.to_datetime(["2024-05-06", "2024-05-13", "2024-05-20", "2024-05-07"]),
                            "site_id": "a", LABEL: [1.0, 0.0, 1.0, 0.0]})  # three Mondays of May, one Tuesday
    rows = pd.DataFrame({"site_id": ["a", "a", "a"], "target_date": pd.to_datetime(["2025-05-05", "2025-06-02",
                                                                                     "2025-05-08"])})
    # a May Monday: 2/3; a June Monday (none seen): Mondays' 2/3; a Thursday (none seen): the net's 2/4
    np.testing.assert_allclose(climatology_probability(history, rows), [2 / 3, 2 / 3, 0.5])


def test_reliability_bins_the_chances() -> None:
    rows = pd.DataFrame({"p_operate": [0.05, 0.07, 0.95, 0.91, 0.99, 1.0], LABEL: [0, 1, 1, 1, 0, 1]})
    table = operation_reliability(rows).set_index("bin")
    assert list(table.index) == [0, 9]
    assert table.loc[0].n == 2 and table.loc[0].observed_rate == 0.5 and table.loc[0].mean_forecast == pytest.approx(0.06)
    assert table.loc[9].n == 4 and table.loc[9].observed_rate == 0.75 and table.loc[9].p_from == 0.9


def test_a_day_class_the_net_never_fishes_keeps_its_calendar_rate() -> None:
    targets = pd.date_range("2024-06-02", periods=14)  # Sun 2 Jun .. Sat 15 Jun: 2 Sundays
    rows = target_calendar(targets).assign(site_id="east", operated=(targets.day_of_week != 6).astype(float))
    rates, pooled = calendar_rates(rows)
    # Sundays: 0 of 2 days, shrunk by 2 pseudo-rows of the pooled rate 12/14 -> (0 + 2 * 6/7) / 4
    assert 1 / (1 + np.exp(-rates["east|sunday"])) == pytest.approx((2 * 6 / 7) / 4)
    assert 1 / (1 + np.exp(-pooled)) == pytest.approx(6 / 7)
    assert list(day_class(rows)[:2]) == ["sunday", "0"]  # then Monday's own class


def test_sundays_are_never_given_the_bays_base_rate(backtest: pd.DataFrame) -> None:
    sundays = pd.to_datetime(backtest.target_date).dt.day_of_week == 6
    assert backtest.p_operate[sundays].max() < NEVER_RATE  # the net's own calendar rate, under the cut
