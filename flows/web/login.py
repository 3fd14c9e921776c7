"""`/login` and `/logout`: throttled, audited, a fresh session on every login."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse

from flows.web.auth import SESSION_USER, User, authenticate, check_csrf, current_user
from flows.web.context import render, workspace
from flows.web.store import WarehouseUnavailable

router = APIRouter()


@router.get("/login", response_class=HTMLResponse)
def login_page(request: Request) -> HTMLResponse:
    """The login form."""
    return render(request, "login.html", None)


@router.post("/login", response_model=None)
def login(
    request: Request,
    username: Annotated[str, Form(max_length=64)] = "",
    password: Annotated[str, Form(max_length=1024)] = "",
    csrf_token: Annotated[str, Form()] = "",
) -> HTMLResponse | RedirectResponse:
    """Check the password; too many failures pause the account and the address."""
    check_csrf(request, csrf_token)
    space = workspace(request)
    address = request.client.host if request.client else "-"
    if space.throttle.blocked(username, address):
        return render(
            request, "login.html", None, status_code=429,
            error="Terlalu banyak percobaan gagal. Tunggu beberapa menit lalu coba lagi.",
        )  # fmt: skip
    try:
        with space.store.read() as con:
            user = authenticate(con, username, password)
    except WarehouseUnavailable as exc:
        return render(request, "login.html", None, status_code=503, error=str(exc))
    if user is None:
        space.throttle.failed(username, address)
        space.store.record(username.strip().lower()[:64], "login_gagal", address)
        return render(
            request, "login.html", None, status_code=401,
            error="Nama pengguna atau kata sandi salah.",
        )  # fmt: skip
    space.throttle.succeeded(username)
    request.session.clear()  # a fresh session (and CSRF token) for the logged-in user
    request.session[SESSION_USER] = {
        "username": user.username, "role": user.role, "regency_code": user.regency_code,
    }  # fmt: skip
    space.store.record(user.username, "login", address)
    return RedirectResponse("/", status_code=303)


@router.post("/logout")
def logout(
    request: Request,
    user: Annotated[User, Depends(current_user)],
    csrf_token: Annotated[str, Form()] = "",
) -> RedirectResponse:
    """End the session."""
    check_csrf(request, csrf_token)
    request.session.clear()
    workspace(request).store.record(user.username, "logout", "")
    return RedirectResponse("/login", status_code=303)
