"""Training covariates: a row forecast on D carries only what was known on D (the forecast issued ON D, else D's
analysis persisted); only rows used to fit may carry the target day's later analysis, flagged."""

import numpy as np
import pandas as pd
import pytest

from features import build_feature_table
from features.ocean_forecast import (
    SOURCE_FORECAST,
    SOURCE_LATER_ANALYSIS,
    SOURCE_PERSISTED,
    TARGET_COLUMNS,
    later_analysis_covariates,
    persisted_covariates,
    training_covariates,
)
from tests.conftest import FEATURE_OPTIONS, synthetic_catches
from tests.features.test_table import SITES, SPECIES, forecasts, site_ocean

DAYS = pd.date_range("2024-01-01", periods=40, freq="D")
LEADS = [1, 3]


def table_with(site_forecasts: pd.DataFrame | None) -> pd.DataFrame:
    """40 days whose ocean changes every day (the target day's analysis is never the issue day's), two nets."""
    return build_feature_table(site_ocean(DAYS), synthetic_catches("2024-01-01", 40, ["a", "b"]), SITES, SPECIES,
                               DAYS, LEADS, 2, site_forecasts=site_forecasts, **FEATURE_OPTIONS)


def test_an_archive_issued_on_d_plus_1_is_not_used_for_issue_d() -> None:
    d = DAYS[20]
    table = table_with(forecasts(pd.DatetimeIndex([d + pd.Timedelta(days=1)]), LEADS, ["a", "b"]))
    on_d = table[table.issue_date == d]
    assert (on_d.ocean_source == SOURCE_PERSISTED).all() and (on_d.ocean_is_forecast == 0).all()
    np.testing.assert_allclose(on_d.target_temp_50m_c, on_d.temp_50m_c)  # D's own analysis, persisted
    next_day = table[table.issue_date == d + pd.Timedelta(days=1)]
    assert (next_day.ocean_source == SOURCE_FORECAST).all()  # the archive is read: just not for D


def test_a_forecast_issued_after_d_never_reaches_ds_rows_even_in_fitting_rows() -> None:
    """Issued on D+1 for D+2 (D's lead-2 target): D's rows, fit or scored, never carry it."""
    d = DAYS[20]
    issued_later = forecasts(pd.DatetimeIndex([d + pd.Timedelta(days=1)]), [1, 2], ["a", "b"], seed=9)
    with_later, without = table_with(issued_later), table_with(None)
    for made in (lambda t: t, lambda t: training_covariates(t, "analysis")):
        on_d = made(with_later)[lambda t: t.issue_date == d].reset_index(drop=True)
        pd.testing.assert_frame_equal(on_d, made(without)[lambda t: t.issue_date == d].reset_index(drop=True))
        assert not np.isin(on_d[list(TARGET_COLUMNS)].to_numpy(), issued_later[list(TARGET_COLUMNS.values())[:3]]
                           .to_numpy()).any()
    next_day = with_later[(with_later.issue_date == d + pd.Timedelta(days=1)) & (with_later.lead_days == 1)]
    assert (next_day.ocean_source == SOURCE_FORECAST).all()  # the archive is read, on its own issue day

def test_fitting_rows_without_a_forecast_carry_the_target_days_later_analysis_flagged() -> None:
    with_archive = DAYS[30:35]
    table = table_with(forecasts(with_archive, LEADS, ["a", "b"]))
    fit = training_covariates(table, "analysis")
    later = fit.ocean_source == SOURCE_LATER_ANALYSIS
    # the archive's rows keep the forecast as issued
    archived = table.issue_date.isin(with_archive)
    pd.testing.assert_frame_equal(fit[archived], table[archived])
    # every other row whose target day is in the table carries that day's analysis of its net
    in_table = table.target_date <= DAYS[-1]
    assert (later == (~archived & in_table)).all()
    assert (fit.ocean_is_forecast[later] == 1).all()
    analysis = table.drop_duplicates(["issue_date", "site_id"]).set_index(["issue_date", "site_id"])
    expected = analysis.loc[pd.MultiIndex.from_arrays([fit.target_date[later], fit.site_id[later]])]
    for target, source in TARGET_COLUMNS.items():
        if source in table:
            np.testing.assert_allclose(fit.loc[later, target], expected[source].to_numpy(), rtol=1e-6)
    assert not np.allclose(fit.loc[later, "target_temp_50m_c"], table.loc[later, "target_temp_50m_c"])  # can fail
    # rows whose target day lies beyond the table keep the persisted analysis, flagged so
    beyond = ~archived & ~in_table
    assert beyond.any() and (fit.ocean_source[beyond] == SOURCE_PERSISTED).all()
    pd.testing.assert_frame_equal(fit[beyond], table[beyond])
    # columns other than the target-day ocean and its flags never change
    unchanged = [c for c in table.columns if c not in (*TARGET_COLUMNS, "ocean_is_forecast", "ocean_source")]
    pd.testing.assert_frame_equal(fit[unchanged], table[unchanged])


def test_persisted_training_and_persisted_scoring_leave_no_later_analysis() -> None:
    table = table_with(forecasts(DAYS[30:35], LEADS, ["a", "b"]))
    pd.testing.assert_frame_equal(training_covariates(table, "persisted"), table)
    swapped = persisted_covariates(later_analysis_covariates(table))
    assert (swapped.ocean_source == SOURCE_PERSISTED).all() and (swapped.ocean_is_forecast == 0).all()
    for target, source in TARGET_COLUMNS.items():
        if source in table:
            np.testing.assert_array_equal(swapped[target].to_numpy(), table[source].to_numpy())
    with pytest.raises(ValueError, match="training_ocean"):
        training_covariates(table, "later")
