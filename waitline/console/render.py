"""Rendering console pages: one Jinja2 environment (autoescaped), the layout's context,
and the headers every page carries."""

from pathlib import Path
from typing import Any

import jinja2
from fastapi import Request
from fastapi.responses import HTMLResponse
from markupsafe import Markup, escape

from waitline.console.dependencies import CSRF_FIELD, ConsoleUser
from waitline.kit.clock import iso

TEMPLATES = Path(__file__).parent / "templates"

# Scripts only from us (htmx and console.js, vendored); no frames of the console elsewhere.
HEADERS = {
    "Content-Security-Policy": (
        "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
        "img-src 'self' data:; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
    ),
    "Cache-Control": "no-store",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
}


@jinja2.pass_context
def csrf_field(context: jinja2.runtime.Context) -> Markup:
    """`{{ csrf_field() }}` inside any <form method="post">."""
    token = context.get("csrf_token") or ""
    return Markup(f'<input type="hidden" name="{CSRF_FIELD}" value="{escape(token)}">')


def _when(moment) -> str:
    return "" if moment is None else moment.strftime("%Y-%m-%d %H:%M")


environment = jinja2.Environment(
    loader=jinja2.FileSystemLoader(TEMPLATES),
    autoescape=True,
    undefined=jinja2.StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
)
environment.globals["csrf_field"] = csrf_field
environment.filters["when"] = _when
environment.filters["iso"] = iso


def render(
    request: Request,
    template: str,
    user: ConsoleUser | None,
    *,
    status: int = 200,
    headers: dict[str, str] | None = None,
    **context: Any,
) -> HTMLResponse:
    """A page of the console. The layout gets the user, their workspaces and the CSRF token;
    `context` holds the page's own values."""
    html = environment.get_template(template).render(
        request=request,
        path=request.url.path,
        user=user,
        csrf_token=context.pop("csrf_token", None) or (user.csrf_token if user else ""),
        **context,
    )
    return HTMLResponse(html, status_code=status, headers={**HEADERS, **(headers or {})})


def render_error(
    request: Request,
    status: int,
    detail: str,
    errors: dict[str, list[str]] | None = None,
    headers: dict[str, str] | None = None,
) -> HTMLResponse:
    return render(
        request,
        "error.html",
        None,
        status=status,
        headers=headers,
        status_code=status,
        detail=detail,
        errors=errors or {},
    )
