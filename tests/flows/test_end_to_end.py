"""The whole pipeline, end to end through the Prefect flows, on a tiny sample world."""

from datetime import timedelta
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from flows.cli import app
from reports.content import coop_slug
from reports.data import TRACK_RECORD_DAYS
from setnet.settings import SPECIES
from setnet.warehouse import connect


@pytest.mark.slow
@pytest.mark.e2e
def test_the_demo_forecasts_and_reports_every_site_and_species(
    tmp_path: Path, prefect_harness: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SETNET_MODELS__LIGHTGBM_ROUNDS", "40")  # a tiny world needs few boosting rounds
    data_dir = tmp_path / "data"
    # as Prefect flow runs (--prefect: the harness's server), as a deployment runs it; the artifact is checked below
    result = CliRunner().invoke(app, ["--prefect", "--data-dir", str(data_dir), "demo", "--years", "2", "--sites", "3"])
    assert result.exit_code == 0, result.output  # how long it takes: `make bench-pipeline`, not a test

    sites = pd.read_csv(data_dir / "sample" / "sites.csv")
    with connect(data_dir / "setnet.duckdb", read_only=True) as con:
        issue_date = con.execute("SELECT max(issue_date) FROM forecasts").fetchone()[0]
        forecasts = con.execute("SELECT * FROM forecasts WHERE issue_date = ?", [issue_date]).df()
        evaluations = con.execute("SELECT * FROM model_evaluations").df()
        train_end = con.execute("SELECT max(train_end) FROM model_runs").fetchone()[0]
        record = con.execute("SELECT issue_date, count(*) AS n, min(model_version) AS version FROM forecasts "
                             "WHERE issue_date < ? GROUP BY 1 ORDER BY 1", [issue_date]).df()
        backfilled = con.execute("SELECT issue_date, state, forecasts FROM flow_runs WHERE flow = 'backfill' "
                                 "ORDER BY issue_date").df()
    assert set(forecasts.site_id) == set(sites.site_id)
    assert set(forecasts.species) == {s.code for s in SPECIES}
    assert sorted(forecasts.lead_days.unique()) == list(range(1, 8))
    assert len(forecasts) == len(sites) * len(SPECIES) * 7
    assert set(evaluations.species) == {s.code for s in SPECIES}

    report = data_dir / "reports" / f"{issue_date:%Y-%m-%d}" / "index.html"
    assert f"report: {report}" in result.stdout.replace("\n", "")
    html = report.read_text(encoding="utf-8")
    for name in sites.name_ja:
        assert name in html
    for species in SPECIES:
        assert species.name_ja in html

    # an honest 30-day record: the days before the issue date issued in one batched backfill (a run row each) by the
    # one model, trained on nothing after the first of them
    first = issue_date - timedelta(days=TRACK_RECORD_DAYS)
    assert [d.date() for d in record.issue_date] == [first + timedelta(days=n) for n in range(TRACK_RECORD_DAYS)]
    assert (record.n == len(forecasts)).all() and set(record.version) == set(forecasts.model_version)
    assert train_end <= first
    assert list(backfilled.state) == ["completed"] * TRACK_RECORD_DAYS and (backfilled.forecasts > 0).all()
    track = html.split('<section id="track-record">', 1)[1].split("</section>", 1)[0]
    assert "翌日予想が保存されていません" not in track and track.count("<figure><img") == len(sites)
    assert "どの日も、モデルの学習に使っていない日の予想です" in track
    assert "湾全体（すべての網）" in track and "予測モデルが古い" not in html  # no false model-age banner
    coop = sites.coop.iloc[0]
    coop_track = (report.parent / coop_slug(coop) / "index.html").read_text(encoding="utf-8").split(
        '<section id="track-record">', 1)[1]
    assert f"{coop}の網ごと" in coop_track and "湾全体" not in coop_track  # its own nets' skill

    from prefect.artifacts import Artifact

    artifact = Artifact.get(f"daily-{issue_date:%Y-%m-%d}")  # what an operator sees in the Prefect UI
    assert artifact is not None and f"setnet forecast issued {issue_date:%Y-%m-%d}" in artifact.data
    for name in sites.name_ja:  # the report's own summary, cooperative by cooperative
        assert name in artifact.data
