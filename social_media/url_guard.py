"""Refuse outgoing webhook URLs that point inside our own network (SSRF)."""

from __future__ import annotations

import ipaddress
import socket
from urllib.parse import urlsplit

from django.conf import settings


class UnsafeUrlError(ValueError):
    """The URL may not be called from the server."""


def resolve_host(host: str, port: int) -> list[str]:
    """Every address ``host`` resolves to (the seam tests replace)."""
    infos = socket.getaddrinfo(host, port, proto=socket.IPPROTO_TCP)
    return [info[4][0] for info in infos]


def _is_internal(address: str) -> bool:
    ip = ipaddress.ip_address(address.split("%")[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped:
        ip = ip.ipv4_mapped
    return (
        ip.is_private
        or ip.is_loopback
        or ip.is_link_local
        or ip.is_multicast
        or ip.is_reserved
        or ip.is_unspecified
    )


def check_outgoing_url(url: str) -> None:
    """Raise ``UnsafeUrlError`` unless ``url`` is https to a public address.

    ``ALLOW_PRIVATE_WEBHOOK_URLS`` lifts the check for development and the local
    platform emulator.
    """
    if settings.ALLOW_PRIVATE_WEBHOOK_URLS:
        return
    parts = urlsplit(url)
    if parts.scheme != "https":
        raise UnsafeUrlError("Webhook URLs must use https.")
    if not parts.hostname:
        raise UnsafeUrlError("The webhook URL has no host name.")
    try:
        addresses = resolve_host(parts.hostname, parts.port or 443)
    except OSError:
        raise UnsafeUrlError(f"The host {parts.hostname} cannot be resolved.") from None
    if not addresses:
        raise UnsafeUrlError(f"The host {parts.hostname} cannot be resolved.")
    for address in addresses:
        if _is_internal(address):
            raise UnsafeUrlError(
                f"The host {parts.hostname} resolves to an internal address ({address})."
            )
