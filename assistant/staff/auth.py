"""Login for the staff page: password hashes, lockout and rate limit, sessions, CSRF.

The password is never stored, only a salted hash in `.env` (STAFF_PASSWORD_HASH), made by
`assistant staff hash-password`:

    pbkdf2_sha256:<iterations>:<salt>:<hash>        (default; PBKDF2-HMAC-SHA256)
    scrypt:<n>:<r>:<p>:<salt>:<hash>                 (also accepted)

salt and hash are unpadded URL-safe base64; the format has no "$", so it needs no quoting
in .env files, shells or docker compose. With no hash the staff page is disabled: there is
no default password.

Lockout: 5 failed logins from one client (IP address) lock that client out for 15 minutes,
and all clients together get at most 30 login attempts a minute. Sessions are random
256-bit tokens in an HttpOnly, SameSite=Strict cookie that expire after 30 minutes without
use and 8 hours at most; every POST carries the session's CSRF token. State lives in the
memory of the web server process (a restart logs everybody out and clears lockouts).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
import time
from collections import OrderedDict, deque
from collections.abc import Callable
from dataclasses import dataclass, field

PBKDF2_ITERATIONS = 600_000  # OWASP 2023 recommendation for PBKDF2-HMAC-SHA256
MIN_PASSWORD_LENGTH = 12
MAX_PASSWORD_LENGTH = 1024
MAX_FAILURES = 5
LOCKOUT_SECONDS = 15 * 60
GLOBAL_ATTEMPTS_PER_MINUTE = 30
SESSION_IDLE_SECONDS = 30 * 60
SESSION_MAX_SECONDS = 8 * 60 * 60
MAX_TRACKED_CLIENTS = 10_000


class HashFormatError(ValueError):
    """STAFF_PASSWORD_HASH is not a hash this module made."""


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).decode("ascii").rstrip("=")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def hash_password(password: str, iterations: int = PBKDF2_ITERATIONS,
                  salt: bytes | None = None) -> str:
    """A PBKDF2-HMAC-SHA256 hash of `password` in the format above."""
    salt = salt if salt is not None else secrets.token_bytes(16)
    digest = hashlib.pbkdf2_hmac("sha256", password.encode("utf-8"), salt, iterations)
    return f"pbkdf2_sha256:{iterations}:{_b64(salt)}:{_b64(digest)}"


def check_hash_format(encoded: str) -> None:
    """Raise HashFormatError unless `encoded` is a well-formed supported hash."""
    parts = encoded.strip().split(":")
    try:
        if parts[0] == "pbkdf2_sha256" and len(parts) == 4:
            if int(parts[1]) < 100_000:
                raise HashFormatError("for få iterationer (mindst 100000)")
            if len(_unb64(parts[2])) < 8 or len(_unb64(parts[3])) < 32:
                raise HashFormatError("salt eller hash er for kort")
            return
        if parts[0] == "scrypt" and len(parts) == 6:
            n, r, p = (int(x) for x in parts[1:4])
            if n < 2 ** 14 or n & (n - 1) or r < 1 or p < 1:
                raise HashFormatError("scrypt-parametrene er for svage")
            if len(_unb64(parts[4])) < 8 or len(_unb64(parts[5])) < 32:
                raise HashFormatError("salt eller hash er for kort")
            return
    except (ValueError, TypeError) as err:
        if isinstance(err, HashFormatError):
            raise
        raise HashFormatError("ugyldige tal eller base64") from err
    raise HashFormatError("ukendt format (forventer pbkdf2_sha256:… eller scrypt:…)")


def verify_password(password: str, encoded: str) -> bool:
    """True when `password` matches `encoded` (constant-time comparison)."""
    if len(password) > MAX_PASSWORD_LENGTH:
        return False
    try:
        check_hash_format(encoded)
    except HashFormatError:
        return False
    parts = encoded.strip().split(":")
    secret = password.encode("utf-8")
    if parts[0] == "pbkdf2_sha256":
        expected = _unb64(parts[3])
        digest = hashlib.pbkdf2_hmac("sha256", secret, _unb64(parts[2]), int(parts[1]),
                                     dklen=len(expected))
    else:
        n, r, p = (int(x) for x in parts[1:4])
        expected = _unb64(parts[5])
        digest = hashlib.scrypt(secret, salt=_unb64(parts[4]), n=n, r=r, p=p,
                                maxmem=256 * 1024 * 1024, dklen=len(expected))
    return hmac.compare_digest(digest, expected)


def password_problem(password: str) -> str | None:
    """A Danish reason why `password` is not acceptable, or None."""
    if len(password) < MIN_PASSWORD_LENGTH:
        return f"Adgangskoden skal være mindst {MIN_PASSWORD_LENGTH} tegn."
    if len(password) > MAX_PASSWORD_LENGTH:
        return f"Adgangskoden må højst være {MAX_PASSWORD_LENGTH} tegn."
    if len(set(password)) < 5:
        return "Adgangskoden har for få forskellige tegn."
    return None


# --- lockout and rate limit -----------------------------------------------------------


@dataclass
class _Client:
    failures: deque[float] = field(default_factory=deque)
    locked_until: float = 0.0


class LoginGuard:
    """Counts failed logins per client and all login attempts together."""

    def __init__(self, clock: Callable[[], float] = time.monotonic,
                 max_failures: int = MAX_FAILURES, lockout_seconds: float = LOCKOUT_SECONDS,
                 attempts_per_minute: int = GLOBAL_ATTEMPTS_PER_MINUTE) -> None:
        self.clock = clock
        self.max_failures = max_failures
        self.lockout_seconds = lockout_seconds
        self.attempts_per_minute = attempts_per_minute
        self._clients: OrderedDict[str, _Client] = OrderedDict()
        self._attempts: deque[float] = deque()

    def locked_for(self, client: str) -> float:
        """Seconds until `client` may try again (0 when not locked)."""
        state = self._clients.get(client)
        if state is None:
            return 0.0
        return max(0.0, state.locked_until - self.clock())

    def allow_attempt(self) -> bool:
        """Global rate limit: records the attempt and says whether it may go ahead."""
        now = self.clock()
        while self._attempts and self._attempts[0] <= now - 60:
            self._attempts.popleft()
        if len(self._attempts) >= self.attempts_per_minute:
            return False
        self._attempts.append(now)
        return True

    def retry_after_global(self) -> float:
        if not self._attempts:
            return 0.0
        return max(0.0, self._attempts[0] + 60 - self.clock())

    def failure(self, client: str) -> bool:
        """Record a failed login; True when the client is now locked out."""
        now = self.clock()
        state = self._clients.pop(client, None) or _Client()
        self._clients[client] = state  # most recently used last
        while state.failures and state.failures[0] <= now - self.lockout_seconds:
            state.failures.popleft()
        state.failures.append(now)
        if len(state.failures) >= self.max_failures:
            state.locked_until = now + self.lockout_seconds
            state.failures.clear()
        while len(self._clients) > MAX_TRACKED_CLIENTS:
            self._clients.popitem(last=False)
        return state.locked_until > now

    def success(self, client: str) -> None:
        self._clients.pop(client, None)


# --- sessions -------------------------------------------------------------------------


@dataclass
class Session:
    csrf: str
    created: float
    last_seen: float


class Sessions:
    """Server-side sessions keyed by the SHA-256 of a random token (the cookie value)."""

    def __init__(self, clock: Callable[[], float] = time.monotonic,
                 idle_seconds: float = SESSION_IDLE_SECONDS,
                 max_seconds: float = SESSION_MAX_SECONDS) -> None:
        self.clock = clock
        self.idle_seconds = idle_seconds
        self.max_seconds = max_seconds
        self._sessions: dict[str, Session] = {}

    @staticmethod
    def _key(token: str) -> str:
        return hashlib.sha256(token.encode("utf-8", "replace")).hexdigest()

    def create(self) -> tuple[str, Session]:
        self._expire()
        token = secrets.token_urlsafe(32)
        now = self.clock()
        session = Session(csrf=secrets.token_urlsafe(32), created=now, last_seen=now)
        self._sessions[self._key(token)] = session
        return token, session

    def get(self, token: str | None) -> Session | None:
        """The live session for `token` (its idle timer restarts), else None."""
        if not token:
            return None
        key = self._key(token)
        session = self._sessions.get(key)
        if session is None:
            return None
        now = self.clock()
        if now - session.last_seen > self.idle_seconds or now - session.created > self.max_seconds:
            del self._sessions[key]
            return None
        session.last_seen = now
        return session

    def remaining(self, session: Session) -> float:
        """Seconds until `session` ends at the latest (for the cookie's Max-Age)."""
        return max(0.0, session.created + self.max_seconds - self.clock())

    def end(self, token: str | None) -> None:
        if token:
            self._sessions.pop(self._key(token), None)

    def _expire(self) -> None:
        now = self.clock()
        for key, session in list(self._sessions.items()):
            if (now - session.last_seen > self.idle_seconds
                    or now - session.created > self.max_seconds):
                del self._sessions[key]

    def __len__(self) -> int:
        return len(self._sessions)


def same_token(given: str | None, expected: str | None) -> bool:
    """Constant-time comparison of two CSRF tokens (False when either is missing)."""
    if not given or not expected:
        return False
    return hmac.compare_digest(given.encode("utf-8", "replace"),
                               expected.encode("utf-8", "replace"))
