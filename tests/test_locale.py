"""The committed Russian catalogue is complete and compiled (CI may lack gettext)."""

from __future__ import annotations

import ast
import gettext
from pathlib import Path

from django.conf import settings
from django.utils import translation

RU = Path(settings.BASE_DIR) / "locale" / "ru" / "LC_MESSAGES"


def _po_entries(path: Path) -> list[dict[str, str]]:
    """msgid → msgstr(s) of a .po file, enough of the format for our own catalogue."""
    entries = []
    for block in path.read_text(encoding="utf-8").split("\n\n"):
        entry: dict[str, list[str]] = {}
        key = ""
        for line in block.splitlines():
            if line.startswith("#") or not line.strip():
                continue
            if line.startswith('"'):
                entry[key].append(ast.literal_eval(line))
                continue
            key, _, value = line.partition(" ")
            entry[key] = [ast.literal_eval(value)]
        if entry.get("msgid") and "".join(entry["msgid"]):
            entries.append({k: "".join(v) for k, v in entry.items()})
    return entries


def test_every_russian_message_is_translated():
    untranslated = [
        e["msgid"]
        for e in _po_entries(RU / "django.po")
        if not any(v for k, v in e.items() if k.startswith("msgstr"))
    ]
    assert untranslated == []


def test_compiled_catalogue_matches_the_po_file():
    with open(RU / "django.mo", "rb") as mo:
        # The parsed messages; typeshed leaves this private attribute out.
        catalogue = gettext.GNUTranslations(mo)._catalog  # type: ignore[attr-defined]
    stale = [
        e["msgid"]
        for e in _po_entries(RU / "django.po")
        if "msgstr" in e and catalogue.get(e["msgid"]) != e["msgstr"]
    ]
    assert stale == []


def test_statuses_and_sections_in_russian():
    from social_media.platforms.registry import PLATFORMS
    from tasks.models import PostStatus, SocialMediaPost, Task

    with translation.override("ru"):
        assert [str(label) for label in PostStatus.labels] == [
            "Ожидает",
            "Обрабатывается",
            "Опубликовано",
            "Ошибка",
        ]
        assert str(PLATFORMS["yandex_dzen"].label) == "Яндекс Дзен"
        assert str(Task._meta.app_config.verbose_name) == "Задачи"
        assert str(SocialMediaPost._meta.verbose_name_plural).capitalize() == (
            "Публикации в соцсетях"
        )
