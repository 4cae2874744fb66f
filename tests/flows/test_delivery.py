"""Delivery as a step of the daily flow and as `setnet deliver`: a refused send is recorded and marks the run
degraded, never failing the flow or touching the report; a later `setnet deliver` sends what was not sent, once.

Local servers only (tests/reports/delivery_servers.py, 127.0.0.1), configured through SETNET_DELIVERY__* as an
operator would; no backoff, so no test waits."""

from __future__ import annotations

import json

import pandas as pd
import pytest
from typer.testing import CliRunner

from flows.cli import app
from flows.pipeline import daily_flow
from setnet.warehouse import connect
from tests.flows.conftest import LAST_DAY, World, flow_runs
from tests.reports.delivery_servers import line_stub, smtp_server

pytestmark = pytest.mark.slow


def configure(monkeypatch: pytest.MonkeyPatch, world: World, smtp_port: int, line_url: str) -> list[str]:
    """E-mail and LINE recipients for every cooperative of the world, through the environment; returns the
    cooperatives."""
    coops = list(dict.fromkeys(pd.read_csv(world.sample / "sites.csv").coop))
    for name, value in {
        "SMTP_HOST": "127.0.0.1", "SMTP_PORT": str(smtp_port), "SMTP_SECURITY": "none",
        "SMTP_LOCAL_HOSTNAME": "localhost", "EMAIL_SENDER": "forecast@example.org",
        "EMAIL_RECIPIENTS": json.dumps({coop: [f"office{i}@example.org"] for i, coop in enumerate(coops)}),
        "LINE_API_BASE": line_url, "LINE_CHANNEL_TOKEN": "flow-token",
        "LINE_RECIPIENTS": json.dumps({coop: [f"U{i:032d}"] for i, coop in enumerate(coops)}),
        "RETRIES": "2", "BACKOFF_SECONDS": "0",
    }.items():
        monkeypatch.setenv(f"SETNET_DELIVERY__{name}", value)
    return coops


def deliveries(world: World) -> pd.DataFrame:
    with connect(world.data_dir / "setnet.duckdb") as con:
        return con.execute("SELECT * FROM deliveries ORDER BY coop, channel").df()


def test_a_refused_line_token_degrades_the_daily_run_and_a_later_deliver_sends_it_once(
        world: World, prefect_harness: None, monkeypatch: pytest.MonkeyPatch) -> None:
    refused = [(401, {}, {"message": "Authentication failed"})] * 10
    with smtp_server() as (mailbox, port), line_stub(refused) as stub:
        coops = configure(monkeypatch, world, port, stub.base_url)
        summary = daily_flow(LAST_DAY, str(world.data_dir))
        refused_requests = len(stub.requests)

    assert refused_requests == len(coops)  # one each: a 401 is never retried
    assert len(mailbox.messages) == len(coops)  # e-mail went out all the same
    assert summary["degraded"]
    line_reasons = [r for r in summary["reasons"] if r.startswith("delivery to") and "by line" in r]
    assert len(line_reasons) == len(coops) and all("LINE answered 401" in r for r in line_reasons)
    run = flow_runs(world.data_dir).iloc[-1]
    assert (run.flow, run.state, bool(run.degraded)) == ("daily", "completed", True)
    assert set(line_reasons) <= set(json.loads(run.reasons))
    folder = world.data_dir / "reports" / str(LAST_DAY)
    assert (folder / "index.html").is_file() and (folder / "summary.txt").is_file() and (folder / "report.pdf").is_file()
    rows = deliveries(world)
    assert set(zip(rows.channel, rows.state, rows.attempts, strict=True)) == {("email", "sent", 1), ("line", "failed", 1)}

    with smtp_server() as (mailbox, port), line_stub() as stub:
        configure(monkeypatch, world, port, stub.base_url)
        result = CliRunner().invoke(app, ["--data-dir", str(world.data_dir), "deliver", "--date", str(LAST_DAY)])
        again = CliRunner().invoke(app, ["--data-dir", str(world.data_dir), "deliver", "--date", str(LAST_DAY),
                                         "--channel", "line"])

    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert len(lines) == 2 * len(coops)  # one per cooperative and channel
    assert sum(line.split(":")[0].endswith(" line") and ": sent U" in line for line in lines) == len(coops)
    assert sum(" email: already sent office" in line for line in lines) == len(coops)
    assert not mailbox.messages and len(stub.accepted) == len(coops)  # nothing sent twice
    assert again.exit_code == 0 and all(": already sent U" in line for line in again.stdout.splitlines())
    assert set(zip(deliveries(world).channel, deliveries(world).state, strict=True)) == {("email", "sent"),
                                                                                          ("line", "sent")}


def test_setnet_deliver_says_in_one_line_when_sends_fail(world: World, prefect_harness: None,
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    import models

    models.forecast_day(world.settings(), LAST_DAY)  # the summary needs forecasts, not the report's files
    with smtp_server(replies=["554 5.7.1 rejected"] * 10) as (_, port), line_stub() as stub:
        coops = configure(monkeypatch, world, port, stub.base_url)
        result = CliRunner().invoke(app, ["--data-dir", str(world.data_dir), "deliver", "--date", str(LAST_DAY),
                                          "--channel", "email"])

    assert result.exit_code == 1
    assert len(result.stdout.splitlines()) == len(coops) and not stub.requests
    errors = result.stderr.splitlines()
    assert len(errors) == 1 and errors[0].startswith(f"setnet: error: {len(coops)} of {len(coops)} deliveries failed")
    assert "SMTP server answered 554" in errors[0]
