"""Configuration, read from the environment (and `.env`) in exactly one place.

Every setting has a working default, so a fresh clone runs with no `.env` at all:
SQLite files under `var/`, everything bound to localhost.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

from dotenv import dotenv_values

PROJECT_ROOT = Path(__file__).resolve().parent.parent


def _split(value: str) -> tuple[str, ...]:
    return tuple(part.strip() for part in value.split(",") if part.strip())


_DEFAULT_PORTS = {"http": "80", "https": "443"}


def normalize_origin(origin: str) -> str:
    """An origin as browsers send it in the Origin header: lower case, no path or trailing
    slash, no default port ("https://Kommune.dk:443/" -> "https://kommune.dk")."""
    value = origin.strip().rstrip("/").lower()
    scheme, sep, rest = value.partition("://")
    if not sep:
        return value
    host = rest.split("/", 1)[0]
    if host.endswith(":" + _DEFAULT_PORTS.get(scheme, "-")):
        host = host.rsplit(":", 1)[0]
    return f"{scheme}://{host}"


def _origins(value: str) -> tuple[str, ...]:
    """CORS_ORIGINS: comma-separated origins, normalised, without duplicates."""
    return tuple(dict.fromkeys(normalize_origin(part) for part in _split(value)))


def default_cors_origins(web_host: str, web_port: int) -> str:
    """The web chat server's own origins (its demo page talks to the Rasa server, which is
    another origin: another port). Used when CORS_ORIGINS is not set."""
    hosts = ["localhost", "127.0.0.1"]
    if web_host not in ("127.0.0.1", "localhost", "0.0.0.0", "::", ""):
        hosts.append(f"[{web_host}]" if ":" in web_host else web_host)
    return ",".join(f"http://{host}:{web_port}" for host in hosts)


@dataclass(frozen=True)
class Settings:
    """All runtime settings. Build with :func:`load_settings`; tests pass overrides."""

    root: Path = PROJECT_ROOT
    database_url: str = ""
    tracker_store_url: str = ""
    knowledge_dir: Path = PROJECT_ROOT / "data" / "knowledge"
    spacy_model_dir: Path = PROJECT_ROOT / "var" / "spacy" / "da_lookup"
    rasa_host: str = "127.0.0.1"
    rasa_port: int = 5005
    action_host: str = "127.0.0.1"
    action_port: int = 5055
    web_host: str = "127.0.0.1"
    web_port: int = 8080
    # The Rasa server as the web chat's browsers reach it (default: rasa_url).
    rasa_public_url: str = ""
    # Browser origins allowed to use the Rasa server: its HTTP routes (CORS) and the
    # socket.io handshake (assistant/channels.py). Never "*".
    cors_origins: tuple[str, ...] = field(default_factory=tuple)
    retention_days: int = 30
    log_level: str = "INFO"
    # Rasa's HTTP API (/model, /conversations, …) is off unless one of these is set; then it
    # is on and every call needs the token (?token=…) or a JWT signed with the secret.
    rasa_api_token: str = field(default="", repr=False)
    rasa_jwt_secret: str = field(default="", repr=False)
    rasa_jwt_method: str = "HS256"
    # endpoints.yml (single machine); deploy/endpoints.scaled.yml adds the Redis lock store
    endpoints_file: str = "endpoints.yml"
    # A trained model to serve (RASA_MODEL); empty: the newest one in models/.
    rasa_model: str = ""

    @property
    def rasa_api_enabled(self) -> bool:
        return bool(self.rasa_api_token or self.rasa_jwt_secret)

    @property
    def var_dir(self) -> Path:
        return self.root / "var"

    @property
    def rasa_url(self) -> str:
        return f"http://{self.rasa_host}:{self.rasa_port}"

    @property
    def browser_rasa_url(self) -> str:
        """Rasa server URL for the web chat widget (RASA_PUBLIC_URL, else rasa_url)."""
        if self.rasa_public_url:
            return self.rasa_public_url.rstrip("/")
        host = "localhost" if self.rasa_host in ("0.0.0.0", "::") else self.rasa_host
        return f"http://{host}:{self.rasa_port}"

    @property
    def web_url(self) -> str:
        host = "localhost" if self.web_host in ("127.0.0.1", "0.0.0.0", "::") else self.web_host
        return f"http://{host}:{self.web_port}/"

    @property
    def action_url(self) -> str:
        return f"http://{self.action_host}:{self.action_port}/webhook"


def load_settings(
    env: dict[str, str] | None = None, root: Path = PROJECT_ROOT
) -> Settings:
    """Read settings from `env` (default: `.env` overlaid by the process environment)."""
    if env is None:
        file_values = {k: v for k, v in dotenv_values(root / ".env").items() if v is not None}
        env = {**file_values, **os.environ}
    var = root / "var"
    web_host = env.get("WEB_HOST", "127.0.0.1")
    web_port = int(env.get("WEB_PORT", "8080"))
    return Settings(
        root=root,
        database_url=env.get("DATABASE_URL") or f"sqlite:///{var / 'knowledge.db'}",
        tracker_store_url=env.get("TRACKER_STORE_URL") or f"sqlite:///{var / 'tracker.db'}",
        knowledge_dir=Path(env.get("KNOWLEDGE_DIR") or root / "data" / "knowledge"),
        spacy_model_dir=Path(env.get("SPACY_MODEL_DIR") or var / "spacy" / "da_lookup"),
        rasa_host=env.get("RASA_HOST", "127.0.0.1"),
        rasa_port=int(env.get("RASA_PORT", "5005")),
        action_host=env.get("ACTION_HOST", "127.0.0.1"),
        action_port=int(env.get("ACTION_PORT", "5055")),
        web_host=web_host,
        web_port=web_port,
        rasa_public_url=env.get("RASA_PUBLIC_URL", ""),
        cors_origins=_origins(env.get("CORS_ORIGINS",
                                      default_cors_origins(web_host, web_port))),
        retention_days=int(env.get("RETENTION_DAYS", "30")),
        log_level=env.get("LOG_LEVEL", "INFO").upper(),
        rasa_api_token=env.get("RASA_API_TOKEN", "").strip(),
        rasa_jwt_secret=env.get("RASA_JWT_SECRET", "").strip(),
        rasa_jwt_method=env.get("RASA_JWT_METHOD", "").strip() or "HS256",
        endpoints_file=env.get("RASA_ENDPOINTS", "").strip() or "endpoints.yml",
        rasa_model=env.get("RASA_MODEL", "").strip(),
    )
