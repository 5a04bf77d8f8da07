"""Code in questions: fenced ``` blocks (optionally with a language) or indented lines,
coloured with Pygments' lexers and a Pygments style."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from pygments.lexer import Lexer
from pygments.lexers import TextLexer, get_lexer_by_name, guess_lexer
from pygments.styles import get_style_by_name
from pygments.token import Token, _TokenType
from pygments.util import ClassNotFound

_FENCE = re.compile(r"^\s*```\s*([\w+#.-]*)\s*$")
_INDENTED = re.compile(r"^(?: {4}|\t)")


@dataclass(frozen=True)
class Segment:
    kind: str  # "text" | "code"
    text: str
    language: str = ""


def split_segments(text: str) -> list[Segment]:
    """The question as text and code segments, in order.

    Code is a fenced block (an unterminated fence runs to the end) or a run of lines indented
    by four spaces or a tab that starts the text or follows a blank line.
    """
    lines = text.replace("\r\n", "\n").split("\n")
    segments: list[Segment] = []
    buffer: list[str] = []

    def flush_text() -> None:
        chunk = "\n".join(buffer).strip("\n")
        if chunk.strip():
            segments.append(Segment("text", chunk))
        buffer.clear()

    i = 0
    while i < len(lines):
        line = lines[i]
        fence = _FENCE.match(line)
        if fence:
            flush_text()
            language = fence.group(1)
            code: list[str] = []
            i += 1
            while i < len(lines) and not _FENCE.match(lines[i]):
                code.append(lines[i])
                i += 1
            i += 1  # the closing fence
            body = "\n".join(code).strip("\n")
            if body.strip():
                segments.append(Segment("code", body, language))
            continue
        previous_blank = i == 0 or not lines[i - 1].strip()
        if _INDENTED.match(line) and line.strip() and previous_blank:
            flush_text()
            code = []
            while i < len(lines) and (_INDENTED.match(lines[i]) or not lines[i].strip()):
                code.append(lines[i])
                i += 1
            body = "\n".join(_dedent(code)).strip("\n")
            segments.append(Segment("code", body))
            continue
        buffer.append(line)
        i += 1
    flush_text()
    return segments


def _dedent(lines: list[str]) -> list[str]:
    out = []
    for line in lines:
        if line.startswith("\t"):
            out.append(line[1:])
        elif line.startswith("    "):
            out.append(line[4:])
        else:
            out.append(line.lstrip())
    return out


def _lexer_for(code: str, language: str) -> Lexer:
    if language:
        try:
            return get_lexer_by_name(language.lower(), stripnl=False, ensurenl=False)
        except ClassNotFound:
            pass
    try:
        lexer = guess_lexer(code, stripnl=False, ensurenl=False)
    except ClassNotFound:
        lexer = TextLexer(stripnl=False, ensurenl=False)
    return lexer


CodeLine = tuple[tuple[str, str], ...]  # (text, "#rrggbb") runs


@lru_cache(maxsize=64)
def highlight(code: str, language: str, style_name: str) -> tuple[CodeLine, ...]:
    """``code`` as lines of coloured runs, coloured by ``style_name``."""
    style = get_style_by_name(style_name)
    default = "#" + (style.style_for_token(Token.Text).get("color") or "d4d4d4")
    colours: dict[_TokenType, str] = {}

    def colour(ttype: _TokenType) -> str:
        if ttype not in colours:
            value = style.style_for_token(ttype).get("color")
            colours[ttype] = f"#{value}" if value else default
        return colours[ttype]

    lines: list[list[tuple[str, str]]] = [[]]
    for ttype, value in _lexer_for(code, language).get_tokens(code):
        parts = value.split("\n")
        for n, part in enumerate(parts):
            if n:
                lines.append([])
            if part:
                lines[-1].append((part, colour(ttype)))
    while lines and not lines[-1]:
        lines.pop()
    return tuple(tuple(line) for line in lines)
