"""Telegram's ``parse_mode``: HTML, MarkdownV2 and legacy Markdown into plain text and
``MessageEntity`` objects, with the parse errors the Bot API reports (TDLib's wording,
"Bad Request: can't parse entities: …"). Offsets and lengths are UTF-16 code units, as
in the Bot API; byte offsets in errors are UTF-8 offsets into the text sent."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from html import unescape
from typing import Any


class ParseError(ValueError):
    """Markup Telegram cannot parse; ``str()`` is the text after "can't parse entities: "."""


def utf16_len(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


@dataclass
class _Builder:
    parts: list[str] = field(default_factory=list)
    offset: int = 0  # UTF-16 length so far
    entities: list[dict[str, Any]] = field(default_factory=list)

    def add(self, text: str) -> None:
        self.parts.append(text)
        self.offset += utf16_len(text)

    def entity(self, kind: str, start: int, **extra: Any) -> None:
        if self.offset > start:
            self.entities.append(
                {"type": kind, "offset": start, "length": self.offset - start, **extra}
            )

    def result(self) -> tuple[str, list[dict[str, Any]]]:
        self.entities.sort(key=lambda e: (e["offset"], -e["length"]))
        return "".join(self.parts), self.entities


def _byte_offset(text: str, index: int) -> int:
    return len(text[:index].encode())


# --- HTML ------------------------------------------------------------------------------
HTML_TAGS = {
    "a": "text_link",
    "b": "bold",
    "strong": "bold",
    "i": "italic",
    "em": "italic",
    "u": "underline",
    "ins": "underline",
    "s": "strikethrough",
    "strike": "strikethrough",
    "del": "strikethrough",
    "tg-spoiler": "spoiler",
    "span": "spoiler",
    "tg-emoji": "custom_emoji",
    "code": "code",
    "pre": "pre",
    "blockquote": "blockquote",
}
_TAG_NAME = re.compile(r"[a-zA-Z][a-zA-Z0-9-]*")
_ATTRIBUTE = re.compile(r"""\s*([a-zA-Z][a-zA-Z0-9_-]*)\s*(?:=\s*("[^"]*"|'[^']*'|[^\s>"']+))?""")
_CHAR_REF = re.compile(r"&(#[0-9]{1,7}|#[xX][0-9a-fA-F]{1,6}|[a-zA-Z]{2,8});")
_NAMED = {"lt": "<", "gt": ">", "amp": "&", "quot": '"'}


def parse_html(text: str) -> tuple[str, list[dict[str, Any]]]:
    out = _Builder()
    stack: list[tuple[str, int, dict[str, str]]] = []
    i, n = 0, len(text)
    while i < n:
        char = text[i]
        if char == "&":
            match = _CHAR_REF.match(text, i)
            if match and (match.group(1).startswith("#") or match.group(1) in _NAMED):
                name = match.group(1)
                out.add(_NAMED[name] if name in _NAMED else unescape(match.group(0)))
                i = match.end()
            else:
                out.add("&")
                i += 1
            continue
        if char != "<":
            out.add(char)
            i += 1
            continue
        begin = _byte_offset(text, i)
        if text.startswith("</", i):
            end = text.find(">", i)
            if end < 0:
                raise ParseError(f"Unclosed end tag at byte offset {begin}")
            name = text[i + 2 : end].strip().lower()
            if not stack:
                raise ParseError(f"Unexpected end tag at byte offset {begin}")
            tag, start, opened = stack.pop()
            if name != tag:
                raise ParseError(
                    f'Unmatched end tag at byte offset {begin}, expected "</{tag}>", '
                    f'found "</{name}>"'
                )
            _close_html(out, tag, start, opened, stack)
            i = end + 1
            continue
        match = _TAG_NAME.match(text, i + 1)
        name = match.group(0).lower() if match else ""
        if name not in HTML_TAGS:
            raise ParseError(f'Unsupported start tag "{name}" at byte offset {begin}')
        j = match.end() if match else i + 1
        attributes: dict[str, str] = {}
        while True:
            while j < n and text[j].isspace():
                j += 1
            if j >= n:
                raise ParseError(f"Unclosed start tag at byte offset {begin}")
            if text[j] == ">":
                break
            attribute = _ATTRIBUTE.match(text, j)
            if not attribute or attribute.end() == j:
                where = _byte_offset(text, j)
                raise ParseError(f'Empty attribute name in the tag "{name}" at byte offset {where}')
            value = attribute.group(2) or ""
            if value[:1] in ("'", '"'):
                value = value[1:-1]
            attributes[attribute.group(1).lower()] = unescape(value)
            j = attribute.end()
        if name == "span" and attributes.get("class") != "tg-spoiler":
            raise ParseError(f'Tag "span" must have class "tg-spoiler" at byte offset {begin}')
        stack.append((name, out.offset, attributes))
        i = j + 1
    if stack:
        raise ParseError(f'Can\'t find end tag corresponding to start tag "{stack[-1][0]}"')
    return out.result()


def _close_html(
    out: _Builder,
    tag: str,
    start: int,
    attributes: dict[str, str],
    stack: list[tuple[str, int, dict[str, str]]],
) -> None:
    kind = HTML_TAGS[tag]
    if tag == "a":
        href = attributes.get("href", "")
        if href.startswith("tg://user?id="):
            out.entity("text_mention", start, user={"id": int(href[13:] or 0), "is_bot": False})
        elif href:
            out.entity("text_link", start, url=href)
        return
    if tag == "tg-emoji":
        out.entity(kind, start, custom_emoji_id=attributes.get("emoji-id", ""))
        return
    if tag == "code" and stack and stack[-1][0] == "pre":
        language = attributes.get("class", "")
        if language.startswith("language-"):
            stack[-1][2]["language"] = language[9:]
            return
    if tag == "pre" and attributes.get("language"):
        out.entity(kind, start, language=attributes["language"])
        return
    if tag == "blockquote" and "expandable" in attributes:
        out.entity("expandable_blockquote", start)
        return
    out.entity(kind, start)


# --- Markdown ----------------------------------------------------------------------------
RESERVED_V2 = set("_*[]()~`>#+-=|{}.!")
_NAMES = {
    "bold": "Bold",
    "italic": "Italic",
    "underline": "Underline",
    "strikethrough": "Strikethrough",
    "spoiler": "Spoiler",
}


def parse_markdown(text: str, *, v2: bool) -> tuple[str, list[dict[str, Any]]]:
    out = _Builder()
    stack: list[tuple[str, int, int]] = []  # (kind, start, byte offset of the opening)
    i, n = 0, len(text)
    quote_start: int | None = None
    while i < n:
        char = text[i]
        begin = _byte_offset(text, i)
        if v2 and char == ">" and (i == 0 or text[i - 1] == "\n"):
            if quote_start is None:
                quote_start = out.offset
            i += 1
            continue
        if char == "\n" and quote_start is not None and not text.startswith(">", i + 1):
            out.entity("blockquote", quote_start)
            quote_start = None
        special = RESERVED_V2 if v2 else set("_*`[")
        if (
            char == "\\"
            and i + 1 < n
            and ((v2 and 0 < ord(text[i + 1]) < 127) or text[i + 1] in special)
        ):
            out.add(text[i + 1])
            i += 2
            continue
        if char not in special:
            out.add(char)
            i += 1
            continue
        if char == "`":
            fence = "```" if text.startswith("```", i) else "`"
            end = _find_unescaped(text, fence, i + len(fence), v2)
            if end < 0:
                kind = "Pre" if fence == "```" else "Code"
                raise ParseError(f"Can't find end of {kind} entity at byte offset {begin}")
            body = text[i + len(fence) : end]
            language = ""
            if fence == "```" and "\n" in body:
                first, rest = body.split("\n", 1)
                if first and not first.isspace():
                    language, body = first.strip(), rest
            if v2:
                body = re.sub(r"\\([`\\])", r"\1", body)
            start = out.offset
            out.add(body)
            if fence == "```":
                out.entity("pre", start, **({"language": language} if language else {}))
            else:
                out.entity("code", start)
            i = end + len(fence)
            continue
        if char == "[":
            stack.append(("link", out.offset, begin))
            i += 1
            continue
        if char == "]":
            if stack and stack[-1][0] == "link":
                _, start, _ = stack.pop()
                if text.startswith("(", i + 1):
                    end = text.find(")", i + 2)
                    if end < 0:
                        raise ParseError(f"Can't find end of a URL at byte offset {begin}")
                    url = text[i + 2 : end].replace("\\)", ")").replace("\\\\", "\\")
                    if url:
                        out.entity("text_link", start, url=url)
                    i = end + 1
                else:
                    i += 1
                continue
            if v2:
                raise ParseError(
                    "Character ']' is reserved and must be escaped with the preceding '\\'"
                )
            out.add(char)
            i += 1
            continue
        kind, width = _markdown_kind(text, i, v2)
        if kind:
            if stack and stack[-1][0] == kind:
                _, start, _ = stack.pop()
                out.entity(kind, start)
            else:
                stack.append((kind, out.offset, begin))
            i += width
            continue
        raise ParseError(
            f"Character '{char}' is reserved and must be escaped with the preceding '\\'"
        )
    if quote_start is not None:
        out.entity("blockquote", quote_start)
    if stack:
        kind, _, begin = stack[-1]
        if kind == "link" or not v2:
            raise ParseError(f"Can't find end of the entity starting at byte offset {begin}")
        raise ParseError(f"Can't find end of {_NAMES[kind]} entity at byte offset {begin}")
    return out.result()


def _markdown_kind(text: str, i: int, v2: bool) -> tuple[str, int]:
    char = text[i]
    if char == "*":
        return "bold", 1
    if char == "_":
        if v2 and text.startswith("__", i):
            return "underline", 2
        return "italic", 1
    if v2 and char == "~":
        return "strikethrough", 1
    if v2 and text.startswith("||", i):
        return "spoiler", 2
    return "", 0


def _find_unescaped(text: str, needle: str, start: int, v2: bool) -> int:
    i = start
    while True:
        found = text.find(needle, i)
        if found < 0 or not v2:
            return found
        backslashes = len(text[:found]) - len(text[:found].rstrip("\\"))
        if backslashes % 2 == 0:
            return found
        i = found + 1


def parse(text: str, parse_mode: str) -> tuple[str, list[dict[str, Any]]]:
    """Plain text and entities of ``text`` under ``parse_mode`` ("" = no markup).

    Raises ``ParseError``; ``ValueError("unsupported parse_mode")`` for an unknown mode."""
    mode = parse_mode.strip().lower()
    if not mode:
        return text, []
    if mode == "html":
        return parse_html(text)
    if mode == "markdownv2":
        return parse_markdown(text, v2=True)
    if mode == "markdown":
        return parse_markdown(text, v2=False)
    raise ValueError("unsupported parse_mode")
