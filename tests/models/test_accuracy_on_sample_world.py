"""Accuracy pinned on the demo's sample world (seed 42, 3 years, 10 nets): the last backtest fold against the
hidden truth. A regression test: a change that loses signal or calibration fails here.

Pinned: signal recovery (r^2 with the hidden expected catch above climatology and persistence), calibration
(q10-q90 PIT coverage 0.75-0.85) and a floor on attainable skill well below what main measures (0.09-0.18; the
issue's 0.6 is out of reach for any forecast issued the evening before, see bench/model_ceiling.py).
"""

from pathlib import Path

import pandas as pd
import pytest

from setnet.settings import Settings

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def last_fold(tmp_path_factory: pytest.TempPathFactory) -> pd.DataFrame:
    """Truth scores per species of the last backtest fold on the demo world."""
    from ingest import ingest_catches, ingest_grids, ingest_sites
    from models.backtest import backtest_origins, fold_model
    from models.model_card import truth_scores
    from models.training import _catches, training_table
    from sample_world import generate_world

    root: Path = tmp_path_factory.mktemp("sample_world")
    settings = Settings(data_dir=root / "data")
    world = generate_world(root / "sample", years=3, sites=10, seed=42)
    ingest_sites(settings, world.sites_csv)
    ingest_grids(settings, [world.grids_dir])
    ingest_catches(settings, [world.catches_dir])
    table, catches = training_table(settings), _catches(settings)
    labelled = table[table.catch_kg.notna()]
    origin = backtest_origins(labelled.target_date.min(), labelled.target_date.max(), settings)[-1]
    predictions = pd.concat([fold_model(table, catches, origin, species, settings)[0]
                             for species in sorted(table.species.unique())])
    return truth_scores(predictions, pd.read_csv(world.truth_csv)).set_index("species")


def test_the_forecast_follows_the_hidden_signal_better_than_both_baselines(last_fold: pd.DataFrame) -> None:
    assert (last_fold.r2_model > last_fold.r2_climatology).all(), last_fold[["r2_model", "r2_climatology"]]
    assert (last_fold.r2_model > last_fold.r2_persistence).all(), last_fold[["r2_model", "r2_persistence"]]


def test_the_80_percent_range_holds_80_percent_of_catches(last_fold: pd.DataFrame) -> None:
    assert last_fold.coverage_80_pit.between(0.75, 0.85).all(), last_fold.coverage_80_pit
    # the oracle's own range reads the same, so the fair coverage is the right yardstick
    assert last_fold.oracle_coverage_80_pit.between(0.78, 0.82).all(), last_fold.oracle_coverage_80_pit
    assert (last_fold.oracle_coverage_80 > 0.88).all(), last_fold.oracle_coverage_80


def test_the_median_forecast_beats_the_median_climatology_for_every_species(last_fold: pd.DataFrame) -> None:
    assert (last_fold.mae_model_kg < last_fold.mae_climatology_kg).all()
    assert (last_fold.attainable_skill > 0.05).all(), last_fold.attainable_skill
