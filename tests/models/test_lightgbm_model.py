"""The hurdle model: held-out blocks that never touch the fit, a spread measured on them, a search that keeps every
trial, and forecasts whose every number is read off one distribution."""

import ctypes
import dataclasses
import json

import lightgbm as lgb
import numpy as np
import pandas as pd
import pytest

from models.distribution import HurdleLogNormal
from models.lightgbm_model import (
    VALIDATION_BLOCK_DAYS,
    LogSpread,
    SpeciesModel,
    fit_species_model,
    run_fits,
    validation_mask,
)
from setnet.settings import Settings

SITES = list("abcde")


def hurdle_rows(days: int, seed: int, start: str = "2023-01-01") -> pd.DataFrame:
    """Rows whose catch follows a known hurdle: P(catch) and ln(kg) both rise with `signal`."""
    rng = np.random.default_rng(seed)
    dates = pd.date_range(start, periods=days, freq="D")
    rows = pd.DataFrame({"target_date": np.repeat(dates, len(SITES)), "site_id": np.tile(SITES, days)})
    rows["signal"] = rng.normal(size=len(rows))
    rows["noise"] = rng.normal(size=len(rows))
    p_catch = 1 / (1 + np.exp(-(0.3 + 1.2 * rows.signal)))
    caught = rng.random(len(rows)) < p_catch
    rows["catch_kg"] = np.where(caught, np.exp(3 + 0.8 * rows.signal + 0.6 * rng.standard_normal(len(rows))), 0.0)
    rows["true_p_zero"], rows["true_log_mean"] = 1 - p_catch, 3 + 0.8 * rows.signal
    return rows


@pytest.fixture(scope="module")
def fitted() -> SpeciesModel:
    settings = Settings(models={"lightgbm_rounds": 200, "tuning_trials": 2})
    return fit_species_model(hurdle_rows(400, seed=1), "sardine", ["site_id", "signal", "noise"], SITES, settings)


def test_held_out_blocks_run_through_the_whole_history_and_never_touch_the_fit() -> None:
    dates = pd.Series(pd.date_range("2023-01-01", periods=730, freq="D"))
    fit, held_out = validation_mask(dates, gap_days=7)
    assert held_out[-1] and not (fit & held_out).any()
    assert 0.2 < held_out.mean() < 0.3 and 0.6 < fit.mean() < 0.7  # a quarter held out, a gap either side
    assert set(dates[held_out].dt.quarter) == {1, 2, 3, 4}  # every season is in the held-out rows
    held_days, fit_days = dates[held_out].to_numpy(), dates[fit].to_numpy()
    nearest_days = np.min(np.abs(fit_days[:, None] - held_days[None, :]), axis=1) / np.timedelta64(1, "D")
    assert nearest_days.min() == 8  # no fitted target within 7 days of a held-out one
    assert np.diff(np.flatnonzero(np.diff(held_out.astype(int)) == 1)).tolist() == [4 * VALIDATION_BLOCK_DAYS] * 6


def test_the_spread_is_measured_per_bin_of_the_predicted_size() -> None:
    rng = np.random.default_rng(5)
    predicted = rng.uniform(0, 8, 40_000)
    actual = predicted + rng.standard_normal(predicted.size) * np.where(predicted < 4, 0.3, 1.2)
    spread = LogSpread.measure(predicted, actual, bins=2)
    assert spread.edges == pytest.approx((4.0,), abs=0.1)
    assert spread.sd == pytest.approx((0.3, 1.2), rel=0.05)
    np.testing.assert_allclose(spread.at(np.array([1.0, 7.0])), spread.sd)
    assert len(LogSpread.measure(predicted[:50], actual[:50], bins=4).sd) == 1  # too few residuals for four bins


def test_every_forecast_number_is_read_off_one_distribution(fitted: SpeciesModel) -> None:
    rows = hurdle_rows(30, seed=9, start="2024-06-01")
    fitted.thresholds_kg = {site: 60.0 for site in SITES}
    table = fitted.predict(rows)
    distribution = HurdleLogNormal.from_frame(table)
    assert (table.q10_kg <= table.q50_kg).all() and (table.q50_kg <= table.q90_kg).all()
    np.testing.assert_array_equal(table.q50_kg == 0, table.p_zero >= 0.5)
    np.testing.assert_allclose(table.p_big_catch, distribution.p_above(table.big_catch_threshold_kg))
    np.testing.assert_allclose(table.mean_kg, distribution.mean_kg())
    np.testing.assert_allclose(table.q90_kg, distribution.quantile_kg(0.9))


def test_the_fit_recovers_the_hidden_hurdle_and_its_intervals_cover_honestly(fitted: SpeciesModel) -> None:
    fresh = hurdle_rows(300, seed=2, start="2024-03-01")
    distribution = fitted.distribution(fresh)
    assert np.corrcoef(distribution.p_zero, fresh.true_p_zero)[0, 1] > 0.9
    caught = fresh.catch_kg > 0
    assert np.corrcoef(distribution.positive_log_mean[caught], fresh.true_log_mean[caught])[0, 1] > 0.9
    pit = distribution.randomised_pit(fresh.catch_kg.to_numpy(), np.random.default_rng(0))
    assert 0.76 < np.mean((pit >= 0.1) & (pit <= 0.9)) < 0.84
    assert 0.45 < np.median(distribution.positive_log_sd) < 0.8  # the true spread is 0.6


def test_each_fit_searches_its_parameters_and_start_and_keeps_every_trial(fitted: SpeciesModel) -> None:
    trials = fitted.trials
    assert list(trials.trial) == [0, 1, 2, 3] and trials.params.iloc[0] == "{}" and trials.params.nunique() == 2
    assert trials.seasonal_start.tolist() == [False, True, False, True]  # each parameter set from both starts
    assert (fitted.normals is not None) == bool(trials.seasonal_start[trials.chosen].iloc[0])
    assert trials.chosen.sum() == 1 and trials.crps_kg[trials.chosen].iloc[0] == trials.crps_kg.min()
    assert json.loads(trials.params[trials.chosen].iloc[0]) == fitted.params
    assert (trials[["crps_kg", "brier_zero", "rmse_log_kg", "mae_kg", "pinball_kg"]] > 0).all().all()
    assert (trials.rounds_catch >= 1).all() and (trials.rounds_catch < 200).all()  # stopped early on held-out rows


def test_a_fit_given_an_earlier_search_reruns_only_its_chosen_trial_on_its_own_held_out_blocks(
        fitted: SpeciesModel) -> None:
    settings = Settings(models={"lightgbm_rounds": 200, "tuning_trials": 2})
    longer = pd.concat([hurdle_rows(400, seed=1), hurdle_rows(200, seed=3, start="2024-02-05")], ignore_index=True)
    refit = fit_species_model(longer, "sardine", ["site_id", "signal", "noise"], SITES, settings,
                              earlier=fitted.search)
    chosen = fitted.trials[fitted.trials.chosen].iloc[0]
    trial = refit.trials.iloc[0]
    assert len(refit.trials) == 1 and trial.chosen and refit.params == fitted.params
    assert (trial.trial, trial.params, trial.seasonal_start) == (chosen.trial, chosen.params, chosen.seasonal_start)
    assert trial.crps_kg != chosen.crps_kg and refit.spread != fitted.spread  # scored on the longer history's blocks
    assert refit.search.n_rows == len(longer) and refit.booster_cpu_seconds  # its own trial, on its own clock


def test_reasons_explain_the_expected_catch_in_kg(fitted: SpeciesModel) -> None:
    rows = hurdle_rows(20, seed=4, start="2024-07-01")
    rows.loc[rows.index[0], "signal"], rows.loc[rows.index[1], "signal"] = 2.5, -2.5
    reasons = [json.loads(line) for line in fitted.explain(rows.iloc[:2])]
    assert [reason[0]["feature"] for reason in reasons] == ["signal", "signal"]  # the feature that moves the catch
    assert reasons[0][0]["effect_kg"] > 0 > reasons[1][0]["effect_kg"]
    mean_kg = fitted.predict(rows.iloc[:2]).mean_kg.to_numpy()
    assert reasons[0][0]["effect_kg"] < mean_kg[0]  # an effect of the shown expected catch, not of another number


def test_a_saved_model_predicts_what_it_predicted_before(fitted: SpeciesModel, tmp_path) -> None:
    rows = hurdle_rows(10, seed=6, start="2024-08-01")
    fitted.save(tmp_path / "sardine")
    pd.testing.assert_frame_equal(SpeciesModel.load(tmp_path / "sardine").predict(rows), fitted.predict(rows))


def test_too_little_history_is_a_clear_error() -> None:
    with pytest.raises(ValueError, match="too little history to train"):
        fit_species_model(hurdle_rows(5, seed=1), "sardine", ["site_id", "signal"], SITES, Settings())


def test_both_boosters_start_from_the_net_s_seasonal_normal() -> None:
    from models.lightgbm_model import seasonal_normals

    dates = pd.date_range("2022-01-01", "2023-12-31", freq="D")
    summer = dates.month.isin([6, 7, 8])
    rows = pd.DataFrame({"target_date": dates, "site_id": "a", "catch_kg": np.where(summer, 100.0, 0.0)})
    rows.loc[rows.target_date.dt.month.isin([7]), "catch_kg"] = 400.0
    model = SpeciesModel("sardine", ["site_id"], ["a", "b"], normals=seasonal_normals(rows))
    probe = pd.DataFrame({"site_id": ["a", "a", "a", "b"],
                          "target_date": pd.to_datetime(["2024-07-15", "2024-01-15", "2024-06-03", "2024-07-15"])})
    offsets = model.offsets(probe)
    p_catch = 1 / (1 + np.exp(-offsets["catch"]))
    assert p_catch[0] > 0.9 and p_catch[1] < 0.1  # mid-summer and mid-winter at the net (a prior pulls a little)
    assert offsets["positive"][0] == pytest.approx(np.log(400.0), abs=0.1)  # a July catch is a 400 kg catch
    assert np.log(100.0) < offsets["positive"][2] < np.log(400.0)  # early June's window reaches into July
    assert p_catch[3] == pytest.approx(summer.mean(), abs=0.01)  # an unseen net: the species' whole history


def _lightgbm_max_threads() -> int:
    value = ctypes.c_int()
    lgb.basic._LIB.LGBM_GetMaxThreads(ctypes.byref(value))
    return value.value


def test_fits_run_at_once_share_the_threads_and_every_lightgbm_call_is_capped_to_that_share() -> None:
    """Two fits on two Python threads: each is given half the threads, and LightGBM's process-wide cap holds every
    call (a prediction without num_threads included) to it, so neither changes the other's thread count mid-call."""
    settings = Settings(models={"lightgbm_threads": 4, "fit_workers": 2})
    before = _lightgbm_max_threads()
    seen = run_fits([lambda s: (s.models.lightgbm_threads, _lightgbm_max_threads())] * 3, settings)
    assert seen == [(2, 2)] * 3
    assert _lightgbm_max_threads() == before  # the cap is lifted afterwards
    # one worker: the fit runs on the caller's thread with every thread and no cap
    assert run_fits([lambda s: (s.models.lightgbm_threads, _lightgbm_max_threads())],
                    settings.updated(models={"fit_workers": 1})) == [(4, before)]


def lead_rows(days: int, seed: int, start: str = "2023-01-01") -> pd.DataFrame:
    """Rows of leads 1 and 3 on the same days: tomorrow's catch follows `signal`, the catch 3 days ahead `noise`."""
    tomorrow, later = hurdle_rows(days, seed, start), hurdle_rows(days, seed + 100, start)
    later["signal"], later["noise"] = later["noise"].to_numpy(), later["signal"].to_numpy()
    return pd.concat([tomorrow.assign(lead_days=1), later.assign(lead_days=3)], ignore_index=True)


@pytest.fixture(scope="module")
def fitted_with_own_lead() -> SpeciesModel:
    settings = Settings(models={"lightgbm_rounds": 200, "tuning_trials": 1, "own_model_leads": [1]})
    return fit_species_model(lead_rows(300, seed=11), "sardine", ["site_id", "signal", "noise"], SITES, settings)


def test_a_lead_of_its_own_is_forecast_and_explained_by_its_own_hurdle(fitted_with_own_lead: SpeciesModel) -> None:
    model = fitted_with_own_lead
    assert list(model.lead_models) == [1] and not model.lead_models[1].lead_models
    tomorrow_model = model.lead_models[1]
    assert tomorrow_model.search.n_rows == 300 * len(SITES)  # fitted on lead 1's rows only
    assert tomorrow_model.params == model.params and tomorrow_model.thresholds_kg == model.thresholds_kg
    assert model.booster_timings()["catch_cpu_s"] == pytest.approx(
        model.booster_cpu_seconds["catch"] + tomorrow_model.booster_cpu_seconds["catch"])  # its time counted
    rows = lead_rows(20, seed=12, start="2024-06-01")
    tomorrow = rows.lead_days.eq(1).to_numpy()
    together = model.distribution(rows)
    alone = tomorrow_model.distribution(rows[tomorrow])
    pooled = dataclasses.replace(model, lead_models={}).distribution(rows[~tomorrow])
    np.testing.assert_allclose(together.p_zero[tomorrow], alone.p_zero)
    np.testing.assert_allclose(together.positive_log_mean[~tomorrow], pooled.positive_log_mean)
    assert not np.allclose(together.positive_log_mean[tomorrow],
                           dataclasses.replace(model, lead_models={}).distribution(rows[tomorrow]).positive_log_mean)
    reasons = model.explain(rows)
    assert reasons[:int(tomorrow.sum())] == tomorrow_model.explain(rows[tomorrow])  # the hurdle that forecast it


def test_tomorrow_s_own_hurdle_follows_what_moves_tomorrow_s_catch(fitted_with_own_lead: SpeciesModel) -> None:
    fresh = lead_rows(200, seed=13, start="2024-03-01")
    tomorrow = fresh[fresh.lead_days.eq(1)]
    own = fitted_with_own_lead.distribution(tomorrow).positive_log_mean
    shared = dataclasses.replace(fitted_with_own_lead, lead_models={}).distribution(tomorrow).positive_log_mean
    caught = tomorrow.catch_kg.to_numpy() > 0
    truth = tomorrow.true_log_mean.to_numpy()[caught]
    assert np.corrcoef(own[caught], truth)[0, 1] > np.corrcoef(shared[caught], truth)[0, 1] + 0.05


def test_a_saved_model_keeps_its_leads_own_hurdles(fitted_with_own_lead: SpeciesModel, tmp_path) -> None:
    rows = lead_rows(10, seed=14, start="2024-08-01")
    fitted_with_own_lead.save(tmp_path / "sardine")
    loaded = SpeciesModel.load(tmp_path / "sardine")
    assert list(loaded.lead_models) == [1]
    pd.testing.assert_frame_equal(loaded.predict(rows), fitted_with_own_lead.predict(rows))


def same_signal_rows(days: int, seed: int) -> pd.DataFrame:
    """Rows of leads 1-7 on the same days whose catches all follow `signal` alike: no lead differs from the rest."""
    return pd.concat([hurdle_rows(days, seed + lead).assign(lead_days=lead) for lead in range(1, 8)],
                     ignore_index=True)


def test_a_lead_keeps_a_hurdle_of_its_own_only_when_it_beats_the_shared_one_on_the_held_out_blocks(
        fitted_with_own_lead: SpeciesModel) -> None:
    won = fitted_with_own_lead.search.lead_scores.set_index("lead_days").loc[1]
    assert won.kept and won.crps_kg_own < won.crps_kg_shared  # tomorrow follows a signal of its own
    settings = Settings(models={"lightgbm_rounds": 200, "tuning_trials": 1, "own_model_leads": [1]})
    rows = same_signal_rows(120, seed=21)
    model = fit_species_model(rows, "sardine", ["site_id", "signal", "noise"], SITES, settings)
    lost = model.search.lead_scores.set_index("lead_days").loc[1]
    assert not lost.kept and lost.crps_kg_own >= lost.crps_kg_shared  # a seventh of the rows, nothing of its own
    assert model.lead_models == {} and list(model.search.leads) == []
    tomorrow = rows[rows.lead_days.eq(1)]
    assert lost.held_out_rows == validation_mask(tomorrow.target_date, settings.max_lead_days)[1].sum()  # same rows


def test_a_refit_reusing_a_search_keeps_the_leads_that_search_kept(fitted_with_own_lead: SpeciesModel) -> None:
    settings = Settings(models={"lightgbm_rounds": 200, "tuning_trials": 1, "own_model_leads": [1]})
    more = lead_rows(360, seed=11)  # a later, longer history of the same bay, as a final fit after the backtest
    refit = fit_species_model(more, "sardine", ["site_id", "signal", "noise"], SITES, settings,
                              searched=fitted_with_own_lead.search)
    assert list(refit.lead_models) == [1]
    assert refit.lead_models[1].search is fitted_with_own_lead.search.leads[1]  # reused, not searched again
    assert refit.lead_models[1].params == fitted_with_own_lead.lead_models[1].params


def test_no_own_leads_is_one_hurdle_for_every_lead() -> None:
    settings = Settings(models={"lightgbm_rounds": 50, "tuning_trials": 1, "own_model_leads": []})
    model = fit_species_model(lead_rows(200, seed=15), "sardine", ["site_id", "signal", "noise"], SITES, settings)
    assert model.lead_models == {}
    assert model.booster_timings()["positive_cpu_s"] == model.booster_cpu_seconds["positive"]
