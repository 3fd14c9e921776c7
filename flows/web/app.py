"""The officers' workspace: a FastAPI app over the warehouse, Jinja2 pages, htmx, no CDN."""

from __future__ import annotations

from fastapi import FastAPI, HTTPException, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from starlette.middleware.sessions import SessionMiddleware

from flows.outputs.analyst_copy import load_or_create_key
from flows.settings import Settings
from flows.web import dashboard, downloads, login, review, upload
from flows.web.auth import LoginRequired, LoginThrottle, current_user
from flows.web.context import STATIC_DIR, Workspace, render
from flows.web.store import Store, WarehouseUnavailable

SESSION_COOKIE = "tepat_sesi"
SECURITY_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; "
        "script-src 'self'; frame-ancestors 'none'; form-action 'self'; base-uri 'none'"
    ),
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "Cache-Control": "no-store",
}


def secret_key(settings: Settings) -> str:
    """The session signing key: configured file, else owner-only next to the warehouse."""
    path = settings.web_secret_key_file or settings.db.with_name(settings.db.name + ".web-key")
    path.parent.mkdir(parents=True, exist_ok=True)
    return load_or_create_key(path).hex()


def create_app(settings: Settings | None = None) -> FastAPI:
    """The workspace for one warehouse, raw dir and export dir."""
    settings = settings or Settings()
    app = FastAPI(title="tepat", docs_url=None, redoc_url=None, openapi_url=None)
    app.state.workspace = Workspace(
        settings=settings,
        store=Store(settings.db, settings.web_read_wait_seconds, settings.web_lock_wait_seconds),
        throttle=LoginThrottle(settings.web_login_max_failures, settings.web_login_lockout_seconds),
    )
    app.add_middleware(
        SessionMiddleware,
        secret_key=secret_key(settings),
        session_cookie=SESSION_COOKIE,
        max_age=int(settings.web_session_hours * 3600),
        same_site="lax",
        https_only=settings.web_https_only,
    )

    @app.middleware("http")
    async def security_headers(request: Request, call_next) -> Response:
        response = await call_next(request)
        for name, value in SECURITY_HEADERS.items():
            response.headers.setdefault(name, value)
        return response

    @app.exception_handler(LoginRequired)
    async def to_login(request: Request, exc: LoginRequired) -> Response:
        if request.headers.get("HX-Request") == "true":
            return Response(status_code=401, headers={"HX-Redirect": "/login"})
        return RedirectResponse("/login", status_code=303)

    @app.exception_handler(HTTPException)
    async def error_page(request: Request, exc: HTTPException) -> HTMLResponse:
        return _error(request, exc.status_code, str(exc.detail))

    @app.exception_handler(RequestValidationError)
    async def bad_form(request: Request, exc: RequestValidationError) -> HTMLResponse:
        return _error(request, 422, "Isian formulir tidak lengkap atau tidak sah.")

    @app.exception_handler(WarehouseUnavailable)
    async def unavailable(request: Request, exc: WarehouseUnavailable) -> HTMLResponse:
        return _error(request, 503, str(exc))

    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")
    for module in (login, dashboard, review, upload, downloads):
        app.include_router(module.router)
    return app


TITLES = {403: "Akses ditolak", 404: "Tidak ditemukan", 503: "Sedang sibuk"}


def _error(request: Request, status: int, message: str) -> HTMLResponse:
    try:
        user = current_user(request)
    except LoginRequired:
        user = None
    if status == 404 and message == "Not Found":
        message = "Halaman atau berkas ini tidak ada."
    return render(
        request, "error.html", user, status_code=status, title=TITLES.get(status, "Galat"),
        message=message,
    )  # fmt: skip
