"""The web chat's server: a demo municipal page with the widget, and the widget's assets.

    GET /                    demo page ("Eksempel Kommune"); the assistant asks for the
                             municipality
    GET /kommune/<navn>      the same page for one municipality (e.g. /kommune/randers); the
                             widget sets that municipality with data-municipality
    GET /widget/chat.js      the widget: one script (socket.io-client bundled) …
    GET /widget/chat.css     … and one stylesheet, for any municipality's site to embed
    GET /vendor/dkfds/…      Det Fælles Designsystem (CSS, fonts, icons) for the demo page
    GET /health              {"status": "ok"}

Everything the browser loads comes from here (built by `make web` into static/vendor/);
the only other connection is the widget's WebSocket to the Rasa server, which the
Content-Security-Policy names explicitly. Run with `python -m assistant.web.server`;
`assistant run` starts it beside the Rasa and action servers.
"""

from __future__ import annotations

import argparse
import html
import logging
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from string import Template
from urllib.parse import urlsplit

import yaml
from aiohttp import web

from assistant.config import Settings, load_settings
from assistant.staff.page import register_staff_routes
from assistant.text import fold

log = logging.getLogger(__name__)

WEB_DIR = Path(__file__).resolve().parent
STATIC_DIR = WEB_DIR / "static"
VENDOR_DIR = STATIC_DIR / "vendor"
WIDGET_DIR = VENDOR_DIR / "widget"
TEMPLATE = WEB_DIR / "templates" / "demo.html"
DEFAULT_EXIT_URL = "https://www.dr.dk/"

_TRANSLIT = str.maketrans({"æ": "ae", "ø": "oe", "å": "aa", "é": "e", "ü": "u", "ö": "oe",
                           "ä": "ae"})


@dataclass(frozen=True)
class WebConfig:
    rasa_url: str  # the Rasa server as the browser reaches it
    municipalities: dict[str, str]  # folded key -> official short name ("Randers")
    featured: tuple[str, ...]  # municipalities with a policy in the knowledge base


CONFIG = web.AppKey("config", WebConfig)


def slug(name: str) -> str:
    """URL path for a municipality: "Brønderslev" -> "broenderslev"."""
    return "-".join(name.lower().translate(_TRANSLIT).replace(".", "").split())


def _key(text: str) -> str:
    return fold(text.replace("-", " ")).replace(" ", "")


def load_municipalities(knowledge_dir: Path) -> tuple[dict[str, str], tuple[str, ...]]:
    path = knowledge_dir / "municipalities.yml"
    names: list[str] = []
    if path.exists():
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        names = [m["name"] for m in data.get("municipalities", []) if m.get("name")]
    featured = []
    for policy in sorted((knowledge_dir / "policies").glob("*.yml")):
        with policy.open(encoding="utf-8") as handle:
            head = yaml.safe_load(handle) or {}
        if isinstance(head, dict) and head.get("municipality"):
            featured.append(str(head["municipality"]))
    mapping = {_key(n): n for n in names}
    mapping.update({_key(slug(n)): n for n in names})
    for n in featured:
        mapping.setdefault(_key(n), n)
    return mapping, tuple(sorted(featured))


def connect_sources(rasa_url: str) -> str:
    """CSP connect-src values for the Rasa server: http(s) and the matching ws(s)."""
    parts = urlsplit(rasa_url)
    origin = f"{parts.scheme}://{parts.netloc}"
    ws = ("wss" if parts.scheme == "https" else "ws") + f"://{parts.netloc}"
    return f"{origin} {ws}"


def page_headers(rasa_url: str) -> dict[str, str]:
    csp = "; ".join([
        "default-src 'none'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "font-src 'self'",
        f"connect-src 'self' {connect_sources(rasa_url)}",
        "base-uri 'none'",
        "form-action 'none'",
        "frame-ancestors 'none'",
    ])
    return {
        "Content-Security-Policy": csp,
        "Cache-Control": "no-store",
        "X-Frame-Options": "DENY",
        "Cross-Origin-Opener-Policy": "same-origin",
        "Permissions-Policy": "camera=(), microphone=(), geolocation=(), interest-cohort=()",
    }


def render_page(config: WebConfig, municipality: str | None) -> str:
    name = f"{municipality} Kommune" if municipality else "Eksempel Kommune"
    if municipality:
        note = (f"Chatten ved, at du bor i {municipality} Kommune (sat med "
                f"<code>data-municipality=\"{html.escape(municipality)}\"</code>), så "
                "vejlederen spørger ikke om det.")
    else:
        note = ("På denne side er der ikke valgt en kommune, så vejlederen spørger, hvor du "
                "bor, når det betyder noget for svaret.")
    links = "\n".join(
        f'            <li><a href="/kommune/{slug(m)}">{html.escape(m)} Kommune</a></li>'
        for m in config.featured
    )
    attr = f' data-municipality="{html.escape(municipality)}"' if municipality else ""
    return Template(TEMPLATE.read_text(encoding="utf-8")).substitute(
        name=html.escape(name),
        note=note,
        demo_links=links,
        rasa_url=html.escape(config.rasa_url),
        municipality_attr=attr,
        exit_url=html.escape(DEFAULT_EXIT_URL),
    )


async def demo_page(request: web.Request) -> web.Response:
    config = request.app[CONFIG]
    municipality = None
    if "name" in request.match_info:
        municipality = config.municipalities.get(_key(request.match_info["name"]))
        if municipality is None:
            raise web.HTTPNotFound(text="Ukendt kommune.")
    return web.Response(text=render_page(config, municipality), content_type="text/html",
                        charset="utf-8", headers=page_headers(config.rasa_url))


async def health(_: web.Request) -> web.Response:
    return web.json_response({"status": "ok", "widget": (WIDGET_DIR / "chat.js").exists()})


async def _security_headers(request: web.Request, response: web.StreamResponse) -> None:
    headers = response.headers
    headers.setdefault("X-Content-Type-Options", "nosniff")
    headers.setdefault("Referrer-Policy", "no-referrer")
    path = request.path
    if path.startswith("/widget/"):
        # Embedded by other sites: scripts, styles and fonts may be loaded cross-origin.
        headers["Access-Control-Allow-Origin"] = "*"
        headers["Cross-Origin-Resource-Policy"] = "cross-origin"
        headers.setdefault("Cache-Control", "no-cache")
    elif path.startswith(("/vendor/", "/demo/")):
        headers["Cross-Origin-Resource-Policy"] = "same-origin"
        headers.setdefault("Cache-Control", "public, max-age=3600")
    else:
        headers.setdefault("Cache-Control", "no-store")


def create_app(settings: Settings) -> web.Application:
    municipalities, featured = load_municipalities(settings.knowledge_dir)
    app = web.Application()
    app[CONFIG] = WebConfig(rasa_url=settings.browser_rasa_url,
                              municipalities=municipalities, featured=featured)
    app.router.add_get("/", demo_page)
    app.router.add_get("/kommune/{name}", demo_page)
    app.router.add_get("/health", health)
    app.router.add_static("/widget/", WIDGET_DIR, follow_symlinks=False)
    app.router.add_static("/vendor/dkfds/", VENDOR_DIR / "dkfds", follow_symlinks=False)
    app.router.add_static("/demo/", STATIC_DIR / "demo", follow_symlinks=False)
    app.on_response_prepare.append(_security_headers)
    register_staff_routes(app, settings)  # /staff: review and statistics (assistant/staff)
    if not (WIDGET_DIR / "chat.js").exists():
        log.warning("The widget is not built (%s missing): run 'make web'.",
                    WIDGET_DIR / "chat.js")
    return app


def main(argv: Sequence[str] | None = None) -> int:
    settings = load_settings()
    parser = argparse.ArgumentParser(prog="python -m assistant.web.server",
                                     description=__doc__.split("\n\n")[0])
    parser.add_argument("--host", default=settings.web_host)
    parser.add_argument("--port", type=int, default=settings.web_port)
    parser.add_argument("--rasa-url", default=settings.browser_rasa_url,
                        help="the Rasa server as the browser reaches it")
    args = parser.parse_args(argv)
    logging.basicConfig(level=settings.log_level, format="%(asctime)s %(levelname)-8s "
                        "%(name)s  - %(message)s")
    if not (VENDOR_DIR / "dkfds").exists():
        print("The web assets are not built: run 'make web'.", file=sys.stderr)
    from dataclasses import replace

    app = create_app(replace(settings, rasa_public_url=args.rasa_url))
    # No access log: request lines would only add personal data (IP addresses) to logs.
    web.run_app(app, host=args.host, port=args.port, access_log=None, print=None,
                handle_signals=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
