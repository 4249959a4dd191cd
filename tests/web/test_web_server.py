"""The web chat server and the widget sources, without a browser (part of `make unit`)."""

from __future__ import annotations

import asyncio
import json
import re
from collections.abc import Awaitable, Callable
from pathlib import Path
from urllib.parse import quote

import pytest
from aiohttp.test_utils import TestClient, TestServer

from assistant.config import PROJECT_ROOT, load_settings
from assistant.launcher import web_server_command
from assistant.web.server import WIDGET_DIR, create_app, slug

WEB_SRC = PROJECT_ROOT / "web" / "src"
STRINGS = json.loads((WEB_SRC / "strings.da.json").read_text(encoding="utf-8"))
BUILT = (WIDGET_DIR / "chat.js").exists()
needs_build = pytest.mark.skipif(not BUILT, reason="web assets not built (make web)")


def run(check: Callable[[TestClient], Awaitable[None]], **env: str) -> None:
    settings = load_settings({"RASA_PORT": "5005", "WEB_PORT": "8080", **env})

    async def main() -> None:
        async with TestClient(TestServer(create_app(settings))) as client:
            await check(client)

    asyncio.run(main())


def test_demo_page_security_headers_and_no_inline_code() -> None:
    async def check(client: TestClient) -> None:
        response = await client.get("/")
        assert response.status == 200
        headers = response.headers
        csp = headers["Content-Security-Policy"]
        assert "script-src 'self'" in csp and "unsafe-inline" not in csp
        assert "connect-src 'self' http://127.0.0.1:5005 ws://127.0.0.1:5005" in csp
        assert "frame-ancestors 'none'" in csp
        assert headers["Cache-Control"] == "no-store"
        assert headers["X-Content-Type-Options"] == "nosniff"
        assert headers["Referrer-Policy"] == "no-referrer"
        assert "Set-Cookie" not in headers
        html = await response.text()
        assert re.search(r"<script(?![^>]*\bsrc=)", html) is None  # no inline scripts
        assert " style=" not in html and "<style" not in html
        assert re.search(r"\son[a-z]+=", html) is None  # no inline event handlers
        assert 'src="/widget/chat.js"' in html and 'href="/widget/chat.css"' in html
        assert 'data-rasa-url="http://127.0.0.1:5005"' in html
        assert "data-municipality" not in html
        assert '<html lang="da">' in html

    run(check)


def test_public_rasa_url_goes_to_the_page_and_the_csp() -> None:
    async def check(client: TestClient) -> None:
        response = await client.get("/")
        assert 'data-rasa-url="https://chat.kommune.dk"' in await response.text()
        assert "https://chat.kommune.dk wss://chat.kommune.dk" in \
            response.headers["Content-Security-Policy"]

    run(check, RASA_PUBLIC_URL="https://chat.kommune.dk/")


@pytest.mark.parametrize(("path", "name"), [
    ("randers", "Randers"),
    ("broenderslev", "Brønderslev"),
    (quote("Brønderslev"), "Brønderslev"),
    ("soenderborg", "Sønderborg"),
    ("aarhus", "Aarhus"),
    ("hoeje-taastrup", "Høje-Taastrup"),
])
def test_municipality_pages_set_the_data_attribute(path: str, name: str) -> None:
    async def check(client: TestClient) -> None:
        response = await client.get(f"/kommune/{path}")
        assert response.status == 200
        html = await response.text()
        assert f'data-municipality="{name}"' in html
        assert f"{name} Kommune" in html

    run(check)


def test_unknown_municipality_and_paths_outside_the_assets_are_not_found() -> None:
    async def check(client: TestClient) -> None:
        assert (await client.get("/kommune/atlantis")).status == 404
        assert (await client.get("/kommune/%22%3E%3Cscript%3E")).status == 404
        for path in ("/widget/../server.py", "/widget/%2e%2e/%2e%2e/server.py",
                     "/demo/../templates/demo.html", "/static/vendor/widget/chat.js"):
            response = await client.get(path)
            assert response.status in (403, 404), path

    run(check)


def test_demo_page_links_every_municipality_with_a_policy() -> None:
    async def check(client: TestClient) -> None:
        html = await (await client.get("/")).text()
        for policy in sorted((PROJECT_ROOT / "data" / "knowledge" / "policies").glob("*.yml")):
            assert f'href="/kommune/{policy.stem}"' in html

    run(check)


@needs_build
def test_widget_assets_can_be_embedded_by_other_sites() -> None:
    async def check(client: TestClient) -> None:
        script = await client.get("/widget/chat.js")
        assert script.status == 200
        assert "javascript" in script.headers["Content-Type"]
        assert script.headers["Access-Control-Allow-Origin"] == "*"
        assert script.headers["Cross-Origin-Resource-Policy"] == "cross-origin"
        assert script.headers["X-Content-Type-Options"] == "nosniff"
        css = await client.get("/widget/chat.css")
        assert css.status == 200 and "text/css" in css.headers["Content-Type"]
        for font in re.findall(r"url\((fonts/[^)]+)\)", await css.text()):
            response = await client.get(f"/widget/{font}")
            assert response.status == 200, font
            assert response.headers["Access-Control-Allow-Origin"] == "*"
        dkfds = await client.get("/vendor/dkfds/css/dkfds.min.css")
        assert dkfds.status == 200
        health = await client.get("/health")
        assert await health.json() == {"status": "ok", "widget": True}

    run(check)


@needs_build
def test_dkfds_css_references_only_files_that_are_served() -> None:
    css_dir = WIDGET_DIR.parent / "dkfds" / "css"
    css = (css_dir / "dkfds.min.css").read_text(encoding="utf-8")
    for ref in set(re.findall(r"url\(\s*[\"']?(\.\./[^\"')?#]+)", css)):
        assert (css_dir / ref).resolve().exists(), ref


@needs_build
def test_bundle_is_one_script_without_globals_or_cdn() -> None:
    bundle = (WIDGET_DIR / "chat.js").read_text(encoding="utf-8")
    assert bundle.lstrip().startswith("/*!")
    assert "sourceMappingURL" not in bundle
    assert not re.search(r"https?://(cdn|unpkg|cdnjs|jsdelivr|fonts\.googleapis)", bundle)
    source = _code(WEB_SRC / "widget.js")
    assert "localStorage" not in source and "sessionStorage" not in source
    assert "document.cookie" not in source
    assert 'transports: ["websocket"]' in source
    assert "crypto" in source and "Math.random" not in source


def _code(path: Path) -> str:
    """JavaScript without comments."""
    return re.sub(r"/\*.*?\*/|(?<![:\\])//[^\n]*", "", path.read_text(encoding="utf-8"),
                  flags=re.S)


def test_ui_strings_live_in_one_file_and_are_all_used() -> None:
    code = _code(WEB_SRC / "widget.js")
    used = set(re.findall(r"STRINGS\.([A-Za-z]+)", code))
    defined = {k for k in STRINGS if not k.startswith("_")}
    assert used == defined
    # No Danish UI text in the widget's code (string literals that look Danish are only
    # parts of regular expressions).
    literals = re.findall(r'"((?:[^"\\\n]|\\.)*)"', code)
    danish = r"[æøåÆØÅ]|\b(og|er|du|at|til|det|den|ikke|med|kan|din|dit)\b"
    texts = [s for s in literals if re.search(danish, s) and not re.search(r"\\|\[|\(\?", s)]
    assert texts == [], texts


def test_unreachable_message_is_the_agreed_text() -> None:
    assert STRINGS["unreachable"] == (
        "Assistenten kan ikke nås lige nu. Er du i fare, så ring 112. Vold i nære relationer: "
        "Lev Uden Vold 1888 (døgnåben). Selvmordstanker: Livslinien 70 201 201.")
    assert STRINGS["quickExit"] == "Forlad siden"


def test_launcher_starts_the_web_server_with_the_settings(tmp_path: Path) -> None:
    settings = load_settings({"WEB_HOST": "127.0.0.1", "WEB_PORT": "8181", "RASA_PORT": "5105"},
                             root=tmp_path)
    command = web_server_command(settings)
    assert command[1:3] == ["-m", "assistant.web.server"]
    assert command[command.index("--port") + 1] == "8181"
    assert command[command.index("--rasa-url") + 1] == "http://127.0.0.1:5105"
    assert settings.cors_origins == ("http://localhost:8181", "http://127.0.0.1:8181")
    assert settings.web_url == "http://localhost:8181/"


def test_slugs() -> None:
    assert slug("Brønderslev") == "broenderslev"
    assert slug("Høje-Taastrup") == "hoeje-taastrup"
    assert slug("Ringkøbing-Skjern") == "ringkoebing-skjern"
    assert slug("Lyngby-Taarbæk") == "lyngby-taarbaek"


