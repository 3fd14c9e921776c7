"""What every route needs: the workspace's configuration, store, templates and page helpers."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from fastapi import Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates

from flows.settings import Settings
from flows.web.auth import ROLE_TITLES, LoginThrottle, User, csrf_token
from flows.web.store import Store
from schemas.reference import REGENCIES

TEMPLATES_DIR = Path(__file__).resolve().parent / "templates"
STATIC_DIR = Path(__file__).resolve().parent / "static"
MAX_PAGE = 100_000  # a page number past any real warehouse (keeps OFFSET bounded)


@dataclass
class Workspace:
    """The running workspace: where things are and the shared per-process state."""

    settings: Settings
    store: Store
    throttle: LoginThrottle
    templates: Jinja2Templates = field(
        default_factory=lambda: Jinja2Templates(directory=str(TEMPLATES_DIR))
    )
    # Dashboard bodies per (run id, regency): the report only changes when a run commits.
    reports: dict[tuple[str, str | None], object] = field(default_factory=dict)

    @property
    def raw_dir(self) -> Path:
        return self.settings.raw_dir

    @property
    def export_dir(self) -> Path:
        return self.settings.export_dir

    @property
    def page_size(self) -> int:
        return self.settings.web_page_size


def workspace(request: Request) -> Workspace:
    return request.app.state.workspace


def regency_label(code: str | None) -> str:
    """`6472` -> `Kota Samarinda (6472)`."""
    regency = REGENCIES.get(code or "")
    return f"{regency.kind} {regency.name} ({code})" if regency else (code or "-")


def render(
    request: Request, template: str, user: User | None, status_code: int = 200, **context: object
) -> HTMLResponse:
    """A page (or an htmx fragment) with the user, the CSRF token and the shared helpers."""
    return workspace(request).templates.TemplateResponse(
        request,
        template,
        {
            "user": user,
            "csrf": csrf_token(request),
            "role_titles": ROLE_TITLES,
            "regency_label": regency_label,
            **context,
        },
        status_code=status_code,
    )


def page_number(value: int) -> int:
    """A 1-based page number within bounds."""
    return min(max(int(value), 1), MAX_PAGE)
