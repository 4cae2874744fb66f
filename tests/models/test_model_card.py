"""The model card: scores against a hidden truth, the issue's targets as PASS/FAIL, and the card's tables."""

from datetime import date

import numpy as np
import pandas as pd
import pytest

from models.distribution import HurdleLogNormal
from models.evaluate import ensemble_crps_kg, reliability_table, score_rows
from models.model_card import (
    ceiling_crpss_from_markdown,
    render_model_card,
    target_checks,
    target_table,
    truth_scores,
)
from tests.models.test_evaluate import forecast_of, hurdle_rows


@pytest.fixture(scope="module")
def world() -> tuple[pd.DataFrame, pd.DataFrame]:
    """Backtest-like rows of a hidden hurdle lognormal, with climatology (a smooth mean; all catches as one ensemble)
    and persistence (the net's previous catch), and the truth file of that hidden distribution."""
    rng = np.random.default_rng(7)
    rows = hurdle_rows(rng, 3000)
    rows["target_date"] = pd.Timestamp("2025-01-01") + pd.to_timedelta(np.arange(len(rows)) // 2, unit="D")
    rows["persistence_kg"] = rows.groupby("site_id").actual_kg.shift(1).fillna(rows.actual_kg.mean())
    rows["crps_persistence_kg"] = (rows.persistence_kg - rows.actual_kg).abs()
    hidden = HurdleLogNormal.from_frame(rows)
    rows["climatology_kg"] = pd.Series(hidden.mean_kg()).groupby(rows.site_id).transform(
        lambda mean: mean.rolling(200, min_periods=1).mean())  # a smooth "seasonal normal": some of the signal
    rows["climatology_median_kg"] = rows.actual_kg.median()
    rows["crps_climatology_kg"] = ensemble_crps_kg(np.zeros(len(rows)), rows.actual_kg, np.zeros(len(rows)),
                                                   rows.actual_kg)
    truth = pd.DataFrame({"date": rows.target_date.dt.strftime("%Y-%m-%d"), "site_id": rows.site_id,
                          "species": rows.species, "expected_kg": hidden.mean_kg(), "median_kg": hidden.quantile_kg(0.5),
                          "q10_kg": hidden.quantile_kg(0.1), "q90_kg": hidden.quantile_kg(0.9), "p_zero": hidden.p_zero,
                          "positive_log_mean": hidden.positive_log_mean, "positive_log_sd": hidden.positive_log_sd})
    return rows, truth


def test_the_hidden_distribution_itself_meets_every_target_it_can_be_judged_by(world) -> None:
    rows, truth = world
    scores = truth_scores(forecast_of(rows), truth).iloc[0]
    assert scores.crpss_climatology > 0 and scores.crpss_climatology == pytest.approx(scores.oracle_crpss_climatology)
    assert scores.r2_model == pytest.approx(1.0) and scores.coverage_80_pit == pytest.approx(
        scores.oracle_coverage_80_pit)
    assert np.isnan(scores.attainable_crpss)  # no ceiling given
    checks = target_checks(truth_scores(forecast_of(rows), truth)).iloc[0]
    assert bool(checks.median) and bool(checks.signal_recovery) and bool(checks.calibration)
    assert checks.crpss is pd.NA  # CRPSS > 0 holds, but the ceiling share cannot be judged without a ceiling


def test_a_ceiling_turns_crpss_into_an_attainable_share_and_judges_it_at_one_half(world) -> None:
    rows, truth = world
    crpss = truth_scores(forecast_of(rows), truth).crpss_climatology.iloc[0]
    reached = target_checks(truth_scores(forecast_of(rows), truth, {"sardine": 1.5 * crpss})).iloc[0]
    missed = truth_scores(forecast_of(rows), truth, {"sardine": 3 * crpss})
    assert bool(reached.crpss)
    assert missed.attainable_crpss.iloc[0] == pytest.approx(1 / 3)
    assert not bool(target_checks(missed).iloc[0].crpss)


def test_an_overconfident_forecast_fails_calibration_against_the_oracles_coverage(world) -> None:
    rows, truth = world
    table = target_table(truth_scores(forecast_of(rows, sd_factor=0.4), truth)).set_index("target")
    assert not table.loc["pit_coverage", "holds"] and not table.loc["pit_coverage_vs_oracle", "holds"]
    assert table.loc["pit_coverage_vs_oracle", "value"] > 0.05


def test_the_ceiling_crpss_is_read_from_the_ceiling_table_of_the_issue_day_variant() -> None:
    text = ("# ceiling\n\n| species | variant | crpss_lead1 | seconds |\n|---|---|---|---|\n"
            "| sardine | model | 0.05 | 1 |\n| sardine | + issue day | 0.120 | 1 |\n| buri | + issue day | n/a | 1 |\n")
    assert ceiling_crpss_from_markdown(text) == {"sardine": 0.12}
    assert ceiling_crpss_from_markdown("| species | variant | attainable_lead1 |\n|---|---|---|\n") == {}


def test_the_card_shows_crps_per_lead_per_net_the_reliability_and_each_target(world) -> None:
    rows, truth = world
    forecast = forecast_of(rows).assign(lead_days=np.resize([1, 1, 2, 2], len(rows)))  # both nets at both leads
    metrics = score_rows(forecast, 0.5)
    scores = truth_scores(forecast, truth)
    card = render_model_card("m1", metrics, scores, target_checks(scores), (date(2025, 1, 1), date(2029, 1, 1)),
                             "setnet model-card", reliability_table(forecast[forecast.lead_days == 1]))
    for heading in ("## CRPSS against climatology by lead", "## Per net, lead 1", "## Reliability of P(empty net)"):
        assert heading in card
    assert "hurdle" in card and "ln(catch)" in card
    per_net = card.split("## Per net, lead 1")[1].split("##")[0]
    assert "| a | sardine |" in per_net and "| b | sardine |" in per_net and "| all |" not in per_net
    assert "| sardine | pit_coverage | " in card and "PASS" in card and "n/a" in card  # no ceiling: n/a


def test_a_card_of_a_backtest_scored_before_crps_still_renders() -> None:
    metrics = pd.DataFrame({"species": "sardine", "lead_days": [1, 2], "n_rows": 10, "mae_kg": 3.0,
                            "mae_climatology_kg": 4.0, "skill_vs_climatology": 0.25, "coverage_80": 0.9})
    card = render_model_card("m0", metrics, None, None, (date(2025, 1, 1), date(2025, 2, 1)), "setnet model-card")
    assert "| sardine | 3.000 | 4.000 | 0.250 |" in card and "## Per net" not in card


def test_a_missed_target_is_said_plainly_with_by_how_much() -> None:
    from models.model_card import _misses

    targets = pd.DataFrame({"species": ["sardine", "yellowtail"], "target": ["crpss_vs_ceiling", "pit_coverage"],
                            "value": [0.371, 0.8], "required": [">= 0.5 of the ceiling's CRPSS", "0.75–0.85"],
                            "holds": ["FAIL", "PASS"]})
    text = "".join(_misses(targets))
    assert "- sardine: crpss_vs_ceiling is 0.371 (required >= 0.5 of the ceiling's CRPSS)" in text
    assert "yellowtail" not in text and "school abundance" in text
    assert "".join(_misses(targets.assign(holds="PASS"))) == "\nEvery target holds on this world.\n"


def test_the_card_states_the_swift_current_warnings_hit_and_false_alarm_rates() -> None:
    from features.kyucho import warning_record

    metrics = pd.DataFrame({"species": "sardine", "lead_days": [1], "n_rows": 10, "mae_kg": 3.0,
                            "mae_climatology_kg": 4.0, "skill_vs_climatology": 0.25})
    forecast = pd.DataFrame({"site_id": "a", "day": pd.to_datetime(["2025-12-02", "2025-12-03"]), "lead_days": 1,
                             "tier": ["warning", "advisory"]})
    observed = pd.DataFrame({"site_id": "a", "day": pd.to_datetime(["2025-12-02", "2025-12-03"]),
                             "tier": ["warning", ""]})
    period = (date(2025, 1, 1), date(2025, 2, 1))
    card = render_model_card("m0", metrics, None, None, period, "setnet model-card",
                             kyucho_record=warning_record(forecast, observed))
    assert "## Swift-current (急潮) warnings: verified record" in card
    assert "| all | advisory | 1 | 1 | 0 | 1 | 1.000 | 0.500 |" in card  # one hit, one false alarm
    bare = render_model_card("m0", metrics, None, None, period, "setnet model-card")
    assert "no verified record" in bare


def ocean_rows() -> pd.DataFrame:
    """Backtest rows at leads 1 and 2: with a forecast (scored again fed persisted analyses) and without one."""
    rng = np.random.default_rng(3)
    n = 400
    actual = rng.gamma(2.0, 50.0, n)
    rows = pd.DataFrame({"species": "sardine", "lead_days": np.resize([1, 2], n), "actual_kg": actual,
                         "ocean_source": np.where(np.arange(n) < 300, "forecast", "persisted analysis"),
                         "crps_climatology_kg": 40.0})
    lead1 = rows.lead_days == 1
    rows["crps_kg"] = np.where(lead1, 20.0, 30.0)  # the forecast helps at lead 1, not at lead 2
    rows["crps_persisted_kg"] = np.where(rows.ocean_source == "forecast", 30.0, np.nan)
    rows["q50_kg"] = actual + np.where(lead1, 5.0, 9.0)
    rows["q50_persisted_kg"] = np.where(rows.ocean_source == "forecast", actual + 9.0, np.nan)
    return rows


def test_the_value_of_the_ocean_forecast_is_scored_on_the_forecast_rows_by_lead() -> None:
    from models.model_card import ocean_value_table

    value = ocean_value_table(ocean_rows()).set_index("lead_days")
    assert value.n_rows.tolist() == [150, 150]  # the 100 rows without a forecast are left out
    assert value.loc[1, "crpss_forecast"] == pytest.approx(0.5) and value.loc[1, "crpss_persisted"] == pytest.approx(0.25)
    assert value.loc[2, "crpss_gain"] == pytest.approx(0.0)
    assert value.loc[1, "mae_forecast_kg"] == pytest.approx(5.0) and value.loc[1, "mae_persisted_kg"] == pytest.approx(9.0)


def test_the_card_says_what_the_ocean_forecast_is_worth_and_where_its_rows_came_from() -> None:
    metrics = pd.DataFrame({"species": "sardine", "lead_days": [1, 2], "n_rows": 10, "mae_kg": 3.0,
                            "mae_climatology_kg": 4.0, "skill_vs_climatology": 0.25})
    sources = pd.DataFrame({"used_for": ["fit", "fit", "scored", "scored"],
                            "ocean_source": ["later analysis", "forecast", "forecast", "persisted analysis"],
                            "n_rows": [900, 50, 300, 100]})
    card = render_model_card("m0", metrics, None, None, (date(2025, 1, 1), date(2025, 2, 1)), "setnet model-card",
                             ocean_rows=ocean_rows(), ocean_sources=sources)
    section = card.split("## Value of the ocean forecast by lead")[1].split("\n## ")[0]
    assert "| fit | 50 | 0 | 900 |" in section and "| scored | 300 | 100 | 0 |" in section
    assert "better than the persisted analysis at lead 1" in section and "less than 0.005 at lead 2" in section
    empty = render_model_card("m0", metrics, None, None, (date(2025, 1, 1), date(2025, 2, 1)), "setnet model-card",
                              ocean_rows=ocean_rows().assign(ocean_source="persisted analysis"),
                              ocean_sources=sources.assign(ocean_source="persisted analysis"))
    assert "No scored row of this backtest had an archived ocean forecast" in empty
    assert "No scored row" in render_model_card("m0", metrics, None, None, (date(2025, 1, 1), date(2025, 2, 1)),
                                                "setnet model-card")


def test_the_card_says_whether_the_nets_will_operate_by_lead_with_its_reliability() -> None:
    from models.operation import operation_reliability, operation_scores

    metrics = pd.DataFrame({"species": "sardine", "lead_days": [1], "n_rows": 10, "mae_kg": 3.0,
                            "mae_climatology_kg": 4.0, "skill_vs_climatology": 0.25})
    rows = pd.DataFrame({"site_id": ["a", "a", "b", "b"], "lead_days": [1, 2, 1, 2], "p_operate": [0.9, 0.8, 0.15, 0.6],
                         "p_climatology": 0.5, "operated": [1.0, 1.0, 0.0, 0.0]})
    period = (date(2025, 1, 1), date(2025, 2, 1))
    card = render_model_card("m0", metrics, None, None, period, "setnet model-card", operation=operation_scores(rows),
                             operation_reliability=operation_reliability(rows))
    section = card.split("## Will the net operate?", 1)[1]
    assert "*given that the net operates*" in section
    # lead 1: (0.01 + 0.0225) / 2 against 0.25, lead 2: (0.04 + 0.36) / 2 against 0.25
    assert "| 1 | 0.0162 | 0.2500 | 0.9350 | 0.5000 | 2 |" in section
    assert "| 2 | 0.2000 | 0.2500 | 0.2000 | 0.5000 | 2 |" in section
    assert "| 0.100 | 0.200 | 0.150 | 0.000 | 1 |" in section  # the reliability table's bin of 0.15
    assert "## Will the net operate?" not in render_model_card("m0", metrics, None, None, period, "setnet model-card")
