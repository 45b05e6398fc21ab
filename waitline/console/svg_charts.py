"""The analytics page's charts, drawn on the server as inline SVG: readable without
JavaScript, no library. Every chart carries a <title> and an aria-label saying what it
shows; the page puts the same figures in a table next to it. Labels are user data (source
names, referrers' emails, variant copy), so every piece of text is escaped here."""

from collections.abc import Sequence
from dataclasses import dataclass

from markupsafe import Markup, escape

WIDTH = 640
# Bar charts sit in half-width cards: a narrower drawing keeps their text readable there.
BARS_WIDTH = 400
BAR_ROW = 24  # height of one row of a horizontal bar chart
LABEL_WIDTH = 150  # room for a row's label, left of its bar
VALUE_WIDTH = 56  # room for a row's figure, right of its bar


@dataclass(frozen=True)
class Bar:
    label: str
    value: float
    shown: str  # the value as the reader sees it: "12", "41 %"


def _svg(css_class: str, height: int, label: str, body: str, width: int = WIDTH) -> Markup:
    text = escape(label)
    return Markup(
        f'<svg class="chart {css_class}" viewBox="0 0 {width} {height}" role="img" '
        f'aria-label="{text}" preserveAspectRatio="xMinYMin meet"><title>{text}</title>'
        f"{body}</svg>"
    )


def daily_and_cumulative(
    days: Sequence[tuple[str, int]], *, label: str, height: int = 220
) -> Markup:
    """Signups per day as bars (left scale) and their running total as a line (right
    scale), oldest day first. `days` holds (ISO date, count)."""
    pad_left, pad_right, pad_top, pad_bottom = 36, 44, 12, 24
    plot_w, plot_h = WIDTH - pad_left - pad_right, height - pad_top - pad_bottom
    counts = [count for _, count in days]
    running = [sum(counts[: i + 1]) for i in range(len(counts))]
    top_daily, top_total = max(counts, default=0) or 1, (running[-1] if running else 0) or 1
    slot = plot_w / max(len(days), 1)
    parts = [_axes(pad_left, pad_top, plot_w, plot_h, top_daily, top_total)]
    for i, (day, count) in enumerate(days):
        bar_h = plot_h * count / top_daily
        x, y = pad_left + i * slot, pad_top + plot_h - bar_h
        parts.append(
            f'<rect class="bar" x="{x + slot * 0.15:.1f}" y="{y:.1f}" '
            f'width="{slot * 0.7:.1f}" height="{bar_h:.1f}">'
            f"<title>{escape(day)}: {count} signups, {running[i]} in all</title></rect>"
        )
    points = " ".join(
        f"{pad_left + (i + 0.5) * slot:.1f},{pad_top + plot_h * (1 - total / top_total):.1f}"
        for i, total in enumerate(running)
    )
    parts.append(f'<polyline class="cumulative" fill="none" points="{points}"/>')
    if days:
        baseline = pad_top + plot_h + 16
        parts.append(
            f'<text class="tick" x="{pad_left}" y="{baseline}">{escape(days[0][0])}</text>'
        )
        parts.append(
            f'<text class="tick" x="{pad_left + plot_w}" y="{baseline}" text-anchor="end">'
            f"{escape(days[-1][0])}</text>"
        )
    return _svg("timeline", height, label, "".join(parts))


def _axes(left: int, top: int, width: float, height: float, daily: int, total: int) -> str:
    bottom = top + height
    return (
        f'<line class="axis" x1="{left}" y1="{bottom}" x2="{left + width}" y2="{bottom}"/>'
        f'<text class="tick" x="{left - 4}" y="{top + 10}" text-anchor="end">{daily}</text>'
        f'<text class="tick" x="{left - 4}" y="{bottom}" text-anchor="end">0</text>'
        f'<text class="tick cumulative-tick" x="{left + width + 4}" y="{top + 10}">{total}</text>'
    )


def horizontal_bars(bars: Sequence[Bar], *, label: str, top: float | None = None) -> Markup:
    """One row per bar, longest value first as given; `top` fixes the scale (e.g. 1.0 for
    shares), else the largest value fills the width."""
    height = max(len(bars), 1) * BAR_ROW + 4
    scale_top = top or max((bar.value for bar in bars), default=0) or 1
    room = BARS_WIDTH - LABEL_WIDTH - VALUE_WIDTH
    parts = []
    for i, bar in enumerate(bars):
        y = 2 + i * BAR_ROW
        length = room * min(bar.value / scale_top, 1)
        parts.append(
            f'<text class="label" x="{LABEL_WIDTH - 8}" y="{y + 17}" text-anchor="end">'
            f"{escape(_shorten(bar.label))}</text>"
            f'<rect class="track" x="{LABEL_WIDTH}" y="{y + 4}" width="{room}" height="16"/>'
            f'<rect class="bar" x="{LABEL_WIDTH}" y="{y + 4}" width="{length:.1f}" height="16">'
            f"<title>{escape(bar.label)}: {escape(bar.shown)}</title></rect>"
            f'<text class="value" x="{LABEL_WIDTH + room + 6}" y="{y + 17}">'
            f"{escape(bar.shown)}</text>"
        )
    if not bars:
        parts.append(f'<text class="label" x="{LABEL_WIDTH}" y="18">No data yet</text>')
    return _svg("bars", height, label, "".join(parts), BARS_WIDTH)


def _shorten(text: str, most: int = 22) -> str:
    """Long labels are cut in the chart; the table beside it shows them whole."""
    return text if len(text) <= most else text[: most - 1] + "…"


def percent(part: float | None) -> str:
    return "n/a" if part is None else f"{part * 100:.1f} %"
