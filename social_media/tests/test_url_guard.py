"""Outgoing webhook URLs: https only, no internal addresses, no redirects, no rebinding."""

from __future__ import annotations

import ipaddress
import socket
import ssl
import threading
from datetime import UTC, datetime, timedelta
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
def _english():
    with translation.override("en"):  # the messages are matched in English
        yield


def test_the_guard_runs_in_every_test_that_does_not_opt_out(settings):
    assert settings.ALLOW_PRIVATE_WEBHOOK_URLS is False
    with pytest.raises(UnsafeUrlError, match="internal address"):
        check_outgoing_url("https://127.0.0.1/hook")


@pytest.mark.allow_private_urls  # what is tested: the opt-out itself
def test_a_test_that_needs_loopback_opts_out_with_a_marker(settings):
    assert settings.ALLOW_PRIVATE_WEBHOOK_URLS is True
    assert check_outgoing_url("http://127.0.0.1:8001/hook") == []


@pytest.fixture
def dns(fake_dns):
    """The suite's resolver (conftest), with only the names each test declares."""
    fake_dns.clear()
    return fake_dns


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
    """The webhook route (delivery sends a webhook target's posts through it)."""
    from social_media.media import NO_MEDIA
    from social_media.platforms.webhook import deliver_to_webhook

    assert post.webhook is not None
    return deliver_to_webhook("instagram", post, post.webhook, NO_MEDIA)


def test_an_internal_url_is_refused_when_sending_even_if_it_was_saved(
    dns, mocked_responses, delivered_post
):
    dns["hook.example.com"] = ["203.0.113.8"]  # documentation range: not public
    post = delivered_post("https://hook.example.com/x")

    result = publish(post)

    assert result.outcome == "permanent"
    assert "internal address" in result.error_message
    assert len(mocked_responses.calls) == 0


def test_a_redirect_to_an_internal_address_is_not_followed(dns, lenient_responses, delivered_post):
    # Lenient: the metadata stubs are traps that answer only if the redirect is followed.
    mocked_responses = lenient_responses
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


class Network:
    """The socket boundary: every ``connect`` is recorded; a public address in ``routes``
    is carried to a local server, any other public address refuses (tests have no
    internet), and loopback connects for real, so a leak inside would arrive."""

    def __init__(self) -> None:
        self.connects: list[tuple[str, int]] = []
        self.routes: dict[tuple[str, int], tuple[str, int]] = {}


@pytest.fixture
def network(monkeypatch):
    net = Network()
    real_connect = socket.socket.connect

    def connect(sock, address):
        target = (address[0], address[1])
        net.connects.append(target)
        if target in net.routes:
            return real_connect(sock, net.routes[target])
        if not ipaddress.ip_address(target[0]).is_loopback:
            raise ConnectionRefusedError(f"no route to {target[0]} in tests")
        return real_connect(sock, address)

    monkeypatch.setattr(socket.socket, "connect", connect)
    return net


class InternalService:
    """A listening socket on 127.0.0.1 standing for a service inside our network."""

    def __init__(self) -> None:
        self.listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.listener.bind(("127.0.0.1", 0))
        self.listener.listen(8)
        self.port = self.listener.getsockname()[1]

    def arrived(self) -> bool:
        """Whether any connection reached it: one that did waits in the backlog."""
        self.listener.settimeout(0.2)
        try:
            conn, _ = self.listener.accept()
        except TimeoutError:
            return False
        conn.close()
        return True


@pytest.fixture
def internal_service():
    service = InternalService()
    yield service
    service.listener.close()


@pytest.fixture
def rebinding_dns(monkeypatch):
    """A resolver whose answer for ``rebind.example`` is public the first time and
    127.0.0.1 after that (DNS rebinding); ``lookups`` counts the questions."""
    real = socket.getaddrinfo
    lookups: list[str] = []

    def getaddrinfo(host, port, *args, **kwargs):
        if host != "rebind.example":
            return real(host, port, *args, **kwargs)
        lookups.append(host)
        address = "52.58.1.2" if len(lookups) == 1 else "127.0.0.1"
        return [(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP, "", (address, port))]

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    return lookups


def test_a_rebinding_name_never_reaches_the_internal_service(
    rebinding_dns, network, internal_service, delivered_post
):
    """Fails if the guard stops pinning: urllib3 would resolve again, get 127.0.0.1 and
    deliver the signed payload to the service inside."""
    port = internal_service.port
    post = delivered_post(f"https://rebind.example:{port}/hook")

    result = publish(post)

    assert rebinding_dns == ["rebind.example"]  # resolved once, by the guard
    assert network.connects == [("52.58.1.2", port)]  # to the address that was checked
    assert not internal_service.arrived()
    assert result.outcome == "transient"  # the public address refused: retried later


def test_a_name_that_is_internal_at_check_time_is_never_connected_to(
    dns, network, internal_service, delivered_post
):
    """Fails if the guard stops checking: the loopback service would be connected to."""
    port = internal_service.port
    dns["inside.example"] = ["127.0.0.1"]
    post = delivered_post(f"https://inside.example:{port}/hook")

    result = publish(post)

    assert result.outcome == "permanent"
    assert "internal address" in result.error_message
    assert network.connects == []
    assert not internal_service.arrived()


def test_the_connection_goes_to_the_checked_address_not_a_rebound_one(dns, network):
    dns["hook.eu1.make.com"] = ["52.58.1.2"]
    session = guarded_session("https://hook.eu1.make.com/abc")
    dns["hook.eu1.make.com"] = ["127.0.0.1"]  # the attacker's DNS now answers differently

    with pytest.raises(requests.ConnectionError):
        session.post("https://hook.eu1.make.com/abc", data=b"{}", timeout=1)

    assert network.connects == [("52.58.1.2", 443)]


def test_a_guarded_session_refuses_a_host_it_did_not_check(dns, network):
    dns["hook.eu1.make.com"] = ["52.58.1.2"]
    session = guarded_session("https://hook.eu1.make.com/abc")

    with pytest.raises(requests.exceptions.InvalidURL, match="not checked"):
        session.post("https://other.example/abc", data=b"{}", timeout=1)

    assert network.connects == []


def test_pooled_pinned_connections_are_never_shared_between_hosts_or_addresses(dns, network):
    """The worker keeps pinned adapters (and their connection pools) per thread: one per
    (checked address, host name). Fails if a pool pinned for one host could serve another
    host on the same address, or if a re-checked host kept its old address's pool."""
    dns["hook.eu1.make.com"] = ["52.58.1.2"]
    dns["other.example"] = ["52.58.1.2"]  # the same public address, another name
    first = guarded_session("https://hook.eu1.make.com/abc")
    again = guarded_session("https://hook.eu1.make.com/abc")
    other = guarded_session("https://other.example/abc")

    assert first.get_adapter("https://hook.eu1.make.com/") is again.get_adapter(
        "https://hook.eu1.make.com/"
    )  # pooled: the next delivery reuses the kept-alive connection
    assert other.get_adapter("https://other.example/") is not first.get_adapter(
        "https://hook.eu1.make.com/"
    )
    with pytest.raises(requests.exceptions.InvalidURL, match="not checked"):
        other.post("https://hook.eu1.make.com/abc", data=b"{}", timeout=1)
    with pytest.raises(requests.exceptions.InvalidURL, match="not checked"):
        first.post("https://other.example/abc", data=b"{}", timeout=1)

    dns["hook.eu1.make.com"] = ["54.86.1.2"]  # checked again for the next delivery
    moved = guarded_session("https://hook.eu1.make.com/abc")
    with pytest.raises(requests.ConnectionError):
        moved.post("https://hook.eu1.make.com/abc", data=b"{}", timeout=1)
    assert network.connects == [("54.86.1.2", 443)]  # never the old address's pool


# --- TLS to a pinned address: SNI and the certificate check use the host name ------------


def _certificate(tmp_path, name: str) -> tuple[str, str]:
    """A self-signed certificate for ``name`` (no IP address in it): (cert, key) paths."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
    now = datetime.now(UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(minutes=5))
        .not_valid_after(now + timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName(name)]), critical=False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = tmp_path / f"{name}.pem", tmp_path / f"{name}.key"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return str(cert_path), str(key_path)


@pytest.fixture
def tls_server(tmp_path):
    """An https server on 127.0.0.1 answering with the Host header and SNI it saw."""
    servers = []

    def start(certificate_name: str):
        cert, key = _certificate(tmp_path, certificate_name)
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(cert, key)
        seen: dict[str, object] = {}
        context.sni_callback = lambda sock, name, ctx: seen.update(sni=name)
        server = HTTPServer(("127.0.0.1", 0), _EchoHost)
        server.socket = context.wrap_socket(server.socket, server_side=True)
        thread = threading.Thread(target=server.serve_forever, daemon=True)
        thread.start()
        servers.append(server)
        return server.server_address[1], cert, seen

    yield start
    for server in servers:
        server.shutdown()
        server.server_close()


def test_tls_to_the_pinned_address_checks_the_certificate_against_the_host_name(
    dns, network, tls_server
):
    port, ca, seen = tls_server("hook.pinned.example")
    dns["hook.pinned.example"] = ["52.58.7.7"]
    network.routes[("52.58.7.7", port)] = ("127.0.0.1", port)
    url = f"https://hook.pinned.example:{port}/hook"

    response = guarded_session(url).get(url, verify=ca, timeout=5)

    assert response.text == f"hook.pinned.example:{port}"  # the Host header
    assert seen["sni"] == "hook.pinned.example"
    assert network.connects == [("52.58.7.7", port)]


def test_tls_to_the_pinned_address_refuses_a_certificate_for_another_name(dns, network, tls_server):
    port, ca, _ = tls_server("someone-else.example")
    dns["hook.pinned.example"] = ["52.58.7.7"]
    network.routes[("52.58.7.7", port)] = ("127.0.0.1", port)
    url = f"https://hook.pinned.example:{port}/hook"

    with pytest.raises(requests.exceptions.SSLError, match=r"hook\.pinned\.example' doesn't match"):
        guarded_session(url).get(url, verify=ca, timeout=5)


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
