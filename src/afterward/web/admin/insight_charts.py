"""The insights page's charts as inline SVG, drawn on the server: the cohort heat map,
a KPI's months as bars, the CLV histogram and the programs' revenue lifts with their
intervals. No script and no inline style (the admin's CSP allows neither): colours
come from classes in insights.css, which the self-contained report inlines. Each chart
has a <title> and role="img"; the page's tables carry the same figures as text."""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from markupsafe import Markup, escape

HEAT_LEVELS = 5  # heat-1 (least) .. heat-5 (most); heat-0: nobody came back


def _f(value: float) -> str:
    return f"{value:.1f}".rstrip("0").rstrip(".") if math.isfinite(value) else "0"


def _open(chart_id: str, title: str, width: float, height: float, css: str) -> list[str]:
    return [f'<svg class="{css}" id="{escape(chart_id)}" viewBox="0 0 {_f(width)} '
            f'{_f(height)}" role="img" aria-labelledby="{escape(chart_id)}-title">',
            f'<title id="{escape(chart_id)}-title">{escape(title)}</title>']


def heat_level(share: float | None, most: float) -> int:
    """0 for nobody, else 1..HEAT_LEVELS by the share's place up to the largest."""
    if share is None or share <= 0 or most <= 0:
        return 0
    return max(1, min(HEAT_LEVELS, math.ceil(share / most * HEAT_LEVELS)))


@dataclass(frozen=True)
class HeatRow:
    label: str  # the cohort's month
    size: str  # its customers, written
    cells: Sequence[tuple[float | None, str]]  # share (None: not yet) and its text


def heatmap(rows: Sequence[HeatRow], columns: Sequence[str], *, chart_id: str,
            title: str, corner: str, label_w: float = 64.0,
            named_columns: bool = False) -> Markup:
    """Cohorts down, months after the first order across; each cell its share
    (`label_w`: room for the row labels, wider for words than for months;
    `named_columns`: a cell's tooltip names its column rather than "+n")."""
    size_w, cell_w, cell_h, head = 40.0, 34.0, 22.0, 18.0
    width = label_w + size_w + cell_w * len(columns)
    height = head + cell_h * len(rows)
    most = max((share for row in rows for share, _ in row.cells if share is not None),
               default=0.0)
    out = _open(chart_id, title, width, height, "heatmap")
    out.append(f'<text class="axis" x="{_f(label_w + size_w - 4)}" y="13" '
               f'text-anchor="end">{escape(corner)}</text>')
    for n, column in enumerate(columns):
        x = label_w + size_w + cell_w * n + cell_w / 2
        out.append(f'<text class="axis" x="{_f(x)}" y="13" text-anchor="middle">'
                   f'{escape(column)}</text>')
    for r, row in enumerate(rows):
        y = head + cell_h * r
        out.append(f'<text class="axis" x="0" y="{_f(y + 15)}">{escape(row.label)}</text>')
        out.append(f'<text class="axis" x="{_f(label_w + size_w - 4)}" y="{_f(y + 15)}" '
                   f'text-anchor="end">{escape(row.size)}</text>')
        for n, (share, text) in enumerate(row.cells):
            x = label_w + size_w + cell_w * n
            if share is None:
                out.append(f'<rect class="heat-none" x="{_f(x + 1)}" y="{_f(y + 1)}" '
                           f'width="{_f(cell_w - 2)}" height="{_f(cell_h - 2)}"></rect>')
                continue
            level = heat_level(share, most)
            out.append(f'<rect class="heat-{level}" x="{_f(x + 1)}" y="{_f(y + 1)}" '
                       f'width="{_f(cell_w - 2)}" height="{_f(cell_h - 2)}" rx="2">'
                       f'<title>{escape(row.label)} {_column(columns, n, named_columns)}: '
                       f'{escape(text)}</title></rect>')
            out.append(f'<text class="cell cell-{level}" x="{_f(x + cell_w / 2)}" '
                       f'y="{_f(y + 15)}" text-anchor="middle">{escape(text)}</text>')
    out.append("</svg>")
    return Markup("\n".join(out))


def _column(columns: Sequence[str], n: int, named: bool) -> str:
    return f"({escape(columns[n])})" if named else f"+{n + 1}"


@dataclass(frozen=True)
class Bar:
    label: str
    value: float | None  # None: nothing to show that month
    text: str


def columns(bars: Sequence[Bar], *, chart_id: str, title: str, bar_w: float = 30.0) -> Markup:
    """Vertical bars, one per month, the value written above each one that has one
    (`bar_w`: wider for longer labels)."""
    plot_h, top, bottom = 70.0, 14.0, 16.0
    width, height = bar_w * max(len(bars), 1), top + plot_h + bottom
    most = max((b.value for b in bars if b.value is not None and b.value > 0), default=0.0)
    out = _open(chart_id, title, width, height, "columns")
    for n, bar in enumerate(bars):
        x = bar_w * n
        out.append(f'<rect class="bar-track" x="{_f(x + 3)}" y="{_f(top)}" '
                   f'width="{_f(bar_w - 6)}" height="{_f(plot_h)}" rx="2"></rect>')
        if bar.value is not None and bar.value > 0 and most > 0:
            h = plot_h * bar.value / most
            out.append(f'<rect class="bar-fill" x="{_f(x + 3)}" y="{_f(top + plot_h - h)}" '
                       f'width="{_f(bar_w - 6)}" height="{_f(h)}" rx="2">'
                       f'<title>{escape(bar.label)}: {escape(bar.text)}</title></rect>')
        out.append(f'<text class="bar-label" x="{_f(x + bar_w / 2)}" y="{_f(height - 4)}" '
                   f'text-anchor="middle">{escape(bar.label)}</text>')
    out.append("</svg>")
    return Markup("\n".join(out))


def histogram(bars: Sequence[Bar], *, chart_id: str, title: str, first: str,
              last: str) -> Markup:
    """Touching bars over equal-width bins; the smallest and largest value below."""
    bar_w, plot_h, top, bottom = 30.0, 90.0, 6.0, 18.0
    width, height = bar_w * max(len(bars), 1), top + plot_h + bottom
    most = max((b.value for b in bars if b.value is not None), default=0.0)
    out = _open(chart_id, title, width, height, "histogram")
    out.append(f'<line class="baseline" x1="0" y1="{_f(top + plot_h)}" x2="{_f(width)}" '
               f'y2="{_f(top + plot_h)}"></line>')
    for n, bar in enumerate(bars):
        if bar.value is None or bar.value <= 0 or most <= 0:
            continue
        h = plot_h * bar.value / most
        out.append(f'<rect class="bar-fill" x="{_f(bar_w * n + 1)}" y="{_f(top + plot_h - h)}" '
                   f'width="{_f(bar_w - 2)}" height="{_f(h)}">'
                   f'<title>{escape(bar.label)}: {escape(bar.text)}</title></rect>')
    out.append(f'<text class="bar-label" x="0" y="{_f(height - 4)}">{escape(first)}</text>')
    out.append(f'<text class="bar-label" x="{_f(width)}" y="{_f(height - 4)}" '
               f'text-anchor="end">{escape(last)}</text>')
    out.append("</svg>")
    return Markup("\n".join(out))


@dataclass(frozen=True)
class Lift:
    label: str
    estimate: float
    low: float
    high: float
    text: str  # the estimate and the interval, written


def lifts(rows: Sequence[Lift], *, chart_id: str, title: str,
          write: Callable[[float], str]) -> Markup:
    """Each program's lift as a dot on its 95% interval, around a zero line."""
    width, row_h, pad = 360.0, 56.0, 8.0
    height = row_h * len(rows) + 18
    lowest = min([0.0, *(r.low for r in rows)])
    highest = max([0.0, *(r.high for r in rows)])
    span = highest - lowest or 1.0

    def x(value: float) -> float:
        return pad + (width - 2 * pad) * (value - lowest) / span

    out = _open(chart_id, title, width, height, "lifts")
    zero = x(0.0)
    out.append(f'<line class="zero" x1="{_f(zero)}" y1="0" x2="{_f(zero)}" '
               f'y2="{_f(row_h * len(rows))}"></line>')
    for n, row in enumerate(rows):
        y = row_h * n
        crosses = row.low <= 0 <= row.high
        css = "interval crosses" if crosses else "interval"
        out.append(f'<text class="bar-label" x="0" y="{_f(y + 13)}">'
                   f'{escape(row.label[:45])}</text>')
        out.append(f'<text class="bar-value" x="0" y="{_f(y + 29)}">{escape(row.text)}</text>')
        out.append(f'<line class="{css}" x1="{_f(x(row.low))}" y1="{_f(y + 43)}" '
                   f'x2="{_f(x(row.high))}" y2="{_f(y + 43)}"></line>')
        out.append(f'<circle class="estimate" cx="{_f(x(row.estimate))}" cy="{_f(y + 43)}" '
                   f'r="4"><title>{escape(row.label)}: {escape(row.text)}</title></circle>')
    out.append(f'<text class="bar-label" x="{_f(zero)}" y="{_f(height - 4)}" '
               f'text-anchor="middle">{escape(write(0.0))}</text>')
    out.append("</svg>")
    return Markup("\n".join(out))
