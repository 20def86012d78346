"""Tables on A4 pages for the PDF report: every cell's text wrapped inside its cell.

matplotlib's own `Axes.table` gives each column the same width and never wraps, so a long
unit name or a topic's examples ran over the neighbouring cells and off the page. Here the
columns get widths from their content (numbers keep theirs, text shares what is left), each
text is wrapped to its column by the width the font really draws (measured with the report's
font, CJK and Latin alike), rows grow to their lines, and a table continues on the next page
rather than past the bottom edge.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from functools import lru_cache

from matplotlib.figure import Figure
from matplotlib.font_manager import FontProperties
from matplotlib.patches import Rectangle
from matplotlib.textpath import TextToPath

from analytics.tables import TEXT, Table, display

POINTS_PER_INCH = 72
PAD_X, PAD_Y = 3.0, 2.0  # points inside each cell
LINE = 1.3  # line height, in font sizes
MAX_LINES = 8  # a cell longer than this ends in "…" (the XLSX and CSV files hold it whole)
MIN_TEXT_WIDTH = 48.0  # points: the narrowest a text column is squeezed to
HEADER_FILL, GRID = "#f2f3f4", "#b3b6b7"


@dataclass(frozen=True)
class Box:
    """Where a table may be drawn on its page, in figure fractions (0 at the bottom)."""

    left: float
    right: float
    top: float
    bottom: float


@dataclass(frozen=True)
class Layout:
    size: float  # font size, points
    widths: list[float]  # points per column
    header: list[list[str]]
    rows: list[list[list[str]]]  # per row, per cell, its lines
    numeric: list[bool]

    def height(self, lines: list[list[str]]) -> float:
        return max((len(cell) for cell in lines), default=1) * self.size * LINE + 2 * PAD_Y


@lru_cache(maxsize=1)
def _measure() -> TextToPath:
    return TextToPath()


@lru_cache(maxsize=20_000)
def char_width(char: str, size: float) -> float:
    """The advance of one character in points, in the font text is drawn with now."""
    if char == " ":
        return size * 0.3
    width, _height, _descent = _measure().get_text_width_height_descent(
        char, FontProperties(size=size), ismath=False
    )
    wide = unicodedata.east_asian_width(char) in ("W", "F")
    return max(width, size * (0.9 if wide else 0.2))


def text_width(text: str, size: float) -> float:
    return sum(char_width(c, size) for c in text)


def wrap(text: str, width: float, size: float, max_lines: int = MAX_LINES) -> list[str]:
    """Lines no wider than `width` points: Latin breaks at spaces, CJK between characters,
    and a word too long for a line between its characters."""
    lines: list[str] = []
    for paragraph in text.split("\n"):
        lines.extend(_wrap_paragraph(paragraph, width, size))
    if len(lines) > max_lines:
        lines = lines[:max_lines]
        last = lines[-1]
        while last and text_width(last + "…", size) > width:
            last = last[:-1]
        lines[-1] = last + "…"
    return lines or [""]


def _wrap_paragraph(text: str, width: float, size: float) -> list[str]:
    lines: list[str] = []
    line, used = "", 0.0
    for token in _tokens(text):
        token_width = text_width(token, size)
        if used + token_width <= width:
            line, used = line + token, used + token_width
            continue
        if token.isspace():
            lines.append(line.rstrip())
            line, used = "", 0.0
            continue
        if line.strip():
            lines.append(line.rstrip())
        line, used = "", 0.0
        for char in token:  # a word wider than the line: break it between characters
            w = char_width(char, size)
            if used + w > width and line:
                lines.append(line)
                line, used = "", 0.0
            line, used = line + char, used + w
    if line.strip() or not lines:
        lines.append(line.rstrip())
    return lines


def _tokens(text: str) -> list[str]:
    """Words of Latin letters and digits, single CJK characters, single spaces."""
    tokens: list[str] = []
    word = ""
    for char in text:
        if char.isspace() or unicodedata.east_asian_width(char) in ("W", "F"):
            if word:
                tokens.append(word)
                word = ""
            tokens.append(" " if char.isspace() else char)
        else:
            word += char
    if word:
        tokens.append(word)
    return tokens


def layout(table: Table, box_width: float, size: float) -> Layout:
    """Column widths (points) and every cell's lines for a table drawn `box_width` wide."""
    cells = [
        [display(value, table.kind(r, c)) for c, value in enumerate(row)]
        for r, row in enumerate(table.rows)
    ]
    titles = [column.title for column in table.columns]
    numeric = [column.kind != TEXT for column in table.columns]
    natural = []
    for c, title in enumerate(titles):
        longest_word = max((text_width(w, size) for w in title.split()), default=0.0)
        content = max((text_width(row[c], size) for row in cells), default=0.0)
        natural.append(max(longest_word, content) + 2 * PAD_X)
    widths = _fit(natural, numeric, box_width)
    header = [wrap(t, w - 2 * PAD_X, size) for t, w in zip(titles, widths, strict=True)]
    rows = [
        [wrap(text, w - 2 * PAD_X, size) for text, w in zip(row, widths, strict=True)]
        for row in cells
    ]
    return Layout(size, widths, header, rows, numeric)


def _fit(natural: list[float], numeric: list[bool], total: float) -> list[float]:
    if sum(natural) <= total:
        spare = total - sum(natural)  # widen the text columns (else all) to fill the box
        grow = [i for i, n in enumerate(numeric) if not n] or list(range(len(natural)))
        share = sum(natural[i] for i in grow)
        return [
            w + (spare * w / share if i in grow and share else 0) for i, w in enumerate(natural)
        ]
    fixed = sum(w for w, n in zip(natural, numeric, strict=True) if n)
    texts = [i for i, n in enumerate(numeric) if not n]
    left = total - fixed
    if not texts or left < MIN_TEXT_WIDTH * len(texts):
        # Even the numbers do not fit as they are: every column shrinks alike, and wraps.
        scale = total / sum(natural)
        return [w * scale for w in natural]
    wanted = sum(natural[i] for i in texts)
    widths = list(natural)
    for i in texts:
        widths[i] = max(MIN_TEXT_WIDTH, left * natural[i] / wanted)
    extra = sum(widths[i] for i in texts) - left  # the minimums may overshoot: take it back
    if extra > 0:
        roomy = [i for i in texts if widths[i] > MIN_TEXT_WIDTH]
        room = sum(widths[i] - MIN_TEXT_WIDTH for i in roomy)
        for i in roomy:
            widths[i] -= extra * (widths[i] - MIN_TEXT_WIDTH) / room
    return widths


def pages_of_rows(table_layout: Layout, box: Box, page_height: float) -> list[range]:
    """Which rows go on which page, each page filled down to the bottom of its box."""
    room = (box.top - box.bottom) * page_height * POINTS_PER_INCH
    room -= table_layout.height(table_layout.header)
    pages: list[range] = []
    start, used = 0, 0.0
    for index, lines in enumerate(table_layout.rows):
        height = table_layout.height(lines)
        if used + height > room and index > start:
            pages.append(range(start, index))
            start, used = index, 0.0
        used += height
    pages.append(range(start, len(table_layout.rows)))
    return pages


def draw(page: Figure, table_layout: Layout, rows: range, box: Box) -> None:
    """The header and `rows` of the table, top-down from the box's top."""
    width_in, height_in = page.get_size_inches()
    to_x = 1 / (width_in * POINTS_PER_INCH)
    to_y = 1 / (height_in * POINTS_PER_INCH)
    top = box.top
    lines_of = [table_layout.header, *(table_layout.rows[r] for r in rows)]
    if not rows:
        lines_of.append([["—"] for _ in table_layout.widths])
    for index, lines in enumerate(lines_of):
        height = table_layout.height(lines) * to_y
        x = box.left
        for c, (cell, width) in enumerate(zip(lines, table_layout.widths, strict=True)):
            w = width * to_x
            page.add_artist(
                Rectangle(
                    (x, top - height),
                    w,
                    height,
                    transform=page.transFigure,
                    facecolor=HEADER_FILL if index == 0 else "white",
                    edgecolor=GRID,
                    linewidth=0.5,
                )
            )
            right = table_layout.numeric[c] and index > 0
            for n, line in enumerate(cell):
                y = top - (PAD_Y + (n + 0.8) * table_layout.size * LINE) * to_y
                page.text(
                    x + w - PAD_X * to_x if right else x + PAD_X * to_x,
                    y,
                    line,
                    ha="right" if right else "left",
                    va="baseline",
                    fontsize=table_layout.size,
                    weight="bold" if index == 0 else "normal",
                )
            x += w
        top -= height
