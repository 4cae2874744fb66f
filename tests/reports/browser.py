"""A headless Chromium driven over the Chrome DevTools Protocol: open a page, look at it as a person would.

Uses Debian's /usr/bin/chromium (installed by `make browser`) and the `websockets` package; no browser is
downloaded. Chromium listens on 127.0.0.1 only, on a port it picks itself, with a fresh profile; `close()` stops
it by its process id.
"""

from __future__ import annotations

import base64
import contextlib
import itertools
import json
import os
import shutil
import signal
import subprocess
import tempfile
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import Self

from websockets.sync.client import ClientConnection, connect

CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                  "--disable-background-networking", "--disable-component-update", "--disable-sync",
                  "--disable-extensions", "--disable-default-apps", "--mute-audio", "--hide-scrollbars",
                  "--remote-debugging-address=127.0.0.1", "--remote-debugging-port=0"]


def chromium_path() -> str | None:
    """The Chromium executable, if installed."""
    return shutil.which("chromium") or shutil.which("chromium-browser")


@dataclass
class PageCheck:
    """What a person would notice on a page at one width."""

    width: int
    console_errors: list[str] = field(default_factory=list)
    broken_images: list[str] = field(default_factory=list)
    image_count: int = 0
    scroll_width: int = 0
    inner_width: int = 0
    text: str = ""
    screenshot: Path | None = None


class Chromium:
    """One headless Chromium and one page tab, controlled over CDP."""

    def __init__(self, executable: str | None = None, timeout_s: float = 120.0, starts: int = 2):
        self.timeout_s = timeout_s
        executable = executable or chromium_path()
        if executable is None:
            raise FileNotFoundError("chromium not installed: run `make browser`")
        for start in range(starts):  # a start that never opens its port is stopped and tried once more, fresh
            self.profile = Path(tempfile.mkdtemp(prefix="setnet-chromium-"))
            self.process = subprocess.Popen(
                [executable, *CHROMIUM_FLAGS, f"--user-data-dir={self.profile}", "about:blank"],
                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
            try:
                self.port = self._wait_for_port()
                break
            except (TimeoutError, RuntimeError):
                self._stop()
                if start == starts - 1:
                    raise
        self.socket = self._connect_page()
        self._ids = itertools.count(1)
        self.events: list[dict] = []

    def _wait_for_port(self) -> int:
        """The DevTools port Chromium chose (written to DevToolsActivePort in the profile)."""
        marker = self.profile / "DevToolsActivePort"
        deadline = time.monotonic() + self.timeout_s
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"chromium exited with status {self.process.returncode}")
            if marker.exists():
                lines = marker.read_text().split()
                if lines:
                    return int(lines[0])
            time.sleep(0.05)
        raise TimeoutError("chromium did not open its DevTools port")

    def _connect_page(self) -> ClientConnection:
        deadline = time.monotonic() + self.timeout_s
        while time.monotonic() < deadline:
            with urllib.request.urlopen(f"http://127.0.0.1:{self.port}/json/list", timeout=5) as response:
                pages = [t for t in json.load(response) if t.get("type") == "page"]
            if pages:
                return connect(pages[0]["webSocketDebuggerUrl"], max_size=None, open_timeout=self.timeout_s)
            time.sleep(0.05)
        raise TimeoutError("chromium opened no page")

    def send(self, method: str, **params) -> dict:
        """Call a CDP method and return its result; events arriving meanwhile are kept in self.events."""
        message_id = next(self._ids)
        self.socket.send(json.dumps({"id": message_id, "method": method, "params": params}))
        deadline = time.monotonic() + self.timeout_s
        while time.monotonic() < deadline:
            message = json.loads(self.socket.recv(timeout=max(0.1, deadline - time.monotonic())))
            if message.get("id") == message_id:
                if "error" in message:
                    raise RuntimeError(f"{method}: {message['error']}")
                return message.get("result", {})
            self.events.append(message)
        raise TimeoutError(f"{method}: no answer")

    def wait_for(self, event: str) -> dict:
        """Wait for a CDP event (or take it if it already came)."""
        for index, message in enumerate(self.events):
            if message.get("method") == event:
                return self.events.pop(index)
        deadline = time.monotonic() + self.timeout_s
        while time.monotonic() < deadline:
            message = json.loads(self.socket.recv(timeout=max(0.1, deadline - time.monotonic())))
            if message.get("method") == event:
                return message
            self.events.append(message)
        raise TimeoutError(f"no {event}")

    def evaluate(self, expression: str):
        result = self.send("Runtime.evaluate", expression=expression, returnByValue=True, awaitPromise=True)
        return result["result"].get("value")

    def check(self, url: str, width: int, height: int, mobile: bool, screenshot: Path | None) -> PageCheck:
        """Open url at a viewport width and record console errors, broken images, overflow and a screenshot."""
        self.events.clear()
        for domain in ("Page", "Runtime", "Log"):
            self.send(f"{domain}.enable")
        self.send("Emulation.setDeviceMetricsOverride", width=width, height=height,
                  deviceScaleFactor=2 if mobile else 1, mobile=mobile)
        self.send("Page.navigate", url=url)
        self.wait_for("Page.loadEventFired")
        self.evaluate("Promise.all([...document.images].map(i => i.decode().catch(() => null)))")
        result = PageCheck(width=width)
        for message in self.events:
            method, params = message.get("method"), message.get("params", {})
            if method == "Runtime.consoleAPICalled" and params.get("type") in ("error", "assert"):
                result.console_errors.append(" ".join(str(a.get("value", a.get("description"))) for a in params["args"]))
            elif method == "Runtime.exceptionThrown":
                result.console_errors.append(params["exceptionDetails"].get("text", "exception"))
            elif method == "Log.entryAdded" and params["entry"].get("level") == "error":
                result.console_errors.append(params["entry"].get("text", ""))
        images = self.evaluate("[...document.images].map(i => [i.alt, i.complete, i.naturalWidth])")
        result.image_count = len(images)
        result.broken_images = [alt for alt, complete, natural_width in images if not complete or natural_width <= 0]
        result.scroll_width = self.evaluate("document.documentElement.scrollWidth")
        result.inner_width = self.evaluate("window.innerWidth")
        result.text = self.evaluate("document.body.innerText")
        if screenshot is not None:
            content = self.send("Page.getLayoutMetrics")["cssContentSize"]
            shot = self.send("Page.captureScreenshot", format="png", captureBeyondViewport=True,
                             clip={"x": 0, "y": 0, "width": width, "height": content["height"], "scale": 1})
            screenshot.parent.mkdir(parents=True, exist_ok=True)
            screenshot.write_bytes(base64.b64decode(shot["data"]))
            result.screenshot = screenshot
        return result

    def platform_fonts(self, selector: str) -> list[str]:
        """The installed fonts Chromium drew the text of the first element matching selector with (no tofu check)."""
        self.send("DOM.enable")
        self.send("CSS.enable")
        root = self.send("DOM.getDocument", depth=-1)["root"]["nodeId"]
        node = self.send("DOM.querySelector", nodeId=root, selector=selector)["nodeId"]
        if not node:
            return []
        return [font["familyName"] for font in self.send("CSS.getPlatformFontsForNode", nodeId=node)["fonts"]]

    def close(self) -> None:
        """Stop Chromium (its process group, by id) and remove its profile."""
        with contextlib.suppress(Exception):  # closing a dead socket is fine
            self.socket.close()
        self._stop()

    def _stop(self) -> None:
        """Stop the Chromium process group (by id) and remove its profile."""
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(timeout=10)
        shutil.rmtree(self.profile, ignore_errors=True)

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc) -> None:
        self.close()
