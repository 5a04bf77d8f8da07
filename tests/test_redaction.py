"""Secrets never reach a log line: the redaction filter on every configured handler."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest
from django.conf import settings

from quiz_backend.logging import RedactSecretsFilter
from quiz_backend.redaction import redact

FB_TOKEN = "EAABwzLixnjYBO7ZCZBqZCsecretpagetoken123"
PIN_TOKEN = "pina_AMA6ZWYXAAB2WAYAGBAKWDREDACTME0123"
WH_SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"


@pytest.mark.parametrize(
    "text, secret",
    [
        (f"GET https://graph.facebook.com/v26.0/me?access_token={FB_TOKEN}&fields=id", FB_TOKEN),
        ("POST /oauth?client_secret=s3cr3tvalue&code=1", "s3cr3tvalue"),
        ("refresh_token%3Drt-1234567890abc", "rt-1234567890abc"),
        (f"Authorization: Bearer {PIN_TOKEN}", PIN_TOKEN),
        ("Authorization: Bearer opaque.token-value_42", "opaque.token-value_42"),
        (f"signing with {WH_SECRET}", "MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"),
        ('{"access_token": "abc123def456", "expires_in": 3600}', "abc123def456"),
        ('{"webhook_secret":"plainsecretvalue"}', "plainsecretvalue"),
        ("{'access_token': 'python-repr-token', 'id': 1}", "python-repr-token"),
        (f"token in free text {PIN_TOKEN} here", PIN_TOKEN),
        (f"Facebook said: invalid {FB_TOKEN}", FB_TOKEN),
        # Make.com's custom-webhook API key header, however it is written down
        ("x-make-apikey: mk-Q7wZ3nV9xK2pL5sT", "mk-Q7wZ3nV9xK2pL5sT"),
        ("X-Make-ApiKey:mk-Q7wZ3nV9xK2pL5sT", "mk-Q7wZ3nV9xK2pL5sT"),
        ("{'x-make-apikey': 'mk-Q7wZ3nV9xK2pL5sT'}", "mk-Q7wZ3nV9xK2pL5sT"),
        ('{"x-make-apikey": "mk-Q7wZ3nV9xK2pL5sT"}', "mk-Q7wZ3nV9xK2pL5sT"),
        ("X-Api-Key: mk-Q7wZ3nV9xK2pL5sT", "mk-Q7wZ3nV9xK2pL5sT"),
    ],
)
def test_secret_looking_fragments_are_masked(text, secret):
    cleaned = redact(text)

    assert secret not in cleaned
    assert "***" in cleaned


def test_known_secret_values_are_masked_wherever_they_appear():
    cleaned = redact("the scenario echoed hunter2-secret back", ["hunter2-secret"])

    assert cleaned == "the scenario echoed *** back"


def test_ordinary_text_is_left_alone():
    text = "🌐 Автопубликация задачи 57 в соцсети: instagram → processing (HTTP 200 in 81 ms)"

    assert redact(text) == text


@pytest.fixture
def social_logger():
    return logging.getLogger("social_media.http")


def test_caplog_sees_a_token_in_a_url_masked(caplog, social_logger):
    social_logger.addFilter(RedactSecretsFilter())  # caplog's own handler has no filter
    try:
        with caplog.at_level(logging.INFO):
            social_logger.info(
                "Facebook %s -> %s", f"GET /me?access_token={FB_TOKEN}&fields=id", 200
            )
            social_logger.warning("headers %s", {"Authorization": f"Bearer {PIN_TOKEN}"})
            social_logger.info('body {"access_token": "%s"}', "json-token-value-1")
            social_logger.info("secret %s", WH_SECRET)
    finally:
        social_logger.filters.clear()

    text = caplog.text
    for secret in (FB_TOKEN, PIN_TOKEN, "json-token-value-1", WH_SECRET):
        assert secret not in text
    assert "access_token=***" in text
    assert "fields=id" in text


def test_a_token_in_an_exception_traceback_is_masked(caplog, social_logger):
    social_logger.addFilter(RedactSecretsFilter())
    try:
        with caplog.at_level(logging.ERROR):
            try:
                raise ValueError(f"request to /me?access_token={FB_TOKEN} failed")
            except ValueError:
                social_logger.exception("Facebook call failed")
    finally:
        social_logger.filters.clear()

    assert FB_TOKEN not in caplog.text
    assert "access_token=***" in caplog.text


def test_every_configured_handler_carries_the_filter():
    handlers = settings.LOGGING["handlers"]

    assert handlers
    for name, handler in handlers.items():
        assert "redact_secrets" in handler.get("filters", []), name
    assert (
        settings.LOGGING["filters"]["redact_secrets"]["()"]
        == "quiz_backend.logging.RedactSecretsFilter"
    )


def test_the_log_file_never_receives_the_token(social_logger):
    log_file = Path(settings.LOG_DIR) / "debug.log"
    marker = "redaction-check-5f1c"

    social_logger.info("%s GET /v5/pins?access_token=%s", marker, PIN_TOKEN)
    try:
        raise RuntimeError(f"Authorization: Bearer {PIN_TOKEN}")
    except RuntimeError:
        social_logger.exception("%s failed", marker)
    for handler in logging.getLogger().handlers:
        handler.flush()

    lines = [line for line in log_file.read_text(encoding="utf-8").splitlines()]
    tail = "\n".join(lines[-50:])
    assert marker in tail
    assert PIN_TOKEN not in tail
    assert "REDACTME" not in tail
