"""The test suite itself: every test asserts something, and every relaxation says why.

A test without an assertion passes whatever the code does. An assertion counts when it is
an ``assert``, ``pytest.raises``/``warns``/``fail``, a Playwright ``expect``, or a call to a
helper that (transitively) contains one of these.
"""

from __future__ import annotations

import ast
import io
import os
import tokenize
from pathlib import Path

pytest_plugins = ["pytester"]

REPO = Path(__file__).resolve().parent.parent
SKIPPED_DIRS = {".venv", "node_modules", "var", "media", ".git"}
DIRECT_CALLS = {"raises", "warns", "fail", "deprecated_call"}


def _test_files() -> list[Path]:
    found = []
    for folder, dirs, names in os.walk(REPO):
        dirs[:] = [d for d in dirs if d not in SKIPPED_DIRS and not d.startswith(".")]
        parts = Path(folder).relative_to(REPO).parts
        found += [
            Path(folder) / name
            for name in names
            if name.endswith(".py") and ("tests" in parts or name == "conftest.py")
        ]
    return sorted(found)


def _call_name(call: ast.Call) -> str | None:
    if isinstance(call.func, ast.Name):
        return call.func.id
    if isinstance(call.func, ast.Attribute):
        return call.func.attr
    return None


def _asserts_directly(node: ast.AST) -> bool:
    for child in ast.walk(node):
        if isinstance(child, ast.Assert):
            return True
        if isinstance(child, ast.Call):
            name = _call_name(child) or ""
            if name in DIRECT_CALLS or name.startswith(("assert", "expect")):
                return True
    return False


def _functions(trees: dict[Path, ast.Module]) -> dict[str, list[ast.AST]]:
    found: dict[str, list[ast.AST]] = {}
    for tree in trees.values():
        for node in ast.walk(tree):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                found.setdefault(node.name, []).append(node)
    return found


def _asserting_helpers(functions: dict[str, list[ast.AST]]) -> set[str]:
    asserting = {name for name, defs in functions.items() if any(map(_asserts_directly, defs))}
    grown = True
    while grown:
        grown = False
        for name, defs in functions.items():
            if name in asserting:
                continue
            if any(
                isinstance(child, ast.Call) and _call_name(child) in asserting
                for node in defs
                for child in ast.walk(node)
            ):
                asserting.add(name)
                grown = True
    return asserting


def _tests(tree: ast.Module) -> list[ast.FunctionDef | ast.AsyncFunctionDef]:
    nodes = list(tree.body)
    nodes += [item for node in tree.body if isinstance(node, ast.ClassDef) for item in node.body]
    return [
        node
        for node in nodes
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) and node.name.startswith("test")
    ]


def find_tests_without_assertions(files: list[Path], root: Path = REPO) -> list[str]:
    trees = {path: ast.parse(path.read_text(), filename=str(path)) for path in files}
    asserting = _asserting_helpers(_functions(trees))
    missing = []
    for path, tree in trees.items():
        for test in _tests(tree):
            if _asserts_directly(test):
                continue
            if any(
                isinstance(child, ast.Call) and _call_name(child) in asserting
                for child in ast.walk(test)
            ):
                continue
            missing.append(f"{path.relative_to(root)}:{test.lineno} {test.name}")
    return missing


def _comment_lines(source: str) -> set[int]:
    tokens = tokenize.generate_tokens(io.StringIO(source).readline)
    return {token.start[0] for token in tokens if token.type == tokenize.COMMENT}


def find_unexplained_relaxations(files: list[Path], root: Path = REPO) -> list[str]:
    """``lenient_responses`` and ``allow_private_urls`` need a comment: in the test that
    uses the fixture, or on (or just above) the marker's line."""
    unexplained = []
    for path in files:
        if path.name == "conftest.py" and path.parent == root:
            continue  # where both are defined
        source = path.read_text()
        comments = _comment_lines(source)
        tree = ast.parse(source)
        for node in ast.walk(tree):
            if isinstance(node, ast.FunctionDef) and "lenient_responses" in {
                arg.arg for arg in node.args.args
            }:
                end = node.end_lineno or node.lineno
                if not comments.intersection(range(node.lineno, end + 1)):
                    unexplained.append(f"{path.relative_to(root)}:{node.lineno} {node.name}")
            if (
                isinstance(node, ast.Attribute)
                and node.attr == "allow_private_urls"
                and not comments.intersection({node.lineno, node.lineno - 1})
            ):
                unexplained.append(f"{path.relative_to(root)}:{node.lineno} allow_private_urls")
    return unexplained


def test_every_test_asserts_something():
    assert find_tests_without_assertions(_test_files()) == []


def test_every_lenient_stub_or_lifted_guard_says_why():
    assert find_unexplained_relaxations(_test_files()) == []


def test_the_checks_notice_what_they_look_for(tmp_path):
    sample = tmp_path / "tests" / "test_sample.py"
    sample.parent.mkdir()
    sample.write_text(
        "import pytest\n"
        "def check(x):\n"
        "    assert x\n"
        "def test_checked():\n"
        "    check(1)\n"
        "def test_raises():\n"
        "    with pytest.raises(ValueError):\n"
        "        int('x')\n"
        "def test_nothing():\n"
        "    int('1')\n"
        "def test_lenient(lenient_responses):\n"
        "    assert lenient_responses\n"
        "@pytest.mark.allow_private_urls\n"
        "def test_loopback():\n"
        "    assert True\n"
    )

    missing = find_tests_without_assertions([sample], root=tmp_path)
    unexplained = find_unexplained_relaxations([sample], root=tmp_path)

    assert missing == ["tests/test_sample.py:9 test_nothing"]
    assert unexplained == [
        "tests/test_sample.py:11 test_lenient",
        "tests/test_sample.py:13 allow_private_urls",
    ]


# --- the fixtures themselves, run in a separate pytest ------------------------------------

STUB_TESTS = """
import requests

def test_unused_strict_stub(mocked_responses):
    mocked_responses.get("https://api.example.test/never")

def test_used_strict_stub(mocked_responses):
    mocked_responses.get("https://api.example.test/once", body="ok")
    assert requests.get("https://api.example.test/once", timeout=1).text == "ok"

def test_unused_lenient_stub(lenient_responses):
    # lenient on purpose: this is what is tested
    lenient_responses.get("https://api.example.test/never")
"""


def test_a_stub_that_is_never_called_fails_the_test_unless_lenient(pytester, monkeypatch):
    monkeypatch.setenv("PYTHONPATH", str(REPO))
    pytester.makeconftest((REPO / "conftest.py").read_text())
    pytester.makeini("[pytest]\nDJANGO_SETTINGS_MODULE = quiz_backend.test_settings\n")
    pytester.makepyfile(test_stubs=STUB_TESTS)

    result = pytester.runpytest_subprocess("-p", "no:cacheprovider", "-q")

    result.assert_outcomes(passed=3, errors=1)
    result.stdout.fnmatch_lines(["*ERROR at teardown of test_unused_strict_stub*"])
    result.stdout.fnmatch_lines(["*Not all requests have been executed*/never*"])
