"""Helpers for the robustness tests (`pytest -m robust`): a REST client that returns status
and body as they came, a Rasa server started on its own (the launcher's own command) whose
action server address points at a fault proxy, and the fault proxy itself.

Everything runs on 127.0.0.1 and free ports, with temporary databases.
"""

from __future__ import annotations

import asyncio
import http.client
import json
import os
import re
import socket
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "tests" / "web"))

from web_harness import LoggedServer, free_port, http_ok  # noqa: E402

STARTUP_TIMEOUT = float(os.environ.get("ROBUST_STARTUP_TIMEOUT", "420"))
SAFE_REPLY_SECONDS = 3.0

# Words nearly every Danish sentence of the assistant has at least one of.
DANISH_WORDS = re.compile(
    r"\b(og|du|er|jeg|kan|det|på|at|til|en|et|ikke|der|med|om|så|hjælp|ring|din|dig|"
    r"skriv|prøv|hvad|hvilken|tak|beskeden)\b", re.IGNORECASE)


def is_danish(text: str) -> bool:
    return bool(text.strip()) and DANISH_WORDS.search(text) is not None


@dataclass
class Reply:
    status: int
    body: bytes
    seconds: float
    content_type: str = ""

    def json(self) -> Any:
        return json.loads(self.body.decode("utf-8"))

    @property
    def texts(self) -> list[str]:
        try:
            data = self.json()
        except ValueError:
            return []
        if not isinstance(data, list):
            return []
        return [m.get("text") or "" for m in data if isinstance(m, dict)]

    @property
    def text(self) -> str:
        return "\n".join(self.texts)


def post_raw(port: int, body: bytes, path: str = "/webhooks/rest/webhook",
             headers: dict[str, str] | None = None, timeout: float = 60,
             method: str = "POST", host: str = "127.0.0.1") -> Reply:
    """One request with exactly these bytes as the body (no client-side JSON handling)."""
    connection = http.client.HTTPConnection(host, port, timeout=timeout)
    sent = {"Content-Type": "application/json"}
    sent.update(headers or {})
    start = time.monotonic()
    try:
        connection.request(method, path, body=body, headers=sent)
        response = connection.getresponse()
        data = response.read()
        return Reply(response.status, data, time.monotonic() - start,
                     response.getheader("Content-Type") or "")
    finally:
        connection.close()


def say(port: int, sender: str, message: str, **kwargs: Any) -> Reply:
    body = json.dumps({"sender": sender, "message": message}).encode("utf-8")
    return post_raw(port, body, **kwargs)


class FaultProxy:
    """A local TCP port standing in for the action server.

    mode "forward": pass the connection on to `target_port` (the real action server);
    "down": nothing listens (connection refused); "blackhole": accept the connection and the
    request, never answer. The mode applies to the next connection (Rasa opens a new one
    for every action call).
    """

    def __init__(self, target_port: int | None = None) -> None:
        self.port = free_port()
        self.target_port = target_port
        self.mode = "down"
        self.connections = 0
        self._loop = asyncio.new_event_loop()
        self._server: asyncio.AbstractServer | None = None
        self._held: list[asyncio.StreamWriter] = []
        self._thread = threading.Thread(target=self._loop.run_forever, daemon=True)
        self._thread.start()

    def set_mode(self, mode: str) -> None:
        assert mode in ("forward", "down", "blackhole")
        asyncio.run_coroutine_threadsafe(self._set_mode(mode), self._loop).result(10)

    async def _set_mode(self, mode: str) -> None:
        self.mode = mode
        if mode == "down":
            if self._server is not None:
                self._server.close()
                await self._server.wait_closed()
                self._server = None
        elif self._server is None:
            self._server = await asyncio.start_server(self._handle, "127.0.0.1", self.port,
                                                      reuse_address=True)

    async def _handle(self, reader: asyncio.StreamReader,
                      writer: asyncio.StreamWriter) -> None:
        self.connections += 1
        if self.mode == "blackhole" or self.target_port is None:
            self._held.append(writer)  # read what comes, answer nothing, never close
            try:
                while await reader.read(65536):
                    pass
            except (ConnectionError, asyncio.CancelledError):
                pass
            return
        try:
            up_reader, up_writer = await asyncio.open_connection("127.0.0.1", self.target_port)
        except OSError:
            writer.close()
            return

        async def pipe(src: asyncio.StreamReader, dst: asyncio.StreamWriter) -> None:
            try:
                while data := await src.read(65536):
                    dst.write(data)
                    await dst.drain()
            except (ConnectionError, asyncio.CancelledError):
                pass
            finally:
                dst.close()

        await asyncio.gather(pipe(reader, up_writer), pipe(up_reader, writer))

    def close(self) -> None:
        self.set_mode("down")
        for writer in self._held:
            writer.close()
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(timeout=5)


@dataclass
class RasaServer(LoggedServer):
    """Only the Rasa server, started with the launcher's own command line
    (`assistant.launcher.rasa_server_command`), its own SQLite tracker store, and
    ACTION_SERVER_URL pointing wherever the test says (e.g. a FaultProxy)."""

    workdir: Path
    action_url: str
    extra_env: dict[str, str] = field(default_factory=dict)
    port: int = field(default_factory=free_port)
    process: subprocess.Popen | None = None
    starts: int = 0

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def tracker_db(self) -> Path:
        return self.workdir / "tracker.db"

    @property
    def log_path(self) -> Path:
        return self.workdir / "rasa.log"

    @property
    def ready_url(self) -> str:
        return f"{self.url}/"

    stop_whole_group = True

    def settings(self):  # type: ignore[no-untyped-def]
        from assistant.config import load_settings

        env = {k: v for k, v in os.environ.items()
               if k not in ("RASA_API_TOKEN", "RASA_JWT_SECRET", "CORS_ORIGINS")}
        env.update({"RASA_PORT": str(self.port), "RASA_HOST": "127.0.0.1",
                    "TRACKER_STORE_URL": f"sqlite:///{self.tracker_db}"})
        env.update(self.extra_env)
        return load_settings(env=env, root=ROOT)

    def launch(self) -> None:
        """Start the process; `wait_ready` waits for it."""
        from assistant.launcher import latest_model, rasa_server_command, service_env

        self.starts += 1
        self.workdir.mkdir(parents=True, exist_ok=True)
        settings = self.settings()
        model = latest_model(ROOT / "models")
        assert model is not None, "no trained model: run 'make train'"
        env = service_env(settings)
        env["ACTION_SERVER_URL"] = self.action_url
        env.update(self.extra_env)
        with self.log_path.open("a", encoding="utf-8") as log:
            log.write(f"\n===== start {self.starts} =====\n")
            log.flush()
            self.process = subprocess.Popen(
                rasa_server_command(settings, model), cwd=ROOT, env=env, stdout=log,
                stderr=subprocess.STDOUT, start_new_session=True)

    def wait_ready(self) -> None:
        deadline = time.monotonic() + STARTUP_TIMEOUT
        assert self.process is not None
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"rasa run exited ({self.process.returncode}):\n"
                                   + self.log_tail())
            if http_ok(f"{self.url}/"):
                return
            time.sleep(0.5)
        self.stop()
        raise RuntimeError("rasa run did not start:\n" + self.log_tail())

    def start(self) -> None:
        self.launch()
        self.wait_ready()

def port_is_closed(port: int) -> bool:
    with socket.socket() as s:
        s.settimeout(1)
        return s.connect_ex(("127.0.0.1", port)) != 0
