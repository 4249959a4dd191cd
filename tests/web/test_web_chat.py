"""The website chat in a real browser (Debian's Chromium) against the running assistant.

A person's journey: ask in Danish, answer the municipality question with a button, read an
answer with a phone number, links and a list, give feedback, press a button, change the
municipality, then leave with "Forlad siden" – and nothing of the chat is left in the
browser or on the server.
"""

from __future__ import annotations

import re
import threading
import time
import urllib.parse
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from web_harness import EXIT_URL, START_URL, STRINGS, Assistant, SocketFrames

pytestmark = pytest.mark.web

INPUT = STRINGS["inputLabel"]
REPLY_TIMEOUT = 30_000


def open_chat(page: Any) -> None:
    page.get_by_role("button", name=STRINGS["launcher"]).click()
    page.get_by_label(INPUT).wait_for()


def bot_count(page: Any) -> int:
    return page.locator(".kvc-msg--bot").count()


def wait_reply(page: Any, before: int) -> str:
    """Wait until a complete reply arrived (typing indicator gone); return its text."""
    page.wait_for_function(
        "n => document.querySelectorAll('.kvc-msg--bot').length > n"
        " && document.querySelector('.kvc-typing').hidden",
        arg=before, timeout=REPLY_TIMEOUT)
    messages = page.locator(".kvc-msg--bot")
    return "\n".join(messages.nth(i).inner_text() for i in range(before, messages.count()))


def ask(page: Any, text: str) -> str:
    before = bot_count(page)
    page.get_by_label(INPUT).fill(text)
    page.get_by_label(INPUT).press("Enter")
    return wait_reply(page, before)


def click_choice(page: Any, title: str) -> str:
    before = bot_count(page)
    page.locator(".kvc-buttons").last.get_by_role("button", name=title, exact=True).click()
    return wait_reply(page, before)


def user_bubbles(page: Any) -> list[str]:
    return [t.strip() for t in page.locator(".kvc-msg--user .kvc-bubble").all_inner_texts()]


def query(url: str) -> dict[str, list[str]]:
    return urllib.parse.parse_qs(urllib.parse.urlsplit(url).query)


def assert_nothing_stored(page: Any, context: Any) -> None:
    stored = page.evaluate(
        "() => ({local: localStorage.length, session: sessionStorage.length,"
        " cookie: document.cookie})")
    assert stored == {"local": 0, "session": 0, "cookie": ""}
    assert context.cookies() == []
    assert all(not origin.get("localStorage") for origin in context.storage_state()["origins"])


def test_housing_answer_after_a_municipality_button(
        page: Any, frames: SocketFrames, assistant: Assistant) -> None:
    page.goto(assistant.web_url)
    open_chat(page)
    # Housing in Danish: the assistant asks for the municipality (no preset on this page).
    reply = ask(page, "jeg er hjemløs")
    assert "Hvilken kommune bor du i?" in reply
    assert page.locator(".kvc-msg--bot").last.locator(".kvc-feedback").count() == 0

    # A municipality button: its title is the bubble, its payload is what is sent.
    reply = click_choice(page, "Randers")
    assert user_bubbles(page) == ["jeg er hjemløs", "Randers"]
    assert frames.messages()[-1] == '/inform_municipality{"municipality":"Randers"}'
    assert "Randers Kommune" in reply
    # Bot text lines starting with "• " are a list; URLs are links that open a new window.
    assert page.locator(".kvc-list > li").count() >= 2
    assert "•" not in page.locator(".kvc-log").inner_text()
    link = page.locator(".kvc-msg--bot a.kvc-link[href^='https://']").first
    assert link.get_attribute("target") == "_blank"
    assert "noopener" in link.get_attribute("rel")
    assert page.locator(".kvc-msg--bot").last.locator(".kvc-feedback").count() == 1


def test_journey_phone_answer_feedback_buttons_and_quick_exit(
        page: Any, frames: SocketFrames, browser_context: Any, assistant: Assistant) -> None:
    page.goto(START_URL)
    page.goto(assistant.web_url)
    open_chat(page)

    # Economy: the municipality question, "Vil ikke sige", an answer with a phone number.
    assert "Hvilken kommune bor du i?" in ask(page, "jeg har gæld")
    reply = click_choice(page, "Vil ikke sige")
    assert frames.messages()[-1] == "/dont_know"
    assert "70 22 93 30" in reply
    phone = page.locator("a.kvc-link[href='tel:+4570229330']").first
    assert phone.inner_text() == "70 22 93 30"
    answer = page.locator(".kvc-msg--bot").last

    # Feedback: sent silently, thanked in the widget; the server's own reply is not shown.
    answer.get_by_role("button", name=STRINGS["feedbackUp"]).click()
    assert answer.locator(".kvc-feedback").inner_text().startswith(STRINGS["feedbackThanks"])
    thumbs = answer.get_by_role("button", name=STRINGS["feedbackUp"])
    assert thumbs.get_attribute("aria-pressed") == "true"
    deadline = time.monotonic() + 5
    while '/feedback{"value":"up"}' not in frames.messages() and time.monotonic() < deadline:
        page.wait_for_timeout(100)
    assert '/feedback{"value":"up"}' in frames.messages()
    shown = bot_count(page)
    page.wait_for_timeout(2500)
    assert bot_count(page) == shown
    assert user_bubbles(page)[-1] == "Vil ikke sige"

    # Another quick-reply button.
    title = page.locator(".kvc-buttons").last.get_by_role("button").first.inner_text()
    reply = click_choice(page, title)
    assert reply.strip()
    assert user_bubbles(page)[-1] == title

    # Housing now goes straight to an answer, and the municipality can be changed in words.
    reply = ask(page, "jeg er hjemløs")
    assert "Hvilken kommune bor du i?" not in reply
    reply = ask(page, "jeg bor faktisk i Randers")
    assert "Randers" in reply

    assert page.url == assistant.web_url  # nothing in the URL
    assert_nothing_stored(page, browser_context)
    assert page.console_errors == []  # no CSP violations, no script errors

    # The conversation is stored on the server (redacted) until the person leaves.
    ids = frames.conversation_ids()
    stored = {cid: assistant.stored_events(cid) for cid in ids}
    conversation = max(stored, key=stored.get)
    assert stored[conversation] > 0, stored

    # "Forlad siden": gone from the page at once, delete sent, neutral site, Back leaves.
    started = time.monotonic()
    page.get_by_role("button", name=STRINGS["quickExitLabel"]).click()
    page.wait_for_url(EXIT_URL)
    assert time.monotonic() - started < 2.0
    assert frames.messages()[-1] == "/delete_conversation"
    page.go_back()
    assert page.url == START_URL
    assert_nothing_stored(page, browser_context)

    assert assistant.wait_until_deleted(conversation) == 0, "still stored on the server"


def test_municipality_from_data_attribute_is_set_silently(
        page: Any, frames: SocketFrames, assistant: Assistant) -> None:
    page.goto(assistant.web_url + "kommune/randers")
    assert page.locator("script[data-municipality='Randers']").count() == 1
    open_chat(page)
    deadline = time.monotonic() + 15
    while not frames.messages() and time.monotonic() < deadline:
        page.wait_for_timeout(100)
    assert frames.messages()[0] == '/inform_municipality{"municipality":"Randers"}'
    page.wait_for_timeout(2500)  # the "Tak. Jeg har noteret …" reply arrives and is left out
    assert user_bubbles(page) == []
    assert "noteret" not in page.locator(".kvc-log").inner_text()

    reply = ask(page, "jeg er hjemløs")
    assert "Hvilken kommune bor du i?" not in reply
    assert "Randers Kommune" in reply
    assert user_bubbles(page) == ["jeg er hjemløs"]


def test_escape_twice_leaves_but_once_does_not(
        page: Any, frames: SocketFrames, assistant: Assistant) -> None:
    page.goto(START_URL)
    page.goto(assistant.web_url)
    open_chat(page)
    ask(page, "hej")
    page.keyboard.press("Escape")
    expect_status(page, STRINGS["escAgain"])
    page.wait_for_timeout(1300)
    page.keyboard.press("Escape")  # too late to count as the second press
    page.wait_for_timeout(200)
    assert page.url == assistant.web_url
    page.wait_for_timeout(1100)
    page.keyboard.press("Escape")
    page.keyboard.press("Escape")
    page.wait_for_url(EXIT_URL)
    assert frames.messages()[-1] == "/delete_conversation"
    page.go_back()
    assert page.url == START_URL


def expect_status(page: Any, text: str) -> None:
    page.wait_for_function(
        "t => document.querySelector('.kvc [role=status]').textContent === t", arg=text)


def test_keyboard_only(page: Any, assistant: Assistant) -> None:
    page.goto(assistant.web_url)
    launcher = page.get_by_role("button", name=STRINGS["launcher"])
    # Tab from the top of the page reaches the launcher (it is the last control).
    for _ in range(60):
        page.keyboard.press("Tab")
        if page.evaluate("() => document.activeElement.classList.contains('kvc-launcher')"):
            break
    else:
        pytest.fail("the chat launcher is not reachable with Tab")
    assert_focus_visible(page)
    assert launcher.get_attribute("aria-expanded") == "false"
    page.keyboard.press("Enter")
    assert page.evaluate("() => document.activeElement.classList.contains('kvc-input')")
    assert_focus_visible(page)

    page.keyboard.type("jeg har gæld")
    before = bot_count(page)
    page.keyboard.press("Enter")
    assert "Hvilken kommune bor du i?" in wait_reply(page, before)
    # Shift+Tab from the input reaches the last answer button.
    page.keyboard.press("Shift+Tab")
    assert page.evaluate("() => document.activeElement.textContent") == "Vil ikke sige"
    assert_focus_visible(page)
    before = bot_count(page)
    page.keyboard.press("Enter")
    assert "70 22 93 30" in wait_reply(page, before)

    # The quick exit and the minimise button are reachable; minimising returns focus.
    page.get_by_role("button", name=STRINGS["minimize"]).focus()
    assert_focus_visible(page)
    page.keyboard.press("Enter")
    assert page.evaluate("() => document.activeElement.classList.contains('kvc-launcher')")
    assert page.locator(".kvc-panel").is_hidden()
    page.keyboard.press("Enter")
    assert page.locator(".kvc-panel").is_visible()
    assert "70 22 93 30" in page.locator(".kvc-log").inner_text()  # the conversation stays


def assert_focus_visible(page: Any) -> None:
    style = page.evaluate(
        "() => { const s = getComputedStyle(document.activeElement);"
        " return [s.outlineStyle, parseFloat(s.outlineWidth)]; }")
    assert style[0] not in ("none", "") and style[1] >= 2, style


def test_session_id_random_websocket_only_and_nothing_from_elsewhere(
        page: Any, frames: SocketFrames, browser_context: Any, assistant: Assistant) -> None:
    requests: list[str] = []
    page.on("request", lambda r: requests.append(r.url))
    page.goto(assistant.web_url)
    open_chat(page)
    ask(page, "hej")
    page.reload()
    open_chat(page)
    ask(page, "hej")

    ids = [d["session_id"] for d in frames.events("session_request")]
    assert len(ids) == 2 and ids[0] != ids[1]
    assert all(re.fullmatch(r"[0-9a-f]{32}", i) for i in ids)
    assert frames.urls and all("transport=websocket" in u for u in frames.urls)
    # The connection URL names the conversation for nginx's sticky routing (?sender=).
    assert [query(u).get("sender") for u in frames.urls] == [[i] for i in ids]
    rasa_origin = assistant.rasa_url
    for url in requests:
        assert url.startswith((assistant.web_url, rasa_origin)), url
        assert "transport=polling" not in url
    assert_nothing_stored(page, browser_context)


def test_reduced_motion_is_respected(page: Any, assistant: Assistant) -> None:
    page.emulate_media(reduced_motion="reduce")
    page.goto(assistant.web_url)
    open_chat(page)
    animation = page.evaluate(
        "() => getComputedStyle(document.querySelector('.kvc-dot')).animationName")
    assert animation == "none"
    page.emulate_media(reduced_motion="no-preference")
    animation = page.evaluate(
        "() => getComputedStyle(document.querySelector('.kvc-dot')).animationName")
    assert animation != "none"


@pytest.mark.parametrize("viewport", [
    {"width": 320, "height": 640},   # WCAG 1.4.10 reflow
    {"width": 640, "height": 400},   # 1280 × 800 at 200 % zoom
], ids=["320px", "zoom200"])
def test_small_screens_and_zoom(page: Any, assistant: Assistant, viewport: dict) -> None:
    page.set_viewport_size(viewport)
    page.goto(assistant.web_url)
    assert_no_horizontal_scroll(page, viewport["width"])
    assert_in_viewport(page, page.get_by_role("button", name=STRINGS["launcher"]), viewport)
    open_chat(page)
    ask(page, "jeg har gæld")
    click_choice(page, "Vil ikke sige")
    assert_no_horizontal_scroll(page, viewport["width"])
    assert page.evaluate(
        "() => { const l = document.querySelector('.kvc-log');"
        " return l.scrollWidth <= l.clientWidth; }")
    for control in (page.get_by_role("button", name=STRINGS["quickExitLabel"]),
                    page.get_by_label(INPUT),
                    page.get_by_role("button", name=STRINGS["send"], exact=True)):
        assert_in_viewport(page, control, viewport)


def assert_no_horizontal_scroll(page: Any, width: int) -> None:
    scroll = page.evaluate("() => document.documentElement.scrollWidth")
    assert scroll <= width, f"page is {scroll}px wide at {width}px"


def assert_in_viewport(page: Any, locator: Any, viewport: dict) -> None:
    assert locator.is_visible()
    box = locator.bounding_box()
    assert box is not None
    assert box["x"] >= 0 and box["y"] >= 0
    assert box["x"] + box["width"] <= viewport["width"] + 0.5
    assert box["y"] + box["height"] <= viewport["height"] + 0.5


def test_restart_unreachable_message_and_reconnect(
        page: Any, frames: SocketFrames, assistant: Assistant) -> None:
    if assistant.process is None:
        pytest.skip("the assistant was started outside the tests (WEB_TEST_EXTERNAL)")
    page.goto(assistant.web_url)
    open_chat(page)
    ask(page, "hej")
    alert = page.locator(".kvc-alert")
    assert alert.inner_text() == ""

    assistant.stop()
    page.wait_for_function(
        "t => document.querySelector('.kvc-alert').textContent === t",
        arg=STRINGS["unreachable"], timeout=20_000)
    assert alert.get_attribute("role") == "alert"
    assert alert.locator("a").count() == 0  # 112 and the hotlines as plain text
    for number in ("112", "1888", "70 201 201"):
        assert number in alert.inner_text()
    # A message cannot be sent now: it stays in the field and the person is told.
    page.get_by_label(INPUT).fill("er du der?")
    page.get_by_label(INPUT).press("Enter")
    assert page.get_by_label(INPUT).input_value() == "er du der?"
    expect_status(page, STRINGS["notSent"])

    assistant.start()  # same ports: the widget reconnects by itself
    page.wait_for_function(
        "() => document.querySelector('.kvc-alert').textContent === ''", timeout=30_000)
    expect_status(page, STRINGS["reconnected"])
    page.get_by_label(INPUT).fill("")
    reply = ask(page, "jeg er hjemløs")
    assert "Hvilken kommune bor du i?" in reply


def test_embedded_on_another_site_with_one_script_and_one_stylesheet(
        page: Any, frames: SocketFrames, browser_context: Any, assistant: Assistant) -> None:
    """A municipality's own page (another origin, no DKFDS) embeds the widget with one
    <link> and one <script> tag. Without crypto.randomUUID the widget falls back to
    crypto.getRandomValues."""
    widget = f"http://127.0.0.1:{assistant.web_port}/widget"
    host_page = (
        "<!DOCTYPE html><html lang=da><head><meta charset=utf-8>"
        "<title>Sønderborg Kommune</title>"
        f'<link rel="stylesheet" href="{widget}/chat.css">'
        f'<script src="{widget}/chat.js" defer data-rasa-url="{assistant.rasa_url}"'
        ' data-municipality="Sønderborg"></script></head>'
        "<body><h1>Sønderborg Kommune</h1><p>Borger</p></body></html>").encode()
    with municipal_site(host_page, assistant.site_port) as site:
        page.add_init_script("Object.defineProperty(Crypto.prototype, 'randomUUID',"
                             " {value: undefined, configurable: true})")
        page.goto(site)
        open_chat(page)
        reply = ask(page, "jeg er hjemløs")
    assert "Sønderborg Kommune" in reply and "Hvilken kommune" not in reply
    assert frames.messages()[0] == '/inform_municipality{"municipality":"Sønderborg"}'
    session = frames.events("session_request")[0]["session_id"]
    assert re.fullmatch(r"[0-9a-f]{32}", session)
    assert page.evaluate("() => document.fonts.check('16px \"IBM Plex Sans\"')")
    assert page.evaluate("() => 'io' in window") is False  # the bundle adds no globals
    assert page.console_errors == []
    assert_nothing_stored(page, browser_context)


@contextmanager
def municipal_site(body: bytes, port: int = 0) -> Iterator[str]:
    """A plain page on its own loopback origin (Chromium lets no public page, and so no
    page faked by Playwright's routing, load scripts from loopback). The harness puts
    `assistant.site_port`'s origin in CORS_ORIGINS; any other port is a foreign site."""

    class Page(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 (http.server API)
            self.send_response(200)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", port), Page)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/"
    finally:
        server.shutdown()
        server.server_close()


# Keeps a reference to every WebSocket the page opens (the widget exposes nothing), so a
# test can drop the connection the way a network change or a proxy restart does.
TRACK_WEBSOCKETS = """(() => {
  const Native = window.WebSocket;
  const open = [];
  class Tracked extends Native {
    constructor(...args) { super(...args); open.push(this); }
  }
  window.WebSocket = Tracked;
  window.__dropWebSockets = () => open.splice(0).forEach(ws => ws.close());
})();"""


def test_reconnect_continues_the_conversation_and_quick_exit_deletes_all_of_it(
        page: Any, frames: SocketFrames, browser_context: Any, assistant: Assistant) -> None:
    """session_persistence: the widget's random session id is the conversation, so after
    the socket reconnects (new socket.io connection) the same conversation goes on, and the
    quick exit deletes every event of it, from before and after the reconnect."""
    page.add_init_script(TRACK_WEBSOCKETS)
    page.goto(START_URL)
    page.goto(assistant.web_url)
    open_chat(page)
    assert "Hvilken kommune bor du i?" in ask(page, "jeg har gæld")
    assert "Randers" in click_choice(page, "Randers")
    session = frames.events("session_request")[0]["session_id"]
    assert re.fullmatch(r"[0-9a-f]{32}", session)
    before_reconnect = assistant.stored_events(session)
    assert before_reconnect > 0, "the conversation is not stored under the session id"

    page.evaluate("() => window.__dropWebSockets()")
    deadline = time.monotonic() + 20
    while len(frames.events("session_confirm", sent=False)) < 2 and time.monotonic() < deadline:
        page.wait_for_timeout(100)
    assert len(frames.events("session_confirm", sent=False)) == 2, "no reconnect"
    page.wait_for_function(
        "() => document.querySelector('.kvc-alert').textContent === ''", timeout=10_000)
    page.wait_for_timeout(300)

    # A new socket.io connection (new sid), the same session: the municipality is known.
    sids = [d["sid"] for d in frames.events("__connect__", sent=False)]
    assert len(sids) == 2 and sids[0] != sids[1]
    assert [d["session_id"] for d in frames.events("session_request")] == [session, session]
    assert len(frames.urls) == 2
    assert all(query(u).get("sender") == [session] for u in frames.urls)
    reply = ask(page, "jeg er hjemløs")
    assert "Hvilken kommune bor du i?" not in reply
    assert "Randers Kommune" in reply
    assert {d.get("session_id") for d in frames.events("user_uttered")} == {session}
    assert assistant.stored_events(session) > before_reconnect
    assert all(assistant.stored_events(sid) == 0 for sid in sids)

    page.get_by_role("button", name=STRINGS["quickExitLabel"]).click()
    page.wait_for_url(EXIT_URL)
    assert frames.messages()[-1] == "/delete_conversation"
    assert_nothing_stored(page, browser_context)
    assert assistant.wait_until_deleted(session) == 0, "conversation still stored on the server"


def test_a_site_not_in_cors_origins_cannot_connect(
        page: Any, frames: SocketFrames, assistant: Assistant) -> None:
    """The same embedding on a site whose origin is not in CORS_ORIGINS: the socket.io
    handshake is refused, so the widget says the assistant cannot be reached."""
    widget = f"http://127.0.0.1:{assistant.web_port}/widget"
    host_page = (
        "<!DOCTYPE html><html lang=da><head><meta charset=utf-8><title>Fremmed side</title>"
        f'<link rel="stylesheet" href="{widget}/chat.css">'
        f'<script src="{widget}/chat.js" defer data-rasa-url="{assistant.rasa_url}">'
        "</script></head><body><h1>Fremmed side</h1></body></html>").encode()
    with municipal_site(host_page) as site:
        assert not site.startswith(tuple(assistant.allowed_origins))
        page.goto(site)
        open_chat(page)
        page.wait_for_function(
            "t => document.querySelector('.kvc-alert').textContent === t",
            arg=STRINGS["unreachable"], timeout=20_000)
        page.wait_for_timeout(1500)
    assert frames.events("__connect__", sent=False) == []
    assert frames.events("session_request") == []
