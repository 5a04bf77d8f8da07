"""Refuse outgoing webhook URLs that point inside our own network (SSRF).

The URL is checked when a delivery is sent, not only when it is saved: the host
name is resolved once, every address it resolves to must be public, and the
connection is then made to the address that was checked (``PinnedAddressAdapter``),
so a DNS answer that changes between the check and the connection (rebinding)
cannot steer the request inside. TLS still verifies the certificate against the
host name. Redirects are never followed (``ApiClient`` sends ``allow_redirects=False``).
"""

from __future__ import annotations

import ipaddress
import socket
from typing import Any
from urllib.parse import urlsplit

import requests
from django.conf import settings
from django.utils.translation import gettext as _
from requests.adapters import HTTPAdapter
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool

from social_media.http import get_session


class UnsafeUrlError(ValueError):
    """The URL may not be called from the server."""


def resolve_host(host: str, port: int) -> list[str]:
    """Every address ``host`` resolves to (the DNS seam tests replace)."""
    infos = socket.getaddrinfo(host, port, proto=socket.IPPROTO_TCP)
    return [str(info[4][0]) for info in infos]


def is_internal(address: str) -> bool:
    """True for loopback, private, link-local (cloud metadata), shared and reserved ranges."""
    ip = ipaddress.ip_address(address.split("%")[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped:
        ip = ip.ipv4_mapped
    return not ip.is_global or ip.is_multicast


def check_outgoing_url(url: str) -> list[str]:
    """Return the public addresses ``url``'s host resolves to, or raise ``UnsafeUrlError``.

    With ``ALLOW_PRIVATE_WEBHOOK_URLS`` (development, the local emulator) nothing is
    checked and the list is empty.
    """
    if settings.ALLOW_PRIVATE_WEBHOOK_URLS:
        return []
    try:
        parts = urlsplit(url)
        port = parts.port or 443
    except ValueError:
        raise UnsafeUrlError(_("The webhook URL is malformed.")) from None
    if parts.scheme != "https":
        raise UnsafeUrlError(_("Webhook URLs must use https."))
    host = parts.hostname
    if not host:
        raise UnsafeUrlError(_("The webhook URL has no host name."))
    try:
        addresses = resolve_host(host, port)
    except (OSError, UnicodeError):
        raise UnsafeUrlError(_("The host %(host)s cannot be resolved.") % {"host": host}) from None
    if not addresses:
        raise UnsafeUrlError(_("The host %(host)s cannot be resolved.") % {"host": host})
    for address in addresses:
        if is_internal(address):
            raise UnsafeUrlError(
                _("The host %(host)s resolves to an internal address (%(address)s).")
                % {"host": host, "address": address}
            )
    return addresses


class _PinnedConnectionMixin(HTTPConnection):
    """Connect the socket to ``pinned_address`` instead of resolving the host again."""

    pinned_address: str

    def _new_conn(self) -> socket.socket:
        # urllib3 resolves ``_dns_host`` when it opens the socket; the TLS layer
        # keeps using the host name for SNI and certificate checks.
        host = self._dns_host
        self._dns_host = self.pinned_address
        try:
            return super()._new_conn()
        finally:
            self._dns_host = host


def _pinned_pools(address: str) -> dict[str, type[HTTPConnectionPool]]:
    pinned = {"pinned_address": address}
    http_conn = type("PinnedHTTPConnection", (_PinnedConnectionMixin, HTTPConnection), pinned)
    https_conn = type("PinnedHTTPSConnection", (_PinnedConnectionMixin, HTTPSConnection), pinned)
    return {
        "http": type("PinnedHTTPPool", (HTTPConnectionPool,), {"ConnectionCls": http_conn}),
        "https": type("PinnedHTTPSPool", (HTTPSConnectionPool,), {"ConnectionCls": https_conn}),
    }


class PinnedAddressAdapter(HTTPAdapter):
    """A transport adapter whose every connection goes to one already-checked address."""

    def __init__(self, address: str, **kwargs: Any) -> None:
        self.pinned_address = address
        super().__init__(**kwargs)

    def init_poolmanager(self, *args: Any, **kwargs: Any) -> None:
        super().init_poolmanager(*args, **kwargs)
        self.poolmanager.pool_classes_by_scheme = _pinned_pools(self.pinned_address)


def guarded_session(url: str) -> requests.Session:
    """A session for one delivery to ``url``: checked now, connected to what was checked."""
    from social_media.http import shared_adapter

    addresses = check_outgoing_url(url)
    session = get_session()
    if addresses:
        session.trust_env = False  # no proxy from the environment may re-resolve the host
        # Kept per thread and per checked address: its connections go only there.
        adapter = shared_adapter(
            f"pinned:{addresses[0]}", PinnedAddressAdapter, address=addresses[0]
        )
        session.mount("https://", adapter)
        session.mount("http://", adapter)
    return session
