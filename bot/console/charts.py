"""Small charts drawn on the server as inline SVG, so console pages need no chart library or script."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from html import escape

from markupsafe import Markup


@dataclass(frozen=True)
class Bar:
    """One bar: its label under the axis, its value in 0–1 (None: no data) and a note above it."""

    label: str
    value: float | None
    note: str = ""


def share_bars(bars: Sequence[Bar], *, title: str, width: int = 720, height: int = 260) -> Markup:
    """A bar chart of shares (0–100 %) with grid lines at 25 % steps; empty bars are marked 无数据."""
    left, right, top, bottom = 44, 10, 28, 44
    plot_w, plot_h = width - left - right, height - top - bottom
    step = plot_w / max(1, len(bars))
    bar_w = step * 0.6
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" role="img" '
             f'aria-label="{escape(title)}" font-size="12" font-family="sans-serif">',
             f"<title>{escape(title)}</title>"]
    for pct in (0, 25, 50, 75, 100):
        y = top + plot_h * (1 - pct / 100)
        parts.append(f'<line x1="{left}" x2="{width - right}" y1="{y:.1f}" y2="{y:.1f}" stroke="#e3e7eb"/>')
        parts.append(f'<text x="{left - 6}" y="{y + 4:.1f}" text-anchor="end" fill="#66727f">{pct}%</text>')
    for i, bar in enumerate(bars):
        cx = left + step * i + step / 2
        parts.append(f'<text x="{cx:.1f}" y="{height - bottom + 18}" text-anchor="middle" fill="#334">'
                     f"{escape(bar.label)}</text>")
        if bar.value is None:
            parts.append(f'<text x="{cx:.1f}" y="{top + plot_h - 6}" text-anchor="middle" fill="#9aa5b1">无数据</text>')
            continue
        h = max(1.0, plot_h * bar.value)
        colour = "#2a9d8f" if bar.value >= 0.8 else "#e9c46a" if bar.value >= 0.6 else "#d62828"
        parts.append(f'<rect x="{cx - bar_w / 2:.1f}" y="{top + plot_h - h:.1f}" width="{bar_w:.1f}" '
                     f'height="{h:.1f}" rx="3" fill="{colour}"><title>{escape(bar.note)}</title></rect>')
        parts.append(f'<text x="{cx:.1f}" y="{top + plot_h - h - 6:.1f}" text-anchor="middle" fill="#1f2933" '
                     f'font-weight="600">{bar.value:.0%}</text>')
        if bar.note:
            parts.append(f'<text x="{cx:.1f}" y="{height - bottom + 34}" text-anchor="middle" fill="#66727f" '
                         f'font-size="11">{escape(bar.note)}</text>')
    parts.append("</svg>")
    return Markup("".join(parts))
