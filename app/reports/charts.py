"""Bar charts laid out on the server for the SVG of reports/_charts.html: labels measured as a browser would draw
them (a Chinese character one em wide, anything else about 0.55 em), wrapped on two lines and shortened with "…"
beyond, the full name kept for the row's ``<title>`` tooltip. "凤县网络安全和信息化委员会办公室" fits whole instead
of losing its head to the left edge."""

from __future__ import annotations

import re
from dataclasses import dataclass

FONT = 11  # px, the labels' font size
LABEL_EM = 10.0  # the label column: 110 px at 11 px
MAX_LINES = 2
LINE = 13  # px between two lines of one label
BAR = 16
GAP = 6
BAR_WIDTH = 170
LABEL_RIGHT = 118
TOKENS = re.compile(r"[\u2e80-\U0002ffff]|[^\s\u2e80-\U0002ffff]+\s*|\s+")


def em_width(text: str) -> float:
    """How wide ``text`` draws, in ems."""
    return sum(1.0 if ord(char) >= 0x2E80 else 0.55 for char in text)


def wrap_label(text: str, width: float = LABEL_EM, lines: int = MAX_LINES) -> list[str]:
    """``text`` in at most ``lines`` lines of ``width`` ems, broken between Chinese characters or at spaces (a
    word too long for a line is cut), the last line ending in "…" when something is left out."""
    out: list[str] = [""]
    for token in TOKENS.findall(text.strip()):
        while token:
            room = width - em_width(out[-1])
            if em_width(token.rstrip()) <= room:
                out[-1] += token
                token = ""
            elif out[-1] and em_width(token.rstrip()) <= width:
                out.append(token.lstrip())
                token = ""
            else:  # longer than a line: cut it
                cut = 0
                while cut < len(token) and em_width(token[: cut + 1]) <= room:
                    cut += 1
                if cut == 0:
                    out.append("")
                    continue
                out[-1] += token[:cut]
                token = token[cut:]
                out.append("")
    out = [line.strip() for line in out if line.strip()] or [""]
    if len(out) > lines:
        last = out[lines - 1]
        while last and em_width(last + "…") > width:
            last = last[:-1]
        out = [*out[: lines - 1], last.rstrip() + "…"]
    return out


@dataclass
class Bar:
    lines: list[str]
    full: str
    value: float
    y: float  # top of the bar
    width: float
    text_y: list[float]  # baseline of each label line


@dataclass
class Chart:
    bars: list[Bar]
    height: float
    label_x: int = LABEL_RIGHT
    bar_x: int = LABEL_RIGHT + 4


def bar_chart(items) -> Chart:
    """The layout of a horizontal bar chart of ``items``: (label, value) or (label, value, full name)."""
    top = max([item[1] for item in items] + [1])
    bars, y = [], 5.0
    for item in items:
        label_text, value = str(item[0]), item[1]
        full = str(item[2]) if len(item) > 2 else label_text
        lines = wrap_label(label_text)
        block = BAR + LINE * (len(lines) - 1)
        middle = y + block / 2
        first = middle - LINE * (len(lines) - 1) / 2 + 4  # a baseline 4 px below the middle centres 11-px text
        bars.append(
            Bar(
                lines,
                full,
                value,
                middle - BAR / 2,
                round(BAR_WIDTH * value / top, 1),
                [first + LINE * i for i in range(len(lines))],
            )
        )
        y += block + GAP
    return Chart(bars, y + 5 - GAP)
