"""Shared by the browser tests and `make screenshots`: start the real assistant
(`assistant run`: action server, Rasa server, web chat server) on free ports, and launch
Debian's Chromium headless through Playwright with a fresh profile.

No mocks: the page, the widget, socket.io, Rasa, the actions and the knowledge base are the
real ones. Only https://www.dr.dk/ (the quick exit's default target) and a neutral start page
are answered inside the browser, because this machine has no internet access.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import sqlite3
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = Path(os.environ.get("CHROMIUM", "/usr/bin/chromium"))
CHROMIUM_FLAGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]
STRINGS = json.loads((ROOT / "web" / "src" / "strings.da.json").read_text(encoding="utf-8"))
EXIT_URL = "https://www.dr.dk/"
START_URL = "https://start.example/"
STARTUP_TIMEOUT = float(os.environ.get("WEB_TEST_STARTUP_TIMEOUT", "420"))


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def http_ok(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=2) as response:  # noqa: S310 (localhost)
            return response.status == 200
    except OSError:
        return False


class LoggedServer:
    """What the harnesses' server processes share: stopping one (SIGTERM, then SIGKILL to
    its process group) until `ready_url` no longer answers, and reading its log."""

    process: subprocess.Popen | None
    stop_whole_group = False  # True: SIGTERM to the process group, not just the process

    @property
    def log_path(self) -> Path:
        raise NotImplementedError

    @property
    def ready_url(self) -> str:
        raise NotImplementedError

    def stop(self) -> None:
        proc = self.process
        if proc is None or proc.poll() is not None:
            return
        if self.stop_whole_group:
            os.killpg(proc.pid, signal.SIGTERM)
        else:
            proc.send_signal(signal.SIGTERM)  # e.g. the launcher stops its three servers
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=10)
        # Wait until the port is really closed.
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline and http_ok(self.ready_url):
            time.sleep(0.2)

    def log_text(self) -> str:
        try:
            return self.log_path.read_text(encoding="utf-8", errors="replace")
        except OSError:
            return ""

    def log_tail(self, lines: int = 60) -> str:
        return "\n".join(self.log_text().splitlines()[-lines:])


@dataclass
class Assistant(LoggedServer):
    """`assistant run` on its own ports and its own (temporary) conversation store."""

    workdir: Path
    web_port: int = field(default_factory=free_port)
    rasa_port: int = field(default_factory=free_port)
    action_port: int = field(default_factory=free_port)
    # A municipality's own site embedding the widget (test_web_chat.municipal_site): a third
    # origin, which the socket.io handshake accepts only because CORS_ORIGINS names it.
    site_port: int = field(default_factory=free_port)
    process: subprocess.Popen | None = None
    starts: int = 0

    @property
    def web_url(self) -> str:
        return f"http://localhost:{self.web_port}/"

    @property
    def rasa_url(self) -> str:
        return f"http://127.0.0.1:{self.rasa_port}"

    @property
    def site_origin(self) -> str:
        return f"http://127.0.0.1:{self.site_port}"

    @property
    def allowed_origins(self) -> list[str]:
        """CORS_ORIGINS: the web chat server's own origins (the demo page, reached as
        localhost and as 127.0.0.1, is another origin than the Rasa port) and the
        embedding site's."""
        return [f"http://localhost:{self.web_port}", f"http://127.0.0.1:{self.web_port}",
                self.site_origin]

    @property
    def tracker_db(self) -> Path:
        return self.workdir / "tracker.db"

    @property
    def log_path(self) -> Path:
        return self.workdir / "assistant.log"

    @property
    def ready_url(self) -> str:
        return f"{self.rasa_url}/"

    def env(self) -> dict[str, str]:
        env = dict(os.environ)
        for key in ("CORS_ORIGINS", "RASA_PUBLIC_URL", "WEB_HOST", "RASA_HOST", "ACTION_HOST"):
            env.pop(key, None)
        env.update({
            "WEB_PORT": str(self.web_port),
            "RASA_PORT": str(self.rasa_port),
            "ACTION_PORT": str(self.action_port),
            "TRACKER_STORE_URL": f"sqlite:///{self.tracker_db}",
            "RASA_TELEMETRY_ENABLED": "false",
            "CORS_ORIGINS": ",".join(self.allowed_origins),
        })
        return env

    def start(self) -> None:
        self.starts += 1
        self.workdir.mkdir(parents=True, exist_ok=True)
        log = self.log_path.open("a", encoding="utf-8")
        log.write(f"\n===== start {self.starts} =====\n")
        log.flush()
        self.process = subprocess.Popen(
            [sys.executable, "-m", "assistant.cli", "run"], cwd=ROOT, env=self.env(),
            stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
        )
        log.close()
        deadline = time.monotonic() + STARTUP_TIMEOUT
        urls = [f"http://127.0.0.1:{self.web_port}/health", f"{self.rasa_url}/",
                f"http://127.0.0.1:{self.action_port}/health"]
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"assistant run exited ({self.process.returncode}):\n"
                                   + self.log_tail())
            # Only this start's part of the log: after a restart the previous start's
            # line is still there, and the launcher's warm-up must have finished.
            if all(http_ok(u) for u in urls) and "The assistant is running." in \
                    self.log_text().rsplit(f"===== start {self.starts} =====", 1)[-1]:
                self.warm_up()
                return
            time.sleep(0.5)
        self.stop()
        raise RuntimeError(f"assistant run did not become healthy in {STARTUP_TIMEOUT:.0f} s:\n"
                           + self.log_tail())

    def warm_up(self) -> None:
        """One throw-away conversation over REST, so the first test does not meet the
        action server's cold start (its first call loads the knowledge base)."""
        sender = "warmup" + os.urandom(6).hex()
        for _ in range(3):
            replies = [self.rest(sender, text) for text in (
                "jeg har gæld", "/dont_know", '/inform_municipality{"municipality":"Randers"}')]
            if not any("der skete en fejl" in r for r in replies):
                break
        self.rest(sender, "/delete_conversation")

    def rest(self, sender: str, text: str) -> str:
        body = json.dumps({"sender": sender, "message": text}).encode("utf-8")
        request = urllib.request.Request(f"{self.rasa_url}/webhooks/rest/webhook", data=body,
                                         headers={"Content-Type": "application/json"})
        try:
            with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310
                return " ".join(m.get("text") or "" for m in json.load(response))
        except (OSError, ValueError):
            return ""

    def stored_events(self, sender_id: str) -> int:
        """Events the tracker store holds for one conversation (0 when none or no table)."""
        if not self.tracker_db.exists():
            return 0
        with sqlite3.connect(self.tracker_db) as db:
            try:
                row = db.execute("SELECT count(*) FROM events WHERE sender_id = ?",
                                 (sender_id,)).fetchone()
            except sqlite3.OperationalError:
                return 0
        return int(row[0])


    def wait_until_deleted(self, sender_id: str, seconds: float = 15) -> int:
        """Wait for a deletion to reach the tracker store; the events still stored."""
        deadline = time.monotonic() + seconds
        while self.stored_events(sender_id) and time.monotonic() < deadline:
            time.sleep(0.3)
        return self.stored_events(sender_id)


@contextmanager
def running_assistant(workdir: Path) -> Iterator[Assistant]:
    assistant = Assistant(workdir)
    assistant.start()
    try:
        yield assistant
    finally:
        assistant.stop()


@contextmanager
def chromium(user_data_dir: Path, **context_options: Any) -> Iterator[Any]:
    """A Playwright browser context on Debian's Chromium with a fresh profile directory."""
    from playwright.sync_api import sync_playwright

    if not CHROMIUM.exists():
        raise RuntimeError(f"{CHROMIUM} is missing: run 'make browser' (apt-get install chromium)")
    options: dict[str, Any] = {"viewport": {"width": 1280, "height": 800}, "locale": "da-DK"}
    options.update(context_options)
    with sync_playwright() as p:
        context = p.chromium.launch_persistent_context(
            str(user_data_dir), executable_path=str(CHROMIUM), headless=True,
            args=CHROMIUM_FLAGS, **options,
        )
        # No internet here: answer the exit target and a neutral start page in the browser.
        context.route(EXIT_URL + "**", lambda route: route.fulfill(
            status=200, content_type="text/html",
            body="<!DOCTYPE html><html lang=da><title>DR</title><h1>DR forside</h1></html>"))
        context.route(START_URL + "**", lambda route: route.fulfill(
            status=200, content_type="text/html",
            body="<!DOCTYPE html><html lang=da><title>Start</title><h1>Start</h1></html>"))
        try:
            yield context
        finally:
            context.close()


class SocketFrames:
    """socket.io frames a page sent and received (Engine.IO v4 / Socket.IO v5 text frames)."""

    def __init__(self, page: Any) -> None:
        self.sent: list[Any] = []
        self.received: list[Any] = []
        self.urls: list[str] = []
        page.on("websocket", self._attach)

    def _attach(self, ws: Any) -> None:
        self.urls.append(ws.url)
        ws.on("framesent", lambda payload: self._add(self.sent, payload))
        ws.on("framereceived", lambda payload: self._add(self.received, payload))

    @staticmethod
    def _add(into: list[Any], payload: Any) -> None:
        if isinstance(payload, bytes):
            payload = payload.decode("utf-8", "replace")
        if payload.startswith("42"):
            into.append(json.loads(payload[2:]))
        elif payload.startswith("40"):
            into.append(["__connect__", json.loads(payload[2:] or "{}")])

    def events(self, name: str, sent: bool = True) -> list[Any]:
        frames = self.sent if sent else self.received
        return [f[1] if len(f) > 1 else None for f in frames if f and f[0] == name]

    def messages(self) -> list[str]:
        return [data.get("message") for data in self.events("user_uttered")]

    def conversation_ids(self) -> list[str]:
        """Possible sender ids: socket.io sids (session_persistence false) and session ids."""
        sids = [d.get("sid") for d in self.events("__connect__", sent=False) if d]
        sessions = [d.get("session_id") for d in self.events("session_request") if d]
        return [s for s in sids + sessions if s]


def external(workdir: Path) -> Assistant | None:
    """An assistant started by `python tests/web/web_harness.py serve DIR` (for development:
    WEB_TEST_EXTERNAL=DIR pytest -m web reuses it instead of starting one per session)."""
    info = workdir / "ports.json"
    if not info.exists():
        return None
    ports = json.loads(info.read_text())
    return Assistant(workdir, **ports)


def _interrupt(signum: int, _frame: object) -> None:
    raise KeyboardInterrupt


def serve(target: Path) -> None:
    """Keep an assistant running for WEB_TEST_EXTERNAL until Ctrl-C or SIGTERM."""
    signal.signal(signal.SIGTERM, _interrupt)
    target.mkdir(parents=True, exist_ok=True)
    with running_assistant(target) as served:
        (target / "ports.json").write_text(json.dumps({
            "web_port": served.web_port, "rasa_port": served.rasa_port,
            "action_port": served.action_port, "site_port": served.site_port}))
        print(f"Serving {served.web_url} (Rasa {served.rasa_url}); Ctrl-C stops.", flush=True)
        try:
            while served.process and served.process.poll() is None:
                time.sleep(1)
        except KeyboardInterrupt:
            pass
        finally:
            (target / "ports.json").unlink(missing_ok=True)


if __name__ == "__main__" and len(sys.argv) == 3 and sys.argv[1] == "serve":
    serve(Path(sys.argv[2]).resolve())
