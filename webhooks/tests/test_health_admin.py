"""Connection health in the admin: test connection, token expiry, test events, last
delivery, and one active target per platform and language."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from responses import matchers
from standardwebhooks import Webhook as StandardWebhook

from social_media.models import PublishAttempt
from social_media.tests.contract import GRAPH_API, PINTEREST_API, connect_refused, load_fixture
from tasks.models import SocialMediaPost
from tests.factories import (
    FacebookCredentialsFactory,
    PinterestCredentialsFactory,
    TaskFactory,
    WebhookFactory,
)
from webhooks.models import Webhook

pytestmark = pytest.mark.django_db

EN = {"HTTP_ACCEPT_LANGUAGE": "en"}
RU = {"HTTP_ACCEPT_LANGUAGE": "ru"}
CRED_LIST = reverse("admin:webhooks_socialmediacredentials_changelist")
CRED_ADD = reverse("admin:webhooks_socialmediacredentials_add")
HOOK_LIST = reverse("admin:webhooks_webhook_changelist")
HOOK_ADD = reverse("admin:webhooks_webhook_add")
PIN_TOKEN = "pina_TESTTOKENpinterest0123456789"
FB_TOKEN = "EAAB-test-page-token-0123456789"
HOOK_URL = "https://hook.eu1.make.com/abc123"


@pytest.fixture(autouse=True)
def _platforms(settings):
    settings.PINTEREST_API_BASE_URL = PINTEREST_API
    settings.FACEBOOK_GRAPH_API_BASE_URL = GRAPH_API
    settings.FACEBOOK_APP_ID = ""
    settings.FACEBOOK_APP_SECRET = ""
    settings.SOCIAL_MEDIA_AUTO_PUBLISH = False


def messages_of(response) -> list[str]:
    return [str(m) for m in response.context["messages"]]


def run_action(client, url: str, action: str, objects, **headers):
    data = {"action": action, "_selected_action": [o.pk for o in objects]}
    return client.post(url, data, follow=True, **(headers or EN))


# --- test connection -----------------------------------------------------------------


def test_test_connection_action_gives_a_verdict_per_credential(admin_client, mocked_responses):
    pinterest = PinterestCredentialsFactory(access_token=PIN_TOKEN)
    facebook = FacebookCredentialsFactory(access_token=FB_TOKEN)
    mocked_responses.get(
        f"{PINTEREST_API}/user_account", json=load_fixture("pinterest", "user_account")
    )
    mocked_responses.get(
        f"{PINTEREST_API}/boards/549755885175", json=load_fixture("pinterest", "board")
    )
    mocked_responses.get(
        f"{GRAPH_API}/104512345678901", status=400, json=load_fixture("facebook", "error_190")
    )

    response = run_action(admin_client, CRED_LIST, "test_connection", [pinterest, facebook])

    assert messages_of(response) == [
        f"{pinterest}: Connected as quizbot, board “Python quizzes”.",
        f"{facebook}: Token rejected (Facebook: HTTP 400, code 190/463: Error validating "
        "access token: Session has expired on Tuesday, 03-Mar-26 10:00:00 PST.). "
        "Enter a new token to reconnect the account.",
    ]
    page = response.content.decode()
    assert PIN_TOKEN not in page and FB_TOKEN not in page
    facebook.refresh_from_db()
    pinterest.refresh_from_db()
    assert facebook.needs_reconnect is True
    assert pinterest.needs_reconnect is False
    # The warning banner now names the flagged credential on every admin page.
    assert "needs reconnection" in admin_client.get(HOOK_LIST, **EN).content.decode()


def test_a_network_error_in_the_action_does_not_flag(admin_client, mocked_responses):
    credential = PinterestCredentialsFactory(access_token=PIN_TOKEN)
    mocked_responses.get(f"{PINTEREST_API}/user_account", body=connect_refused())

    response = run_action(admin_client, CRED_LIST, "test_connection", [credential])

    [message] = messages_of(response)
    assert message.startswith(f"{credential}: Could not reach Pinterest")
    credential.refresh_from_db()
    assert credential.needs_reconnect is False


def test_the_change_page_has_a_test_connection_button(admin_client, mocked_responses):
    credential = PinterestCredentialsFactory(access_token=PIN_TOKEN)
    url = reverse("admin:webhooks_socialmediacredentials_test_connection", args=[credential.pk])
    change = reverse("admin:webhooks_socialmediacredentials_change", args=[credential.pk])
    mocked_responses.get(f"{PINTEREST_API}/user_account", status=401, json={"code": 2})

    page = admin_client.get(change, **EN).content.decode()
    assert f'formaction="{url}"' in page
    assert admin_client.get(url, **EN).status_code == 405
    response = admin_client.post(url, follow=True, **EN)

    assert response.redirect_chain == [(change, 302)]
    [message] = messages_of(response)
    assert message.startswith(f"{credential}: Token rejected")
    credential.refresh_from_db()
    assert credential.needs_reconnect is True


def test_the_button_needs_the_change_permission(client, django_user_model, mocked_responses):
    from django.contrib.auth.models import Permission

    viewer = django_user_model.objects.create_user("viewer", password="pw", is_staff=True)
    viewer.user_permissions.add(Permission.objects.get(codename="view_socialmediacredentials"))
    client.force_login(viewer)
    credential = PinterestCredentialsFactory()
    url = reverse("admin:webhooks_socialmediacredentials_test_connection", args=[credential.pk])

    assert client.post(url, **EN).status_code == 403
    assert len(mocked_responses.calls) == 0


def test_too_many_selected_is_refused_without_calls(admin_client, mocked_responses):
    credentials = [PinterestCredentialsFactory(is_active=False) for _ in range(3)]

    response = run_action(admin_client, CRED_LIST, "test_connection", credentials)

    assert messages_of(response) == ["Select at most 2 at a time: each one calls the platform."]
    assert len(mocked_responses.calls) == 0


# --- token expiry --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("headers", "soon", "later", "gone"),
    [
        (EN, "expires in 3 days", "expires in 40 days", "expired"),
        (RU, "истекает через 3 дня", "истекает через 40 дней", "истёк"),
    ],
)
def test_the_list_shows_token_expiry(admin_client, headers, soon, later, gone):
    now = timezone.now()
    PinterestCredentialsFactory(token_expires_at=now + timedelta(days=3, hours=2))
    PinterestCredentialsFactory(token_expires_at=now + timedelta(days=40, hours=2))
    PinterestCredentialsFactory(token_expires_at=now - timedelta(hours=1))

    page = admin_client.get(CRED_LIST, **headers).content.decode()

    assert soon in page and later in page and gone in page


# --- webhooks: test event ------------------------------------------------------------


def test_send_test_event_posts_a_signed_test_payload_and_shows_the_answer(
    admin_client, mocked_responses
):
    webhook = WebhookFactory(url=HOOK_URL, target_platforms=["instagram", "tiktok"])
    mocked_responses.post(
        HOOK_URL,
        body="Accepted",
        content_type="text/plain",
        match=[matchers.header_matcher({"Content-Type": "application/json"})],
    )

    response = run_action(admin_client, HOOK_LIST, "send_test_event", [webhook])

    assert messages_of(response) == [f"{webhook}: Answered HTTP 200: Accepted"]
    request = mocked_responses.calls[0].request
    payload = StandardWebhook(webhook.secret).verify(request.body, dict(request.headers))
    assert payload["event"] == "test"
    assert payload["test"] is True
    assert payload["platform"] == "instagram"
    assert payload["task_id"] is None
    # Standard Webhooks: never a "." in the id (the signed content is id.timestamp.body).
    assert re.fullmatch(r"msg_test_[0-9a-f]{32}", request.headers["webhook-id"])


def test_the_test_event_carries_the_make_api_key_when_one_is_set(admin_client, mocked_responses):
    key = "make-apikey-Q7wZ3nV9xK2pL5sT"
    with_key = WebhookFactory(url=HOOK_URL, make_api_key=key)
    without = WebhookFactory(url=f"{HOOK_URL}-plain", target_platforms=["yandex_dzen"])
    mocked_responses.post(
        HOOK_URL, body="Accepted", match=[matchers.header_matcher({"x-make-apikey": key})]
    )
    mocked_responses.post(f"{HOOK_URL}-plain", body="Accepted")

    response = run_action(admin_client, HOOK_LIST, "send_test_event", [with_key, without])

    assert messages_of(response) == [
        f"{with_key}: Answered HTTP 200: Accepted",
        f"{without}: Answered HTTP 200: Accepted",
    ]
    plain = mocked_responses.calls[1].request
    assert plain.url == f"{HOOK_URL}-plain"
    assert "x-make-apikey" not in {name.lower() for name in plain.headers}
    assert key not in response.content.decode()


def test_a_failing_test_event_shows_status_and_redacted_excerpt(admin_client, mocked_responses):
    webhook = WebhookFactory(url=HOOK_URL)
    mocked_responses.post(
        HOOK_URL, status=500, json={"error": f"bad signature for {webhook.secret}"}
    )

    response = run_action(admin_client, HOOK_LIST, "send_test_event", [webhook])

    [message] = messages_of(response)
    assert message.startswith(f"{webhook}: Answered HTTP 500: ")
    assert "bad signature for" in message
    assert webhook.secret not in message
    assert webhook.secret not in response.content.decode()


def test_an_unreachable_webhook_is_explained(admin_client, mocked_responses):
    webhook = WebhookFactory(url=HOOK_URL)
    mocked_responses.post(HOOK_URL, body=connect_refused())

    response = run_action(admin_client, HOOK_LIST, "send_test_event", [webhook])

    [message] = messages_of(response)
    assert message.startswith(f"{webhook}: Could not reach the webhook")


@pytest.mark.parametrize(
    "url, reason",
    [
        ("http://127.0.0.1:8025/hook", "Webhook URLs must use https."),
        (
            "https://169.254.169.254/latest/meta-data/",
            "The host 169.254.169.254 resolves to an internal address (169.254.169.254).",
        ),
    ],
)
def test_an_unsafe_webhook_url_is_refused_by_the_url_guard(
    admin_client, mocked_responses, url, reason
):
    webhook = WebhookFactory(url=url)

    response = run_action(admin_client, HOOK_LIST, "send_test_event", [webhook])

    assert messages_of(response) == [f"{webhook}: Refused: {reason}"]
    assert len(mocked_responses.calls) == 0


# --- webhooks: last delivery ---------------------------------------------------------


def _attempt(webhook, *, minutes_ago: int, status, outcome: str, error: str = ""):
    task = TaskFactory(published=True)
    post = SocialMediaPost.objects.create(task=task, platform="instagram", webhook=webhook)
    PublishAttempt.objects.create(
        post=post,
        number=1,
        started_at=timezone.now() - timedelta(minutes=minutes_ago),
        http_status=status,
        outcome=outcome,
        error_message=error,
    )


def test_the_list_shows_each_webhooks_last_delivery_without_n_plus_1(admin_client):
    first = WebhookFactory(service_name="Make.com")
    _attempt(first, minutes_ago=10, status=200, outcome="accepted")
    _attempt(first, minutes_ago=5, status=500, outcome="transient", error="HTTP 500")
    WebhookFactory(service_name="Zapier")  # never delivered

    with CaptureQueriesContext(connection) as few:
        page = admin_client.get(HOOK_LIST, **EN).content.decode()
    assert "HTTP 500 · transient" in page
    assert "HTTP 200 · accepted" not in page
    assert "never" in page

    for n in range(5):
        _attempt(
            WebhookFactory(service_name=f"Hook {n}"), minutes_ago=1, status=200, outcome="accepted"
        )
    with CaptureQueriesContext(connection) as many:
        page = admin_client.get(HOOK_LIST, **EN).content.decode()
    assert page.count("HTTP 200 · accepted") == 5
    assert len(many.captured_queries) == len(few.captured_queries)


def test_the_change_page_shows_the_last_delivery_and_its_error(admin_client):
    webhook = WebhookFactory()
    _attempt(webhook, minutes_ago=1, status=410, outcome="permanent", error="Gone for good")

    change = reverse("admin:webhooks_webhook_change", args=[webhook.pk])
    page = admin_client.get(change, **EN).content.decode()

    assert "HTTP 410 · permanent" in page
    assert "Gone for good" in page


# --- one active target per platform and language -------------------------------------


def _cred_form(**overrides) -> dict:
    data = {
        "platform": "pinterest",
        "access_token": "pina_NEWtoken-abcdefghijklmnopqrstuvwxyz",
        "refresh_token": "",
        "token_expires_at_0": "",
        "token_expires_at_1": "",
        "extra_data": '{"board_id": "549755885175"}',
        "languages": "[]",
        "is_active": "on",
    }
    data.update(overrides)
    return data


def _hook_form(**overrides) -> dict:
    data = {
        "url": "https://hook.eu1.make.com/second",
        "service_name": "Make.com",
        "webhook_type": "social_media",
        "target_platforms": '["instagram"]',
        "payload_format": "nested",
        "languages": "[]",
        "callback_auth": "signature",
        "is_active": "on",
    }
    data.update(overrides)
    return data


@pytest.mark.parametrize(
    ("existing", "new", "clash"),
    [
        ([], "[]", "all languages"),
        (["ru"], "[]", "ru"),
        ([], '["ru"]', "ru"),
        (["ru", "en"], '["en", "de"]', "en"),
    ],
)
def test_overlapping_active_credentials_are_refused(admin_client, existing, new, clash):
    other = PinterestCredentialsFactory(languages=existing)

    response = admin_client.post(CRED_ADD, _cred_form(languages=new), **EN)

    assert response.status_code == 200
    errors = response.context["adminform"].form.non_field_errors()
    assert errors == [
        f"Another active Pinterest account takes the same task languages: {other} ({clash}). "
        "Give each account different languages, or deactivate one."
    ]


@pytest.mark.parametrize(
    ("existing", "fields"),
    [
        ({"languages": ["en"]}, {"languages": '["ru"]'}),
        ({"is_active": False}, {}),
        ({"platform": "facebook", "extra_data": {"page_id": "1"}}, {}),
        ({}, {"is_active": ""}),
    ],
)
def test_credentials_that_do_not_overlap_are_accepted(admin_client, existing, fields):
    PinterestCredentialsFactory(**existing)

    response = admin_client.post(CRED_ADD, _cred_form(**fields), **EN)

    assert response.status_code == 302, response.context["adminform"].form.errors


def test_editing_a_credential_does_not_clash_with_itself(admin_client):
    credential = PinterestCredentialsFactory()
    change = reverse("admin:webhooks_socialmediacredentials_change", args=[credential.pk])

    response = admin_client.post(change, _cred_form(access_token=""), **EN)

    assert response.status_code == 302


def test_overlapping_active_webhooks_for_a_platform_are_refused(admin_client):
    other = WebhookFactory(target_platforms=["instagram", "tiktok"], languages=["ru"])

    response = admin_client.post(
        HOOK_ADD, _hook_form(target_platforms='["tiktok", "instagram"]'), **EN
    )

    assert response.status_code == 200
    errors = response.context["adminform"].form.non_field_errors()
    assert errors == [
        "Another active webhook already sends instagram, tiktok for the same task languages: "
        f"{other} (ru). Give each webhook different platforms or languages, or deactivate one."
    ]


@pytest.mark.parametrize(
    "fields",
    [
        {"target_platforms": '["youtube_shorts"]'},
        {"languages": '["en"]'},
        {"webhook_type": "task_events", "target_platforms": '["instagram"]'},
        {"is_active": ""},
    ],
)
def test_webhooks_that_do_not_overlap_are_accepted(admin_client, fields):
    WebhookFactory(target_platforms=["instagram", "tiktok"], languages=["ru"])

    response = admin_client.post(HOOK_ADD, _hook_form(**fields), **EN)

    assert response.status_code == 302, response.context["adminform"].form.errors


def test_the_routing_fields_are_editable(admin_client):
    credential = PinterestCredentialsFactory(languages=["ru"])
    webhook = WebhookFactory(languages=["en"])

    cred_page = admin_client.get(
        reverse("admin:webhooks_socialmediacredentials_change", args=[credential.pk]), **EN
    ).content.decode()
    hook_page = admin_client.get(
        reverse("admin:webhooks_webhook_change", args=[webhook.pk]), **EN
    ).content.decode()

    assert 'name="languages"' in cred_page and "[&quot;ru&quot;]" in cred_page
    assert 'name="languages"' in hook_page and "[&quot;en&quot;]" in hook_page


@pytest.mark.parametrize("targets", ['[["tiktok"]]', '[{"a": 1}]', '["tiktok", 5]'])
def test_malformed_target_platforms_get_a_form_error_not_a_crash(admin_client, targets):
    WebhookFactory(target_platforms=["instagram"])

    response = admin_client.post(HOOK_ADD, _hook_form(target_platforms=targets), **EN)

    assert response.status_code == 200
    assert "target_platforms" in response.context["adminform"].form.errors
    assert Webhook.objects.count() == 1


def test_a_malformed_stored_webhook_does_not_break_adding_another(admin_client):
    broken = WebhookFactory(target_platforms=["instagram"])
    Webhook.objects.filter(pk=broken.pk).update(target_platforms=5)

    response = admin_client.post(HOOK_ADD, _hook_form(target_platforms='["tiktok"]'), **EN)

    assert response.status_code == 302
