"""The staff tools against the running assistant (`pytest -m web`): `assistant run` on free
ports with a temporary tracker store (tests/web/web_harness.py) and a staff password made by
`assistant staff hash-password`. Real conversations go in over Rasa's REST channel (the
/feedback messages are exactly what the web chat's 👍/👎 send); /staff in Chromium,
`assistant review` and `assistant stats` must show them.

The lockout test runs last: it locks 127.0.0.1 out of this server for 15 minutes.
"""

from __future__ import annotations

import json
import re
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import requests
import yaml
from web_harness import ROOT, Assistant, chromium

from assistant.cli import main
from assistant.config import load_settings

pytestmark = pytest.mark.web

PASSWORD = "Personale kode 2026!"
STAFF_FLAG_DOWN = "👎 Svaret hjalp ikke"
WIDGET_TEXT = "jeg er hjemløs og sover i min bil"
RUN = time.strftime("%H%M%S")


@dataclass
class StaffAssistant(Assistant):
    password_hash: str = ""

    def env(self) -> dict[str, str]:
        env = super().env()
        env["STAFF_PASSWORD_HASH"] = self.password_hash
        return env

    @property
    def staff_url(self) -> str:
        return f"http://localhost:{self.web_port}/staff"

    def stored(self, sql: str, *args: Any) -> list[tuple[Any, ...]]:
        with sqlite3.connect(self.tracker_db) as db:
            return db.execute(sql, args).fetchall()


def make_hash() -> str:
    result = subprocess.run(
        [sys.executable, "-m", "assistant.cli", "staff", "hash-password", "--password-stdin"],
        input=PASSWORD + "\n", capture_output=True, text=True, cwd=ROOT, check=True)
    return result.stdout.strip().split("=", 1)[1]


# Conversations sent over REST: sender -> messages.
CONVERSATIONS = {
    f"bolig{RUN}": ["jeg er hjemløs", "Randers", '/feedback{"value":"down"}'],
    f"krise{RUN}": ["jeg vil ikke leve mere"],
    f"gaeld{RUN}": ["/ask_economy", "/dont_know", '/feedback{"value":"up"}'],
    f"uklar{RUN}": ["asdf", "qwerty zxcv"],
}


@pytest.fixture(scope="module")
def staff(tmp_path_factory: pytest.TempPathFactory) -> Iterator[StaffAssistant]:
    server = StaffAssistant(tmp_path_factory.mktemp("staff-assistant"),
                            password_hash=make_hash())
    server.start()
    try:
        for sender, messages in CONVERSATIONS.items():
            for text in messages:
                assert server.rest(sender, text), f"no reply to {text!r}"
        yield server
    finally:
        server.stop()


def login(assistant: StaffAssistant, password: str = PASSWORD) -> tuple[requests.Session,
                                                                          requests.Response]:
    session = requests.Session()
    form = session.get(assistant.staff_url + "/login", timeout=10)
    token = re.search(r'name="csrf" value="([^"]+)"', form.text).group(1)
    response = session.post(assistant.staff_url + "/login", timeout=30,
                            data={"csrf": token, "adgangskode": password},
                            allow_redirects=False)
    return session, response


def shown(html: str) -> set[str]:
    return set(re.findall(r"· samtale ([\w-]+)</h2>", html))


def ours(prefixes: list[str]) -> set[str]:
    return {f"{p}{RUN}"[:8] for p in prefixes}


def senders_with(assistant: StaffAssistant, condition: str) -> set[str]:
    """Our conversations that match a condition on the stored rows (independent SQL)."""
    rows = assistant.stored(f"SELECT DISTINCT sender_id FROM events WHERE {condition}")
    return {r[0][:8] for r in rows if r[0] in CONVERSATIONS}


def test_disabled_is_not_the_case_and_login_is_required(staff: StaffAssistant):
    response = requests.get(staff.staff_url, allow_redirects=False, timeout=10)
    assert response.status_code == 303
    assert response.headers["Location"] == "/staff/login"
    _, wrong = login(staff, "forkert adgangskode")
    assert wrong.status_code == 401 and "Forkert adgangskode." in wrong.text


def test_review_filters_on_real_conversations(staff: StaffAssistant):
    session, response = login(staff)
    assert response.status_code == 303
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Strict" in cookie

    def listed(query: str) -> set[str]:
        page = session.get(staff.staff_url + query, timeout=30)
        assert page.status_code == 200
        return shown(page.text) & ours(list(CONVERSATIONS))

    assert listed("") == ours(["bolig", "krise", "gaeld", "uklar"])
    assert listed("?flag=crisis") == ours(["krise"])
    assert listed("?flag=thumbs-down") == ours(["bolig"])
    assert listed("?emne=housing") == ours(["bolig"])
    assert listed("?emne=economy") == ours(["gaeld"])
    assert listed("?kommune=Randers") == ours(["bolig"])
    assert listed("?kommune=ukendt") == ours(["gaeld"])
    # Fallback and low confidence: exactly the conversations whose stored NLU says so.
    fallback = senders_with(staff, "intent_name = 'nlu_fallback' OR "
                                   "action_name = 'action_fallback'")
    assert ours(["uklar"]) <= fallback  # "asdf" is not understood
    assert listed("?flag=fallback") == fallback
    low = {sender[:8] for sender, data in staff.stored(
        "SELECT sender_id, data FROM events WHERE type_name = 'user'")
        if sender in CONVERSATIONS and not json.loads(data)["text"].startswith("/")
        and json.loads(data)["parse_data"]["intent"]["confidence"] < 0.5}
    assert ours(["uklar"]) <= low
    assert listed("?flag=low-confidence") == low
    today = time.strftime("%Y-%m-%d")
    assert listed(f"?fra={today}&til={today}&flag=crisis") == ours(["krise"])
    assert listed("?fra=2000-01-01&til=2000-01-02") == set()


def test_export_from_the_page(staff: StaffAssistant):
    session, _ = login(staff)
    page = session.get(staff.staff_url + "?emne=housing", timeout=30).text
    ids = dict((text, i) for i, text in re.findall(
        r'name="besked" value="(\d+)"><label for="m\d+"><span class="who">Borger:</span> '
        r"([^<]+)<", page))
    token = re.search(r'name="csrf" value="([^"]+)"', page).group(1)
    response = session.post(staff.staff_url + "/eksport", timeout=30, data=[
        ("csrf", token), ("hvad", "valgte"), ("besked", ids["jeg er hjemløs"])])
    assert response.status_code == 200
    assert "attachment" in response.headers["Content-Disposition"]
    (intent,) = staff.stored("SELECT intent_name FROM events WHERE id = ?",
                             int(ids["jeg er hjemløs"]))[0]
    assert intent == "ask_housing"
    assert yaml.safe_load(response.text)["nlu"] == [
        {"intent": "ask_housing", "examples": "- jeg er hjemløs\n"}]
    refused = session.post(staff.staff_url + "/eksport", timeout=30,
                           data={"besked": ids["jeg er hjemløs"]})
    assert refused.status_code == 403


def test_statistics_page_and_cli_agree(staff: StaffAssistant, capsys, tmp_path: Path):
    settings = load_settings(env={"TRACKER_STORE_URL": f"sqlite:///{staff.tracker_db}"},
                             root=tmp_path)
    assert main(["stats", "--out", str(tmp_path / "reports")], settings=settings) == 0
    out = capsys.readouterr().out
    total = int(re.search(r"^Samtaler\s+(\d+)$", out, re.M).group(1))
    assert total == len(staff.stored("SELECT DISTINCT sender_id FROM events"))
    assert total >= len(CONVERSATIONS)
    assert re.search(r"^Tilbagemeldinger 👎\s+[1-9]", out, re.M)
    assert re.search(r"^  Selvmordstanker\s+[1-9]", out, re.M)
    assert (tmp_path / "reports" / "stats_emner.png").read_bytes()[:4] == b"\x89PNG"

    session, _ = login(staff)
    today = time.strftime("%Y-%m-%d")
    page = session.get(staff.staff_url + f"/statistik?fra={today}&til={today}",
                       timeout=30).text
    shown_total = re.search(r'<th scope="row">Samtaler</th><td>(\d+)</td>', page).group(1)
    assert int(shown_total) == total

    assert main(["review", "--flag", "crisis"], settings=settings) == 0
    review = capsys.readouterr().out
    assert f"samtale {f'krise{RUN}'[:8]}" in review
    assert "Borger: jeg vil ikke leve mere" in review
    assert f"samtale {f'bolig{RUN}'[:8]}" not in review


def test_staff_page_in_a_browser(staff: StaffAssistant, tmp_path: Path):
    """A person gets an answer and presses 👎 (the widget's /feedback message); staff log
    in with the keyboard, find it with the 👎 and municipality filters, export the message
    from the page, and both pages pass axe-core."""
    from axe_playwright_python.sync_playwright import Axe

    sender = f"browser{RUN}"
    for text in (WIDGET_TEXT, '/inform_municipality{"municipality":"Randers"}',
                 '/feedback{"value":"down"}'):
        assert staff.rest(sender, text)
    with chromium(tmp_path / "profile") as context:
        page = context.pages[0] if context.pages else context.new_page()
        page.set_default_timeout(30_000)
        page.goto(staff.staff_url)
        assert page.url.endswith("/staff/login")
        page.keyboard.press("Tab")  # the skip link comes first
        assert page.evaluate("document.activeElement.textContent") == "Gå til indhold"
        page.keyboard.press("Tab")
        assert page.evaluate("document.activeElement.id") == "adgangskode"
        outline = page.evaluate("getComputedStyle(document.activeElement).outlineWidth")
        assert outline == "3px"  # a visible focus indicator
        page.keyboard.type(PASSWORD)
        page.keyboard.press("Enter")
        page.wait_for_url("**/staff")
        assert context.cookies()[0]["httpOnly"] is True
        assert context.cookies()[0]["sameSite"] == "Strict"
        page.get_by_label(STAFF_FLAG_DOWN).check()
        page.get_by_label("Kommune").select_option("Randers")
        page.get_by_role("button", name="Vis", exact=True).click()
        page.wait_for_url("**flag=thumbs-down**")
        headings = page.locator("ol.conversations h2").all_inner_texts()
        assert [h.rsplit(" ", 1)[-1] for h in headings] == [sender[:8], f"bolig{RUN}"[:8]]
        page.get_by_label(re.compile(WIDGET_TEXT)).check()
        results = Axe().run(page)
        assert [v["id"] for v in results.response["violations"]
                if v["impact"] in ("serious", "critical")] == []
        with page.expect_download() as download_info:
            page.get_by_role("button", name="Eksportér valgte beskeder").first.click()
        download = download_info.value
        assert re.fullmatch(r"nlu-eksport-\d{8}-\d{4}\.yml", download.suggested_filename)
        exported = yaml.safe_load(Path(download.path()).read_text(encoding="utf-8"))
        texts = [line for group in exported["nlu"] for line in group["examples"].splitlines()]
        assert texts == [f"- {WIDGET_TEXT}"]
        page.goto(staff.staff_url + "/statistik")
        results = Axe().run(page)
        assert [v["id"] for v in results.response["violations"]
                if v["impact"] in ("serious", "critical")] == []


def test_zz_lockout_after_five_failures(staff: StaffAssistant):
    """Runs last in this module: 127.0.0.1 is locked out of this server afterwards."""
    statuses = [login(staff, f"forkert {n} kode!!")[1].status_code for n in range(5)]
    assert statuses == [401, 401, 401, 401, 429]
    session, response = login(staff)
    assert response.status_code == 429
    assert "Login er spærret i 15 minutter endnu" in response.text
    assert session.get(staff.staff_url, allow_redirects=False, timeout=10).status_code == 303
