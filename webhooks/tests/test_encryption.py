"""Secrets at rest: encrypted columns, key rotation, re-encryption, a removed key."""

from __future__ import annotations

from io import StringIO

import pytest
from cryptography.fernet import Fernet
from django.core.exceptions import ImproperlyConfigured
from django.core.management import CommandError, call_command
from django.db import connection

from quiz_backend.encryption import DecryptionError
from tests.factories import FacebookCredentialsFactory, WebhookFactory
from webhooks.models import SocialMediaCredentials, Webhook

pytestmark = pytest.mark.django_db

OLD_KEY = Fernet.generate_key().decode()
NEW_KEY = Fernet.generate_key().decode()


def raw(table: str, column: str, pk: int) -> str:
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {column} FROM {table} WHERE id = %s", [pk])  # noqa: S608
        return cursor.fetchone()[0]


def reencrypt(*args: str) -> str:
    out = StringIO()
    call_command("reencrypt_secrets", *args, stdout=out)
    return out.getvalue()


@pytest.fixture
def secrets(settings):
    settings.FIELD_ENCRYPTION_KEYS = [OLD_KEY]
    credentials = FacebookCredentialsFactory(
        access_token="EAAB-page-token-PLAINTEXT-123", refresh_token="refresh-PLAINTEXT-456"
    )
    webhook = WebhookFactory(make_api_key="make-apikey-PLAINTEXT-789")
    webhook.rotate_secret()
    return credentials, webhook


def test_a_raw_select_shows_no_plaintext(secrets):
    credentials, webhook = secrets
    stored = {
        "access_token": raw("webhooks_socialmediacredentials", "access_token", credentials.pk),
        "refresh_token": raw("webhooks_socialmediacredentials", "refresh_token", credentials.pk),
        "secret": raw("webhooks_webhook", "secret", webhook.pk),
        "previous_secret": raw("webhooks_webhook", "previous_secret", webhook.pk),
        "make_api_key": raw("webhooks_webhook", "make_api_key", webhook.pk),
    }

    for column, value in stored.items():
        assert value.startswith("enc:"), column
        assert "PLAINTEXT" not in value
        assert "whsec_" not in value
    assert SocialMediaCredentials.objects.get().access_token == "EAAB-page-token-PLAINTEXT-123"
    assert Webhook.objects.get().secret == webhook.secret


def test_two_saves_of_one_value_store_different_ciphertexts(secrets):
    credentials, _ = secrets
    first = raw("webhooks_socialmediacredentials", "access_token", credentials.pk)
    credentials.save()

    assert raw("webhooks_socialmediacredentials", "access_token", credentials.pk) != first


def test_rotation_old_rows_decrypt_with_the_old_key_second(secrets, settings):
    settings.FIELD_ENCRYPTION_KEYS = [NEW_KEY, OLD_KEY]

    assert SocialMediaCredentials.objects.get().access_token == "EAAB-page-token-PLAINTEXT-123"


def test_after_reencrypt_the_old_key_can_be_removed(secrets, settings):
    _credentials, webhook = secrets
    settings.FIELD_ENCRYPTION_KEYS = [NEW_KEY, OLD_KEY]

    output = reencrypt()

    assert "Total: 5 re-encrypted, 0 already current, 0 unreadable." in output
    assert "webhooks.Webhook.secret: 1 re-encrypted" in output
    assert "webhooks.Webhook.make_api_key: 1 re-encrypted" in output
    settings.FIELD_ENCRYPTION_KEYS = [NEW_KEY]
    assert SocialMediaCredentials.objects.get().access_token == "EAAB-page-token-PLAINTEXT-123"
    assert SocialMediaCredentials.objects.get().refresh_token == "refresh-PLAINTEXT-456"
    fresh = Webhook.objects.get()
    assert (fresh.secret, fresh.previous_secret) == (webhook.secret, webhook.previous_secret)
    assert fresh.make_api_key == "make-apikey-PLAINTEXT-789"


def test_reencrypt_is_safe_to_run_again(secrets, settings):
    settings.FIELD_ENCRYPTION_KEYS = [NEW_KEY, OLD_KEY]
    reencrypt()
    stored = raw("webhooks_webhook", "secret", secrets[1].pk)

    output = reencrypt()

    assert "Total: 0 re-encrypted, 5 already current, 0 unreadable." in output
    assert raw("webhooks_webhook", "secret", secrets[1].pk) == stored


def test_reencrypt_check_mode_reports_without_writing(secrets, settings):
    settings.FIELD_ENCRYPTION_KEYS = [NEW_KEY, OLD_KEY]
    stored = raw("webhooks_webhook", "secret", secrets[1].pk)

    with pytest.raises(CommandError, match="not under the newest key"):
        reencrypt("--check")

    assert raw("webhooks_webhook", "secret", secrets[1].pk) == stored


def test_reencrypt_encrypts_values_written_before_encryption(secrets, settings):
    credentials, _ = secrets
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE webhooks_socialmediacredentials SET access_token = %s WHERE id = %s",
            ["legacy-PLAINTEXT-token", credentials.pk],
        )

    reencrypt()

    assert raw("webhooks_socialmediacredentials", "access_token", credentials.pk).startswith("enc:")
    assert SocialMediaCredentials.objects.get().access_token == "legacy-PLAINTEXT-token"


def test_a_removed_key_is_a_clear_error(secrets, settings):
    settings.FIELD_ENCRYPTION_KEYS = [NEW_KEY]

    with pytest.raises(DecryptionError, match="reencrypt_secrets"):
        SocialMediaCredentials.objects.get()
    with pytest.raises(CommandError, match=r"5 value\(s\) cannot be decrypted"):
        reencrypt()


def test_a_removed_key_shows_a_clear_admin_page_not_a_traceback(secrets, settings, admin_client):
    settings.FIELD_ENCRYPTION_KEYS = [NEW_KEY]

    response = admin_client.get("/admin/webhooks/webhook/")

    assert response.status_code == 503
    html = response.content.decode()
    assert "FIELD_ENCRYPTION_KEYS" in html
    assert "reencrypt_secrets" in html
    assert "Traceback" not in html


def test_a_removed_key_answers_the_callback_with_json(secrets, settings, client):
    settings.FIELD_ENCRYPTION_KEYS = [NEW_KEY]
    from webhooks.tests.signing import post_signed

    response = post_signed(
        client, "whsec_" + "A" * 43, {"task_id": 1, "platform": "tiktok", "status": "published"}
    )

    assert response.status_code == 503
    assert response.json()["error"] == "secrets_unavailable"


def test_an_invalid_key_names_the_setting(settings):
    settings.FIELD_ENCRYPTION_KEYS = ["not-a-fernet-key"]

    with pytest.raises(ImproperlyConfigured, match="FIELD_ENCRYPTION_KEYS: key number 1"):
        WebhookFactory()


def test_generate_encryption_key_prints_a_new_fernet_key():
    first, second = StringIO(), StringIO()
    call_command("generate_encryption_key", stdout=first)
    call_command("generate_encryption_key", stdout=second)

    key = first.getvalue().strip()
    assert Fernet(key.encode()).decrypt(Fernet(key.encode()).encrypt(b"x")) == b"x"
    assert key != second.getvalue().strip()
