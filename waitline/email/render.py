"""Turning a message into subject, HTML and text: built-in templates, or a workspace's own,
all rendered in a Jinja2 sandbox so that a template can read only the data it is given."""

from dataclasses import dataclass
from functools import cache, lru_cache
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined, Template, TemplateError
from jinja2.sandbox import ImmutableSandboxedEnvironment, SecurityError
from markupsafe import Markup

from waitline.kit.errors import ValidationFailed

BUILT_IN = Path(__file__).parent / "builtin"
# Messages that carry List-Unsubscribe: everything but what a person asked for just now.
UNSUBSCRIBABLE = frozenset({"welcome", "referral_credited", "approved", "rejected", "invited"})

# Compiled templates kept by source: compiling one costs far more than rendering it, and a
# launch sends the same few templates thousands of times. An edited template is a new
# source, compiled anew; the least used are dropped past this many.
COMPILED_KEPT = 256

# Their loader reads the package's own files (the layout), which change only with a new
# release: no need to look at the file's time again before every message.
_html = ImmutableSandboxedEnvironment(
    loader=FileSystemLoader(BUILT_IN), autoescape=True, undefined=StrictUndefined, auto_reload=False
)
_text = ImmutableSandboxedEnvironment(
    loader=FileSystemLoader(BUILT_IN),
    autoescape=False,
    undefined=StrictUndefined,
    auto_reload=False,
)


@dataclass(frozen=True)
class TemplateSource:
    """Jinja sources of one message's subject, HTML body and plain-text body."""

    subject: str
    html: str
    text: str
    # One of the package's own templates, whose rendering takes a known, short time (a
    # workspace's own may loop for as long as its author wrote it to).
    packaged: bool = False


@dataclass(frozen=True)
class RenderedEmail:
    subject: str
    html: str
    text: str


@cache  # files of the package: they change only with a new release
def built_in(name: str) -> TemplateSource:
    return TemplateSource(
        subject=(BUILT_IN / f"{name}.subject.txt").read_text(),
        html=(BUILT_IN / f"{name}.html").read_text(),
        text=(BUILT_IN / f"{name}.txt").read_text(),
        packaged=True,
    )


def render(source: TemplateSource, context: dict[str, Any], *, template: str) -> RenderedEmail:
    """Render a message; the HTML body goes inside the branded layout."""
    subject = " ".join(_compiled(_text, source.subject).render(context).split())
    body = _compiled(_html, source.html).render(context)
    html = _html.get_template("layout.html").render(
        {
            **context,
            "subject": subject,
            "body": Markup(body),
            "show_unsubscribe": template in UNSUBSCRIBABLE,
        }
    )
    text = _compiled(_text, source.text).render(context).strip() + "\n"
    if template in UNSUBSCRIBABLE and context.get("unsubscribe_url"):
        # The plain-text part's footer, as layout.html is the HTML part's.
        text += f"\n--\nUnsubscribe: {context['unsubscribe_url']}\n"
    return RenderedEmail(subject=subject, html=html, text=text)


@lru_cache(maxsize=COMPILED_KEPT)
def _compiled(env: Environment, source: str) -> Template:
    return env.from_string(source)


SAMPLE_CONTEXT: dict[str, Any] = {
    "name": "Ada Lovelace",
    "email": "ada@example.com",
    "waitlist_name": "Analytical Engine",
    "position": 42,
    "referral_count": 3,
    "referral_link": "https://example.com/?ref=abc123",
    "status_url": "https://example.com/w/acme/engine/status?token=sample",
    "unsubscribe_url": "https://example.com/v1/unsubscribe?token=sample",
    "confirm_url": "https://example.com/v1/confirm?token=sample",
    "invite_url": "https://app.example.com/join?code=sample",
    "brand": {"name": "Acme", "logo_url": None, "primary_color": "#2748d6"},
}


def check_template(source: TemplateSource, name: str) -> RenderedEmail:
    """Render with sample data, refusing what would fail or reach past the sandbox."""
    errors: dict[str, list[str]] = {}
    for field in ("subject", "html", "text"):
        env = _html if field == "html" else _text
        try:
            env.from_string(getattr(source, field)).render(SAMPLE_CONTEXT)
        except SecurityError as exc:
            errors[field] = [f"Not allowed in a template: {exc}"]
        except (TemplateError, ArithmeticError, TypeError, ValueError) as exc:
            errors[field] = [f"Does not render: {exc}"]
    if errors:
        raise ValidationFailed(errors)
    return render(source, SAMPLE_CONTEXT, template=name)
