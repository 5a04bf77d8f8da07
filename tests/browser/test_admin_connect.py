"""An editor connects accounts with the Connect buttons in a real browser, in Russian and in
English: connect Pinterest and pick a board, connect VK and pick a community, publish a task
with the connected accounts, reconnect Pinterest, connect Facebook, and deny a consent.

The consent pages are the emulator's OAuth providers (emulator/oauth.py); the worker publishes
with the credential the Connect flow stored. Screenshots go to ``test-artifacts/browser/``.
"""

from __future__ import annotations

import pytest

from social_media.platforms.spec import local_run_settings
from tasks.models import SocialMediaPost
from tests.e2e.conftest import wait_until
from tests.factories import TaskFactory
from webhooks.models import SocialMediaCredentials

pytestmark = [
    pytest.mark.browser,
    pytest.mark.worker,
    pytest.mark.postgres,
    pytest.mark.django_db(transaction=True),
]

DRAFTS_BOARD = "549755885176"
PUBLISH_WAIT = 60.0
TEXT = {
    "ru-RU": {
        "connect": "Подключить {}",
        "pick_title": "Подключение {}: выберите, куда публиковать",
        "connected": "{} подключён.",
        "reconnected": "{} переподключён.",
        "reconnect": "Переподключить",
        "denied": "Facebook: доступ не предоставлен. Ничего не сохранено.",
        "vk": "ВКонтакте",
    },
    "en-US": {
        "connect": "Connect {}",
        "pick_title": "Connect {}: choose where to publish",
        "connected": "{} connected.",
        "reconnected": "{} reconnected.",
        "reconnect": "Reconnect",
        "denied": "Facebook: access was not granted. Nothing was saved.",
        "vk": "VK",
    },
}
LOCALES = pytest.mark.parametrize("locale", ["ru-RU", "en-US"])


@pytest.fixture
def providers(e2e, live_server, settings):
    """The site's settings as in the local run (the emulator's providers and APIs, the demo
    app ids: each ``Setting.local``); the redirect URI on the live server."""
    for name, value in local_run_settings(e2e.url).items():
        setattr(settings, name, value)
    settings.PINTEREST_API_BASE_URL = f"{e2e.url}/pinterest/v5"  # scripts/run exports these two
    settings.FACEBOOK_GRAPH_API_BASE_URL = f"{e2e.url}/facebook/v26.0"
    settings.SITE_URL = live_server.url
    return e2e


def _connect(page, live_server, text, label: str) -> None:
    page.goto(f"{live_server.url}/admin/webhooks/socialmediacredentials/")
    page.get_by_role("link", name=text["connect"].format(label), exact=True).click()
    page.wait_for_selector("#allow")  # the provider's consent page


@LOCALES
def test_connect_pick_publish_reconnect_and_deny(providers, admin_page, shots, live_server, locale):
    text = TEXT[locale]
    page = admin_page(locale)

    # Connect Pinterest: consent, then pick the second board.
    _connect(page, live_server, text, "Pinterest")
    assert "Quiz drafts" in page.content()
    shots(page, "pinterest-consent")
    page.click("#allow")
    page.wait_for_selector("form input[name=choice]")
    assert page.locator("h1").inner_text() == text["pick_title"].format("Pinterest")
    shots(page, "pinterest-pick")
    page.check(f"input[value='pinterest:{DRAFTS_BOARD}']")
    page.click("input[type=submit]")
    page.wait_for_selector(".messagelist .success")
    credential = SocialMediaCredentials.objects.get(platform="pinterest")
    assert text["connected"].format(credential) in page.locator(".messagelist").inner_text()
    assert credential.extra_data == {"board_id": DRAFTS_BOARD}
    assert credential.access_token not in page.content()
    shots(page, "pinterest-connected")

    # Connect VK: VK ID (PKCE), then the community.
    _connect(page, live_server, text, text["vk"])
    page.click("#allow")
    page.wait_for_selector("form input[name=choice]")
    shots(page, "vk-pick")
    page.check("input[value='vk:229000001']")
    page.click("input[type=submit]")
    page.wait_for_selector(".messagelist .success")
    vk_credential = SocialMediaCredentials.objects.get(platform="vk")
    assert vk_credential.extra_data == {"group_id": "229000001"}

    # Publish a task: the worker pins it to the connected board and posts it on the
    # community's wall, with the stored tokens.
    task = TaskFactory(published=True, language=locale[:2])
    wait_until(
        lambda: SocialMediaPost.objects.filter(task=task, status="published").count() == 2,
        timeout=PUBLISH_WAIT,
        message=lambda: str(
            list(SocialMediaPost.objects.values("platform", "status", "error_message"))
        ),
    )
    pins = list(providers.state.pins.values())
    assert [pin["board_id"] for pin in pins] == [DRAFTS_BOARD]

    # Reconnect from the credential's page: the same credential, a new token.
    old_token = credential.access_token
    page.goto(f"{live_server.url}/admin/webhooks/socialmediacredentials/{credential.pk}/change/")
    page.get_by_role("link", name=text["reconnect"], exact=True).click()
    page.click("#allow")
    page.check(f"input[value='pinterest:{DRAFTS_BOARD}']")
    page.click("input[type=submit]")
    page.wait_for_selector(".messagelist .success")
    assert text["reconnected"].format(credential) in page.locator(".messagelist").inner_text()
    credential.refresh_from_db()
    assert credential.access_token != old_token
    assert SocialMediaCredentials.objects.count() == 2
    assert SocialMediaPost.objects.filter(task=task, platform="pinterest").count() == 1
    shots(page, "pinterest-reconnected")

    # Connect Facebook: the page and its Instagram account are offered.
    _connect(page, live_server, text, "Facebook")
    page.click("#allow")
    page.wait_for_selector("form input[name=choice]")
    assert "Quiz demo page" in page.content() and "@quiz_demo" in page.content()
    shots(page, "facebook-pick")
    page.check("input[value='facebook:104512345678901']")
    page.click("input[type=submit]")
    page.wait_for_selector(".messagelist .success")
    assert SocialMediaCredentials.objects.filter(platform="facebook").count() == 1
    credential.refresh_from_db()

    # Deny: an error message, nothing stored.
    _connect(page, live_server, text, "Facebook")
    page.click("#deny")
    page.wait_for_selector(".messagelist .error")
    assert text["denied"] in page.locator(".messagelist").inner_text()
    assert SocialMediaCredentials.objects.count() == 3
    shots(page, "facebook-denied")
