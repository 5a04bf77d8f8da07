"""The registry: every platform is one package behind ``social_media.platforms.KEYS``."""

from __future__ import annotations

import ast
import re
import sys
from pathlib import Path

import pytest
from django.conf import settings

import social_media.platforms as package
from quiz_backend import platform_catalog
from quiz_backend.env import VARIABLES
from social_media.content import LIMITS
from social_media.platforms import KEYS, registry, spec
from social_media.platforms.base import BasePlatform
from social_media.platforms.registry import PLATFORMS
from social_media.platforms.spec import Route, conf_module, platform_settings

ROOT = Path(__file__).resolve().parents[2]


def test_the_registry_holds_each_key_once_in_order():
    assert list(PLATFORMS) == list(KEYS)
    assert len(set(KEYS)) == len(KEYS)


@pytest.mark.parametrize("key", KEYS)
def test_each_platform_declares_its_contract(key):
    platform = PLATFORMS[key]
    assert isinstance(platform, BasePlatform)
    assert platform.key == key
    assert platform.routes and set(platform.routes) <= set(Route)
    assert platform.text_limits is conf_module(key).TEXT_LIMITS is LIMITS[key]
    assert platform.settings == getattr(conf_module(key), "SETTINGS", ())
    assert platform.secret_patterns == getattr(conf_module(key), "SECRET_PATTERNS", ())
    assert isinstance(platform.media_requirements, tuple)


@pytest.mark.parametrize("key", [k for k in KEYS if PLATFORMS[k].supports(Route.API)])
def test_an_api_platform_brings_its_demo_account_and_checks(key):
    platform = PLATFORMS[key]
    assert platform.demo_credential is not None
    platform.validate_extra_data(platform.demo_credential.extra_data)  # the demo is valid
    assert platform.secret_patterns, "an API platform declares the shape of its tokens"
    for secret in platform.secret_patterns:
        assert re.compile(secret.pattern).groups >= 2  # group 1 is kept, group 2 masked


def test_declared_settings_are_read_and_allowed():
    declared = platform_settings()
    assert declared, "no platform declares a setting"
    for setting in declared:
        assert setting.name in VARIABLES
        assert hasattr(settings, setting.name)


def test_the_models_catalogue_is_the_registry():
    assert platform_catalog.platform_choices() == [(k, p.label) for k, p in PLATFORMS.items()]
    assert {k for k, _label in platform_catalog.api_platform_choices()} == {
        k for k, p in PLATFORMS.items() if p.supports(Route.API)
    }
    assert platform_catalog.webhook_platform_keys() == {
        k for k, p in PLATFORMS.items() if p.supports(Route.WEBHOOK)
    }


# The OpenAPI examples of the callback name real platforms on purpose.
EXAMPLES = {"webhooks/schema.py"}


def _code_strings(path: Path) -> set[str]:
    """String constants of a module, docstrings left out."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    docstrings = {
        id(node.body[0].value)
        for node in ast.walk(tree)
        if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef)
        and node.body
        and isinstance(node.body[0], ast.Expr)
        and isinstance(node.body[0].value, ast.Constant)
    }
    return {
        node.value
        for node in ast.walk(tree)
        if isinstance(node, ast.Constant) and isinstance(node.value, str)
        if id(node) not in docstrings
    }


def test_no_production_code_outside_the_packages_names_a_platform():
    """Only the list of keys names platforms; the rest asks the registry."""
    found = []
    for app in ("social_media", "tasks", "webhooks", "quiz_backend"):
        for path in sorted((ROOT / app).rglob("*.py")):
            relative = path.relative_to(ROOT).as_posix()
            parts = path.relative_to(ROOT).parts
            if "tests" in parts or "migrations" in parts or relative in EXAMPLES:
                continue
            if relative == "social_media/platforms/__init__.py":
                continue
            if parts[:2] == ("social_media", "platforms") and len(parts) > 3:
                continue  # inside a platform's own package
            named = sorted(set(KEYS) & _code_strings(path))
            if named:
                found.append(f"{relative}: {', '.join(named)}")
    assert found == []


NEW_CONF = """
from social_media.platforms.spec import SecretPattern, Setting, TextLimits

TEXT_LIMITS = TextLimits(title=50, description=500)
SETTINGS = (Setting("NEWNET_API_BASE_URL", "https://api.newnet.example/v1"),)
SECRET_PATTERNS = (SecretPattern(r"\\b(nn_)([A-Za-z0-9]{8,})"),)
"""
NEW_PLATFORM = """
from social_media.platforms.base import BasePlatform, PublishResult, Outcome
from social_media.platforms.newnet import conf
from social_media.platforms.spec import Route


class NewNetPlatform(BasePlatform):
    key = "newnet"
    label = "NewNet"
    routes = (Route.API,)
    text_limits = conf.TEXT_LIMITS
    settings = conf.SETTINGS
    secret_patterns = conf.SECRET_PATTERNS

    def publish(self, post, target):
        return PublishResult(Outcome.SUCCESS, post_id="1")


PLATFORM = NewNetPlatform()
"""


def _forget_newnet() -> None:
    for name in [n for n in sys.modules if n.startswith("social_media.platforms.newnet")]:
        del sys.modules[name]
    vars(package).pop("newnet", None)


def test_a_new_api_platform_is_its_package_and_one_key(tmp_path, monkeypatch, request):
    """What the README promises: the package and its key, and every collector sees it."""
    folder = tmp_path / "newnet"
    folder.mkdir()
    (folder / "__init__.py").write_text('"""NewNet."""\n')
    (folder / "conf.py").write_text(NEW_CONF)
    (folder / "platform.py").write_text(NEW_PLATFORM)
    monkeypatch.setattr(package, "__path__", [*package.__path__, str(tmp_path)])
    keys = (*KEYS, "newnet")
    monkeypatch.setattr(spec, "KEYS", keys)  # the one line, as the modules see it

    request.addfinalizer(_forget_newnet)

    platform = registry._load("newnet")

    assert platform.key == "newnet" and platform.supports(Route.API)
    assert spec.text_limits()["newnet"].title == 50
    assert [s.name for s in spec.platform_settings()][-1] == "NEWNET_API_BASE_URL"
    assert spec.secret_patterns()[-1].pattern == r"\b(nn_)([A-Za-z0-9]{8,})"
    assert re.compile(spec.secret_patterns()[-1].pattern).sub(r"\1***", "nn_abcdefgh12") == (
        "nn_***"
    )
    assert "social_media.platforms.newnet.platform" in sys.modules


def test_the_new_platform_is_forgotten_afterwards():
    assert "newnet" not in spec.KEYS
    assert not [n for n in sys.modules if n.startswith("social_media.platforms.newnet")]
