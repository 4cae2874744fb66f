"""The whole pipeline, end to end through the Prefect flows, on a tiny sample world."""

from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from flows.cli import app
from setnet.settings import SPECIES
from setnet.warehouse import connect


@pytest.mark.slow
@pytest.mark.e2e
def test_the_demo_forecasts_and_reports_every_site_and_species(
    tmp_path: Path, prefect_harness: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SETNET_MODELS__LIGHTGBM_ROUNDS", "40")  # a tiny world needs few boosting rounds
    data_dir = tmp_path / "data"
    result = CliRunner().invoke(app, ["--data-dir", str(data_dir), "demo", "--years", "2", "--sites", "3"])
    assert result.exit_code == 0, result.output  # how long it takes: `make bench-pipeline`, not a test

    sites = pd.read_csv(data_dir / "sample" / "sites.csv")
    with connect(data_dir / "setnet.duckdb", read_only=True) as con:
        issue_date = con.execute("SELECT max(issue_date) FROM forecasts").fetchone()[0]
        forecasts = con.execute("SELECT * FROM forecasts WHERE issue_date = ?", [issue_date]).df()
        evaluations = con.execute("SELECT * FROM model_evaluations").df()
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

    from prefect.artifacts import Artifact

    artifact = Artifact.get(f"daily-{issue_date:%Y-%m-%d}")  # what an operator sees in the Prefect UI
    assert artifact is not None and f"setnet forecast issued {issue_date:%Y-%m-%d}" in artifact.data
    for name in sites.name_ja:  # the report's own summary, cooperative by cooperative
        assert name in artifact.data
