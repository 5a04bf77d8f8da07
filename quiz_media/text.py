"""Fonts shipped with the app, glyph fallback, measuring, wrapping and ellipsis.

The fonts are DejaVu Sans, Sans Bold and Sans Mono (Cyrillic, Greek, Hebrew, Arabic and many
symbols), in ``quiz_media/fonts/`` with their licence. A character a font has no glyph for
(CJK, emoji, …) would be drawn as an empty box; :func:`sanitize` replaces it with a visible
``?`` instead (and drops emoji modifiers, joiners and variation selectors, which have no glyph
of their own).
"""

from __future__ import annotations

import re
import threading
import unicodedata
from functools import lru_cache
from pathlib import Path
from typing import Literal

from fontTools.ttLib import TTFont
from PIL import ImageFont, features

FONT_DIR = Path(__file__).resolve().parent / "fonts"
FontStyle = Literal["regular", "bold", "mono"]
FONT_FILES: dict[str, str] = {
    "regular": "DejaVuSans.ttf",
    "bold": "DejaVuSans-Bold.ttf",
    "mono": "DejaVuSansMono.ttf",
}
REPLACEMENT = "?"
ELLIPSIS = "…"
# FreeType faces are not safe to use from two threads at once (the threads pool of the local
# worker): drawing holds this lock.
FONT_LOCK = threading.RLock()
_LAYOUT = ImageFont.Layout.RAQM if features.check("raqm") else ImageFont.Layout.BASIC

# Zero-width characters that only modify their neighbours: emoji presentation selectors,
# skin tones, the zero-width joiner, tag characters of flag sequences.
_DROP = re.compile(
    "[\u200b\u200d\ufe00-\ufe0f\U0001f3fb-\U0001f3ff\U000e0000-\U000e007f\u2060\ufeff]"
)
# Bidi controls have no glyph but shape the line (raqm reads them).
_BIDI_CONTROLS = set("\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")
_WORD_SPLIT = re.compile(r"(\s+)")


def font_path(style: FontStyle) -> Path:
    return FONT_DIR / FONT_FILES[style]


@lru_cache(maxsize=256)
def get_font(style: FontStyle, size: int) -> ImageFont.FreeTypeFont:
    """The shipped font ``style`` at ``size`` pixels (at least 1)."""
    return ImageFont.truetype(str(font_path(style)), max(1, int(size)), layout_engine=_LAYOUT)


@lru_cache(maxsize=8)
def covered_codepoints(style: FontStyle) -> frozenset[int]:
    """The code points the font has a glyph for (its cmap)."""
    font = TTFont(str(font_path(style)), lazy=True)
    try:
        cmap = font.getBestCmap() or {}
        return frozenset(cmap)
    finally:
        font.close()


def sanitize(text: str, style: FontStyle) -> str:
    """``text`` made drawable with ``style``: every character the font lacks becomes ``?``.

    Line breaks are kept; tabs become four spaces; other control characters go.
    """
    covered = covered_codepoints(style)
    text = _DROP.sub("", unicodedata.normalize("NFC", text.replace("\r\n", "\n")))
    out: list[str] = []
    for char in text:
        if char == "\n":
            out.append(char)
        elif char == "\t":
            out.append("    ")
        elif char in _BIDI_CONTROLS:
            out.append(char)
        elif char.isspace():
            out.append(" ")
        elif unicodedata.category(char) in ("Cc", "Cf", "Cs", "Co", "Cn"):
            continue
        elif ord(char) in covered:
            out.append(char)
        elif unicodedata.category(char).startswith("M"):
            continue  # a combining mark the font lacks: the base letter stays readable
        else:
            out.append(REPLACEMENT)
    return "".join(out)


def is_rtl(text: str) -> bool:
    """True when the first strong character of ``text`` is right-to-left (Hebrew, Arabic…)."""
    for char in text:
        kind = unicodedata.bidirectional(char)
        if kind in ("R", "AL"):
            return True
        if kind == "L":
            return False
    return False


@lru_cache(maxsize=65536)
def measure(font: ImageFont.FreeTypeFont, text: str) -> float:
    """Advance width of ``text`` in pixels."""
    return float(font.getlength(text))


def _break_word(word: str, font: ImageFont.FreeTypeFont, max_width: float) -> list[str]:
    """Split a word wider than ``max_width`` into pieces that fit (at least one char each)."""
    pieces: list[str] = []
    rest = word
    while rest:
        if measure(font, rest) <= max_width:
            pieces.append(rest)
            break
        lo, hi = 1, len(rest)
        while lo < hi:  # the longest prefix that fits
            mid = (lo + hi + 1) // 2
            if measure(font, rest[:mid]) <= max_width:
                lo = mid
            else:
                hi = mid - 1
        pieces.append(rest[:lo])
        rest = rest[lo:]
    return pieces


def wrap(text: str, font: ImageFont.FreeTypeFont, max_width: float) -> list[str]:
    """Greedy word wrap of ``text`` (paragraphs split on newlines); long words are broken."""
    lines: list[str] = []
    space = measure(font, " ")
    for paragraph in text.split("\n"):
        words = [w for w in _WORD_SPLIT.split(paragraph.strip()) if w and not w.isspace()]
        if not words:
            lines.append("")
            continue
        current: list[str] = []
        width = 0.0
        for word in words:
            word_width = measure(font, word)
            if word_width > max_width:
                if current:
                    lines.append(" ".join(current))
                pieces = _break_word(word, font, max_width)
                lines.extend(pieces[:-1])
                current, width = [pieces[-1]], measure(font, pieces[-1])
                continue
            extra = word_width + (space if current else 0.0)
            if current and width + extra > max_width:
                lines.append(" ".join(current))
                current, width = [word], word_width
            else:
                current.append(word)
                width += extra
        if current:
            lines.append(" ".join(current))
    # Blank lines at the ends carry nothing.
    while lines and not lines[-1]:
        lines.pop()
    while lines and not lines[0]:
        lines.pop(0)
    return lines


def ellipsize(line: str, font: ImageFont.FreeTypeFont, max_width: float) -> str:
    """``line`` cut so that it ends with ``…`` and fits ``max_width``."""
    line = line.rstrip()
    if not line.endswith(ELLIPSIS):
        line = line + ELLIPSIS
    while len(line) > 1 and measure(font, line) > max_width:
        line = line[:-2].rstrip() + ELLIPSIS
    return line


def fit_line(line: str, font: ImageFont.FreeTypeFont, max_width: float) -> str:
    """``line`` as is if it fits, else cut with an ellipsis."""
    if measure(font, line) <= max_width:
        return line
    return ellipsize(line, font, max_width)
