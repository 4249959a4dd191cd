"""Start the action server, the Rasa server and the web chat server together; Ctrl-C stops
all of them."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Sequence
from pathlib import Path

from assistant.config import Settings


def service_env(settings: Settings) -> dict[str, str]:
    """Environment for every process we start: telemetry off, quiet TensorFlow."""
    env = dict(os.environ)
    env.update({
        "RASA_TELEMETRY_ENABLED": "false",
        "TF_CPP_MIN_LOG_LEVEL": "2",
        "SQLALCHEMY_SILENCE_UBER_WARNING": "1",
        "SANIC_HOST": settings.action_host,
        # Sanic's own error pages (404, 405, …) as JSON, never HTML with a stack trace.
        "SANIC_FALLBACK_ERROR_FORMAT": "json",
        # No access log (client addresses, user agents), whatever LOG_LEVEL_LIBRARIES says.
        "SANIC_ACCESS_LOG": "false",
        "ACTION_SERVER_URL": settings.action_url,
        "DATABASE_URL": settings.database_url,
        "TRACKER_STORE_URL": settings.tracker_store_url,
        "PYTHONPATH": os.pathsep.join(filter(None, [str(settings.root),
                                                    env.get("PYTHONPATH", "")])),
    })
    return env


def action_server_command(settings: Settings) -> list[str]:
    return [sys.executable, "-m", "assistant.action_server"]


def latest_model(models_dir: Path) -> Path | None:
    models = sorted(models_dir.glob("*.tar.gz"), key=lambda p: p.stat().st_mtime)
    return models[-1] if models else None


def choose_model(settings: Settings) -> Path | None:
    """RASA_MODEL when set (relative to the project root; None if it does not exist),
    else the newest model in models/."""
    if settings.rasa_model:
        model = Path(settings.rasa_model)
        if not model.is_absolute():
            model = settings.root / model
        return model if model.is_file() else None
    return latest_model(settings.root / "models")


def rasa_server_command(settings: Settings, model: Path) -> list[str]:
    # Rasa's own CLI, started through this module so the speed-ups are installed first
    # (assistant.runtime.speed_up_rasa; see rasa_main below).
    command = [
        sys.executable, "-m", "assistant.launcher", "rasa", "run",
        "--model", str(model),
        "--interface", settings.rasa_host, "--port", str(settings.rasa_port),
        "--endpoints", settings.endpoints_file, "--credentials", "credentials.yml",
    ]
    for origin in settings.cors_origins:
        command += ["--cors", origin]
    # Closed by default: Rasa's HTTP API only when a token or a JWT secret is configured,
    # and then only with it (RASA_API_TOKEN / RASA_JWT_SECRET; docs/deploy.md).
    if settings.rasa_api_enabled:
        command.append("--enable-api")
        if settings.rasa_api_token:
            command += ["--auth-token", settings.rasa_api_token]
        if settings.rasa_jwt_secret:
            command += ["--jwt-secret", settings.rasa_jwt_secret,
                        "--jwt-method", settings.rasa_jwt_method]
    return command


def web_server_command(settings: Settings) -> list[str]:
    """The web chat: demo page and widget assets (assistant/web/server.py)."""
    return [sys.executable, "-m", "assistant.web.server",
            "--host", settings.web_host, "--port", str(settings.web_port),
            "--rasa-url", settings.browser_rasa_url]


def wait_for(url: str, timeout: float, processes: Sequence[subprocess.Popen]) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if any(p.poll() is not None for p in processes):
            return False
        try:
            with urllib.request.urlopen(url, timeout=2) as response:  # noqa: S310 (localhost)
                if response.status == 200:
                    return True
        except OSError:
            pass
        time.sleep(0.5)
    return False


def check_databases(settings: Settings) -> str | None:
    """None when both databases answer and the knowledge base is loaded, else the problem."""
    from sqlalchemy import text
    from sqlalchemy.exc import SQLAlchemyError

    from assistant.kb.db import make_engine
    from assistant.kb.loader import is_loaded

    for name, url in (("DATABASE_URL", settings.database_url),
                      ("TRACKER_STORE_URL", settings.tracker_store_url)):
        engine = make_engine(url)
        safe_url = engine.url.render_as_string(hide_password=True)
        try:
            with engine.connect() as connection:
                connection.execute(text("SELECT 1"))
            if name == "DATABASE_URL" and not is_loaded(engine):
                return f"{name} ({safe_url}): the knowledge base is empty; run 'make setup'."
        except SQLAlchemyError as err:
            return f"{name} ({safe_url}) is unreachable: {err.__class__.__name__}"
        finally:
            engine.dispose()
    return None


def warm_up(settings: Settings) -> None:
    """One throw-away message so the first person does not wait for model warm-up; the
    conversation is deleted again straight away."""
    import json
    import secrets

    from assistant.privacy.store import PrivacyTrackerStore

    sender = f"warmup-{secrets.token_hex(8)}"
    try:
        # A topic question and an answer to the form run the NLU and every kind of action.
        for message in ("hej", "/ask_housing", "/dont_know"):
            body = json.dumps({"sender": sender, "message": message}).encode()
            request = urllib.request.Request(
                f"{settings.rasa_url}/webhooks/rest/webhook", data=body,
                headers={"Content-Type": "application/json"})
            with urllib.request.urlopen(request, timeout=60):  # noqa: S310 (localhost)
                pass
    except OSError:
        return
    finally:
        PrivacyTrackerStore(url=settings.tracker_store_url).delete_conversation(sender)


def _stop(processes: Sequence[subprocess.Popen]) -> None:
    for p in processes:
        if p.poll() is None:
            os.killpg(p.pid, signal.SIGTERM)
    deadline = time.monotonic() + 10
    for p in processes:
        try:
            p.wait(timeout=max(0.1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            os.killpg(p.pid, signal.SIGKILL)


def port_in_use(host: str, port: int) -> bool:
    """True when something already listens on host:port (a stale `make run`, a colleague's
    assistant, another program), so our server there would fail while theirs answers."""
    with socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError:
            return True
    return False


def busy_ports(settings: Settings) -> list[str]:
    """The servers whose port is taken, named with the setting that moves them."""
    servers = [("the action server", "ACTION_PORT", settings.action_host, settings.action_port),
               ("the web chat server", "WEB_PORT", settings.web_host, settings.web_port),
               ("the Rasa server", "RASA_PORT", settings.rasa_host, settings.rasa_port)]
    return [f"port {port} ({name}; set {key} in .env to move it)"
            for name, key, host, port in servers if port_in_use(host, port)]


def run(settings: Settings) -> int:
    problem = check_databases(settings)
    if problem:
        print(f"Cannot start: {problem}", file=sys.stderr)
        return 2
    model = choose_model(settings)
    if model is None:
        if settings.rasa_model:
            print(f"RASA_MODEL: no model file at {settings.rasa_model}.", file=sys.stderr)
        else:
            print("No trained model in models/. Run 'make train' (or 'make run').",
                  file=sys.stderr)
        return 2
    taken = busy_ports(settings)
    if taken:
        print("Cannot start: already in use: " + "; ".join(taken) + ". Is the assistant "
              "already running (make run)?", file=sys.stderr)
        return 2
    env = service_env(settings)
    processes: list[subprocess.Popen] = []

    def start(command: list[str]) -> subprocess.Popen:
        proc = subprocess.Popen(command, cwd=settings.root, env=env, start_new_session=True)
        processes.append(proc)
        return proc

    def handle_signal(signum: int, _frame: object) -> None:
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, handle_signal)
    try:
        start(action_server_command(settings))
        if not wait_for(f"http://{settings.action_host}:{settings.action_port}/health", 60,
                        processes):
            print("The action server did not start (see the error above).", file=sys.stderr)
            return 1
        start(web_server_command(settings))
        if not wait_for(f"http://{settings.web_host}:{settings.web_port}/health", 30,
                        processes):
            print("The web chat server did not start (see the error above).", file=sys.stderr)
            return 1
        start(rasa_server_command(settings, model))
        if not wait_for(f"{settings.rasa_url}/", 300, processes):
            print("The Rasa server did not start (see the error above).", file=sys.stderr)
            return 1
        warm_up(settings)
        print(
            "\nThe assistant is running.\n"
            f"  REST:        POST {settings.rasa_url}/webhooks/rest/webhook\n"
            f"  socket.io:   {settings.rasa_url}/socket.io\n"
            f"  Actions:     {settings.action_url} (localhost only)\n"
            f"  Web chat:    {settings.web_url} (demo page; widget at /widget/chat.js)\n"
            "  Terminal:    make shell (in another window)\n"
            "Stop with Ctrl-C.\n",
            flush=True,
        )
        while all(p.poll() is None for p in processes):
            time.sleep(0.5)
        failed = next(p for p in processes if p.poll() is not None)
        print(f"A process stopped unexpectedly (exit {failed.returncode}); stopping the rest.",
              file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("\nStopping …", flush=True)
        return 0
    finally:
        _stop(processes)


def rasa_main(argv: Sequence[str]) -> None:
    """`python -m assistant.launcher rasa ARGS…`: Rasa's command line (`rasa ARGS…`) with
    the Rasa server speed-ups installed first (assistant.runtime.speed_up_rasa)."""
    from assistant.runtime import speed_up_rasa

    # RASA_SPEEDUPS: "1" (default) all, "0" none, or names (to measure each one)
    speed_up_rasa(os.environ.get("RASA_SPEEDUPS", "1"))
    from rasa.__main__ import main as rasa_cli

    sys.argv = ["rasa", *argv]
    rasa_cli()


if __name__ == "__main__":
    if sys.argv[1:2] != ["rasa"]:
        sys.exit("usage: python -m assistant.launcher rasa ARGS… (use 'assistant run')")
    rasa_main(sys.argv[2:])
