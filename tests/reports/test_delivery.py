"""Delivery: each cooperative's evening summary reaches its recipients by e-mail and LINE, exactly as written, once;
transient failures are retried with the same LINE retry key, refusals are not, and every outcome is recorded.

The servers are real and local (tests/reports/delivery_servers.py: aiosmtpd and an HTTP stub of the LINE push
endpoint, on 127.0.0.1); backoff is 0 s, so no test waits."""

from __future__ import annotations

import uuid

import pytest

import reports
from reports.build import build_reports
from reports.delivery import LINE_TEXT_LIMIT, line_texts, push_bodies, retry_after, utf16_length
from reports.labels import labels_for
from setnet.settings import Settings
from setnet.warehouse import connect
from tests.reports.conftest import ISSUE_DATE
from tests.reports.delivery_servers import line_stub, smtp_server

HIMI, UOZU = "氷見漁協", "魚津漁協"  # the tiny world's cooperatives (their names are their folder names)
TOKEN = "test-channel-token"
NO_WAIT = {"backoff_seconds": 0.0, "timeout_seconds": 30.0}


def with_email(settings: Settings, port: int, **changes: object) -> Settings:
    return settings.updated(delivery={
        "smtp_host": "127.0.0.1", "smtp_port": port, "smtp_security": "none", "smtp_local_hostname": "localhost",
        "email_sender": "setnet <forecast@example.org>", **NO_WAIT,
        "email_recipients": {HIMI: ["himi-office@example.org", "captain@example.org"],
                             UOZU: ["uozu@example.org"]}, **changes})


def with_line(settings: Settings, base_url: str, **changes: object) -> Settings:
    return settings.updated(delivery={"line_api_base": base_url, "line_channel_token": TOKEN,
                                      "line_recipients": {UOZU: ["U0123456789abcdef"]}, **NO_WAIT, **changes})


def deliveries(settings: Settings) -> list[dict]:
    with connect(settings.warehouse_path) as con:
        return con.execute("SELECT * FROM deliveries ORDER BY coop, channel, recipient").df().to_dict("records")


def test_nothing_configured_sends_nothing_and_records_skipped(report_settings: Settings) -> None:
    done = reports.deliver_summaries(report_settings, ISSUE_DATE)

    assert {(d.coop, d.channel) for d in done} == {(HIMI, "email"), (HIMI, "line"), (UOZU, "email"), (UOZU, "line")}
    assert all(d.state == "skipped" and d.error.startswith("not configured") and d.attempts == 0 for d in done)
    assert {row["state"] for row in deliveries(report_settings)} == {"skipped"}


def test_each_email_is_the_cooperatives_summary_with_its_pdf(report_settings: Settings) -> None:
    built = build_reports(report_settings, ISSUE_DATE, formats="pdf,txt")
    folder = built.folder
    with smtp_server() as (mailbox, port):
        done = reports.deliver_summaries(with_email(report_settings, port), ISSUE_DATE, channels=["email"])

    assert [(d.coop, d.recipient, d.state, d.attempts) for d in done] == [
        (HIMI, "himi-office@example.org", "sent", 1), (HIMI, "captain@example.org", "sent", 1),
        (UOZU, "uozu@example.org", "sent", 1)]
    assert sorted(to for _, (to,) in mailbox.envelopes) == sorted(d.recipient for d in done)
    target = labels_for("ja")["summary_for"].split("{")[0]  # "…の予想"
    for message in mailbox.messages:
        coop = HIMI if "himi" in message["To"] or "captain" in message["To"] else UOZU
        body = message.get_body(("plain",))
        assert body.get_content_type() == "text/plain" and body.get_content_charset() == "utf-8"
        assert body.get_content() == (folder / coop / "summary.txt").read_text(encoding="utf-8")
        assert body.get_content() == reports.summary_text(report_settings, ISSUE_DATE, coop=coop)
        assert coop in message["Subject"] and "12月1日" in message["Subject"] and target in message["Subject"]
        (pdf,) = list(message.iter_attachments())
        assert pdf.get_content_type() == "application/pdf"
        assert pdf.get_content() == (folder / coop / "report.pdf").read_bytes()


def test_a_transient_smtp_refusal_is_retried(report_settings: Settings) -> None:
    with smtp_server(replies=["451 4.3.0 try again later"]) as (mailbox, port):
        settings = with_email(report_settings, port, email_recipients={UOZU: ["uozu@example.org"]})
        done = reports.deliver_summaries(settings, ISSUE_DATE, channels=["email"])

    (sent,) = [d for d in done if d.state != "skipped"]
    assert (sent.state, sent.attempts, mailbox.tries, len(mailbox.messages)) == ("sent", 2, 2, 1)


def test_a_line_push_carries_the_summary_and_the_token(report_settings: Settings) -> None:
    with line_stub() as stub:
        done = reports.deliver_summaries(with_line(report_settings, stub.base_url), ISSUE_DATE, channels=["line"])

    (push,) = stub.requests
    assert push.path == "/v2/bot/message/push"
    assert push.headers["authorization"] == f"Bearer {TOKEN}"
    assert push.headers["content-type"] == "application/json"
    uuid.UUID(push.headers["x-line-retry-key"])  # a UUID, as LINE requires
    summary = reports.summary_text(report_settings, ISSUE_DATE, coop=UOZU)
    assert push.body == {"to": "U0123456789abcdef", "messages": [{"type": "text", "text": summary.rstrip("\n")}]}
    assert [(d.coop, d.state) for d in done] == [(HIMI, "skipped"), (UOZU, "sent")]
    assert [d.error for d in done if d.coop == HIMI] == ["no recipients for this cooperative"]


def test_two_500s_then_success_deliver_once_after_three_attempts_with_one_retry_key(report_settings: Settings) -> None:
    failing = [(500, {}, {"message": "internal error"}), (503, {}, {})]
    with line_stub(failing) as stub:
        done = reports.deliver_summaries(with_line(report_settings, stub.base_url), ISSUE_DATE, channels=["line"])

    assert len(stub.requests) == 3 and len(stub.accepted) == 1
    assert len({push.headers["x-line-retry-key"] for push in stub.requests}) == 1
    (row,) = [row for row in deliveries(report_settings) if row["state"] != "skipped"]
    assert (row["coop"], row["channel"], row["state"], row["attempts"]) == (UOZU, "line", "sent", 3)
    assert [d.attempts for d in done if d.state == "sent"] == [3]


def test_a_429_waits_as_long_as_retry_after_says_and_other_waits_double(report_settings: Settings) -> None:
    waits: list[float] = []
    script = [(500, {}, {}), (500, {}, {}), (429, {"Retry-After": "7"}, {"message": "rate limited"})]
    with line_stub(script) as stub:
        settings = with_line(report_settings, stub.base_url, backoff_seconds=2.0, max_backoff_seconds=60.0)
        reports.deliver_summaries(settings, ISSUE_DATE, channels=["line"], sleep=waits.append)

    assert waits == [2.0, 4.0, 7.0]  # what the sender asked to wait: computed, never timed
    assert len(stub.accepted) == 1


def test_a_refused_token_is_not_retried_and_is_recorded_failed(report_settings: Settings) -> None:
    refused = [(401, {}, {"message": "Authentication failed. Confirm that the access token is valid."})]
    with line_stub(refused) as stub:
        done = reports.deliver_summaries(with_line(report_settings, stub.base_url), ISSUE_DATE, channels=["line"])

    assert len(stub.requests) == 1 and not stub.accepted
    (failed,) = [d for d in done if d.state == "failed"]
    assert failed.attempts == 1 and failed.error.startswith("LINE answered 401: Authentication failed")
    (row,) = [row for row in deliveries(report_settings) if row["state"] != "skipped"]
    assert (row["state"], row["attempts"]) == ("failed", 1) and "401" in row["error"]


def test_retries_run_out_and_the_send_is_recorded_failed(report_settings: Settings) -> None:
    with line_stub([(500, {}, {})] * 3) as stub:
        settings = with_line(report_settings, stub.base_url, retries=2)
        done = reports.deliver_summaries(settings, ISSUE_DATE, channels=["line"])

    (failed,) = [d for d in done if d.state == "failed"]
    assert (failed.attempts, len(stub.requests), failed.error) == (3, 3, "LINE answered 500 (after 3 attempts)")


def test_a_rerun_sends_nothing_again_unless_forced_and_a_failed_send_is_sent(report_settings: Settings) -> None:
    with line_stub([(401, {}, {})]) as stub:
        settings = with_line(report_settings, stub.base_url)
        first = reports.deliver_summaries(settings, ISSUE_DATE, channels=["line"])
        second = reports.deliver_summaries(settings, ISSUE_DATE, channels=["line"])  # the failed one is sent now
        third = reports.deliver_summaries(settings, ISSUE_DATE, channels=["line"])  # nothing is sent again
        forced = reports.deliver_summaries(settings, ISSUE_DATE, channels=["line"], force=True)

    states = [[(d.state, d.this_run) for d in run if d.coop == UOZU] for run in (first, second, third, forced)]
    assert states == [[("failed", True)], [("sent", True)], [("sent", False)], [("sent", True)]]
    assert len(stub.requests) == 3 and len(stub.accepted) == 2
    keys = [push.headers["x-line-retry-key"] for push in stub.requests]
    assert keys[0] == keys[1] != keys[2]  # the same text keeps its key; forced takes a new one


def test_a_key_naming_no_cooperative_is_a_recorded_failure(report_settings: Settings) -> None:
    with line_stub() as stub:
        settings = with_line(report_settings, stub.base_url, line_recipients={"滑川漁協": ["Uabc"], UOZU: ["Udef"]})
        done = reports.deliver_summaries(settings, ISSUE_DATE, channels=["line"])

    (unknown,) = [d for d in done if d.state == "failed"]
    assert unknown.coop == "滑川漁協" and "no cooperative" in unknown.error
    assert [push.body["to"] for push in stub.accepted] == ["Udef"]


def test_an_unknown_channel_fails_before_anything_is_sent(report_settings: Settings) -> None:
    with pytest.raises(ValueError, match="unknown delivery channel 'fax'"):
        reports.deliver_summaries(report_settings, ISSUE_DATE, channels=["fax"])


def test_long_texts_split_under_the_line_limit_at_line_ends() -> None:
    text = "\n".join(f"■ 定置網 {i:03d} 🐟 " + "ブリ" * 40 for i in range(200)) + "\n"
    texts = line_texts(text)

    assert len(texts) > 1 and all(utf16_length(t) <= LINE_TEXT_LIMIT for t in texts)
    assert "\n".join(texts) == text.rstrip("\n")
    assert utf16_length("🐟") == 2  # LINE counts UTF-16 units: an emoji is two
    one_line = line_texts("あ" * (LINE_TEXT_LIMIT + 10))
    assert [len(t) for t in one_line] == [LINE_TEXT_LIMIT, 10]
    bodies = push_bodies("U1", [str(i) for i in range(7)])
    assert [len(b["messages"]) for b in bodies] == [5, 2]


def test_retry_after_reads_seconds_or_a_date_and_ignores_the_rest() -> None:
    assert retry_after("120") == 120.0
    assert retry_after("Wed, 21 Oct 2015 07:28:00 GMT") == 0.0  # a date passed: no wait
    assert retry_after(None) is None and retry_after("soon") is None
