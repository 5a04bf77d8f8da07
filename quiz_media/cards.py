"""Quiz cards drawn with Pillow: the question card and the answer card.

Pure drawing: no database, no storage. :func:`draw_card` takes the task's content
(:class:`CardContent`), the brand (:class:`Brand`) and an optional logo and returns the image
plus where things were drawn (for the video's countdown and for tests).

Layout: an accent strip, a header (logo, site name, difficulty), a label row (“Question · topic”),
the question (text and highlighted code panels), the lettered options, on the answer card the
explanation, and a footer with the task's link. Everything scales with the card's shorter side.
When the content does not fit, fonts shrink step by step down to :data:`MIN_SCALE`; what still
does not fit is cut line by line (the longest block first) and ends with an ellipsis. Nothing is
drawn outside the margins.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Literal

from PIL import Image, ImageDraw, ImageFont

from quiz_media.code import CodeLine, highlight, split_segments
from quiz_media.specs import MediaRenderError
from quiz_media.text import (
    ELLIPSIS,
    FONT_LOCK,
    fit_line,
    get_font,
    is_rtl,
    measure,
    sanitize,
    wrap,
)

# Bump when the look changes: it is part of every render's cache key.
TEMPLATE_VERSION = "1"
CORRECT_COLOR = "#16A34A"
SCALES = (1.0, 0.9, 0.8, 0.7, 0.62, 0.55, 0.5)
# Tall formats (9:16 video) have room for larger text first.
TALL_SCALES = (1.3, 1.15, *SCALES)
MIN_SCALE = SCALES[-1]
DIFFICULTY_COLORS = {"easy": "#10B981", "medium": "#F59E0B", "hard": "#EF4444"}

CardKind = Literal["question_card", "answer_card"]
RGB = tuple[int, int, int]
Box = tuple[int, int, int, int]

LABELS: dict[str, dict[str, str]] = {
    "ru": {
        "question": "Вопрос",
        "correct_answer": "Правильный ответ",
        "explanation": "Объяснение",
        "easy": "Лёгкий",
        "medium": "Средний",
        "hard": "Сложный",
        "seconds_left": "сек. до ответа",
        "answer_on_site": "Ответ и разбор — на сайте",
    },
    "en": {
        "question": "Question",
        "correct_answer": "Correct answer",
        "explanation": "Explanation",
        "easy": "Easy",
        "medium": "Medium",
        "hard": "Hard",
        "seconds_left": "s to the answer",
        "answer_on_site": "Answer and explanation on the site",
    },
}


def labels_for(language: str) -> dict[str, str]:
    """Card labels in the task's language (Russian or English; English for any other)."""
    code = (language or "").lower().split("-")[0]
    return LABELS.get(code, LABELS["en"])


def parse_color(value: str, default: str) -> RGB:
    """``#RRGGBB`` as an RGB tuple; ``default`` when ``value`` is not one."""
    for candidate in (value, default):
        text = (candidate or "").strip().lstrip("#")
        if len(text) == 6:
            try:
                return (int(text[0:2], 16), int(text[2:4], 16), int(text[4:6], 16))
            except ValueError:
                continue
    return (0, 0, 0)


def mix(a: RGB, b: RGB, t: float) -> RGB:
    return (
        round(a[0] + (b[0] - a[0]) * t),
        round(a[1] + (b[1] - a[1]) * t),
        round(a[2] + (b[2] - a[2]) * t),
    )


def luminance(c: RGB) -> float:
    return (0.2126 * c[0] + 0.7152 * c[1] + 0.0722 * c[2]) / 255


@dataclass(frozen=True)
class Brand:
    """The look of every card: site name, colours, optional logo (a storage name)."""

    site_name: str
    primary: str
    accent: str
    background: str
    logo_name: str = ""
    logo_version: str = ""

    def fingerprint(self) -> dict[str, str]:
        return {
            "site_name": self.site_name,
            "primary": self.primary.lower(),
            "accent": self.accent.lower(),
            "background": self.background.lower(),
            "logo": self.logo_name,
            "logo_version": self.logo_version,
        }


@dataclass(frozen=True)
class CardContent:
    """What a card shows, taken from a task."""

    question: str
    answers: tuple[str, ...]
    correct_answer: str
    explanation: str
    topic: str
    difficulty: str
    language: str
    link: str

    @property
    def correct_index(self) -> int | None:
        try:
            return self.answers.index(self.correct_answer)
        except ValueError:
            return None


@dataclass(frozen=True)
class Palette:
    background: RGB
    primary: RGB
    accent: RGB
    text: RGB
    muted: RGB
    panel: RGB
    border: RGB
    code_bg: RGB
    code_style: str
    on_primary: RGB
    correct: RGB
    dark: bool

    @classmethod
    def from_brand(cls, brand: Brand) -> Palette:
        background = parse_color(brand.background, "#0F172A")
        primary = parse_color(brand.primary, "#6366F1")
        accent = parse_color(brand.accent, "#F59E0B")
        dark = luminance(background) < 0.5
        text = (248, 250, 252) if dark else (15, 23, 42)
        return cls(
            background=background,
            primary=primary,
            accent=accent,
            text=text,
            muted=mix(text, background, 0.4),
            panel=mix(background, text, 0.07),
            border=mix(background, text, 0.16),
            code_bg=mix(background, (0, 0, 0), 0.45) if dark else (246, 248, 250),
            code_style="one-dark" if dark else "friendly",
            on_primary=(255, 255, 255) if luminance(primary) < 0.6 else (15, 23, 42),
            correct=parse_color(CORRECT_COLOR, CORRECT_COLOR),
            dark=dark,
        )


@dataclass
class CardRender:
    """A drawn card and where its parts are (pixel boxes ``(x0, y0, x1, y1)``)."""

    image: Image.Image
    kind: CardKind
    option_boxes: list[Box]
    correct_index: int | None
    countdown_box: Box | None
    content_box: Box
    scale: float
    truncated: bool
    palette: Palette
    unit: float
    labels: dict[str, str] = field(default_factory=dict)


# --- layout blocks -------------------------------------------------------------------------


@dataclass
class _Block:
    kind: str  # text | code | option | explanation
    lines: list[str] | list[CodeLine]
    font: ImageFont.FreeTypeFont
    line_height: float
    fixed: float  # padding and headings above/below the lines
    min_inner: float = 0.0  # e.g. the option's letter badge
    gap_after: float = 0.0
    min_visible: int = 1
    visible: int = 0
    colour: RGB = (0, 0, 0)
    index: int = 0  # option index
    extra: dict[str, object] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.visible = len(self.lines)

    def height(self) -> float:
        return self.fixed + max(self.visible * self.line_height, self.min_inner) + self.gap_after

    @property
    def truncated(self) -> bool:
        return self.visible < len(self.lines)


class _Layout:
    def __init__(
        self,
        content: CardContent,
        kind: CardKind,
        width: int,
        height: int,
        palette: Palette,
        labels: dict[str, str],
        countdown: bool,
        logo: Image.Image | None,
    ) -> None:
        self.content = content
        self.kind = kind
        self.width = width
        self.height = height
        self.palette = palette
        self.labels = labels
        self.countdown = countdown
        self.logo = logo
        self.u = min(width, height) / 1080
        self.margin = round(64 * self.u)
        self.content_width = width - 2 * self.margin

    def px(self, value: float) -> int:
        return max(1, round(value * self.u))

    # Fixed parts (not shrunk): header, label row, footer, countdown.
    def header_height(self) -> int:
        return self.px(72)

    def label_height(self) -> int:
        return self.px(44)

    def footer_height(self) -> int:
        return self.px(64)

    def countdown_height(self) -> int:
        return self.px(150) if self.countdown else 0

    def content_region(self) -> tuple[int, int]:
        top = self.px(12) + self.margin + self.header_height() + self.px(36)
        top += self.label_height() + self.px(20)
        bottom = self.height - self.margin - self.footer_height() - self.px(24)
        bottom -= self.countdown_height()
        return top, bottom

    def blocks(self, scale: float) -> list[_Block]:
        s = scale
        p = self.palette
        cw = self.content_width
        blocks: list[_Block] = []
        q_font = get_font("bold", self.px(54 * s))
        code_font = get_font("mono", self.px(30 * s))
        option_font = get_font("regular", self.px(40 * s))
        for segment in split_segments(self.content.question):
            if segment.kind == "text":
                lines = wrap(sanitize(segment.text, "bold"), q_font, cw)
                if lines:
                    blocks.append(
                        _Block(
                            "text",
                            lines,
                            q_font,
                            q_font.size * 1.25,
                            fixed=0,
                            gap_after=self.px(28 * s),
                            colour=p.text,
                        )
                    )
            else:
                pad = self.px(24 * s)
                char_width = measure(code_font, "M")
                columns = max(8, int((cw - 2 * pad) // max(char_width, 1)))
                code_lines = _wrap_code(
                    highlight(sanitize(segment.text, "mono"), segment.language, p.code_style),
                    columns,
                )
                if code_lines:
                    blocks.append(
                        _Block(
                            "code",
                            code_lines,
                            code_font,
                            code_font.size * 1.4,
                            fixed=2 * pad,
                            gap_after=self.px(28 * s),
                            extra={"pad": pad, "char_width": char_width},
                        )
                    )
        if blocks:
            blocks[-1].gap_after = self.px(40 * s)
        badge = self.px(60 * s)
        pad_y = self.px(20 * s)
        pad_x = self.px(24 * s)
        text_x = pad_x + badge + self.px(24 * s)
        for index, answer in enumerate(self.content.answers):
            lines = wrap(sanitize(answer, "regular"), option_font, cw - text_x - pad_x) or [""]
            blocks.append(
                _Block(
                    "option",
                    lines,
                    option_font,
                    option_font.size * 1.3,
                    fixed=2 * pad_y,
                    min_inner=badge,
                    gap_after=self.px(16 * s),
                    index=index,
                    extra={"badge": badge, "pad_x": pad_x, "pad_y": pad_y, "text_x": text_x},
                )
            )
        if self.kind == "answer_card" and self.content.explanation.strip():
            e_font = get_font("regular", self.px(36 * s))
            head_font = get_font("bold", self.px(28 * s))
            pad = self.px(28 * s)
            lines = wrap(sanitize(self.content.explanation, "regular"), e_font, cw - 2 * pad)
            if lines:
                if blocks:
                    blocks[-1].gap_after = self.px(32 * s)
                blocks.append(
                    _Block(
                        "explanation",
                        lines,
                        e_font,
                        e_font.size * 1.35,
                        fixed=2 * pad + head_font.size * 1.5,
                        colour=p.text,
                        extra={"pad": pad, "head_font": head_font},
                    )
                )
        if blocks:
            blocks[-1].gap_after = 0
        return blocks


def _wrap_code(lines: Sequence[CodeLine], columns: int) -> list[CodeLine]:
    """Code lines longer than ``columns`` characters continue on the next line."""
    out: list[CodeLine] = []
    for line in lines:
        current: list[tuple[str, str]] = []
        used = 0
        for text, colour in line:
            while text:
                room = columns - used
                if room <= 0:
                    out.append(tuple(current))
                    current, used = [], 0
                    room = columns
                piece, text = text[:room], text[room:]
                current.append((piece, colour))
                used += len(piece)
        out.append(tuple(current))
    while out and not out[-1]:
        out.pop()
    return out


def _fit(layout: _Layout) -> tuple[list[_Block], float, bool]:
    """Blocks that fit the content region: the largest scale that fits, else the smallest
    scale with the longest blocks cut line by line."""
    top, bottom = layout.content_region()
    available = bottom - top
    if available <= 0:
        raise MediaRenderError(
            f"A {layout.width}×{layout.height} card is too small for the quiz template."
        )
    scales = TALL_SCALES if layout.height >= 1.5 * layout.width else SCALES
    for scale in scales:
        blocks = layout.blocks(scale)
        if sum(b.height() for b in blocks) <= available:
            return blocks, scale, False
    # Still too much at the smallest size: cut the tallest block by a line until it fits.
    while sum(b.height() for b in blocks) > available:
        candidates = [b for b in blocks if b.visible > b.min_visible]
        if not candidates:
            raise MediaRenderError(
                f"The task has too many answer options to fit a {layout.width}×{layout.height} "
                "card, even with one line each."
            )
        tallest = max(candidates, key=lambda b: b.visible * b.line_height)
        tallest.visible -= 1
    return blocks, MIN_SCALE, True


# --- drawing -----------------------------------------------------------------------------


def _rounded(
    draw: ImageDraw.ImageDraw,
    box: Box,
    radius: int,
    fill: RGB,
    outline: RGB | None = None,
    width: int = 1,
) -> None:
    x0, y0, x1, y1 = box
    radius = max(0, min(radius, (x1 - x0) // 2, (y1 - y0) // 2))
    draw.rounded_rectangle(box, radius=radius, fill=fill, outline=outline, width=width)


def _text_y(font: ImageFont.FreeTypeFont, top: float, line_height: float) -> int:
    ascent, descent = font.getmetrics()
    return round(top + (line_height - (ascent + descent)) / 2)


def _draw_lines(
    draw: ImageDraw.ImageDraw,
    block: _Block,
    x: int,
    y: float,
    width: int,
    colour: RGB,
) -> None:
    """The block's visible text lines; a cut block ends with an ellipsis; RTL lines align right."""
    lines = [str(line) for line in block.lines[: block.visible]]
    if block.truncated and lines:
        lines[-1] = lines[-1] + ELLIPSIS
    for line in lines:
        line = fit_line(line, block.font, width)
        left = x
        if is_rtl(line):
            left = round(x + width - measure(block.font, line))
        draw.text(
            (left, _text_y(block.font, y, block.line_height)), line, font=block.font, fill=colour
        )
        y += block.line_height


def _draw_code(
    draw: ImageDraw.ImageDraw, block: _Block, x: int, y: float, width: int, palette: Palette
) -> None:
    # block.extra holds each kind's layout values as objects (ints, floats, fonts).
    pad = int(block.extra["pad"])  # type: ignore[call-overload]
    char_width = float(block.extra["char_width"])  # type: ignore[arg-type]
    height = block.fixed + block.visible * block.line_height
    _rounded(
        draw, (x, round(y), x + width, round(y + height)), pad, palette.code_bg, palette.border
    )
    top = y + pad
    visible: list[CodeLine] = list(block.lines[: block.visible])  # type: ignore[arg-type]  # a code block's lines are CodeLines
    for n, line in enumerate(visible):
        ty = _text_y(block.font, top, block.line_height)
        if block.truncated and n == len(visible) - 1:
            draw.text((x + pad, ty), ELLIPSIS, font=block.font, fill=palette.muted)
            break
        column = 0
        for text, colour in line:
            draw.text(
                (round(x + pad + column * char_width), ty), text, font=block.font, fill=colour
            )
            column += len(text)
        top += block.line_height


def _load_difficulty(content: CardContent, labels: dict[str, str]) -> tuple[str, RGB]:
    key = content.difficulty if content.difficulty in DIFFICULTY_COLORS else "medium"
    label = labels.get(content.difficulty, content.difficulty or labels["medium"])
    return label, parse_color(DIFFICULTY_COLORS[key], "#F59E0B")


def draw_card(
    content: CardContent,
    brand: Brand,
    kind: CardKind,
    width: int,
    height: int,
    *,
    logo: Image.Image | None = None,
    countdown: bool = False,
) -> CardRender:
    """Draw a question or answer card of ``width``×``height`` pixels.

    ``countdown`` reserves a band above the footer for the video's countdown
    (drawn by :func:`draw_countdown`). Raises :class:`MediaRenderError` when the size is too
    small for the template. Thread-safe: the shared FreeType faces are used by one thread at
    a time (a card takes a few tens of milliseconds).
    """
    with FONT_LOCK:
        return _draw_card(content, brand, kind, width, height, logo=logo, countdown=countdown)


def _draw_card(
    content: CardContent,
    brand: Brand,
    kind: CardKind,
    width: int,
    height: int,
    *,
    logo: Image.Image | None = None,
    countdown: bool = False,
) -> CardRender:
    if width < 64 or height < 64:
        raise MediaRenderError(f"A {width}×{height} card is too small for the quiz template.")
    palette = Palette.from_brand(brand)
    labels = labels_for(content.language)
    layout = _Layout(content, kind, width, height, palette, labels, countdown, logo)
    blocks, scale, cut = _fit(layout)
    image = Image.new("RGB", (width, height), palette.background)
    draw = ImageDraw.Draw(image)
    u, m, cw = layout.u, layout.margin, layout.content_width

    # Accent strip and header.
    draw.rectangle((0, 0, width, layout.px(12)), fill=palette.primary)
    header_top = layout.px(12) + m
    header_h = layout.header_height()
    x = m
    if logo is not None:
        logo_img = logo.copy()
        logo_img.thumbnail((layout.px(260), header_h))
        image.paste(logo_img, (x, header_top + (header_h - logo_img.height) // 2), logo_img)
        x += logo_img.width + layout.px(20)
    chip_font = get_font("regular", layout.px(28))
    difficulty_label, difficulty_colour = _load_difficulty(content, labels)
    difficulty_label = sanitize(difficulty_label, "regular")
    chip_pad = layout.px(22)
    chip_w = min(math.ceil(measure(chip_font, difficulty_label)) + 2 * chip_pad + 2, cw // 2)
    chip_h = layout.px(52)
    chip_x1 = m + cw
    chip_box = (
        chip_x1 - chip_w,
        header_top + (header_h - chip_h) // 2,
        chip_x1,
        header_top + (header_h + chip_h) // 2,
    )
    _rounded(
        draw,
        chip_box,
        chip_h // 2,
        mix(palette.background, difficulty_colour, 0.18),
        difficulty_colour,
        max(1, layout.px(2)),
    )
    chip_text = fit_line(difficulty_label, chip_font, chip_w - 2 * chip_pad)
    draw.text(
        ((chip_box[0] + chip_box[2]) // 2, (chip_box[1] + chip_box[3]) // 2),
        chip_text,
        font=chip_font,
        fill=difficulty_colour,
        anchor="mm",
    )
    name_font = get_font("bold", layout.px(36))
    site_name = fit_line(
        sanitize(brand.site_name, "bold"), name_font, max(1, chip_box[0] - layout.px(24) - x)
    )
    if site_name and chip_box[0] - layout.px(24) - x > 0:
        draw.text(
            (x, _text_y(name_font, header_top, header_h)),
            site_name,
            font=name_font,
            fill=palette.text,
        )

    # Label row: “Question · topic” or “✓ Correct answer: B”.
    label_top = header_top + header_h + layout.px(36)
    label_h = layout.label_height()
    label_font = get_font("bold", layout.px(30))
    topic_font = get_font("regular", layout.px(30))
    correct_index = content.correct_index
    if kind == "answer_card":
        if correct_index is not None:
            answer_ref = _letter(correct_index)
        else:
            answer_ref = sanitize(content.correct_answer, "bold")
        label = f"✓ {labels['correct_answer']}: {answer_ref}"
        label_colour = palette.correct if palette.dark else mix(palette.correct, (0, 0, 0), 0.2)
        label = fit_line(sanitize(label, "bold"), label_font, cw)
        draw.text(
            (m, _text_y(label_font, label_top, label_h)),
            label,
            font=label_font,
            fill=mix(label_colour, (255, 255, 255), 0.25) if palette.dark else label_colour,
        )
    else:
        label = labels["question"].upper()
        draw.text(
            (m, _text_y(label_font, label_top, label_h)),
            label,
            font=label_font,
            fill=palette.accent,
        )
        used = measure(label_font, label)
        topic = sanitize(content.topic.strip(), "regular")
        if topic:
            topic_text = fit_line(f"  ·  {topic}", topic_font, cw - used)
            draw.text(
                (round(m + used), _text_y(topic_font, label_top, label_h)),
                topic_text,
                font=topic_font,
                fill=palette.muted,
            )

    # Content blocks, centred in the region between the label row and the footer.
    top, bottom = layout.content_region()
    used_h = sum(b.height() for b in blocks)
    y = (
        top + max(0.0, (bottom - top - used_h) / 2)
        if countdown or kind == "answer_card"
        else top + max(0.0, (bottom - top - used_h) / 3)
    )
    option_boxes: list[Box] = []
    for block in blocks:
        if block.kind == "text":
            _draw_lines(draw, block, m, y, cw, block.colour)
        elif block.kind == "code":
            _draw_code(draw, block, m, y, cw, palette)
        elif block.kind == "option":
            option_boxes.append(_draw_option(draw, block, layout, kind, y, correct_index))
        elif block.kind == "explanation":
            # block.extra holds each kind's layout values as objects (ints, floats, fonts).
            pad = int(block.extra["pad"])  # type: ignore[call-overload]
            head_font: ImageFont.FreeTypeFont = block.extra["head_font"]  # type: ignore[assignment]
            box_h = block.fixed + block.visible * block.line_height
            box = (m, round(y), m + cw, round(y + box_h))
            _rounded(draw, box, layout.px(24), palette.panel)
            draw.rectangle(
                (m, box[1] + layout.px(18), m + layout.px(6), box[3] - layout.px(18)),
                fill=palette.accent,
            )
            head = fit_line(
                sanitize(labels["explanation"].upper(), "bold"), head_font, cw - 2 * pad
            )
            draw.text(
                (m + pad, _text_y(head_font, y + pad, head_font.size * 1.5)),
                head,
                font=head_font,
                fill=palette.accent,
            )
            _draw_lines(
                draw, block, m + pad, y + pad + head_font.size * 1.5, cw - 2 * pad, block.colour
            )
        y += block.height()

    countdown_box: Box | None = None
    footer_top = height - m - layout.footer_height()
    if countdown:
        countdown_box = (
            m,
            footer_top - layout.px(24) - layout.countdown_height(),
            m + cw,
            footer_top - layout.px(24),
        )

    # Footer: a rule, the task's link.
    draw.rectangle((m, footer_top, m + cw, footer_top + max(1, layout.px(2))), fill=palette.border)
    link_font = get_font("regular", layout.px(28))
    link = sanitize(content.link, "regular")
    if kind == "question_card" and not countdown:
        hint = sanitize(labels["answer_on_site"], "regular")
        hint_w = measure(link_font, hint)
        if hint_w < cw * 0.45:
            draw.text(
                (m + cw, _text_y(link_font, footer_top, layout.footer_height()) + layout.px(4)),
                hint,
                font=link_font,
                fill=palette.muted,
                anchor="ra",
            )
            link = fit_line(link, link_font, cw - hint_w - layout.px(24))
    link = fit_line(link, link_font, cw)
    draw.text(
        (m, _text_y(link_font, footer_top, layout.footer_height()) + layout.px(4)),
        link,
        font=link_font,
        fill=palette.accent,
    )

    return CardRender(
        image=image,
        kind=kind,
        option_boxes=option_boxes,
        correct_index=correct_index,
        countdown_box=countdown_box,
        content_box=(m, m, width - m, height - m),
        scale=scale,
        truncated=cut,
        palette=palette,
        unit=u,
        labels=labels,
    )


def _letter(index: int) -> str:
    return chr(ord("A") + index) if index < 26 else str(index + 1)


def _draw_option(
    draw: ImageDraw.ImageDraw,
    block: _Block,
    layout: _Layout,
    kind: CardKind,
    y: float,
    correct_index: int | None,
) -> Box:
    p = layout.palette
    m, cw = layout.margin, layout.content_width
    # block.extra holds each kind's layout values as objects (ints, floats, fonts).
    badge = int(block.extra["badge"])  # type: ignore[call-overload]
    pad_x = int(block.extra["pad_x"])  # type: ignore[call-overload]
    pad_y = int(block.extra["pad_y"])  # type: ignore[call-overload]
    text_x = int(block.extra["text_x"])  # type: ignore[call-overload]
    box_h = block.fixed + max(block.visible * block.line_height, block.min_inner)
    box = (m, round(y), m + cw, round(y + box_h))
    is_correct = kind == "answer_card" and block.index == correct_index
    dimmed = kind == "answer_card" and correct_index is not None and not is_correct
    radius = layout.px(22)
    if is_correct:
        _rounded(draw, box, radius, p.correct)
        badge_fill, letter_colour, text_colour = (255, 255, 255), p.correct, (255, 255, 255)
    else:
        _rounded(draw, box, radius, p.panel, p.border, max(1, layout.px(2)))
        badge_fill, letter_colour = (p.border if dimmed else p.primary), p.on_primary
        text_colour = p.muted if dimmed else p.text
    by = round(y + (box_h - badge) / 2)
    draw.ellipse((m + pad_x, by, m + pad_x + badge, by + badge), fill=badge_fill)
    letter_font: ImageFont.FreeTypeFont = get_font("bold", max(1, round(badge * 0.5)))
    draw.text(
        (m + pad_x + badge / 2, by + badge / 2),
        _letter(block.index),
        font=letter_font,
        fill=letter_colour,
        anchor="mm",
    )
    lines_h = block.visible * block.line_height
    text_top = y + pad_y + max(0.0, (max(lines_h, block.min_inner) - lines_h) / 2)
    _draw_lines(draw, block, m + text_x, text_top, cw - text_x - pad_x, text_colour)
    return box


def draw_countdown(card: CardRender, remaining: int, fraction: float) -> Image.Image:
    """A copy of a question card with the countdown: seconds left and a progress bar
    (``fraction`` of the time left, 1 → 0)."""
    if card.countdown_box is None:
        raise ValueError("The card was drawn without a countdown band.")
    with FONT_LOCK:
        return _draw_countdown(card, remaining, fraction)


def _draw_countdown(card: CardRender, remaining: int, fraction: float) -> Image.Image:
    assert card.countdown_box is not None
    image = card.image.copy()
    draw = ImageDraw.Draw(image)
    p, u = card.palette, card.unit
    x0, _y0, x1, y1 = card.countdown_box
    number_font = get_font("bold", max(1, round(84 * u)))
    label_font = get_font("regular", max(1, round(30 * u)))
    bar_h = max(2, round(22 * u))
    bar_top = y1 - bar_h
    number = str(max(0, remaining))
    number_y = bar_top - max(1, round(18 * u))
    draw.text((x0, number_y), number, font=number_font, fill=p.accent, anchor="ls")
    label = sanitize(card.labels.get("seconds_left", ""), "regular")
    label_x = x0 + measure(number_font, number) + max(1, round(16 * u))
    label = fit_line(label, label_font, max(1, x1 - label_x))
    draw.text((label_x, number_y), label, font=label_font, fill=p.muted, anchor="ls")
    _rounded(draw, (x0, bar_top, x1, y1), bar_h // 2, p.panel, p.border)
    filled = round((x1 - x0) * max(0.0, min(1.0, fraction)))
    if filled > bar_h:
        _rounded(draw, (x0, bar_top, x0 + filled, y1), bar_h // 2, p.accent)
    return image
