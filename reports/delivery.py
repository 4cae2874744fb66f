"""Delivery where people already are: each cooperative's evening summary by e-mail (SMTP) and by LINE (the Messaging
API push endpoint), the reports stage's sending edge.

The text sent is the cooperative's summary (`summary.report_summary`, the same as its summary.txt). E-mail: one
text/plain UTF-8 message per recipient, the subject naming the cooperative and the target day, the cooperative's A4
PDF page attached when it exists. LINE: one push per recipient (user or group id), the text split into messages under
LINE_TEXT_LIMIT, five to a push, each push with its `X-Line-Retry-Key` (the same over its retries and over reruns, so
LINE accepts a message once; `force` takes new keys). Transient failures (connection errors, timeouts, SMTP 4xx,
HTTP 5xx, 429 with its Retry-After) are retried with doubling waits (`Settings.delivery`); refusals (a 4xx such as a
rejected login or token, a 5xx SMTP reply) are not.

Every outcome is a row of `deliveries` (issue date, cooperative folder name, channel, recipient): sent, failed or
skipped (channel not configured, no recipients), with the attempts made and a checksum of the text. A rerun sends
nothing already sent (unless forced, or with `resend_changed` when the text has changed since).
"""

from __future__ import annotations

import hashlib
import http.client
import json
import smtplib
import ssl
import time
import unicodedata
import urllib.error
import urllib.request
import uuid
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime
from email.message import EmailMessage
from email.utils import formatdate, make_msgid, parseaddr, parsedate_to_datetime
from pathlib import Path

import pandas as pd

from reports.data import load_report_data
from reports.labels import file_name, labels_for
from reports.summary import report_summary
from reports.view import CoopView, ReportOptions, ReportView, report_view
from setnet.settings import DeliverySettings, Settings
from setnet.warehouse import connect, upsert

CHANNELS = ("email", "line")
LINE_TEXT_LIMIT = 5000  # longest LINE text message, in UTF-16 code units (what LINE counts)
LINE_MESSAGES_PER_PUSH = 5  # most messages one push request may carry
LINE_PUSH_PATH = "/v2/bot/message/push"
RETRY_KEY_NAMESPACE = uuid.UUID("5e7e1e7a-13d0-4c1e-9a1e-000000000013")  # LINE retry keys of setnet's pushes

Sleep = Callable[[float], None]


class DeliveryFailure(Exception):
    """One attempt failed: `transient` failures are worth retrying (after `retry_after_s` when the server says)."""

    def __init__(self, reason: str, transient: bool, retry_after_s: float | None = None) -> None:
        super().__init__(reason)
        self.reason, self.transient, self.retry_after_s = reason, transient, retry_after_s


@dataclass(frozen=True)
class Delivery:
    """What became of one cooperative's summary on one channel to one recipient ('' when there was none)."""

    issue_date: date
    coop: str  # the cooperative's folder name (reports.content.coop_slug), or the settings key naming no cooperative
    coop_name: str
    channel: str  # email | line
    recipient: str
    state: str  # sent | failed | skipped
    attempts: int = 0
    error: str | None = None  # why it failed or was skipped
    sent_at: datetime | None = None  # UTC
    message_checksum: str | None = None
    lang: str = "ja"
    this_run: bool = True  # False: sent by an earlier run, not sent again

    def row(self) -> dict:
        return {"issue_date": self.issue_date, "coop": self.coop, "channel": self.channel,
                "recipient": self.recipient, "state": self.state, "attempts": self.attempts, "error": self.error,
                "sent_at": self.sent_at, "message_checksum": self.message_checksum, "lang": self.lang,
                "updated_at": _now()}


# --- the messages (pure) -----------------------------------------------------------------------------------------

def message_checksum(text: str) -> str:
    """sha256 (hex) of a summary text as sent."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def email_subject(view: ReportView, coop: CoopView) -> str:
    """'【定置網 漁獲予想】氷見漁協 12月1日(月)の予想': the cooperative and the target day."""
    return f"{view.t['summary_title'].format(coop=coop.name)} {view.t['summary_for'].format(target=view.target_label)}"


def header_text(text: str) -> str:
    """text fit for one mail header: line breaks, other control and format characters (names from input files
    may carry them) made spaces, runs of spaces one."""
    return " ".join("".join(" " if unicodedata.category(ch).startswith("C") else ch for ch in text).split())


def email_message(sender: str, recipient: str, subject: str, text: str, pdf: bytes | None = None,
                  pdf_name: str = "report.pdf") -> EmailMessage:
    """A text/plain UTF-8 e-mail of `text`, with the PDF attached when given."""
    message = EmailMessage()
    message["From"], message["To"], message["Subject"] = sender, recipient, header_text(subject)
    message["Date"] = formatdate(localtime=True)
    domain = parseaddr(sender)[1].rpartition("@")[2] or "setnet.invalid"
    message["Message-ID"] = make_msgid(domain=domain)  # a domain given: no look-up of this machine's name
    message.set_content(text, charset="utf-8")
    if pdf is not None:
        message.add_attachment(pdf, maintype="application", subtype="pdf", filename=pdf_name)
    return message


def utf16_length(text: str) -> int:
    """Length of text in UTF-16 code units (a character outside the BMP, such as most emoji, counts 2)."""
    return len(text.encode("utf-16-le")) // 2


def line_texts(text: str, limit: int = LINE_TEXT_LIMIT) -> list[str]:
    """text split into LINE text messages of at most `limit` UTF-16 units, at line ends where possible."""
    parts: list[str] = []
    current = ""
    for line in text.rstrip("\n").split("\n"):
        candidate = f"{current}\n{line}" if current else line
        if utf16_length(candidate) <= limit:
            current = candidate
            continue
        if current:
            parts.append(current)
        current = ""
        for char in line:  # a line longer than a message: cut it by characters
            if utf16_length(current + char) > limit:
                parts.append(current)
                current = ""
            current += char
    if current or not parts:
        parts.append(current)
    return parts


def push_bodies(to: str, texts: list[str]) -> list[dict]:
    """The JSON bodies of the push requests sending texts to one user or group id, five messages to a body."""
    return [{"to": to, "messages": [{"type": "text", "text": t} for t in texts[i:i + LINE_MESSAGES_PER_PUSH]]}
            for i in range(0, len(texts), LINE_MESSAGES_PER_PUSH)]


def retry_key(issue_date: date, coop: str, recipient: str, checksum: str, part: int) -> str:
    """The X-Line-Retry-Key of one push: the same for the same text to the same recipient (a UUID)."""
    return str(uuid.uuid5(RETRY_KEY_NAMESPACE, f"{issue_date}|{coop}|{recipient}|{checksum}|{part}"))


def wait_seconds(delivery: DeliverySettings, attempt: int, retry_after_s: float | None = None) -> float:
    """Seconds to wait after failed attempt number `attempt` (1, 2, ...): the server's Retry-After, else the
    backoff doubled per attempt; never more than max_backoff_seconds."""
    wanted = retry_after_s if retry_after_s is not None else delivery.backoff_seconds * 2 ** (attempt - 1)
    return max(0.0, min(wanted, delivery.max_backoff_seconds))


def retry_after(value: str | None) -> float | None:
    """A Retry-After header (seconds, or an HTTP date) as seconds from now; None when absent or unreadable."""
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        return max(0.0, (parsedate_to_datetime(value) - datetime.now(UTC)).total_seconds())
    except (TypeError, ValueError):
        return None


def configured(delivery: DeliverySettings, channel: str) -> str | None:
    """Why a channel cannot send (None: it can)."""
    if channel == "email":
        missing = [name for name, value in (("smtp_host", delivery.smtp_host), ("email_sender", delivery.email_sender),
                                            ("email_recipients", delivery.email_recipients)) if not value]
    elif channel == "line":
        missing = [name for name, value in (("line_channel_token", delivery.line_channel_token),
                                            ("line_recipients", delivery.line_recipients)) if not value]
    else:
        raise ValueError(f"unknown delivery channel {channel!r}: use one of {', '.join(CHANNELS)}")
    return f"not configured (set delivery.{', delivery.'.join(missing)})" if missing else None


def recipients_by_coop(view: ReportView, recipients: dict[str, list[str]]) -> tuple[dict[str, list[str]], list[str]]:
    """Settings' recipients (keyed by cooperative name or folder name, any width or case) -> {folder name:
    recipients}, and the keys that name no cooperative of the day's report."""
    def folded(text: str) -> str:
        return unicodedata.normalize("NFKC", text).strip().lower()

    by_name = {folded(name): c.slug for c in view.coops for name in (c.name, c.slug)}
    found: dict[str, list[str]] = {}
    unknown = []
    for key, addresses in recipients.items():
        slug = by_name.get(folded(key))
        if slug is None:
            unknown.append(key)
        else:
            found[slug] = list(dict.fromkeys([*found.get(slug, []), *(a.strip() for a in addresses if a.strip())]))
    return found, unknown


# --- sending (I/O) -----------------------------------------------------------------------------------------------

def send_email(delivery: DeliverySettings, message: EmailMessage) -> None:
    """Send one e-mail through the configured SMTP server; DeliveryFailure (transient or not) when it fails."""
    host, port, timeout = delivery.smtp_host, delivery.smtp_port, delivery.timeout_seconds
    try:
        if delivery.smtp_security == "ssl":
            smtp: smtplib.SMTP = smtplib.SMTP_SSL(host, port, local_hostname=delivery.smtp_local_hostname,
                                                  timeout=timeout, context=ssl.create_default_context())
        else:
            smtp = smtplib.SMTP(host, port, local_hostname=delivery.smtp_local_hostname, timeout=timeout)
        with smtp:
            if delivery.smtp_security == "starttls":
                smtp.starttls(context=ssl.create_default_context())
            if delivery.smtp_username:
                password = delivery.smtp_password.get_secret_value() if delivery.smtp_password else ""
                smtp.login(delivery.smtp_username, password)
            smtp.send_message(message)
    except smtplib.SMTPAuthenticationError as error:
        raise DeliveryFailure(f"SMTP login refused ({error.smtp_code})", transient=False) from None
    except smtplib.SMTPRecipientsRefused as error:
        codes = [code for code, _ in error.recipients.values()]
        raise DeliveryFailure(f"SMTP refused the recipient ({', '.join(map(str, codes))})",
                              transient=all(400 <= code < 500 for code in codes)) from None
    except smtplib.SMTPResponseException as error:
        reply = error.smtp_error.decode("utf-8", "replace") if isinstance(error.smtp_error, bytes) else error.smtp_error
        raise DeliveryFailure(f"SMTP server answered {error.smtp_code}: {str(reply).strip()[:200]}",
                              transient=400 <= error.smtp_code < 500) from None
    except (smtplib.SMTPNotSupportedError, ssl.SSLCertVerificationError) as error:
        raise DeliveryFailure(f"SMTP server {host}:{port}: {error}", transient=False) from None
    except (smtplib.SMTPException, OSError) as error:  # refused, reset, timed out, disconnected
        raise DeliveryFailure(f"SMTP server {host}:{port}: {str(error) or type(error).__name__}", transient=True) from None


def push_line(delivery: DeliverySettings, body: dict, key: str) -> None:
    """POST one push request to the LINE Messaging API; DeliveryFailure (transient or not) when it fails.

    A 409 answers a retry key LINE has already accepted: the messages were delivered, so it counts as sent.
    """
    token = delivery.line_channel_token.get_secret_value() if delivery.line_channel_token else ""
    request = urllib.request.Request(
        delivery.line_api_base.rstrip("/") + LINE_PUSH_PATH, method="POST",
        data=json.dumps(body, ensure_ascii=False).encode("utf-8"),
        headers={"Content-Type": "application/json", "Authorization": f"Bearer {token}", "X-Line-Retry-Key": key})
    try:
        with urllib.request.urlopen(request, timeout=delivery.timeout_seconds) as response:
            response.read()
    except urllib.error.HTTPError as error:
        if error.code == 409:  # this retry key was accepted before
            return
        try:
            said = json.loads(error.read() or b"{}").get("message", "")
        except (ValueError, AttributeError, OSError):
            said = ""
        reason = f"LINE answered {error.code}" + (f": {str(said)[:200]}" if said else "")
        transient = error.code == 429 or error.code >= 500
        raise DeliveryFailure(reason, transient, retry_after(error.headers.get("Retry-After"))
                              if transient else None) from None
    except (urllib.error.URLError, http.client.HTTPException, OSError) as error:
        reason = getattr(error, "reason", None) or str(error) or type(error).__name__
        raise DeliveryFailure(f"LINE API {delivery.line_api_base}: {reason}", transient=True) from None


def without_secrets(text: str, delivery: DeliverySettings) -> str:
    """text with the channel token and SMTP password shown as *** (a server may echo what it was sent)."""
    for secret in (delivery.line_channel_token, delivery.smtp_password):
        if secret is not None and secret.get_secret_value():
            text = text.replace(secret.get_secret_value(), "***")
    return text


def with_retries(send: Callable[[], None], delivery: DeliverySettings, sleep: Sleep = time.sleep) -> tuple[int, str | None]:
    """Call send until it succeeds, fails for good, or retries run out: (attempts made, last error or None)."""
    attempt = 0
    while True:
        attempt += 1
        try:
            send()
            return attempt, None
        except DeliveryFailure as failure:
            if not failure.transient or attempt > delivery.retries:
                more = f" (after {attempt} attempts)" if attempt > 1 else ""
                return attempt, without_secrets(failure.reason, delivery) + more
            sleep(wait_seconds(delivery, attempt, failure.retry_after_s))


# --- one issue date ----------------------------------------------------------------------------------------------

def deliver_summaries(settings: Settings, issue_date: date, lang: str = "ja", channels: list[str] | None = None,
                      force: bool = False, resend_changed: bool = False, sleep: Sleep = time.sleep) -> list[Delivery]:
    """Send every cooperative's summary of issue_date on the configured channels (default all), recording each outcome
    in `deliveries`; returns them, one per cooperative, channel and recipient.

    What an earlier run sent is not sent again unless `force` (or `resend_changed` and its text has changed).
    Failed sends are returned and recorded, never raised; ReportError when nothing was forecast for the date.
    """
    labels_for(lang)
    chosen = list(CHANNELS if not channels else dict.fromkeys(channels))
    for channel in chosen:
        configured(settings.delivery, channel)  # an unknown channel fails before any work
    issue_date = issue_date.date() if isinstance(issue_date, datetime) else issue_date
    view = report_view(load_report_data(settings, issue_date), lang, ReportOptions.from_settings(settings))
    earlier = sent_before(settings, issue_date)
    done: list[Delivery] = []

    def record(delivery: Delivery) -> None:
        done.append(delivery)
        with connect(settings.warehouse_path) as con:
            upsert(con, "deliveries", pd.DataFrame([delivery.row()]).astype({"sent_at": "datetime64[us]"}))

    for channel in chosen:
        not_ready = configured(settings.delivery, channel)
        table = settings.delivery.email_recipients if channel == "email" else settings.delivery.line_recipients
        routes, unknown = recipients_by_coop(view, table) if not_ready is None else ({}, [])
        for key in unknown:
            for recipient in table[key]:
                record(Delivery(issue_date, key, key, channel, recipient, "failed", lang=lang,
                                error=f"no cooperative {key!r} in the report of {issue_date} (delivery settings)"))
        for coop in view.coops:
            base = Delivery(issue_date, coop.slug, coop.name, channel, "", "skipped", lang=lang)
            if not_ready is not None or not routes.get(coop.slug):
                record(replace(base, error=not_ready or "no recipients for this cooperative"))
                continue
            text = report_summary(view, [coop.slug])
            checksum = message_checksum(text)
            for recipient in routes[coop.slug]:
                before = earlier.get((coop.slug, channel, recipient))
                if before is not None and not force and (before.message_checksum == checksum or not resend_changed):
                    done.append(replace(before, coop_name=coop.name, this_run=False))
                    continue
                send = (_email_sender(settings, view, coop, recipient, text) if channel == "email"
                        else _line_sender(settings.delivery, issue_date, coop.slug, recipient, text, checksum, force))
                attempts, error = with_retries(send, settings.delivery, sleep)
                record(replace(base, recipient=recipient, state="failed" if error else "sent", attempts=attempts,
                               error=error, sent_at=None if error else _now(), message_checksum=checksum))
    return done


def _email_sender(settings: Settings, view: ReportView, coop: CoopView, recipient: str,
                  text: str) -> Callable[[], None]:
    pdf_path = settings.reports_dir / view.issue_date.isoformat() / coop.slug / file_name("pdf", view.lang)
    pdf = pdf_path.read_bytes() if settings.delivery.email_attach_pdf and pdf_path.is_file() else None
    message = email_message(settings.delivery.email_sender or "", recipient, email_subject(view, coop), text, pdf,
                            pdf_name=f"setnet-{view.issue_date.isoformat()}-{coop.slug}{Path(pdf_path).suffix}")
    return lambda: send_email(settings.delivery, message)


def _line_sender(delivery: DeliverySettings, issue_date: date, coop: str, recipient: str, text: str, checksum: str,
                 force: bool) -> Callable[[], None]:
    bodies = push_bodies(recipient, line_texts(text))
    keys = [str(uuid.uuid4()) if force else retry_key(issue_date, coop, recipient, checksum, part)
            for part in range(len(bodies))]  # one key per push, the same over its retries
    pushed: set[int] = set()

    def send() -> None:
        for part, (body, key) in enumerate(zip(bodies, keys, strict=True)):
            if part not in pushed:  # a retry sends only the pushes not yet accepted
                push_line(delivery, body, key)
                pushed.add(part)
    return send


def sent_before(settings: Settings, issue_date: date) -> dict[tuple[str, str, str], Delivery]:
    """The deliveries of issue_date already sent, by (cooperative folder name, channel, recipient)."""
    with connect(settings.warehouse_path) as con:
        rows = con.execute("SELECT coop, channel, recipient, attempts, sent_at, message_checksum, lang "
                           "FROM deliveries WHERE issue_date = ? AND state = 'sent'", [issue_date]).fetchall()
    return {(coop, channel, recipient): Delivery(issue_date, coop, coop, channel, recipient, "sent", attempts, None,
                                                 sent_at, checksum, lang or "ja", this_run=False)
            for coop, channel, recipient, attempts, sent_at, checksum, lang in rows}


def _now() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)
