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
from typing import TYPE_CHECKING, Any, cast
from urllib.parse import urlsplit

import requests
from django.conf import settings
from django.utils.translation import gettext as _
from requests import PreparedRequest
from requests.adapters import HTTPAdapter
from requests.structures import CaseInsensitiveDict

from social_media.http import get_session, shared_adapter

if TYPE_CHECKING:
    from requests.adapters import _HostParams, _PoolKwargs  # names from the type stubs


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


class PinnedAddressAdapter(HTTPAdapter):
    """A transport adapter whose every connection goes to one already-checked address.

    It uses ``HTTPAdapter.build_connection_pool_key_attributes``, the hook requests
    documents for subclasses: the connection pool is opened for the checked address
    (so urllib3 never resolves the name again), the ``Host`` header carries the name,
    and for https ``server_hostname`` (SNI) and ``assert_hostname`` (the certificate
    check) stay the name, both public ``HTTPSConnectionPool`` arguments. With ``host``
    set, a request for any other host name is refused instead of being pinned.
    """

    def __init__(self, address: str, host: str | None = None, **kwargs: Any) -> None:
        self.pinned_address = address
        self.pinned_host = host
        super().__init__(**kwargs)

    def build_connection_pool_key_attributes(
        self, request: PreparedRequest, verify: Any, cert: Any = None
    ) -> tuple[_HostParams, _PoolKwargs]:
        host_params, pool_kwargs = super().build_connection_pool_key_attributes(
            request, verify, cert
        )
        hostname = host_params["host"]
        if self.pinned_host is not None and hostname != self.pinned_host:
            # requests turns this ValueError into InvalidURL: nothing is sent.
            raise UnsafeUrlError(f"{hostname} was not checked by the URL guard")
        host_header = f"[{hostname}]" if ":" in hostname else hostname
        if host_params["port"] is not None:
            host_header += f":{host_params['port']}"
        # A copy: the caller's header mapping may be shared between requests.
        request.headers = CaseInsensitiveDict(request.headers or {})
        request.headers["Host"] = host_header
        if host_params["scheme"] == "https":
            tls = cast("dict[str, Any]", pool_kwargs)  # HTTPSConnectionPool arguments
            tls["server_hostname"] = hostname
            tls["assert_hostname"] = hostname
        host_params["host"] = self.pinned_address
        return host_params, pool_kwargs


def guarded_session(url: str) -> requests.Session:
    """A session for one delivery to ``url``: checked now, connected to what was checked."""
    addresses = check_outgoing_url(url)
    session = get_session()
    if addresses:
        session.trust_env = False  # no proxy from the environment may re-resolve the host
        # The name as requests will send it (IDNA-encoded), to match each request against.
        prepared = PreparedRequest()
        prepared.prepare_url(url, None)
        host = urlsplit(str(prepared.url)).hostname
        # Kept per thread and per (checked address, host name): its connections go only
        # to that address and only for that name, so a pooled connection pinned for one
        # host is never handed to a request for another.
        adapter = shared_adapter(
            f"pinned:{addresses[0]}:{host}", PinnedAddressAdapter, address=addresses[0], host=host
        )
        session.mount("https://", adapter)
        session.mount("http://", adapter)
    return session
