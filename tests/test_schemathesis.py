"""Property-based API test: schemathesis fires generated callbacks at the real app.

Every generated body is signed with a real webhook's secret (Standard Webhooks),
so the cases get past authentication and exercise parsing, validation and the
service. The test fails on any 5xx and on any answer outside the published schema.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
import schemathesis
from django.core import signals
from django.db import close_old_connections
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis import GenerationMode
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_schema_conformance,
    status_code_conformance,
)
from schemathesis.core import NotSet

from quiz_backend.wsgi import application
from tasks.models import SocialMediaPost
from tests.factories import TaskFactory, WebhookFactory
from webhooks.tests.signing import signature_headers

CALLBACK = "/api/webhooks/social-media-callback/"
MIN_CASES = 1000
CHECKS = [
    not_a_server_error,
    response_schema_conformance,
    status_code_conformance,
    content_type_conformance,
]


def raw_body(case: schemathesis.Case) -> bytes:
    """The exact bytes to send (and sign) for a generated case."""
    if isinstance(case.body, NotSet):
        return b""
    if isinstance(case.body, bytes):
        return case.body
    return json.dumps(case.body).encode()


@pytest.fixture
def wsgi_keeps_test_connection():
    """Like Django's test client: the WSGI app must not close the test's DB connection."""
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    yield
    signals.request_started.connect(close_old_connections)
    signals.request_finished.connect(close_old_connections)


@pytest.fixture
def callback_world(db, settings, wsgi_keeps_test_connection):
    settings.SOCIAL_MEDIA_AUTO_PUBLISH = False
    settings.REST_FRAMEWORK = settings.REST_FRAMEWORK | {
        "DEFAULT_THROTTLE_RATES": {"social_media_callback": "100000/min"}
    }
    webhook = WebhookFactory(target_platforms=["instagram", "tiktok", "youtube_shorts"])
    for _ in range(3):
        task = TaskFactory(published=True)
        for platform in ("instagram", "tiktok", "youtube_shorts", "yandex_dzen"):
            SocialMediaPost.objects.create(
                task=task, platform=platform, status="processing", webhook=webhook
            )
    return webhook


def test_generated_signed_callbacks_never_break_the_contract(callback_world):
    schema = schemathesis.openapi.from_wsgi("/api/schema/", application)
    operation = schema[CALLBACK]["POST"]
    strategy = st.one_of(
        operation.as_strategy(GenerationMode.POSITIVE),
        operation.as_strategy(GenerationMode.NEGATIVE),
    )
    secret = callback_world.secret
    statuses: dict[int, int] = {}

    @settings(
        max_examples=MIN_CASES + 200,
        deadline=None,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    @given(case=strategy)
    def call(case: schemathesis.Case) -> None:
        body = raw_body(case)
        headers: dict[str, Any] = dict(case.headers or {})
        headers.pop("Authorization", None)
        headers.update(signature_headers(secret, body))
        headers.setdefault("Content-Type", "application/json")
        response = case.call(data=body, headers=headers)
        statuses[response.status_code] = statuses.get(response.status_code, 0) + 1
        case.validate_response(response, checks=CHECKS)

    call()

    print(f"schemathesis statuses: {statuses}")
    assert sum(statuses.values()) >= MIN_CASES, statuses
    assert not [code for code in statuses if code >= 500], statuses
    assert statuses.get(400, 0) > 0, statuses  # the negative cases reached validation


def test_the_schema_publishes_the_callback_answers_and_security(client):
    response = client.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")

    assert response.status_code == 200
    schema = json.loads(response.content)
    operation = schema["paths"][CALLBACK]["post"]
    assert {"200", "400", "401", "403", "404", "413", "415", "429"} <= set(operation["responses"])
    assert operation["security"] == [
        {"webhookId": [], "webhookTimestamp": [], "webhookSignature": []},
        {"callbackBearer": []},
    ]
    schemes = schema["components"]["securitySchemes"]
    assert schemes["webhookSignature"] == schemes["webhookSignature"] | {
        "type": "apiKey",
        "in": "header",
        "name": "webhook-signature",
    }
    assert schemes["callbackBearer"]["scheme"] == "bearer"


def test_the_docs_page_loads_everything_from_our_own_static_files(client):
    response = client.get("/api/docs/")

    assert response.status_code == 200
    html = response.content.decode()
    assert "/static/drf_spectacular_sidecar/swagger-ui-dist/" in html
    assert "cdn" not in html.lower()
    assert 'src="http' not in html and 'href="http' not in html
