"""The staff page on the web chat server (/staff), in Danish, behind a login.

    GET  /staff               recent conversations, filterable by date, topic, municipality
                              and flags; user messages can be selected for export
    POST /staff/eksport       the selected messages as a Rasa NLU YAML file (download)
    GET  /staff/statistik     statistics (the same figures as `assistant stats`)
    GET  /staff/login         login form;  POST /staff/login  check the password
    POST /staff/logout        end the session
    GET  /staff/static/staff.css

Added to the server by :func:`register_staff_routes` (one line in
`assistant.web.server.create_app`). Without STAFF_PASSWORD_HASH every page says that the
staff page is disabled. No JavaScript, no external assets; every page is served with a
strict Content-Security-Policy and `Cache-Control: no-store`.
"""

from __future__ import annotations

import asyncio
import html
import logging
import os
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlencode, urlsplit

import yaml
from aiohttp import web
from dotenv import dotenv_values

from assistant.config import Settings
from assistant.dialogue.answers import TOPIC_INTENTS
from assistant.staff import stats as staff_stats
from assistant.staff.auth import (
    HashFormatError,
    LoginGuard,
    Sessions,
    check_hash_format,
    same_token,
    verify_password,
)
from assistant.staff.conversations import (
    FLAGS,
    NOT_GIVEN,
    TZ,
    UNKNOWN_MUNICIPALITY,
    Conversation,
    ConversationStore,
    Filters,
    local,
    payload_label,
)
from assistant.staff.export import build_export

log = logging.getLogger(__name__)

STATIC_DIR = Path(__file__).resolve().parent / "static"
SESSION_COOKIE = "staff_session"
LOGIN_COOKIE = "staff_login"
PAGE_SIZE = 50
MAX_EXPORT = 5000
HASH_VARIABLE = "STAFF_PASSWORD_HASH"
_UNSET: Any = object()

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def load_password_hash(settings: Settings, env: Mapping[str, str] | None = None) -> str | None:
    """STAFF_PASSWORD_HASH from the environment, else from `.env` in the project root."""
    if env is None:
        file_values = {k: v for k, v in dotenv_values(settings.root / ".env").items()
                       if v is not None}
        env = {**file_values, **os.environ}
    value = (env.get(HASH_VARIABLE) or "").strip()
    return value or None


def topic_names(knowledge_dir: Path) -> dict[str, str]:
    """Topic id -> Danish name for the topics a conversation can have (those of
    TOPIC_INTENTS), named as in data/knowledge/topics.yml."""
    names = {"human": "Tal med et menneske", "general": "Socialpolitikken generelt"}
    try:
        data = yaml.safe_load((knowledge_dir / "topics.yml").read_text(encoding="utf-8")) or {}
    except OSError:
        data = {}
    for topic in data.get("topics", []):
        if isinstance(topic, dict) and topic.get("id") and topic.get("name"):
            names[str(topic["id"])] = str(topic["name"])
    return {t: names.get(t, t) for t in dict.fromkeys(TOPIC_INTENTS.values())}


@dataclass
class StaffState:
    tracker_store_url: str
    password_hash: str | None
    problem: str | None  # why the page is disabled, in Danish
    guard: LoginGuard
    sessions: Sessions
    topics: dict[str, str]
    cookie_secure: bool = False
    today: Callable[[], date] = field(default=lambda: datetime.now(TZ).date())
    _store: ConversationStore | None = None

    @property
    def enabled(self) -> bool:
        return self.password_hash is not None and self.problem is None

    @property
    def store(self) -> ConversationStore:
        if self._store is None:
            self._store = ConversationStore(self.tracker_store_url)
        return self._store

    def close(self) -> None:
        if self._store is not None:
            self._store.close()
            self._store = None


STAFF = web.AppKey("staff", StaffState)


def register_staff_routes(app: web.Application, settings: Settings, *,
                          password_hash: str | None = _UNSET,
                          guard: LoginGuard | None = None,
                          sessions: Sessions | None = None,
                          tracker_store_url: str | None = None) -> StaffState:
    """Add /staff to `app`. Tests may pass the hash, lockout and session objects."""
    if password_hash is _UNSET:
        password_hash = load_password_hash(settings)
    problem = None
    if password_hash is None:
        problem = (f"Personalesiden er slået fra, fordi der ikke er sat en adgangskode. "
                   f"Lav en med 'assistant staff hash-password', og skriv linjen "
                   f"{HASH_VARIABLE}=… i .env.")
    else:
        try:
            check_hash_format(password_hash)
        except HashFormatError as err:
            problem = (f"Personalesiden er slået fra: {HASH_VARIABLE} i .env kan ikke "
                       f"bruges ({err}). Lav en ny med 'assistant staff hash-password'.")
            log.warning("%s is not a valid hash: %s; /staff is disabled", HASH_VARIABLE, err)
    state = StaffState(
        tracker_store_url=tracker_store_url or settings.tracker_store_url,
        password_hash=password_hash, problem=problem,
        guard=guard or LoginGuard(), sessions=sessions or Sessions(),
        topics=topic_names(settings.knowledge_dir),
        cookie_secure=os.environ.get("STAFF_COOKIE_SECURE", "").lower() in ("1", "true", "yes"),
    )
    app[STAFF] = state

    async def close(_: web.Application) -> None:
        state.close()

    app.on_cleanup.append(close)
    app.router.add_get("/staff", _guarded(review_page))
    app.router.add_get("/staff/", _redirect_to("/staff"))
    app.router.add_get("/staff/statistik", _guarded(stats_page))
    app.router.add_post("/staff/eksport", _guarded(export_messages, post=True))
    app.router.add_get("/staff/login", login_form)
    app.router.add_post("/staff/login", login_submit)
    app.router.add_post("/staff/logout", _guarded(logout, post=True))
    app.router.add_get("/staff/static/staff.css", stylesheet)
    return state


# --- responses and layout -------------------------------------------------------------

CSP = "; ".join([
    "default-src 'none'", "style-src 'self'", "img-src 'self'", "form-action 'self'",
    "frame-ancestors 'none'", "base-uri 'none'",
])


def _headers() -> dict[str, str]:
    return {
        "Content-Security-Policy": CSP,
        "Cache-Control": "no-store",
        "X-Frame-Options": "DENY",
        "X-Robots-Tag": "noindex, nofollow",
        "Cross-Origin-Opener-Policy": "same-origin",
        # Not "no-referrer": with it, browsers send "Origin: null" on the page's own form
        # posts, and the Origin check below must see this site's origin.
        "Referrer-Policy": "same-origin",
    }


def e(value: Any) -> str:
    return html.escape(str(value), quote=True)


def page(title: str, body: str, *, csrf: str | None = None, current: str = "",
         status: int = 200) -> web.Response:
    nav = ""
    if csrf is not None:
        def link(href: str, label: str) -> str:
            here = ' aria-current="page"' if href == current else ""
            return f'<li><a href="{href}"{here}>{label}</a></li>'

        nav = (
            '<nav aria-label="Personalesider"><ul>'
            + link("/staff", "Samtaler") + link("/staff/statistik", "Statistik")
            + '<li><form method="post" action="/staff/logout">'
            f'<input type="hidden" name="csrf" value="{e(csrf)}">'
            '<button type="submit" class="secondary">Log ud</button></form></li>'
            "</ul></nav>")
    document = f"""<!DOCTYPE html>
<html lang="da">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="robots" content="noindex, nofollow">
<title>{e(title)} – Personaleside – Digital vejleder</title>
<link rel="stylesheet" href="/staff/static/staff.css">
</head>
<body>
<a class="skip-link" href="#indhold">Gå til indhold</a>
<header class="site">
<span class="brand">Digital vejleder – personaleside</span>
{nav}
</header>
<main id="indhold" tabindex="-1">
<h1>{e(title)}</h1>
{body}
</main>
</body>
</html>
"""
    return web.Response(text=document, content_type="text/html", charset="utf-8",
                        status=status, headers=_headers())


def disabled_page(state: StaffState) -> web.Response:
    return page("Personalesiden er slået fra",
                f'<p class="notice">{e(state.problem or "")}</p>'
                "<p>Se <code>docs/personale.md</code>, afsnittet om personalesiden.</p>",
                status=503)


async def stylesheet(_: web.Request) -> web.Response:
    css = (STATIC_DIR / "staff.css").read_text(encoding="utf-8")
    return web.Response(text=css, content_type="text/css", charset="utf-8")


def _redirect_to(location: str) -> Handler:
    async def handler(_: web.Request) -> web.StreamResponse:
        raise web.HTTPFound(location)

    return handler


# --- login, sessions, CSRF --------------------------------------------------------------


def _client(request: web.Request) -> str:
    return request.remote or "ukendt"


def _same_origin(request: web.Request) -> bool:
    """POSTs must come from this site: Origin (or Referer) must name this host."""
    origin = request.headers.get("Origin") or request.headers.get("Referer")
    if not origin:
        return True  # SameSite=Strict cookies and the CSRF token still protect the form
    if origin == "null":
        return False
    return urlsplit(origin).netloc.lower() == request.host.lower()


def _set_cookie(response: web.StreamResponse, state: StaffState, request: web.Request,
                name: str, value: str, max_age: int) -> None:
    response.set_cookie(name, value, max_age=max_age, path="/staff", httponly=True,
                        samesite="Strict", secure=state.cookie_secure or request.secure)


def _guarded(handler: Handler, post: bool = False) -> Handler:
    """Require the staff page to be enabled and a live session (and CSRF for POST)."""

    async def wrapper(request: web.Request) -> web.StreamResponse:
        state = request.app[STAFF]
        if not state.enabled:
            return disabled_page(state)
        session = state.sessions.get(request.cookies.get(SESSION_COOKIE))
        if session is None:
            if post:
                return page("Du er ikke logget ind",
                            '<p class="error">Din session er udløbet. '
                            '<a href="/staff/login">Log ind igen</a>.</p>', status=403)
            raise web.HTTPSeeOther("/staff/login")
        if post:
            form = await request.post()
            if not _same_origin(request) or not same_token(_field(form, "csrf"),
                                                           session.csrf):
                return page("Handlingen blev afvist",
                            '<p class="error">Formularen var udløbet eller kom ikke fra '
                            'denne side. <a href="/staff">Prøv igen</a>.</p>', status=403)
            request["form"] = form
        request["session"] = session
        return await handler(request)

    return wrapper


def _field(form: Mapping[str, Any], name: str) -> str | None:
    value = form.get(name)
    return value if isinstance(value, str) else None


def _login_page(state: StaffState, token: str, message: str = "",
                status: int = 200) -> web.Response:
    error = f'<p class="error" role="alert" id="login-fejl">{e(message)}</p>' if message else ""
    described = ' aria-describedby="login-fejl"' if message else ""
    body = f"""<div class="login">
{error}
<p>Siden viser samtaler med borgere (renset for personoplysninger) og statistik.
Kun for personale.</p>
<form method="post" action="/staff/login">
<input type="hidden" name="csrf" value="{e(token)}">
<div class="field">
<label for="adgangskode">Adgangskode</label>
<input type="password" id="adgangskode" name="adgangskode" autocomplete="current-password"
 required{described}>
</div>
<button type="submit">Log ind</button>
</form>
</div>"""
    return page("Log ind", body, status=status)


def _new_login_form(state: StaffState, request: web.Request, message: str = "",
                    status: int = 200) -> web.Response:
    import secrets

    token = secrets.token_urlsafe(32)
    response = _login_page(state, token, message, status)
    _set_cookie(response, state, request, LOGIN_COOKIE, token, max_age=1800)
    return response


async def login_form(request: web.Request) -> web.StreamResponse:
    state = request.app[STAFF]
    if not state.enabled:
        return disabled_page(state)
    if state.sessions.get(request.cookies.get(SESSION_COOKIE)) is not None:
        raise web.HTTPSeeOther("/staff")
    return _new_login_form(state, request)


def _minutes(seconds: float) -> int:
    return max(1, int(-(-seconds // 60)))


async def login_submit(request: web.Request) -> web.StreamResponse:
    state = request.app[STAFF]
    if not state.enabled:
        return disabled_page(state)
    form = await request.post()
    if not _same_origin(request) or not same_token(_field(form, "csrf"),
                                                   request.cookies.get(LOGIN_COOKIE)):
        return _new_login_form(state, request, "Formularen var udløbet. Prøv igen.", 403)
    client = _client(request)
    locked = state.guard.locked_for(client)
    if locked:
        return _new_login_form(
            state, request, f"For mange forkerte forsøg. Login er spærret i "
            f"{_minutes(locked)} minutter endnu.", 429)
    if not state.guard.allow_attempt():
        return _new_login_form(
            state, request, "Der er for mange loginforsøg lige nu. Vent et minut, og prøv "
            "igen.", 429)
    password = _field(form, "adgangskode") or ""
    assert state.password_hash is not None
    ok = await asyncio.get_running_loop().run_in_executor(
        None, verify_password, password, state.password_hash)
    if not ok:
        if state.guard.failure(client):
            log.warning("staff login locked after repeated failures")
            return _new_login_form(
                state, request, "Forkert adgangskode. Der har været for mange forkerte "
                f"forsøg, så login er spærret i {_minutes(state.guard.lockout_seconds)} "
                "minutter.", 429)
        return _new_login_form(state, request, "Forkert adgangskode.", 401)
    state.guard.success(client)
    state.sessions.end(request.cookies.get(SESSION_COOKIE))
    token, session = state.sessions.create()
    response = web.HTTPSeeOther("/staff")
    _set_cookie(response, state, request, SESSION_COOKIE, token,
                max_age=round(state.sessions.remaining(session)))
    response.del_cookie(LOGIN_COOKIE, path="/staff")
    log.info("staff login")
    raise response


async def logout(request: web.Request) -> web.StreamResponse:
    state = request.app[STAFF]
    state.sessions.end(request.cookies.get(SESSION_COOKIE))
    response = web.HTTPSeeOther("/staff/login")
    response.del_cookie(SESSION_COOKIE, path="/staff")
    raise response


# --- filters ----------------------------------------------------------------------------


@dataclass
class FilterForm:
    filters: Filters
    errors: list[str]
    page: int


def parse_filters(query: Mapping[str, str], flag_values: list[str], state: StaffState,
                  default_days: int | None = None) -> FilterForm:
    errors = []

    def day(name: str, label: str) -> date | None:
        raw = (query.get(name) or "").strip()
        if not raw:
            return None
        try:
            return date.fromisoformat(raw)
        except ValueError:
            errors.append(f"{label} skal være en dato som 2026-11-23.")
            return None

    since, until = day("fra", "Fra dato"), day("til", "Til dato")
    if default_days and "fra" not in query and "til" not in query:
        until = state.today()
        since = until - timedelta(days=default_days - 1)
    if since and until and since > until:
        errors.append("Fra dato skal ligge før til dato.")
    topic = (query.get("emne") or "").strip() or None
    if topic and topic not in state.topics:
        errors.append("Ukendt emne.")
        topic = None
    municipality = (query.get("kommune") or "").strip() or None
    flags = frozenset(f for f in flag_values if f in FLAGS)
    try:
        number = max(1, int(query.get("side") or "1"))
    except ValueError:
        number = 1
    return FilterForm(Filters(since, until, topic, municipality, flags), errors, number)


def _filter_form(form: FilterForm, state: StaffState, municipalities: list[str],
                 action: str, with_topics: bool = True) -> str:
    f = form.filters

    def option(value: str, label: str, chosen: str | None) -> str:
        selected = " selected" if chosen is not None and value == chosen else ""
        return f'<option value="{e(value)}"{selected}>{e(label)}</option>'

    parts = [
        f'<form method="get" action="{action}" class="filters" aria-labelledby="filter-titel">',
        '<h2 id="filter-titel">Vælg samtaler</h2>',
        '<div class="field"><label for="fra">Fra dato</label>'
        f'<input type="date" id="fra" name="fra" value="{e(f.since or "")}"></div>',
        '<div class="field"><label for="til">Til dato</label>'
        f'<input type="date" id="til" name="til" value="{e(f.until or "")}"></div>',
    ]
    if with_topics:
        topics = "".join(option(t, name, f.topic) for t, name in
                         sorted(state.topics.items(), key=lambda kv: kv[1]))
        chosen_m = f.municipality
        known = [m for m in municipalities if m != UNKNOWN_MUNICIPALITY]
        if chosen_m and chosen_m not in known and chosen_m not in (NOT_GIVEN,
                                                                   UNKNOWN_MUNICIPALITY):
            known.append(chosen_m)
        kommuner = (option(NOT_GIVEN, "Ikke oplyst", chosen_m)
                    + option(UNKNOWN_MUNICIPALITY, "Ville ikke sige", chosen_m)
                    + "".join(option(m, m, chosen_m) for m in known))
        checks = "".join(
            f'<div class="check"><input type="checkbox" id="flag-{flag}" name="flag" '
            f'value="{flag}"{" checked" if flag in f.flags else ""}>'
            f'<label for="flag-{flag}">{e(label)}</label></div>'
            for flag, label in FLAGS.items())
        parts += [
            '<div class="field"><label for="emne">Emne</label><select id="emne" name="emne">'
            f'<option value="">Alle emner</option>{topics}</select></div>',
            '<div class="field"><label for="kommune">Kommune</label>'
            '<select id="kommune" name="kommune"><option value="">Alle kommuner</option>'
            f"{kommuner}</select></div>",
            f"<fieldset><legend>Kun samtaler med mindst én af</legend>{checks}</fieldset>",
        ]
    parts += ['<div class="actions"><button type="submit">Vis</button>'
              f'<a href="{action}">Nulstil</a></div>', "</form>"]
    if form.errors:
        parts.insert(0, '<div class="error" role="alert"><ul>'
                     + "".join(f"<li>{e(x)}</li>" for x in form.errors) + "</ul></div>")
    return "\n".join(parts)


async def _in_thread(function: Callable[..., Any], *args: Any) -> Any:
    return await asyncio.get_running_loop().run_in_executor(None, function, *args)


# --- review -------------------------------------------------------------------------------


def when(ts: float) -> str:
    return local(ts).strftime("%d.%m.%Y kl. %H:%M")


def _confidence(value: float | None) -> str:
    return "–" if value is None else f"{value:.2f}".replace(".", ",")


def _conversation_html(c: Conversation, state: StaffState) -> str:
    flags = sorted(c.flags, key=list(FLAGS).index)
    flag_html = ("<ul class=\"flags\">" + "".join(
        f'<li class="flag-{flag}">{e(FLAGS[flag])}</li>' for flag in flags) + "</ul>"
        if flags else "Ingen")
    topics = ", ".join(state.topics.get(t, t) for t in c.topics) or "Intet emne"
    municipality = staff_stats.municipality_label(c.municipality or NOT_GIVEN)
    feedback = c.feedback
    turns = []
    for turn in c.turns:
        if turn.kind == "user" and turn.message is not None:
            m = turn.message
            if m.is_payload:
                shown = payload_label(m.text, m.feedback)
                turns.append(f'<li class="turn-note"><span class="who">Borger valgte:</span> '
                             f"{e(shown)}</li>")
                continue
            low = " low" if m.is_low_confidence or m.is_fallback else ""
            turns.append(
                '<li class="turn-user">'
                f'<input type="checkbox" id="m{m.event_id}" name="besked" value="{m.event_id}">'
                f'<label for="m{m.event_id}"><span class="who">Borger:</span> {e(m.text)}'
                '<span class="visually-hidden"> (vælg til eksport)</span></label>'
                f'<span class="nlu{low}">{e(m.intent or "–")} · sikkerhed '
                f"{_confidence(m.confidence)}</span>"
                f'<input type="hidden" name="vist" value="{m.event_id}"></li>')
        elif turn.kind == "bot":
            buttons = (f" [knapper: {' | '.join(turn.buttons)}]" if turn.buttons else "")
            turns.append(f'<li class="turn-bot"><span class="who">Vejleder:</span> '
                         f"{e(turn.text)}{e(buttons)}</li>")
        elif turn.kind == "municipality":
            turns.append(f'<li class="turn-note">Kommune noteret: '
                         f"{e(staff_stats.municipality_label(turn.text))}</li>")
        elif turn.kind == "fallback":
            turns.append('<li class="turn-note">Fallback: assistenten forstod ikke beskeden '
                         f"({e(turn.text)})</li>")
    heading_id = f"samtale-{e(c.short_id)}-{int(c.started)}"
    opened = " open" if flags else ""
    return f"""<li><article aria-labelledby="{heading_id}">
<h2 id="{heading_id}">{e(when(c.started))} · samtale {e(c.short_id)}</h2>
<dl class="meta">
<dt>Kommune</dt><dd>{e(municipality)}</dd>
<dt>Emner</dt><dd>{e(topics)}</dd>
<dt>Markeringer</dt><dd>{flag_html}</dd>
<dt>Tilbagemelding</dt><dd>👍 {feedback["up"]} · 👎 {feedback["down"]}</dd>
</dl>
<details{opened}><summary>Samtalen ({_messages(len(c.typed_messages))} fra borgeren)</summary>
<ol class="transcript">
{"".join(turns)}
</ol>
</details>
</article></li>"""


def _messages(n: int) -> str:
    return f"{n} besked" if n == 1 else f"{n} beskeder"


def _query_string(form: FilterForm, number: int) -> str:
    f = form.filters
    pairs = [("fra", f.since.isoformat() if f.since else ""),
             ("til", f.until.isoformat() if f.until else ""),
             ("emne", f.topic or ""), ("kommune", f.municipality or "")]
    pairs += [("flag", flag) for flag in sorted(f.flags)]
    pairs.append(("side", str(number)))
    return urlencode([(k, v) for k, v in pairs if v])


async def review_page(request: web.Request) -> web.StreamResponse:
    state = request.app[STAFF]
    session = request["session"]
    form = parse_filters(request.query, request.query.getall("flag", []), state)
    offset = (form.page - 1) * PAGE_SIZE
    store = state.store
    found, municipalities = await asyncio.gather(
        _in_thread(store.conversations, form.filters, PAGE_SIZE + 1, offset),
        _in_thread(store.municipalities))
    more = len(found) > PAGE_SIZE
    found = found[:PAGE_SIZE]
    body = [_filter_form(form, state, municipalities, "/staff")]
    if not found:
        body.append('<p class="notice" role="status">Ingen samtaler passer til valget.</p>')
    else:
        body.append(f'<p role="status">Viser samtale {offset + 1}–{offset + len(found)} '
                    "(nyeste først).</p>")
        body.append(f"""<form method="post" action="/staff/eksport">
<input type="hidden" name="csrf" value="{e(session.csrf)}">
<p>Vælg borgernes beskeder, og hent dem som en NLU-fil i Rasas format til annotering. Intent
er assistentens eget gæt – ret den, før eksemplerne flyttes til <code>data/nlu/</code>.</p>
<div class="actions">
<button type="submit" name="hvad" value="valgte">Eksportér valgte beskeder</button>
<button type="submit" name="hvad" value="alle" class="secondary">Eksportér alle viste
beskeder</button>
</div>
<ol class="conversations">
{"".join(_conversation_html(c, state) for c in found)}
</ol>
<div class="actions">
<button type="submit" name="hvad" value="valgte">Eksportér valgte beskeder</button>
</div>
</form>""")
    links = []
    if form.page > 1:
        links.append(f'<a href="/staff?{e(_query_string(form, form.page - 1))}">Forrige side</a>')
    if more:
        links.append(f'<a href="/staff?{e(_query_string(form, form.page + 1))}">Næste side</a>')
    if links:
        body.append(f'<nav aria-label="Sider" class="actions">{" ".join(links)}</nav>')
    return page("Samtaler", "\n".join(body), csrf=session.csrf, current="/staff")


async def export_messages(request: web.Request) -> web.StreamResponse:
    state = request.app[STAFF]
    form = request["form"]
    name = "vist" if _field(form, "hvad") == "alle" else "besked"
    ids = []
    for raw in form.getall(name, []):
        if isinstance(raw, str) and raw.isdigit():
            ids.append(int(raw))
    if not ids:
        return page("Intet at eksportere",
                    '<p class="error" role="alert">Du har ikke valgt nogen beskeder. '
                    '<a href="/staff">Tilbage til samtalerne</a>.</p>',
                    csrf=request["session"].csrf, status=400)
    messages = await _in_thread(state.store.user_messages, ids[:MAX_EXPORT])
    export = build_export(messages, source="personalesiden")
    stamp = datetime.now(TZ).strftime("%Y%m%d-%H%M")
    return web.Response(
        text=export.text, content_type="application/x-yaml", charset="utf-8",
        headers={**_headers(),
                 "Content-Disposition": f'attachment; filename="nlu-eksport-{stamp}.yml"'})


# --- statistics ---------------------------------------------------------------------------


def _table(caption: str, column: str, rows: list[tuple[str, int]]) -> str:
    if not rows:
        return f"<h2>{e(caption)}</h2><p>Ingen.</p>"
    top = max(n for _, n in rows) or 1
    body = "".join(
        f'<tr><th scope="row">{e(label)}</th><td class="num">{n}</td>'
        f'<td><meter min="0" max="{top}" value="{n}" aria-hidden="true"></meter></td></tr>'
        for label, n in rows)
    return (f"<table><caption>{e(caption)}</caption><thead><tr><th scope=\"col\">{e(column)}"
            '</th><th scope="col">Antal</th><th scope="col"><span class="visually-hidden">'
            f"Søjle</span></th></tr></thead><tbody>{body}</tbody></table>")


async def stats_page(request: web.Request) -> web.StreamResponse:
    state = request.app[STAFF]
    form = parse_filters(request.query, [], state, default_days=30)
    f = form.filters
    result = await _in_thread(staff_stats.collect, state.store, f.since, f.until)
    summary = "".join(f'<tr><th scope="row">{e(label.strip())}</th><td>{e(value)}</td></tr>'
                      for label, value in staff_stats.summary_rows(result))
    tables = staff_stats.tables(result, state.topics)
    hours = [(label, n) for label, n in tables["per_hour"] if n]
    body = [
        _filter_form(form, state, [], "/staff/statistik", with_topics=False),
        f'<p role="status">Statistik for {e(staff_stats._period(result))}: '
        f"{result.conversations} samtaler.</p>",
        f'<table><caption>Overblik</caption><tbody>{summary}</tbody></table>',
        '<div class="grid">',
        _table("Samtaler pr. emne", "Emne", tables["per_topic"]),
        _table("Samtaler pr. kommune", "Kommune", tables["per_municipality"]),
        _table("Beskeder pr. time på døgnet", "Klokken", hours),
        _table("Samtaler pr. dag", "Dag", tables["per_day"]),
        "</div>",
        "<p>Diagrammer som PNG-filer: kør <code>make stats</code> – de gemmes i "
        "<code>reports/</code>.</p>",
    ]
    return page("Statistik", "\n".join(body), csrf=request["session"].csrf,
                current="/staff/statistik")
