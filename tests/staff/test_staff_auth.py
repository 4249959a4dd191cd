"""Password hashes, lockout, the global rate limit and sessions."""

from __future__ import annotations

import base64
import hashlib

import pytest

from assistant.staff.auth import (
    PBKDF2_ITERATIONS,
    HashFormatError,
    LoginGuard,
    Sessions,
    check_hash_format,
    hash_password,
    password_problem,
    same_token,
    verify_password,
)

PASSWORD = "korrekt hest batteri klips"
FAST = 100_000  # the lowest iteration count accepted; keeps the tests quick


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_hash_and_verify():
    encoded = hash_password(PASSWORD, iterations=FAST)
    assert encoded.startswith(f"pbkdf2_sha256:{FAST}:")
    assert "$" not in encoded and PASSWORD not in encoded
    assert verify_password(PASSWORD, encoded)
    assert not verify_password(PASSWORD + " ", encoded)
    assert not verify_password("", encoded)
    assert hash_password(PASSWORD, iterations=FAST) != encoded  # a new salt every time


def test_default_cost_and_known_vector():
    assert PBKDF2_ITERATIONS >= 600_000
    salt = b"0123456789abcdef"
    encoded = hash_password("x" * 12, iterations=FAST, salt=salt)
    digest = hashlib.pbkdf2_hmac("sha256", b"x" * 12, salt, FAST)
    assert encoded.split(":")[3] == base64.urlsafe_b64encode(digest).decode().rstrip("=")


def test_scrypt_hashes_are_accepted():
    salt = b"saltsaltsaltsalt"
    digest = hashlib.scrypt(PASSWORD.encode(), salt=salt, n=2 ** 14, r=8, p=1, dklen=32)
    b64 = base64.urlsafe_b64encode
    encoded = f"scrypt:16384:8:1:{b64(salt).decode().rstrip('=')}:{b64(digest).decode()}"
    check_hash_format(encoded)
    assert verify_password(PASSWORD, encoded)
    assert not verify_password("forkert adgangskode", encoded)


@pytest.mark.parametrize("bad", [
    "", "hemmelig", "pbkdf2_sha256:1000:c2FsdHNhbHQ:" + "A" * 43,  # too few iterations
    "pbkdf2_sha256:600000:!!:xx", "md5:abc", "scrypt:1024:8:1:c2FsdHNhbHQ:" + "A" * 43,
    "pbkdf2_sha256:600000:c2FsdA:" + "A" * 43,  # salt too short
])
def test_malformed_hashes_are_refused(bad: str):
    with pytest.raises(HashFormatError):
        check_hash_format(bad)
    assert not verify_password("anything at all", bad)


def test_password_rules():
    assert password_problem("kort") == "Adgangskoden skal være mindst 12 tegn."
    assert password_problem("aaaaaaaaaaaaaaa") == "Adgangskoden har for få forskellige tegn."
    assert password_problem(PASSWORD) is None


def test_five_failures_lock_a_client_for_fifteen_minutes():
    clock = Clock()
    guard = LoginGuard(clock=clock)
    for _ in range(4):
        assert guard.failure("10.0.0.1") is False
    assert guard.locked_for("10.0.0.1") == 0
    assert guard.failure("10.0.0.1") is True
    assert guard.locked_for("10.0.0.1") == 15 * 60
    assert guard.locked_for("10.0.0.2") == 0  # per client
    clock.now += 14 * 60
    assert guard.locked_for("10.0.0.1") == 60
    clock.now += 61
    assert guard.locked_for("10.0.0.1") == 0


def test_failures_spread_over_more_than_the_window_do_not_lock():
    clock = Clock()
    guard = LoginGuard(clock=clock)
    for _ in range(8):
        assert guard.failure("c") is False
        clock.now += 4 * 60  # five failures never fall inside 15 minutes
    assert guard.locked_for("c") == 0


def test_success_resets_the_count():
    guard = LoginGuard(clock=Clock())
    for _ in range(4):
        guard.failure("c")
    guard.success("c")
    for _ in range(4):
        assert guard.failure("c") is False


def test_global_rate_limit():
    clock = Clock()
    guard = LoginGuard(clock=clock, attempts_per_minute=30)
    assert all(guard.allow_attempt() for _ in range(30))
    assert guard.allow_attempt() is False
    assert guard.retry_after_global() == 60
    clock.now += 30
    assert guard.allow_attempt() is False
    clock.now += 30.01
    assert guard.allow_attempt() is True


def test_sessions_expire_when_idle_and_at_the_latest_after_eight_hours():
    clock = Clock()
    sessions = Sessions(clock=clock)
    token, session = sessions.create()
    other, second = sessions.create()
    assert token != other and session.csrf != second.csrf and len(token) >= 43
    assert sessions.get(token) is session
    clock.now += 29 * 60
    assert sessions.get(token) is session  # used: the idle timer restarts
    clock.now += 29 * 60
    assert sessions.get(token) is session
    assert sessions.get(other) is None  # idle for 58 minutes
    for _ in range(17):  # keep using it: 17 × 29 min > 8 h
        clock.now += 29 * 60
        found = sessions.get(token)
    assert found is None
    assert sessions.get("made-up") is None and sessions.get(None) is None


def test_ended_session_is_gone():
    sessions = Sessions(clock=Clock())
    token, _ = sessions.create()
    sessions.end(token)
    assert sessions.get(token) is None and len(sessions) == 0


def test_csrf_comparison():
    assert same_token("abc", "abc")
    assert not same_token("abc", "abd")
    assert not same_token("", "") and not same_token(None, "abc")
