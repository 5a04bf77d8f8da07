"""The repository stands on its own: no tracked file points at notes outside it.

A clone has no notes from beside the repository: the platform facts the project relies on
live in docs/platform-api-facts.md, the one file allowed to mention where they came from.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
# Spelled in pieces so that this file does not match itself.
FORBIDDEN = ("../" + "shared", "PLATFORM_API" + "_FACTS")
ALLOWED = {"docs/platform-api-facts.md"}


def outside_references(text: str) -> list[int]:
    """Line numbers (1-based) of ``text`` that reference something outside the repository."""
    return [
        number
        for number, line in enumerate(text.splitlines(), start=1)
        if any(needle.lower() in line.lower() for needle in FORBIDDEN)
    ]


def tracked_files() -> list[str]:
    if shutil.which("git") is None or not (ROOT / ".git").exists():
        pytest.skip("needs a git checkout (git ls-files)")
    listing = subprocess.run(
        ["git", "ls-files", "-z"],  # noqa: S607 - git from PATH, fixed arguments
        cwd=ROOT,
        capture_output=True,
        check=True,
    ).stdout
    return [name for name in listing.decode().split("\0") if name]


def test_no_tracked_file_references_notes_outside_the_repository():
    offenders = []
    for name in tracked_files():
        path = ROOT / name
        if name in ALLOWED or not path.is_file():
            continue
        data = path.read_bytes()
        if b"\0" in data:
            continue  # binary (images, compiled translations)
        text = data.decode("utf-8", "replace")
        offenders += [f"{name}:{line}" for line in outside_references(text)]
    assert offenders == [], "point these at docs/platform-api-facts.md instead: " + ", ".join(
        offenders
    )


def test_the_facts_page_is_tracked():
    assert "docs/platform-api-facts.md" in tracked_files()


@pytest.mark.parametrize(
    ("text", "lines"),
    [
        ("see ../" + "shared/notes.md section 1", [1]),
        ("ok\nshapes from PLATFORM_API" + "_FACTS.md", [2]),
        ("ok\nplatform_api" + "_facts_native.md", [2]),
        ("shared_task, a shared cache, docs/platform-api-facts.md", []),
    ],
)
def test_the_check_finds_references(text, lines):
    assert outside_references(text) == lines
