"""Delivery secrets stay secret: a LINE channel token and an SMTP password planted in the environment (where they
must come from) reach their servers and appear in no log record, no Prefect flow or task run name or parameter, no
table of the warehouse (`deliveries` above all), no error message and nothing `setnet deliver` prints - whether the
send succeeds or fails, even when a hostile server echoes the secret back in its answer.

The servers are the delivery tests' own (tests/reports/delivery_servers.py, 127.0.0.1 only): a real SMTP server
(aiosmtpd, here asking for a login) and a stub of the LINE push endpoint, started and stopped by the test."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult
from typer.testing import CliRunner

from flows.cli import app
from setnet.settings import Settings
from setnet.warehouse import connect
from tests.reports.conftest import ISSUE_DATE, make_world
from tests.reports.delivery_servers import LOOPBACK, Mailbox, free_port, line_stub

TOKEN = "PLANTED-line-token-5c1e"
PASSWORD = "PLANTED-smtp-pass-9b2d"
USER = "setnet-mailer"
HIMI, UOZU = "氷見漁協", "魚津漁協"  # the report world's cooperatives (tests/reports/conftest.py)

pytestmark = pytest.mark.slow  # a Prefect server for the session


@contextmanager
def smtp_with_login(accept: bool, replies: list[str]) -> Iterator[tuple[Mailbox, int, list[tuple[str, str]]]]:
    """A real SMTP server on 127.0.0.1 that asks for a login (over plain SMTP, loopback only): its mailbox, its
    port and every (login, password) it was given; it accepts the login when `accept`, else answers 535."""
    mailbox = Mailbox(replies=list(replies))
    logins: list[tuple[str, str]] = []

    def authenticator(server, session, envelope, mechanism, auth_data) -> AuthResult:  # aiosmtpd's signature
        logins.append((auth_data.login.decode(), auth_data.password.decode()))
        return AuthResult(success=accept, handled=False)

    controller = Controller(mailbox, hostname=LOOPBACK, port=free_port(), server_hostname="localhost",
                            authenticator=authenticator, auth_require_tls=False)
    controller.start()
    try:
        yield mailbox, controller.port, logins
    finally:
        controller.stop()


def configure(monkeypatch: pytest.MonkeyPatch, smtp_port: int, line_url: str) -> None:
    """Everything through SETNET_DELIVERY__*, as an operator sets it; the secrets only there."""
    for name, value in {
        "SMTP_HOST": LOOPBACK, "SMTP_PORT": str(smtp_port), "SMTP_SECURITY": "none", "SMTP_LOCAL_HOSTNAME": "localhost",
        "SMTP_USERNAME": USER, "SMTP_PASSWORD": PASSWORD, "EMAIL_SENDER": "forecast@example.org",
        "EMAIL_RECIPIENTS": json.dumps({HIMI: ["himi@example.org"], UOZU: ["uozu@example.org"]}),
        "LINE_API_BASE": line_url, "LINE_CHANNEL_TOKEN": TOKEN,
        "LINE_RECIPIENTS": json.dumps({HIMI: ["U0000000000000000000000000000000a"]}),
        "RETRIES": "2", "BACKOFF_SECONDS": "0",
    }.items():
        monkeypatch.setenv(f"SETNET_DELIVERY__{name}", value)


ECHO = f"invalid access token: Bearer {TOKEN}"  # a hostile (or debugging) server repeating what it was sent
OUTCOMES = {
    # case: (LINE answers, SMTP accepts the login, SMTP DATA answers, states recorded, exit status)
    "both sent": ([], True, [], {("email", "sent"), ("line", "sent")}, 0),
    "a refused token and a refused login": (
        [(401, {}, {"message": ECHO})], False, [], {("email", "failed"), ("line", "failed")}, 1),
    "server errors echoing the secrets until retries run out": (
        [(500, {}, {"message": ECHO})] * 3, True, [f"451 4.3.0 try later ({PASSWORD})"] * 6,
        {("email", "failed"), ("line", "failed")}, 1),
}


@pytest.fixture
def report_settings(tmp_path: Path) -> Settings:
    """The report tests' tiny forecast world (two cooperatives), fresh for each case."""
    return make_world(tmp_path)


@pytest.mark.parametrize("case", list(OUTCOMES))
def test_planted_delivery_secrets_are_in_no_log_run_table_or_message(
        case: str, report_settings: Settings, prefect_harness: None, monkeypatch: pytest.MonkeyPatch,
        caplog: pytest.LogCaptureFixture) -> None:
    from prefect.client.orchestration import get_client

    line_script, accept_login, smtp_replies, states, status = OUTCOMES[case]
    caplog.set_level(logging.DEBUG)
    caplog.set_level(logging.WARNING, logger="mail.log")  # the test SMTP server's own log is not setnet's
    with smtp_with_login(accept_login, smtp_replies) as (mailbox, port, logins), line_stub(line_script) as stub:
        configure(monkeypatch, port, stub.base_url)
        result = CliRunner().invoke(app, ["--data-dir", str(report_settings.data_dir), "deliver",
                                          "--date", str(ISSUE_DATE)])

    # the secrets came from the environment and reached their servers
    assert stub.requests and {push.headers["authorization"] for push in stub.requests} == {f"Bearer {TOKEN}"}
    assert logins and set(logins) == {(USER, PASSWORD)}
    assert result.exit_code == status, result.output
    if status:  # a failed send: one line, naming what failed, without the secret
        said = [line for line in result.stderr.splitlines() if line.startswith("setnet: error: ")]
        assert len(said) == 1 and "deliveries failed" in said[0], result.stderr
        assert result.stderr.splitlines()[-1] == said[0]  # (the whole standard error: test_hostile_cli.py)
    else:
        assert len(mailbox.messages) == 2 and len(stub.accepted) == 1
    with connect(report_settings.warehouse_path, read_only=True) as con:
        rows = con.execute("SELECT channel, state, error FROM deliveries WHERE state <> 'skipped'").fetchall()
        tables = [row[0] for row in con.execute(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = 'main'").fetchall()]
        dumps = {table: con.execute(f'SELECT * FROM "{table}"').df().to_csv() for table in tables}  # catalogue names
    assert {(channel, state) for channel, state, _ in rows} == states
    with get_client(sync_client=True) as client:
        runs = [(run.name, run.parameters) for run in client.read_flow_runs()]
        tasks = [(run.name, run.task_inputs) for run in client.read_task_runs()]
    assert any(parameters.get("issue_date") for _, parameters in runs)  # the deliver run was recorded
    shown = {"standard output": result.stdout, "standard error": result.stderr, "exception": repr(result.exception),
             "logs": caplog.text, "flow runs": repr(runs), "task runs": repr(tasks), "errors recorded": repr(rows),
             **{f"table {table}": text for table, text in dumps.items()}}
    for secret in (TOKEN, PASSWORD):
        assert [where for where, text in shown.items() if secret in text] == [], secret
