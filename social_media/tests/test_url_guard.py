"""Outgoing webhook URLs: https only, no internal addresses, no redirects, no rebinding."""

from __future__ import annotations

import socket
import threading
from http.server import BaseHTTPRequestHandler, HTTPServer

import pytest
import requests
from django.utils import translation

from social_media.url_guard import (
    PinnedAddressAdapter,
    UnsafeUrlError,
    check_outgoing_url,
    guarded_session,
)
from tasks.models import SocialMediaPost
from tests.factories import TaskFactory, WebhookFactory


@pytest.fixture(autouse=True)
def _guard_on(settings):
    settings.ALLOW_PRIVATE_WEBHOOK_URLS = False
    with translation.override("en"):  # the messages are matched in English
        yield


@pytest.fixture
def dns(monkeypatch):
    """A fake resolver at the DNS boundary: ``dns["name"] = ["addr", ...]``."""
    answers: dict[str, list[str]] = {}
    real = socket.getaddrinfo

    def getaddrinfo(host, port, *args, **kwargs):
        if host in answers:
            family = socket.AF_INET6 if ":" in answers[host][0] else socket.AF_INET
            return [
                (family, socket.SOCK_STREAM, socket.IPPROTO_TCP, "", (address, port))
                for address in answers[host]
            ]
        if host.replace(".", "").isdigit() or ":" in host:
            return real(host, port, *args, **kwargs)  # a literal address: no DNS involved
        raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    return answers


@pytest.mark.parametrize(
    "url",
    [
        "https://127.0.0.1/hook",
        "https://[::1]/hook",
        "https://169.254.169.254/latest/meta-data/",
        "https://10.1.2.3/hook",
        "https://172.16.0.9/hook",
        "https://192.168.1.1/hook",
        "https://100.64.0.1/hook",
        "https://0.0.0.0/hook",
        "https://[::ffff:127.0.0.1]/hook",
        "https://[fd00::1]/hook",
    ],
)
def test_internal_addresses_are_refused(dns, url):
    with pytest.raises(UnsafeUrlError, match="internal address"):
        check_outgoing_url(url)


@pytest.mark.parametrize("address", ["10.0.0.5", "127.0.0.1", "169.254.169.254", "::1"])
def test_a_name_resolving_to_an_internal_address_is_refused(dns, address):
    dns["hook.attacker.example"] = [address]

    with pytest.raises(UnsafeUrlError, match=r"hook\.attacker\.example resolves to an internal"):
        check_outgoing_url("https://hook.attacker.example/x")


def test_one_internal_address_among_public_ones_is_enough_to_refuse(dns):
    dns["mixed.example"] = ["8.8.8.8", "10.0.0.5"]

    with pytest.raises(UnsafeUrlError):
        check_outgoing_url("https://mixed.example/")


@pytest.mark.parametrize(
    "url, message",
    [
        ("http://hook.eu1.make.com/abc", "https"),
        ("ftp://hook.eu1.make.com/abc", "https"),
        ("https:///nohost", "no host"),
        ("https://unknown-name.invalid/", "cannot be resolved"),
        ("https://hook.eu1.make.com:99999/", "malformed"),
    ],
)
def test_unusable_urls_are_refused_with_a_reason(dns, url, message):
    with pytest.raises(UnsafeUrlError, match=message):
        check_outgoing_url(url)


def test_a_public_https_url_passes_and_returns_what_it_checked(dns):
    dns["hook.eu1.make.com"] = ["52.58.1.2", "52.58.1.3"]

    assert check_outgoing_url("https://hook.eu1.make.com/abc") == ["52.58.1.2", "52.58.1.3"]


def test_the_development_setting_lifts_the_guard(settings):
    settings.ALLOW_PRIVATE_WEBHOOK_URLS = True

    assert check_outgoing_url("http://127.0.0.1:8001/hook") == []


# --- when sending ------------------------------------------------------------------------


@pytest.fixture
def delivered_post(db, settings):
    settings.SOCIAL_MEDIA_AUTO_PUBLISH = False

    def make(url: str) -> SocialMediaPost:
        webhook = WebhookFactory(url=url, target_platforms=["instagram"])
        return SocialMediaPost.objects.create(
            task=TaskFactory(published=True), platform="instagram", webhook=webhook
        )

    return make


def publish(post: SocialMediaPost):
    from social_media.platforms.registry import PLATFORMS

    return PLATFORMS["instagram"].publish(post, post.webhook)


def test_an_internal_url_is_refused_when_sending_even_if_it_was_saved(
    dns, mocked_responses, delivered_post
):
    dns["hook.example.com"] = ["203.0.113.8"]  # documentation range: not public
    post = delivered_post("https://hook.example.com/x")

    result = publish(post)

    assert result.outcome == "permanent"
    assert "internal address" in result.error_message
    assert len(mocked_responses.calls) == 0


def test_a_redirect_to_an_internal_address_is_not_followed(dns, mocked_responses, delivered_post):
    dns["hook.eu1.make.com"] = ["52.58.1.2"]
    post = delivered_post("https://hook.eu1.make.com/abc")
    mocked_responses.post(
        "https://hook.eu1.make.com/abc",
        status=302,
        headers={"Location": "http://169.254.169.254/latest/meta-data/iam"},
    )
    mocked_responses.get("http://169.254.169.254/latest/meta-data/iam", body="secret-creds")
    mocked_responses.post("http://169.254.169.254/latest/meta-data/iam", body="secret-creds")

    result = publish(post)

    assert [call.request.url for call in mocked_responses.calls] == [
        "https://hook.eu1.make.com/abc"
    ]
    assert result.outcome != "accepted"
    assert "302" in result.error_message
    assert "secret-creds" not in result.response_excerpt


def test_the_connection_goes_to_the_checked_address_not_a_rebound_one(dns, monkeypatch):
    dns["hook.eu1.make.com"] = ["52.58.1.2"]
    session = guarded_session("https://hook.eu1.make.com/abc")
    dns["hook.eu1.make.com"] = ["127.0.0.1"]  # the attacker's DNS now answers differently
    connected_to = []

    def create_connection(address, *args, **kwargs):
        connected_to.append(address)
        raise OSError("no network in tests")

    monkeypatch.setattr("urllib3.util.connection.create_connection", create_connection)

    with pytest.raises(requests.ConnectionError):
        session.post("https://hook.eu1.make.com/abc", data=b"{}", timeout=1)

    assert connected_to == [("52.58.1.2", 443)]


class _EchoHost(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        body = self.headers["Host"].encode()
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args) -> None:
        pass


def test_a_pinned_adapter_talks_to_its_address_and_keeps_the_host_name():
    server = HTTPServer(("127.0.0.1", 0), _EchoHost)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        session = requests.Session()
        session.trust_env = False
        session.mount("http://", PinnedAddressAdapter("127.0.0.1"))
        port = server.server_address[1]

        # "scenario.invalid" cannot resolve anywhere: only the pinned address answers.
        response = session.get(f"http://scenario.invalid:{port}/", timeout=5)

        assert response.text == f"scenario.invalid:{port}"
    finally:
        server.shutdown()
        server.server_close()
