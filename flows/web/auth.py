"""Accounts of the workspace: users and roles, argon2 password hashes, login throttling,
the signed session and its CSRF token."""

from __future__ import annotations

import hmac
import re
import secrets
import threading
import time
from collections import defaultdict, deque
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import duckdb
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from fastapi import HTTPException, Request

from flows.runtime.lock import run_lock
from flows.warehouse.store import connect
from schemas.reference import REGENCIES

ROLES = ("provinsi", "kabupaten", "analis")
ROLE_TITLES = {
    "provinsi": "Petugas provinsi",
    "kabupaten": "Petugas kabupaten/kota",
    "analis": "Analis",
}
USERNAME = re.compile(r"^[a-z0-9][a-z0-9._-]{2,31}$")
MIN_PASSWORD_CHARS = 10
USER_ADD_LOCK_WAIT_SECONDS = 30.0
SESSION_USER = "user"
SESSION_CSRF = "csrf"
_HASHER = PasswordHasher()
# Verified when the username is unknown, so a wrong name takes as long as a wrong password.
_DUMMY_HASH = _HASHER.hash(secrets.token_hex(16))


class AccountError(ValueError):
    """An account that cannot be added; the message (Indonesian) says why."""


class LoginRequired(Exception):
    """The request has no valid session: the browser is sent to /login."""


@dataclass(frozen=True)
class User:
    """The logged-in officer as the session carries it."""

    username: str
    role: str
    regency_code: str | None = None

    @property
    def sees_identities(self) -> bool:
        """Analysts never see a NIK, KK or name."""
        return self.role != "analis"

    @property
    def regency_scope(self) -> str | None:
        """The one regency a kabupaten officer is limited to; None for the province and analysts."""
        return self.regency_code if self.role == "kabupaten" else None

    @property
    def regency_name(self) -> str:
        regency = REGENCIES.get(self.regency_code or "")
        return f"{regency.kind} {regency.name}" if regency else ""


def add_user(db: Path, username: str, role: str, regency_code: str | None, password: str) -> User:
    """Create an account (argon2 hash) in the warehouse's `users` table."""
    username = username.strip().lower()
    if not USERNAME.match(username):
        raise AccountError(
            "nama pengguna 3-32 karakter: huruf kecil, angka, titik, garis bawah atau strip"
        )
    if role not in ROLES:
        raise AccountError(f"peran harus salah satu dari {', '.join(ROLES)}")
    if role == "kabupaten":
        if regency_code not in REGENCIES:
            raise AccountError(
                "peran kabupaten memerlukan --regency dengan kode Kemendagri, mis. 6472 "
                f"({', '.join(sorted(REGENCIES))})"
            )
    elif regency_code:
        raise AccountError("--regency hanya untuk peran kabupaten")
    if len(password) < MIN_PASSWORD_CHARS:
        raise AccountError(f"kata sandi minimal {MIN_PASSWORD_CHARS} karakter")
    with (
        run_lock(db, USER_ADD_LOCK_WAIT_SECONDS, purpose="tepat user add"),
        connect(db) as con,
    ):
        if con.execute("SELECT 1 FROM users WHERE username = ?", [username]).fetchone():
            raise AccountError(f"pengguna {username} sudah ada")
        con.execute(
            "INSERT INTO users (username, role, regency_code, password_hash, created_at) "
            "VALUES (?, ?, ?, ?, ?)",
            [username, role, regency_code or None, _HASHER.hash(password), datetime.now()],
        )
    return User(username, role, regency_code or None)


def authenticate(con: duckdb.DuckDBPyConnection, username: str, password: str) -> User | None:
    """The user whose password this is, or None (same work whether or not the name exists)."""
    found = con.execute(
        "SELECT username, role, regency_code, password_hash FROM users WHERE username = ?",
        [username.strip().lower()],
    ).fetchone()
    try:
        _HASHER.verify(found[3] if found else _DUMMY_HASH, password)
    except (VerificationError, InvalidHashError):
        return None
    return User(found[0], found[1], found[2]) if found else None


class LoginThrottle:
    """Failed logins per username and per client address in a sliding window; over the limit,
    further tries are refused until the window has passed (in this process's memory)."""

    def __init__(self, max_failures: int, window_seconds: float) -> None:
        self.max_failures = max_failures
        self.window_seconds = window_seconds
        self._failures: dict[str, deque[float]] = defaultdict(deque)
        self._lock = threading.Lock()

    def _keys(self, username: str, address: str) -> list[tuple[str, int]]:
        return [(f"u:{username.strip().lower()}", self.max_failures),
                (f"a:{address}", self.max_failures * 4)]  # fmt: skip

    def blocked(self, username: str, address: str) -> bool:
        now = time.monotonic()
        with self._lock:
            for key, limit in self._keys(username, address):
                times = self._failures[key]
                while times and now - times[0] > self.window_seconds:
                    times.popleft()
                if len(times) >= limit:
                    return True
        return False

    def failed(self, username: str, address: str) -> None:
        now = time.monotonic()
        with self._lock:
            for key, _ in self._keys(username, address):
                self._failures[key].append(now)

    def succeeded(self, username: str) -> None:
        with self._lock:
            self._failures.pop(self._keys(username, "")[0][0], None)


def csrf_token(request: Request) -> str:
    """The session's CSRF token (made on first use); every form posts it back."""
    token = request.session.get(SESSION_CSRF)
    if not token:
        token = secrets.token_urlsafe(32)
        request.session[SESSION_CSRF] = token
    return token


def check_csrf(request: Request, posted: str | None) -> None:
    """Refuse a form whose token is not the session's (403)."""
    expected = request.session.get(SESSION_CSRF)
    if not expected or not posted or not hmac.compare_digest(expected, posted):
        raise HTTPException(403, "Formulir kedaluwarsa atau tidak sah; muat ulang halaman.")


def current_user(request: Request) -> User:
    """The logged-in user (dependency of every page but /login)."""
    data = request.session.get(SESSION_USER)
    if not data:
        raise LoginRequired
    return User(**data)


def require(user: User, *roles: str) -> None:
    """403 unless the user has one of the roles."""
    if user.role not in roles:
        raise HTTPException(403, "Halaman ini bukan untuk peran Anda.")
