"""Charts drawn on the server as inline SVG: readable without JavaScript, no library."""

from collections.abc import Sequence

from markupsafe import Markup, escape


def sparkline(values: Sequence[int], *, label: str, width: int = 120, height: int = 28) -> Markup:
    """A line of `values` (oldest first), scaled to the largest; `label` says what it shows
    to screen readers (and as a tooltip)."""
    top = max(values, default=0) or 1
    step = width / max(len(values) - 1, 1)
    pad = 2  # keeps the stroke of the highest and lowest points inside the box
    points = " ".join(
        f"{i * step:.1f},{pad + (height - 2 * pad) * (1 - value / top):.1f}"
        for i, value in enumerate(values)
    )
    text = escape(label)
    return Markup(
        f'<svg class="sparkline" viewBox="0 0 {width} {height}" preserveAspectRatio="none" '
        f'role="img" aria-label="{text}"><title>{text}</title>'
        f'<polyline fill="none" stroke="currentColor" stroke-width="1.5" '
        f'vector-effect="non-scaling-stroke" points="{points}"/></svg>'
    )
