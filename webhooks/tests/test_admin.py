"""Credentials and webhooks admin: secrets are write-only, shown once, never listed."""

from __future__ import annotations

import pytest
from django.db import connection
from django.urls import reverse

from tests.factories import PinterestCredentialsFactory, WebhookFactory
from webhooks.models import SocialMediaCredentials, Webhook

pytestmark = pytest.mark.django_db

EN = {"HTTP_ACCEPT_LANGUAGE": "en"}
RU = {"HTTP_ACCEPT_LANGUAGE": "ru"}
CRED_LIST = reverse("admin:webhooks_socialmediacredentials_changelist")
CRED_ADD = reverse("admin:webhooks_socialmediacredentials_add")
HOOK_LIST = reverse("admin:webhooks_webhook_changelist")
HOOK_ADD = reverse("admin:webhooks_webhook_add")
NEW_TOKEN = "pina_NEWtoken-abcdefghijklmnopqrstuvwxyz"
REFRESH = "pinr_REFRESHtoken-0123456789abcdef"


def _cred_change(credential) -> str:
    return reverse("admin:webhooks_socialmediacredentials_change", args=[credential.pk])


def _hook_change(webhook) -> str:
    return reverse("admin:webhooks_webhook_change", args=[webhook.pk])


def _cred_form(**overrides) -> dict:
    data = {
        "platform": "pinterest",
        "access_token": "",
        "refresh_token": "",
        "token_expires_at_0": "",
        "token_expires_at_1": "",
        "extra_data": '{"board_id": "549755885175"}',
        "languages": "[]",
        "is_active": "on",
    }
    data.update(overrides)
    return data


@pytest.mark.parametrize(
    ("headers", "expected"),
    [
        (RU, ["Учётные данные соцсетей", "задан", "Вебхуки"]),
        (EN, ["Social media credentials", "set", "Webhooks"]),
    ],
)
def test_credentials_pages_render_in_both_languages_without_the_token(
    admin_client, headers, expected
):
    credential = PinterestCredentialsFactory(refresh_token=REFRESH)

    listing = admin_client.get(CRED_LIST, **headers)
    change = admin_client.get(_cred_change(credential), **headers)
    add = admin_client.get(CRED_ADD, **headers)

    for response in (listing, change, add):
        assert response.status_code == 200
        html = response.content.decode()
        assert credential.access_token not in html
        assert credential.access_token[-4:] not in html
        assert REFRESH not in html
    for text in expected:
        assert text in listing.content.decode()


def test_added_token_is_stored_and_never_shown(admin_client):
    response = admin_client.post(
        CRED_ADD, _cred_form(access_token=NEW_TOKEN, refresh_token=REFRESH), **EN
    )

    assert response.status_code == 302
    credential = SocialMediaCredentials.objects.get()
    assert credential.access_token == NEW_TOKEN
    assert credential.refresh_token == REFRESH
    for url in (CRED_LIST, _cred_change(credential), response.url):
        html = admin_client.get(url, **EN).content.decode()
        assert NEW_TOKEN not in html
        assert REFRESH not in html
    history = admin_client.get(_cred_change(credential) + "history/").content.decode()
    assert NEW_TOKEN not in history


def test_add_requires_an_access_token(admin_client):
    response = admin_client.post(CRED_ADD, _cred_form(), **EN)

    assert response.status_code == 200
    assert "access_token" in response.context["adminform"].form.errors
    assert not SocialMediaCredentials.objects.exists()


def test_empty_token_on_change_keeps_the_current_one(admin_client):
    credential = PinterestCredentialsFactory(refresh_token=REFRESH)
    old = credential.access_token

    response = admin_client.post(
        _cred_change(credential), _cred_form(extra_data='{"board_id": "42"}'), **EN
    )

    assert response.status_code == 302
    credential.refresh_from_db()
    assert credential.access_token == old
    assert credential.refresh_token == REFRESH
    assert credential.extra_data == {"board_id": "42"}


def test_refresh_token_can_be_removed(admin_client):
    credential = PinterestCredentialsFactory(refresh_token=REFRESH)

    admin_client.post(_cred_change(credential), _cred_form(clear_refresh_token="on"))

    credential.refresh_from_db()
    assert credential.refresh_token == ""


def test_new_token_clears_needs_reconnect(admin_client):
    credential = PinterestCredentialsFactory(
        needs_reconnect=True, last_error="HTTP 401: Authentication failed"
    )

    response = admin_client.post(_cred_change(credential), _cred_form(access_token=NEW_TOKEN), **EN)

    assert response.status_code == 302
    credential.refresh_from_db()
    assert credential.access_token == NEW_TOKEN
    assert credential.needs_reconnect is False
    assert credential.last_error == ""


def test_saving_without_a_new_token_keeps_the_reconnect_flag(admin_client):
    credential = PinterestCredentialsFactory(needs_reconnect=True, last_error="HTTP 401")

    admin_client.post(_cred_change(credential), _cred_form(), **EN)

    credential.refresh_from_db()
    assert credential.needs_reconnect is True


@pytest.mark.parametrize(
    ("extra_data", "error"),
    [
        ("{}", 'Pinterest needs {"board_id": "…"}.'),
        ('{"board_id": "abc"}', "Pinterest board_id must contain only digits."),
        ("[1, 2]", "Extra data must be a JSON object."),
        ("{not json", "Enter a valid JSON."),
    ],
)
def test_bad_extra_data_shows_a_form_error_and_saves_nothing(admin_client, extra_data, error):
    response = admin_client.post(
        CRED_ADD, _cred_form(access_token=NEW_TOKEN, extra_data=extra_data), **EN
    )

    assert response.status_code == 200
    form = response.context["adminform"].form
    assert error in " ".join(form.errors.get("extra_data", []) + form.non_field_errors())
    assert NEW_TOKEN not in response.content.decode()
    assert not SocialMediaCredentials.objects.exists()


def test_reconnect_banner_on_every_admin_page(admin_client, client):
    credential = PinterestCredentialsFactory(
        needs_reconnect=True, last_error="HTTP 401, code 2: Authentication failed."
    )
    PinterestCredentialsFactory(needs_reconnect=True, is_active=False, last_error="old one")

    for url in (reverse("admin:index"), HOOK_LIST, reverse("admin:tasks_task_changelist")):
        html = admin_client.get(url, **EN).content.decode()
        assert f"Pinterest #{credential.pk} needs reconnection" in html
        assert "Authentication failed." in html
        assert f'href="{_cred_change(credential)}"' in html
        assert "old one" not in html
    ru = admin_client.get(reverse("admin:index"), **RU).content.decode()
    assert f"Pinterest #{credential.pk} требует переподключения" in ru
    # Anonymous visitors of the login page learn nothing.
    login = client.get(reverse("admin:login"), **EN).content.decode()
    assert "needs reconnection" not in login


def test_no_banner_when_all_is_well(admin_client):
    PinterestCredentialsFactory()
    html = admin_client.get(reverse("admin:index"), **EN).content.decode()
    assert "needs reconnection" not in html
    assert "Quiz backend" in html


def _hook_form(**overrides) -> dict:
    data = {
        "url": "https://hook.eu1.make.com/abc123",
        "service_name": "Make.com",
        "webhook_type": "social_media",
        "target_platforms": '["instagram", "tiktok"]',
        "payload_format": "nested",
        "languages": "[]",
        "callback_auth": "signature",
        "make_api_key": "",  # a browser always submits the (empty) password input
        "is_active": "on",
    }
    data.update(overrides)
    return data


@pytest.mark.parametrize(
    ("headers", "expected"),
    [(RU, ["Вебхуки", "Сменить секрет подписи"]), (EN, ["Webhooks", "Rotate signing secret"])],
)
def test_webhook_pages_render_masked_in_both_languages(admin_client, headers, expected):
    webhook = WebhookFactory()

    for url in (HOOK_LIST, _hook_change(webhook), HOOK_ADD):
        response = admin_client.get(url, **headers)
        assert response.status_code == 200
        html = response.content.decode()
        assert webhook.secret not in html
        assert webhook.secret[6:14] not in html
    listing = admin_client.get(HOOK_LIST, **headers).content.decode()
    assert "whsec_••••••••" in listing
    for text in expected:
        assert text in listing


def test_webhook_secret_is_shown_once_after_add(admin_client):
    response = admin_client.post(HOOK_ADD, _hook_form(), follow=True, **EN)

    assert response.status_code == 200
    webhook = Webhook.objects.get()
    assert webhook.secret.startswith("whsec_")
    messages = " ".join(str(m) for m in response.context["messages"])
    assert f"signing secret {webhook.secret}" in messages
    assert "it will not be shown again" in messages
    for url in (HOOK_LIST, _hook_change(webhook)):
        assert webhook.secret not in admin_client.get(url).content.decode()


def test_bearer_webhook_says_bearer_token(admin_client):
    response = admin_client.post(HOOK_ADD, _hook_form(callback_auth="bearer"), follow=True, **EN)
    webhook = Webhook.objects.get()
    messages = " ".join(str(m) for m in response.context["messages"])
    assert f"bearer token {webhook.secret}" in messages


def test_rotate_secret_shows_the_new_one_once(admin_client):
    webhook = WebhookFactory()
    old = webhook.secret

    response = admin_client.post(
        HOOK_LIST,
        {"action": "rotate_secret", "_selected_action": [webhook.pk], "index": 0},
        follow=True,
        **EN,
    )

    webhook.refresh_from_db()
    assert webhook.secret != old
    assert set(webhook.valid_secrets()) == {webhook.secret, old}
    messages = " ".join(str(m) for m in response.context["messages"])
    assert webhook.secret in messages
    assert "keeps verifying for 24 hours" in messages
    again = admin_client.get(HOOK_LIST).content.decode()
    assert webhook.secret not in again
    assert old not in again


@pytest.mark.parametrize(
    ("targets", "error"),
    [
        ('["pinterest"]', "Unknown webhook platforms: pinterest."),
        ('["instagram", "instagram"]', "Each entry may appear only once; repeated: instagram."),
        ("[]", "A social media webhook needs at least one platform."),
        ('"instagram"', "Target platforms must be a JSON list of platform keys."),
    ],
)
def test_bad_target_platforms_show_a_form_error_and_save_nothing(admin_client, targets, error):
    response = admin_client.post(HOOK_ADD, _hook_form(target_platforms=targets), **EN)

    assert response.status_code == 200
    errors = " ".join(response.context["adminform"].form.errors.get("target_platforms", []))
    assert error in errors
    assert not Webhook.objects.exists()


# --- Make API key (x-make-apikey) ------------------------------------------------------

API_KEY = "make-apikey-Q7wZ3nV9xK2pL5sT"


def _pages_of(admin_client, webhook) -> str:
    urls = (HOOK_LIST, _hook_change(webhook), _hook_change(webhook) + "history/", HOOK_ADD)
    return "".join(admin_client.get(url, **EN).content.decode() for url in urls)


def test_an_added_api_key_is_stored_encrypted_and_never_shown(admin_client):
    response = admin_client.post(HOOK_ADD, _hook_form(make_api_key=API_KEY), follow=True, **EN)

    assert response.status_code == 200
    webhook = Webhook.objects.get()
    assert webhook.make_api_key == API_KEY
    with connection.cursor() as cursor:
        cursor.execute("SELECT make_api_key FROM webhooks_webhook WHERE id = %s", [webhook.pk])
        [raw] = cursor.fetchone()
    assert raw.startswith("enc:")
    assert API_KEY not in raw
    assert API_KEY not in response.content.decode()  # not in the "secret shown once" notice
    html = _pages_of(admin_client, webhook)
    assert API_KEY not in html
    assert API_KEY[-6:] not in html
    change = admin_client.get(_hook_change(webhook), **EN).content.decode()
    assert "An API key is set" in change


@pytest.mark.parametrize(
    ("headers", "label", "status"), [(EN, "Make API key", "set"), (RU, "API-ключ Make", "задан")]
)
def test_the_list_says_whether_an_api_key_is_set(admin_client, headers, label, status):
    WebhookFactory(make_api_key=API_KEY)

    listing = admin_client.get(HOOK_LIST, **headers).content.decode()

    assert label in listing
    assert f">{status}<" in listing
    assert API_KEY not in listing


def test_an_empty_api_key_on_change_keeps_it_a_new_one_replaces_it(admin_client):
    webhook = WebhookFactory(make_api_key=API_KEY)

    kept = admin_client.post(_hook_change(webhook), _hook_form(service_name="Make EU"), **EN)
    assert kept.status_code == 302
    webhook.refresh_from_db()
    assert (webhook.service_name, webhook.make_api_key) == ("Make EU", API_KEY)

    replaced = admin_client.post(_hook_change(webhook), _hook_form(make_api_key="new-key-0123"))
    assert replaced.status_code == 302
    webhook.refresh_from_db()
    assert webhook.make_api_key == "new-key-0123"


def test_the_api_key_can_be_removed(admin_client):
    webhook = WebhookFactory(make_api_key=API_KEY)

    response = admin_client.post(_hook_change(webhook), _hook_form(clear_make_api_key="on"))

    assert response.status_code == 302
    webhook.refresh_from_db()
    assert webhook.make_api_key == ""


@pytest.mark.parametrize(
    ("key", "error"),
    [
        ("short", "8 to 512 characters"),
        ("k" * 513, "8 to 512 characters"),
        ("ключ-доступа-123", "printable ASCII"),
        ("make-key\r\nX-Injected: 1", "printable ASCII"),
        ("make\tkey-12345", "printable ASCII"),
    ],
)
def test_a_bad_api_key_is_a_form_error_that_changes_nothing(admin_client, key, error):
    webhook = WebhookFactory(make_api_key=API_KEY)

    response = admin_client.post(_hook_change(webhook), _hook_form(make_api_key=key), **EN)

    assert response.status_code == 200
    errors = " ".join(response.context["adminform"].form.errors.get("make_api_key", []))
    assert error in errors
    if len(key) >= 8:  # "short" is too common a word to look for
        assert key not in response.content.decode()  # the refused value is not echoed
    webhook.refresh_from_db()
    assert webhook.make_api_key == API_KEY
