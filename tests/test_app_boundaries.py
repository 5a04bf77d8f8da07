"""The apps depend one way: social_media → tasks, webhooks, quiz_media; production code
never imports the emulator.

Every module is parsed (AST), so imports inside functions, management commands and
migrations count too. Test modules are left out: they may exercise the whole project.
``quiz_backend`` is the project package (settings, URLs, shared helpers): it may use
the publishing app, but naming the emulator app in ``INSTALLED_APPS`` (a string, for
the local run and the test suite) is its only link to the emulator.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def _modules(app: str) -> list[Path]:
    return sorted(
        path
        for path in (ROOT / app).rglob("*.py")
        if "tests" not in path.relative_to(ROOT / app).parts
    )


def _imported(path: Path) -> set[str]:
    """Every module name an import statement in ``path`` names, at any depth."""
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), filename=str(path))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
            names.update(f"{node.module}.{alias.name}" for alias in node.names)
    return names


def _offending(apps: list[str], forbidden: str) -> list[str]:
    found = []
    for app in apps:
        for path in _modules(app):
            bad = sorted(
                name
                for name in _imported(path)
                if name == forbidden or name.startswith(f"{forbidden}.")
            )
            if bad:
                found.append(f"{path.relative_to(ROOT)}: {', '.join(bad)}")
    return found


@pytest.mark.parametrize("app", ["tasks", "webhooks", "quiz_media"])
def test_the_model_apps_never_import_the_publishing_app(app):
    assert _modules(app), f"no modules found in {app}/"
    assert _offending([app], "social_media") == []


def test_production_code_never_imports_the_emulator():
    assert (
        _offending(["social_media", "tasks", "webhooks", "quiz_media", "quiz_backend"], "emulator")
        == []
    )


def test_the_checker_sees_imports_inside_functions(tmp_path):
    module = tmp_path / "m.py"
    module.write_text("def f():\n    from social_media.services import x\n    import emulator\n")
    assert {"social_media.services", "emulator"} <= _imported(module)


def test_the_emulator_is_only_named_as_an_installed_app():
    """quiz_backend mentions the emulator app only in INSTALLED_APPS (as a string)."""
    strings = [
        (path.name, node.value)
        for path in _modules("quiz_backend")
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8")))
        if isinstance(node, ast.Constant) and node.value == "emulator"
    ]
    assert strings == [("settings.py", "emulator")]
