"""The data scientists' commands: a backtest as a table or JSON, the registry, the model card."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from flows.cli import app
from setnet.settings import Settings
from setnet.warehouse import connect

JSON_KEYS = {"species", "lead_days", "mae", "rmse", "pinball", "coverage_80", "mae_climatology", "mae_persistence",
             "skill_vs_climatology", "skill_vs_persistence"}


@pytest.fixture
def short_backtests(small_world: Settings, monkeypatch: pytest.MonkeyPatch) -> Settings:
    """The small world's 60 days with folds short enough to backtest, as the CLI reads them from the environment."""
    for name, value in {"LIGHTGBM_ROUNDS": "20", "BACKTEST_MIN_TRAIN_DAYS": "30", "BACKTEST_FOLD_DAYS": "20",
                        "TUNING_TRIALS": "2"}.items():
        monkeypatch.setenv(f"SETNET_MODELS__{name}", value)
    return small_world


@pytest.mark.slow
def test_backtest_json_gives_every_metric_for_every_lead_and_stores_every_forecast(
        short_backtests: Settings, prefect_harness: None) -> None:
    data_dir = str(short_backtests.data_dir)
    result = CliRunner().invoke(app, ["--data-dir", data_dir, "backtest", "--species", "sardine", "--json"])
    assert result.exit_code == 0, result.output
    records = json.loads(result.stdout[result.stdout.index("["):])
    assert [(r["species"], r["lead_days"]) for r in records] == [("sardine", lead) for lead in range(1, 8)]
    with connect(short_backtests.warehouse_path, read_only=True) as con:
        # The MAEs again from the stored backtest forecasts and the catches table itself (not the stored actuals).
        recomputed = con.execute(
            "SELECT b.lead_days, count(*) AS n, count(c.catch_kg) AS caught, avg(abs(b.q50_kg - c.catch_kg)) AS mae, "
            "avg(abs(b.climatology_median_kg - c.catch_kg)) AS mae_climatology, "
            "avg((c.catch_kg BETWEEN b.q10_kg AND b.q90_kg)::INTEGER) AS coverage_80 "
            "FROM backtest_predictions b LEFT JOIN catches c "
            "ON c.date = b.target_date AND c.site_id = b.site_id AND c.species = b.species "
            "WHERE b.species = 'sardine' GROUP BY b.lead_days ORDER BY b.lead_days").df().set_index("lead_days")
        stored = con.execute("SELECT lead_days, count(*) AS n FROM backtest_predictions GROUP BY lead_days "
                             "ORDER BY lead_days").df()
        columns = {c for (c,) in con.execute("SELECT column_name FROM information_schema.columns "
                                             "WHERE table_name = 'backtest_predictions'").fetchall()}
    assert list(stored.lead_days) == list(range(1, 8)) and (stored.n > 0).all()
    assert (recomputed.caught == recomputed.n).all()  # every backtest forecast is of a day with a stored catch
    for record in records:
        assert set(record) >= JSON_KEYS
        again = recomputed.loc[record["lead_days"]]
        assert record["mae"] == pytest.approx(again.mae, rel=1e-9)
        assert record["mae_climatology"] == pytest.approx(again.mae_climatology, rel=1e-9)
        assert record["coverage_80"] == pytest.approx(again.coverage_80, rel=1e-9)
        assert record["skill_vs_climatology"] == pytest.approx(1 - record["mae"] / record["mae_climatology"])
    assert {"model_version", "site_id", "species", "issue_date", "target_date", "lead_days", "mean_kg", "q10_kg",
            "q50_kg", "q90_kg", "actual_kg"} <= columns

    table = CliRunner().invoke(app, ["--data-dir", data_dir, "backtest", "--species", "sardine"])
    assert table.exit_code == 0, table.output
    assert sum(line.startswith("sardine") for line in table.stdout.splitlines()) == 7
    assert table.stdout.startswith("reused the stored backtest of model ")  # same data and settings: not run again
    forced = CliRunner().invoke(app, ["--data-dir", data_dir, "backtest", "--species", "sardine", "--force"])
    assert forced.exit_code == 0, forced.output
    assert "reused" not in forced.stdout and sum(line.startswith("sardine") for line in forced.stdout.splitlines()) == 7


def test_backtest_without_catches_ends_with_one_line_saying_what_to_do(tmp_path, prefect_harness: None) -> None:
    result = CliRunner().invoke(app, ["--data-dir", str(tmp_path), "backtest", "--json"])
    assert result.exit_code == 1
    last_line = result.output.strip().splitlines()[-1]
    assert last_line == f"setnet: error: no catches in {tmp_path / 'setnet.duckdb'}: run `setnet ingest catches PATH` first"


@pytest.mark.slow
def test_a_tuning_run_records_every_trial_and_names_the_best(short_backtests: Settings, prefect_harness: None) -> None:
    result = CliRunner().invoke(app, ["--data-dir", str(short_backtests.data_dir), "tune", "--species", "sardine",
                                      "--trials", "3"])
    assert result.exit_code == 0, result.output
    with connect(short_backtests.warehouse_path, read_only=True) as con:
        trials = con.execute("SELECT * FROM tuning_trials ORDER BY trial").df()
    assert list(trials.trial) == list(range(6)) and set(trials.species) == {"sardine"}  # 3 sets x 2 starts
    assert trials.params.iloc[0] == "{}" and trials.params.nunique() == 3  # the defaults, then new ones
    assert (trials.crps_kg > 0).all() and (trials.mae_kg > 0).all() and trials.chosen.sum() == 1
    best = trials.loc[trials.crps_kg.idxmin()]
    assert "the default parameters are the best tried" in result.stdout if best.params == "{}" else \
        f"best over all species: {best.params}" in result.stdout
    assert f"best start: {'the seasonal normal' if best.seasonal_start else 'a constant'}" in result.stdout
