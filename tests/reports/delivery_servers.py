"""Local servers the delivery tests send to, on 127.0.0.1 only, started and stopped by the tests: a real SMTP server
(aiosmtpd) that keeps what it receives, and an HTTP stub of the LINE Messaging API push endpoint that answers from a
script and keeps every request."""

from __future__ import annotations

import json
import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.message import EmailMessage
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from aiosmtpd.controller import Controller

LOOPBACK = "127.0.0.1"


def free_port() -> int:
    """A port on 127.0.0.1 no one listens on now (aiosmtpd needs a port number before it starts)."""
    with socket.socket() as probe:
        probe.bind((LOOPBACK, 0))
        return probe.getsockname()[1]


@dataclass
class Mailbox:
    """What the SMTP server received; `replies`: the DATA answers to give first (then '250 OK')."""

    replies: list[str] = field(default_factory=list)
    messages: list[EmailMessage] = field(default_factory=list)
    envelopes: list[tuple[str, list[str]]] = field(default_factory=list)
    tries: int = 0

    async def handle_DATA(self, server, session, envelope) -> str:  # aiosmtpd's hook name
        self.tries += 1
        if self.replies:
            return self.replies.pop(0)
        self.messages.append(message_from_bytes(envelope.original_content, policy=policy.default))
        self.envelopes.append((envelope.mail_from, list(envelope.rcpt_tos)))
        return "250 OK"


@contextmanager
def smtp_server(replies: list[str] | None = None) -> Iterator[tuple[Mailbox, int]]:
    """A real SMTP server (aiosmtpd) on 127.0.0.1: (its mailbox, its port); stopped at the end."""
    mailbox = Mailbox(replies=list(replies or []))
    controller = Controller(mailbox, hostname=LOOPBACK, port=free_port(), server_hostname="localhost")
    controller.start()
    try:
        yield mailbox, controller.port
    finally:
        controller.stop()


@dataclass
class Push:
    """One request the LINE stub received."""

    path: str
    headers: dict[str, str]
    body: dict


@dataclass
class LineStub:
    """The LINE push endpoint's stand-in: answers `script` in order ((status, headers, JSON body)), then 200 {}."""

    script: list[tuple[int, dict[str, str], dict]] = field(default_factory=list)
    requests: list[Push] = field(default_factory=list)
    accepted: list[Push] = field(default_factory=list)  # the pushes answered 200: messages delivered
    base_url: str = ""


@contextmanager
def line_stub(script: list[tuple[int, dict[str, str], dict]] | None = None) -> Iterator[LineStub]:
    """An HTTP server on 127.0.0.1 in a thread, answering like the push endpoint; shut down at the end."""
    stub = LineStub(script=list(script or []))
    guard = threading.Lock()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # http.server's hook name
            body = json.loads(self.rfile.read(int(self.headers.get("Content-Length", 0))) or b"{}")
            push = Push(self.path, {k.lower(): v for k, v in self.headers.items()}, body)
            with guard:
                stub.requests.append(push)
                status, headers, answer = stub.script.pop(0) if stub.script else (200, {}, {})
                if status == 200:
                    stub.accepted.append(push)
            data = json.dumps(answer).encode()
            self.send_response(status)
            for name, value in {"Content-Type": "application/json", **headers}.items():
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, *args: object) -> None:  # keep the test output quiet
            pass

    server = ThreadingHTTPServer((LOOPBACK, 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    stub.base_url = f"http://{LOOPBACK}:{server.server_address[1]}"
    try:
        yield stub
    finally:
        server.shutdown()
        server.server_close()
        thread.join()
