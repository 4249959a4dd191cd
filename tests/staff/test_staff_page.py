"""The /staff pages on the real web chat server app (assistant.web.server.create_app) over
HTTP, on a real temporary tracker store: disabled without a password, login, cookies, CSRF,
lockout, rate limit, session expiry, filters, export, statistics."""

from __future__ import annotations

import asyncio
import re
from collections.abc import Awaitable, Callable
from datetime import date
from html.parser import HTMLParser
from typing import Any

import pytest
import yaml
from aiohttp.test_utils import TestClient, TestServer

from assistant.config import Settings
from assistant.staff import page as staff_page
from assistant.staff.auth import LoginGuard, Sessions, hash_password
from assistant.web.server import create_app

PASSWORD = "korrekt hest batteri klips"
HASH = hash_password(PASSWORD, iterations=100_000)


class Clock:
    def __init__(self) -> None:
        self.now = 5000.0

    def __call__(self) -> float:
        return self.now


Check = Callable[[TestClient, staff_page.StaffState], Awaitable[None]]


def serve(settings: Settings, check: Check, monkeypatch: pytest.MonkeyPatch,
          password_hash: str | None = HASH, **state: Any) -> None:
    if password_hash is None:
        monkeypatch.delenv("STAFF_PASSWORD_HASH", raising=False)
    else:
        monkeypatch.setenv("STAFF_PASSWORD_HASH", password_hash)
    app = create_app(settings)  # the server's own factory registers /staff
    staff = app[staff_page.STAFF]
    staff.today = lambda: date(2026, 11, 5)
    for key, value in state.items():
        setattr(staff, key, value)

    async def main() -> None:
        async with TestClient(TestServer(app)) as client:
            await check(client, staff)

    asyncio.run(main())


def csrf_of(html: str) -> str:
    match = re.search(r'name="csrf" value="([^"]+)"', html)
    assert match, html
    return match.group(1)


async def login(client: TestClient, password: str = PASSWORD,
                headers: dict[str, str] | None = None) -> Any:
    form = await client.get("/staff/login")
    token = csrf_of(await form.text())
    return await client.post("/staff/login", data={"csrf": token, "adgangskode": password},
                             allow_redirects=False, headers=headers or {})


async def logged_in(client: TestClient) -> str:
    response = await login(client)
    assert response.status == 303
    page = await client.get("/staff")
    assert page.status == 200
    return csrf_of(await page.text())


def cookie_header(response: Any, name: str) -> str:
    return next(h for h in response.headers.getall("Set-Cookie") if h.startswith(name + "="))


# --- disabled ------------------------------------------------------------------------------


def test_without_a_hash_the_staff_page_says_it_is_disabled(staff_settings, monkeypatch):
    async def check(client: TestClient, _: Any) -> None:
        for path in ("/staff", "/staff/login", "/staff/statistik"):
            response = await client.get(path, allow_redirects=False)
            assert response.status == 503
            text = await response.text()
            assert "Personalesiden er slået fra" in text
            assert "assistant staff hash-password" in text
        response = await client.post("/staff/login", data={"adgangskode": "x"})
        assert response.status == 503
        response = await client.post("/staff/eksport", data={"besked": "1"})
        assert response.status == 503
        assert (await client.get("/")).status == 200  # the citizens' page is unaffected

    serve(staff_settings, check, monkeypatch, password_hash=None)


def test_a_malformed_hash_disables_the_page(staff_settings, monkeypatch):
    async def check(client: TestClient, _: Any) -> None:
        response = await client.get("/staff/login")
        assert response.status == 503
        assert "kan ikke bruges" in await response.text()

    serve(staff_settings, check, monkeypatch, password_hash="hemmelig123")


# --- login ---------------------------------------------------------------------------------


def test_pages_need_a_login(staff_settings, monkeypatch):
    async def check(client: TestClient, _: Any) -> None:
        for path in ("/staff", "/staff/statistik"):
            response = await client.get(path, allow_redirects=False)
            assert response.status == 303 and response.headers["Location"] == "/staff/login"
        response = await client.post("/staff/eksport", data={"csrf": "x", "besked": "1"})
        assert response.status == 403
        assert "bolig-ra" not in await response.text()

    serve(staff_settings, check, monkeypatch)


def test_login_page_headers_cookie_and_form(staff_settings, monkeypatch):
    async def check(client: TestClient, _: Any) -> None:
        response = await client.get("/staff/login")
        assert response.status == 200
        csp = response.headers["Content-Security-Policy"]
        assert "default-src 'none'" in csp and "script-src" not in csp
        assert "form-action 'self'" in csp and "frame-ancestors 'none'" in csp
        assert response.headers["Cache-Control"] == "no-store"
        assert response.headers["X-Frame-Options"] == "DENY"
        cookie = cookie_header(response, "staff_login")
        for part in ("HttpOnly", "SameSite=Strict", "Path=/staff"):
            assert part in cookie
        html = await response.text()
        assert '<html lang="da">' in html and "<script" not in html
        assert '<label for="adgangskode">Adgangskode</label>' in html
        assert 'autocomplete="current-password"' in html

    serve(staff_settings, check, monkeypatch)


def test_wrong_then_right_password_and_the_session_cookie(staff_settings, monkeypatch):
    async def check(client: TestClient, staff: staff_page.StaffState) -> None:
        response = await login(client, "forkert adgangskode")
        assert response.status == 401
        assert "Forkert adgangskode." in await response.text()
        assert "Set-Cookie" not in response.headers or all(
            not h.startswith("staff_session=") for h in response.headers.getall("Set-Cookie"))
        response = await login(client)
        assert response.status == 303 and response.headers["Location"] == "/staff"
        cookie = cookie_header(response, "staff_session")
        token = cookie.split(";")[0].split("=", 1)[1]
        assert len(token) >= 43  # 256 random bits
        for part in ("HttpOnly", "SameSite=Strict", "Path=/staff", "Max-Age=28800"):
            assert part in cookie
        assert len(staff.sessions) == 1
        page = await client.get("/staff")
        text = await page.text()
        for short in ("bolig-ra", "fallback", "krise-00", "oekonomi", "vold-aar", "hilsen-0"):
            assert f"samtale {short}" in text

    serve(staff_settings, check, monkeypatch)


def test_login_needs_the_forms_csrf_token_and_this_origin(staff_settings, monkeypatch):
    async def check(client: TestClient, staff: staff_page.StaffState) -> None:
        await client.get("/staff/login")
        response = await client.post("/staff/login", allow_redirects=False,
                                     data={"csrf": "gættet", "adgangskode": PASSWORD})
        assert response.status == 403 and len(staff.sessions) == 0
        response = await login(client, headers={"Origin": "https://ond.example"})
        assert response.status == 403 and len(staff.sessions) == 0
        response = await login(client, headers={"Origin": "null"})
        assert response.status == 403 and len(staff.sessions) == 0
        host = f"http://{client.host}:{client.port}"
        response = await login(client, headers={"Origin": host})
        assert response.status == 303 and len(staff.sessions) == 1

    serve(staff_settings, check, monkeypatch)


def test_five_failures_lock_the_client_out_for_fifteen_minutes(staff_settings, monkeypatch):
    clock = Clock()

    async def check(client: TestClient, staff: staff_page.StaffState) -> None:
        for attempt in range(4):
            assert (await login(client, f"forkert {attempt} adgangskode")).status == 401
        fifth = await login(client, "forkert igen adgangskode")
        assert fifth.status == 429
        assert "spærret i 15 minutter" in await fifth.text()
        # While locked, even the right password is refused (and not checked).
        locked = await login(client)
        assert locked.status == 429
        assert "Login er spærret i 15 minutter endnu" in await locked.text()
        assert len(staff.sessions) == 0
        clock.now += 14 * 60
        assert "spærret i 1 minutter endnu" in await (await login(client)).text()
        clock.now += 61
        assert (await login(client)).status == 303

    serve(staff_settings, check, monkeypatch, guard=LoginGuard(clock=clock))


def test_all_clients_together_are_rate_limited(staff_settings, monkeypatch):
    clock = Clock()

    async def check(client: TestClient, _: Any) -> None:
        for _attempt in range(3):
            assert (await login(client, "forkert adgangskode")).status == 401
        refused = await login(client)
        assert refused.status == 429
        assert "for mange loginforsøg lige nu" in await refused.text()
        clock.now += 61
        assert (await login(client)).status == 303

    serve(staff_settings, check, monkeypatch,
          guard=LoginGuard(clock=clock, attempts_per_minute=3, max_failures=10))


def test_idle_session_expires_and_logout_ends_it(staff_settings, monkeypatch):
    clock = Clock()

    async def check(client: TestClient, staff: staff_page.StaffState) -> None:
        await logged_in(client)
        clock.now += 31 * 60
        response = await client.get("/staff", allow_redirects=False)
        assert response.status == 303 and response.headers["Location"] == "/staff/login"
        token = await logged_in(client)
        response = await client.post("/staff/logout", data={"csrf": "forkert"},
                                     allow_redirects=False)
        assert response.status == 403 and len(staff.sessions) == 1
        response = await client.post("/staff/logout", data={"csrf": token},
                                     allow_redirects=False)
        assert response.status == 303 and len(staff.sessions) == 0
        assert (await client.get("/staff", allow_redirects=False)).status == 303

    serve(staff_settings, check, monkeypatch, sessions=Sessions(clock=clock))


# --- review and filters -------------------------------------------------------------------


def shown(text: str) -> list[str]:
    return re.findall(r"· samtale ([\w-]+)</h2>", text)


@pytest.mark.parametrize(("query", "expected"), [
    ("", ["hilsen-0", "vold-aar", "oekonomi", "krise-00", "fallback", "bolig-ra"]),
    ("?flag=crisis", ["vold-aar", "krise-00"]),
    ("?flag=thumbs-down&flag=fallback", ["fallback"]),
    ("?flag=low-confidence", ["hilsen-0", "oekonomi", "fallback"]),
    ("?emne=housing", ["bolig-ra"]),
    ("?kommune=Randers", ["bolig-ra"]),
    ("?kommune=ukendt", ["oekonomi"]),
    ("?kommune=ikke-oplyst", ["hilsen-0", "krise-00", "fallback"]),
    ("?fra=2026-11-03&til=2026-11-03", ["krise-00"]),
    ("?fra=2026-11-04&emne=violence&flag=crisis", ["vold-aar"]),
    ("?fra=2026-12-01", []),
])
def test_filters_on_the_page(staff_settings, monkeypatch, query: str, expected: list[str]):
    async def check(client: TestClient, _: Any) -> None:
        await logged_in(client)
        response = await client.get("/staff" + query)
        text = await response.text()
        assert shown(text) == expected
        if not expected:
            assert "Ingen samtaler passer til valget." in text

    serve(staff_settings, check, monkeypatch)


def test_filter_form_keeps_the_choice_and_reports_bad_dates(staff_settings, monkeypatch):
    async def check(client: TestClient, _: Any) -> None:
        await logged_in(client)
        text = await (await client.get("/staff?flag=crisis&emne=violence&kommune=Aarhus"))\
            .text()
        assert 'value="crisis" checked' in text
        assert '<option value="violence" selected>Vold i nære relationer</option>' in text
        assert '<option value="Aarhus" selected>Aarhus</option>' in text
        text = await (await client.get("/staff?fra=i-går")).text()
        assert "Fra dato skal være en dato som 2026-11-23." in text
        text = await (await client.get("/staff?fra=2026-11-04&til=2026-11-01")).text()
        assert "Fra dato skal ligge før til dato." in text

    serve(staff_settings, check, monkeypatch)


def test_transcript_shows_messages_flags_and_redaction(staff_settings, monkeypatch):
    async def check(client: TestClient, _: Any) -> None:
        await logged_in(client)
        text = await (await client.get("/staff?kommune=Aarhus")).text()
        assert "min mand slår mig, mit cpr er [CPR]" in text
        assert "010190" not in text
        assert '<li class="flag-crisis">Krise (112-svar)</li>' in text
        assert "emergency · sikkerhed 1,00" in text
        assert "Kommune noteret: Aarhus" in text
        text = await (await client.get("/staff?flag=fallback")).text()
        assert "nlu_fallback · sikkerhed 0,30" in text
        assert "Borger valgte:</span> 👎 Svaret hjalp ikke" in text
        assert "[knapper: Tal med et menneske]" in text

    serve(staff_settings, check, monkeypatch)


def test_pages_of_fifty(staff_settings, monkeypatch):
    monkeypatch.setattr(staff_page, "PAGE_SIZE", 4)

    async def check(client: TestClient, _: Any) -> None:
        await logged_in(client)
        first = await (await client.get("/staff")).text()
        assert shown(first) == ["hilsen-0", "vold-aar", "oekonomi", "krise-00"]
        assert "Viser samtale 1–4" in first
        link = re.search(r'href="(/staff\?[^"]*side=2)">Næste side', first)
        assert link
        second = await (await client.get(link.group(1).replace("&amp;", "&"))).text()
        assert shown(second) == ["fallback", "bolig-ra"] and "Næste side" not in second
        assert "Forrige side" in second

    serve(staff_settings, check, monkeypatch)


class Labels(HTMLParser):
    """Every visible form control needs a <label for=…> (or is a button)."""

    def __init__(self) -> None:
        super().__init__()
        self.controls: list[str] = []
        self.labels: set[str] = set()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        if tag == "label" and a.get("for"):
            self.labels.add(str(a["for"]))
        if tag in ("input", "select", "textarea") and a.get("type") != "hidden":
            self.controls.append(str(a.get("id")))


def test_every_control_has_a_label(staff_settings, monkeypatch):
    async def check(client: TestClient, _: Any) -> None:
        await logged_in(client)
        for path in ("/staff", "/staff/statistik"):
            parser = Labels()
            parser.feed(await (await client.get(path)).text())
            assert parser.controls, path
            missing = [c for c in parser.controls if c not in parser.labels]
            assert missing == [], path

    serve(staff_settings, check, monkeypatch)


# --- export ----------------------------------------------------------------------------


def message_ids(text: str) -> dict[str, int]:
    found = re.findall(r'name="besked" value="(\d+)"><label for="m\d+"><span class="who">'
                       r"Borger:</span> ([^<]+)<", text)
    return {t: int(i) for i, t in found}


def test_export_selected_messages(staff_settings, monkeypatch):
    async def check(client: TestClient, _: Any) -> None:
        token = await logged_in(client)
        ids = message_ids(await (await client.get("/staff")).text())
        assert "kan jeg få noget" in ids and "/feedback" not in " ".join(ids)
        chosen = [ids["kan jeg få noget"], ids["bil og penge"]]
        response = await client.post("/staff/eksport", data=[
            ("csrf", token), ("hvad", "valgte"), *[("besked", str(i)) for i in chosen]])
        assert response.status == 200
        assert response.headers["Content-Type"].startswith("application/x-yaml")
        disposition = response.headers["Content-Disposition"]
        assert re.fullmatch(r'attachment; filename="nlu-eksport-\d{8}-\d{4}\.yml"',
                            disposition)
        data = yaml.safe_load(await response.text())
        assert data["nlu"] == [
            {"intent": "ask_economy", "examples": "- bil og penge\n"},
            {"intent": "ask_human", "examples": "- kan jeg få noget\n"},
        ]

    serve(staff_settings, check, monkeypatch)


def test_export_all_shown_messages(staff_settings, monkeypatch):
    async def check(client: TestClient, _: Any) -> None:
        token = await logged_in(client)
        page = await (await client.get("/staff?flag=crisis")).text()
        shown_ids = re.findall(r'name="vist" value="(\d+)"', page)
        response = await client.post("/staff/eksport", data=[
            ("csrf", token), ("hvad", "alle"), *[("vist", i) for i in shown_ids]])
        data = yaml.safe_load(await response.text())
        intents = {group["intent"]: group["examples"] for group in data["nlu"]}
        assert set(intents) == {"ask_violence", "emergency", "inform_municipality",
                                "suicidal_crisis"}
        assert intents["suicidal_crisis"] == "- jeg vil ikke leve mere\n"

    serve(staff_settings, check, monkeypatch)


def test_export_needs_csrf_and_a_selection(staff_settings, monkeypatch):
    async def check(client: TestClient, _: Any) -> None:
        token = await logged_in(client)
        response = await client.post("/staff/eksport", data={"besked": "1"})
        assert response.status == 403
        assert "Handlingen blev afvist" in await response.text()
        response = await client.post("/staff/eksport", data={"csrf": token, "besked": "1"},
                                     headers={"Origin": "https://ond.example"})
        assert response.status == 403
        response = await client.post("/staff/eksport", data={"csrf": token})
        assert response.status == 400
        assert "Du har ikke valgt nogen beskeder." in await response.text()

    serve(staff_settings, check, monkeypatch)


# --- statistics --------------------------------------------------------------------------


def row(text: str, label: str) -> str:
    match = re.search(rf'<th scope="row">{re.escape(label)}</th><td[^>]*>([^<]+)</td>', text)
    assert match, label
    return match.group(1)


def test_statistics_page(staff_settings, monkeypatch):
    async def check(client: TestClient, _: Any) -> None:
        await logged_in(client)
        text = await (await client.get("/staff/statistik")).text()
        # Default: the last 30 days up to today (here 2026-11-05).
        assert "Statistik for 2026-10-07 – 2026-11-05: 6 samtaler." in text
        assert row(text, "Samtaler") == "6"
        assert row(text, "Forstod ikke (fallback)") == \
            "1 besked = 8,3 % af beskederne (1 samtale)"
        assert row(text, "Tilbagemeldinger 👎") == "1"
        assert row(text, "Bolig og hjemløshed") == "1"
        assert row(text, "Ikke oplyst") == "3"
        assert row(text, "2026-11-04") == "3"
        assert row(text, "09–10") == "5"
        text = await (await client.get("/staff/statistik?fra=2026-11-03&til=2026-11-03"))\
            .text()
        assert row(text, "Samtaler") == "1"
        assert row(text, "Selvmordstanker") == "1"

    serve(staff_settings, check, monkeypatch)


def test_stylesheet_is_local(staff_settings, monkeypatch):
    async def check(client: TestClient, _: Any) -> None:
        response = await client.get("/staff/static/staff.css")
        assert response.status == 200
        css = await response.text()
        assert "focus-visible" in css and "http" not in css and "@import" not in css

    serve(staff_settings, check, monkeypatch)
