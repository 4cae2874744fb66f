"""Hostile names through every command, end to end: a site registry whose site ids, net names and cooperative names
carry markup, quotes, SQL, path tricks (../, /, \\), unicode controls, a line break and very long text goes through
`setnet ingest sites` / `ingest grids` / `ingest catches`, `train`, `forecast`, `report` (its HTML, PDF and text
summary), `quantiles`, `backtest --json` and `deliver` (e-mail to a loopback SMTP server, keyed by the hostile
cooperative names). Each command either stores and shows the names as text or refuses with one line - never a
traceback; every table stays; the report escapes every name, keeps its files inside its own folder and names them by
safe slugs.

One small world (3 nets, 60 days) made and run once for the module: the commands run in this process through the
command line (typer's runner) against the session's Prefect test server."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest
from typer.testing import CliRunner, Result

from flows.cli import app
from setnet.settings import Settings
from setnet.warehouse import connect
from tests.conftest import copernicus_like_grid, synthetic_catches, write_daily_files
from tests.fixtures import tiny_sites, write_sites_csv
from tests.reports.delivery_servers import Mailbox, smtp_server

pytestmark = pytest.mark.slow

ISSUE = date(2024, 4, 29)  # the small world's last day of grids and catches
LONG = "長" * 300  # 900 bytes of UTF-8: more than a file name may hold
SITE_IDS = ["../../escape", "<img src=x onerror=alert(1)>", "a'; DROP TABLE sites; --"]
NAMES_JA = ['"><script>alert(1)</script>', "名\u202e前\u200b" + LONG, "/etc/passwd"]
NAMES_EN = ["x</title><b>bold", "..\\..\\windows", "'; DELETE FROM catches; --"]
COOPS = ["../../../outside<script>alert(2)</script>", "a/b\\c\u202e\u0007" + LONG, "漁協\nBcc: attacker@example.org"]
RAW_MARKUP = ["<script>alert(1)</script>", "<script>alert(2)</script>", "<img src=x onerror", "</title><b>bold"]
COMMANDS = {
    "ingest sites": ["ingest", "sites", "{root}/sites.csv"],
    "ingest grids": ["ingest", "grids", "{root}/grids"],
    "ingest catches": ["ingest", "catches", "{root}/catches.csv"],
    "train": ["train"],
    "forecast": ["forecast", "--date", str(ISSUE)],
    "report": ["report", "--date", str(ISSUE)],
    "quantiles": ["quantiles", "--date", str(ISSUE), "--levels", "0.1,0.9"],
    "backtest --json": ["backtest", "--species", "sardine", "--json", "--per-site"],
    "deliver": ["deliver", "--date", str(ISSUE), "--channel", "email"],
}


def tables(settings: Settings) -> set[str]:
    with connect(settings.warehouse_path, read_only=True) as con:
        return {row[0] for row in con.execute(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = 'main'").fetchall()}


@pytest.fixture(scope="module")
def ran(tmp_path_factory: pytest.TempPathFactory, prefect_harness: None
        ) -> Iterator[tuple[Path, Settings, dict[str, Result], Mailbox]]:
    """Every command run once, in order, on the hostile world: (its root folder, settings, results, mailbox)."""
    root = tmp_path_factory.mktemp("hostile-names")
    write_sites_csv(root / "sites.csv", tiny_sites(site_id=SITE_IDS, name_ja=NAMES_JA, name_en=NAMES_EN, coop=COOPS))
    write_daily_files(copernicus_like_grid(days=60, start="2024-03-01"), root / "grids")
    synthetic_catches("2024-03-01", 60, SITE_IDS).to_csv(root / "catches.csv", index=False)
    settings = Settings(data_dir=root / "data")
    results: dict[str, Result] = {}
    with pytest.MonkeyPatch.context() as env, smtp_server() as (mailbox, port):
        for name, value in {"LIGHTGBM_ROUNDS": "20", "BACKTEST_MIN_TRAIN_DAYS": "30", "BACKTEST_FOLD_DAYS": "20"}.items():
            env.setenv(f"SETNET_MODELS__{name}", value)
        for name, value in {"SMTP_HOST": "127.0.0.1", "SMTP_PORT": str(port), "SMTP_SECURITY": "none",
                            "SMTP_LOCAL_HOSTNAME": "localhost", "EMAIL_SENDER": "forecast@example.org",
                            "EMAIL_RECIPIENTS": json.dumps({coop: ["office@example.org"] for coop in COOPS}),
                            "RETRIES": "0", "BACKOFF_SECONDS": "0"}.items():
            env.setenv(f"SETNET_DELIVERY__{name}", value)
        for command, arguments in COMMANDS.items():
            results[command] = CliRunner().invoke(
                app, ["--data-dir", str(settings.data_dir), *(a.format(root=root) for a in arguments)])
        yield root, settings, results, mailbox


@pytest.mark.parametrize("command", list(COMMANDS))
def test_every_command_takes_hostile_names_or_refuses_them_with_one_line(ran, command: str) -> None:
    _, settings, results, _ = ran
    result = results[command]
    assert result.exit_code == 0, result.output
    assert "Traceback" not in result.output and not result.exception, result.output
    assert {"sites", "catches", "forecasts", "deliveries", "flow_runs"} <= tables(settings)


def test_hostile_names_are_stored_as_text(ran) -> None:
    _, settings, _, _ = ran
    with connect(settings.warehouse_path, read_only=True) as con:
        sites = con.execute("SELECT site_id, name_ja, name_en, coop FROM sites ORDER BY site_id").fetchall()
        caught = {row[0] for row in con.execute("SELECT DISTINCT site_id FROM catches").fetchall()}
        forecast = {row[0] for row in con.execute("SELECT DISTINCT site_id FROM forecasts").fetchall()}
    assert sorted(sites) == sorted(zip(SITE_IDS, NAMES_JA, NAMES_EN, COOPS, strict=True))
    assert caught == forecast == set(SITE_IDS)


def test_the_report_escapes_every_name_and_keeps_its_files_in_its_folder(ran) -> None:
    root, settings, results, _ = ran
    folder = settings.reports_dir / ISSUE.isoformat()
    made = sorted(p for p in root.rglob("*") if p.is_file())
    inputs = {root / "sites.csv", root / "catches.csv"}
    outside = [p for p in made if p not in inputs and root / "grids" not in p.parents
               and settings.data_dir not in p.parents]
    assert outside == []
    assert [p for p in settings.reports_dir.rglob("*") if p.is_file() and p.parent != settings.reports_dir
            and folder not in p.parents] == []
    slugs = [p.name for p in folder.iterdir() if p.is_dir()]
    assert len(slugs) == len(set(COOPS))
    # a slug is a cooperative's own name made safe: letters (any script), digits, '-', within a file name's 255 bytes
    assert all(re.fullmatch(r"\w[\w-]*", slug) and len(slug.encode()) <= 255 for slug in slugs), slugs
    pages = [p for p in folder.rglob("*.html")]
    assert pages
    for page in pages:
        html = page.read_text(encoding="utf-8")
        assert [raw for raw in RAW_MARKUP if raw in html] == [], page
    html = "".join(page.read_text(encoding="utf-8") for page in pages)
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html or "&lt;script&gt;alert(1)" in html
    summaries = "".join(p.read_text(encoding="utf-8") for p in folder.rglob("*.txt"))
    assert "/etc/passwd" in summaries or "'; DELETE FROM catches; --" in summaries  # a net's name, as text
    assert "report:" in results["report"].stdout


def test_quantiles_backtest_and_deliver_show_the_names_as_text(ran) -> None:
    _, settings, results, mailbox = ran
    assert all(site_id in results["quantiles"].stdout for site_id in SITE_IDS)
    records = json.loads(results["backtest --json"].stdout[results["backtest --json"].stdout.index("["):])
    assert set(SITE_IDS) <= {record.get("site_id") for record in records}
    lines = results["deliver"].stdout.splitlines()
    assert len(lines) == len(COOPS)
    with connect(settings.warehouse_path, read_only=True) as con:
        states = con.execute("SELECT coop, state FROM deliveries").fetchall()
    assert {state for _, state in states} == {"sent"}
    for message in mailbox.messages:  # no header made from a name: the line break did not add a recipient
        assert "attacker@example.org" not in (message.get("Bcc") or "") + (message.get("To") or "")
    assert [envelope for envelope in mailbox.envelopes if envelope[1] != ["office@example.org"]] == []
