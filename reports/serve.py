"""Serve the reports folder over HTTP on this machine only (127.0.0.1), for a browser on the same computer.

Binding is refused for any address that is not loopback: the reports are not meant for the network, and a
cooperative that wants them on phones should publish the files (they are self-contained) instead.
"""

from __future__ import annotations

import ipaddress
import logging
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import ClassVar

log = logging.getLogger(__name__)

LOOPBACK = "127.0.0.1"


class ReportRequestHandler(SimpleHTTPRequestHandler):
    """Static files with the right types for the report's formats, no caching, quiet logs."""

    extensions_map: ClassVar[dict[str, str]] = {**SimpleHTTPRequestHandler.extensions_map, ".html": "text/html; charset=utf-8",
                      ".txt": "text/plain; charset=utf-8", ".json": "application/json", ".pdf": "application/pdf"}

    def end_headers(self) -> None:
        self.send_header("Cache-Control", "no-store")
        self.send_header("X-Content-Type-Options", "nosniff")
        super().end_headers()

    def log_message(self, format: str, *args) -> None:
        log.info("%s %s", self.address_string(), format % args)


def is_loopback(host: str) -> bool:
    """Whether host is a loopback address (127.0.0.0/8, ::1) or 'localhost'."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def make_server(directory: Path, port: int = 8000, host: str = LOOPBACK) -> ThreadingHTTPServer:
    """An HTTP server for `directory` bound to a loopback address (port 0: any free port); ValueError otherwise."""
    if not is_loopback(host):
        raise ValueError(f"refusing to serve reports on {host!r}: only loopback addresses (127.0.0.1) are allowed")
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    handler = partial(ReportRequestHandler, directory=str(directory))
    return ThreadingHTTPServer((host, port), handler)


def serve(directory: Path, port: int = 8000) -> None:
    """Serve `directory` on http://127.0.0.1:<port>/ until interrupted."""
    server = make_server(directory, port)
    try:
        server.serve_forever()
    finally:
        server.server_close()
