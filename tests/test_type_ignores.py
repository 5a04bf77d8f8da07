"""Every ``# type: ignore`` names its error code and says why (README, *Two commands*).

The reason is a comment after the ignore on the same line, or a comment line just above
(for a run of consecutive ignored lines, above the first of them).
"""

from __future__ import annotations

import io
import re
import tokenize
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
SKIPPED = (".venv", "var", "node_modules", "migrations")
IGNORE = re.compile(r"#\s*type:\s*ignore\b")
WITH_CODE = re.compile(r"#\s*type:\s*ignore\[[a-z0-9_-]+(?:,\s*[a-z0-9_-]+)*\](?P<rest>.*)$")
# What follows the code counts as a reason if it has words, not just another tool's marker.
REASON = re.compile(r"[A-Za-z]{3,}")
NOT_A_REASON = re.compile(r"#\s*(?:noqa|pragma)\b[^#]*")


def _reason_after(rest: str) -> bool:
    return bool(REASON.search(NOT_A_REASON.sub("", rest)))


def unjustified_ignores(source: str) -> list[tuple[int, str]]:
    """(line, problem) for each ``type: ignore`` without a code or a reason."""
    comments: dict[int, str] = {}
    code_lines: set[int] = set()
    for token in tokenize.generate_tokens(io.StringIO(source).readline):
        if token.type == tokenize.COMMENT:
            comments[token.start[0]] = token.string
        elif token.type not in (tokenize.NL, tokenize.NEWLINE, tokenize.INDENT, tokenize.DEDENT):
            code_lines.update(range(token.start[0], token.end[0] + 1))
    problems = []
    needs_reason_above = []
    for line, comment in sorted(comments.items()):
        if not IGNORE.search(comment):
            continue
        match = WITH_CODE.search(comment)
        if match is None:
            problems.append((line, "no error code"))
        elif not _reason_after(match["rest"]):
            needs_reason_above.append(line)
    for line in needs_reason_above:
        above = line - 1
        while above in comments and above in code_lines and IGNORE.search(comments[above]):
            above -= 1  # a run of ignored lines shares the comment above the first
        if not (above in comments and above not in code_lines):
            problems.append((line, "no reason (a comment after it or on the line above)"))
    return problems


def test_every_type_ignore_has_a_code_and_a_reason():
    offenders = []
    for path in sorted(REPO.rglob("*.py")):
        relative = path.relative_to(REPO)
        if any(part in SKIPPED for part in relative.parts):
            continue
        offenders += [
            f"{relative}:{line} {problem}"
            for line, problem in unjustified_ignores(path.read_text())
        ]
    assert offenders == []


def test_the_check_notices_a_missing_code_or_reason():
    source = (
        "a = f()  # type: ignore\n"
        "b = f()  # type: ignore[misc]\n"
        "c = f()  # type: ignore[misc]  # noqa: E501\n"
        "d = f()  # type: ignore[misc]  # the stubs lack f\n"
        "# The stubs lack g and h.\n"
        "e = g()  # type: ignore[attr-defined]\n"
        "h = h()  # type: ignore[attr-defined]\n"
    )
    assert unjustified_ignores(source) == [
        (1, "no error code"),
        (2, "no reason (a comment after it or on the line above)"),
        (3, "no reason (a comment after it or on the line above)"),
    ]
