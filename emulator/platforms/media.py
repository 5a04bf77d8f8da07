"""What the native stand-ins share: form and multipart parameters, image checks with
Pillow, and fetching a picture by URL from loopback (the emulator never leaves 127.0.0.1)."""

from __future__ import annotations

import http.client
import io
import ipaddress
import json
import warnings
from dataclasses import dataclass
from email.parser import BytesParser
from email.policy import HTTP
from typing import Any
from urllib.parse import parse_qs, urlsplit

from PIL import Image, UnidentifiedImageError

from emulator.wire import Request

FETCH_TIMEOUT = 5.0


@dataclass(frozen=True)
class Upload:
    """A file sent in a multipart form."""

    filename: str
    content_type: str
    data: bytes


@dataclass(frozen=True)
class Params:
    """A request's parameters: the query string, then the body (form, multipart or JSON).

    Values from a JSON body keep their JSON types; every other value is a string."""

    values: dict[str, Any]
    files: dict[str, Upload]

    def text(self, name: str, default: str = "") -> str:
        value = self.values.get(name)
        if value is None:
            return default
        if isinstance(value, bool):
            return "true" if value else "false"
        if isinstance(value, (dict, list)):
            return json.dumps(value, ensure_ascii=False)
        return str(value)

    def has(self, name: str) -> bool:
        return name in self.values or name in self.files


def parse_multipart(content_type: str, body: bytes) -> tuple[dict[str, str], dict[str, Upload]]:
    """Fields and files of a ``multipart/form-data`` body (empty when it is not one)."""
    head = f"Content-Type: {content_type}\r\nMIME-Version: 1.0\r\n\r\n".encode()
    message = BytesParser(policy=HTTP).parsebytes(head + body)
    fields: dict[str, str] = {}
    files: dict[str, Upload] = {}
    if not message.is_multipart():
        return fields, files
    for part in message.iter_parts():
        name = part.get_param("name", header="content-disposition")
        if not isinstance(name, str):
            continue
        payload = part.get_payload(decode=True)
        data = payload if isinstance(payload, bytes) else b""
        filename = part.get_filename()
        if filename is not None:
            files[name] = Upload(filename, part.get_content_type(), data)
        else:
            fields[name] = data.decode("utf-8", "replace")
    return fields, files


def parse_params(request: Request, *, json_body: bool = True) -> Params:
    """Query parameters overlaid by the body's; ``json_body=False`` ignores a JSON body
    (VK reads only form and multipart bodies)."""
    values: dict[str, Any] = dict(request.query)
    files: dict[str, Upload] = {}
    content_type = request.header("content-type")
    lowered = content_type.lower()
    if lowered.startswith("multipart/form-data"):
        fields, files = parse_multipart(content_type, request.body)
        values.update(fields)
    elif "json" in lowered:
        data = request.json()
        if json_body and isinstance(data, dict):
            values.update(data)
    elif request.body:
        try:
            parsed = parse_qs(request.body.decode(), keep_blank_values=True)
        except UnicodeDecodeError:
            parsed = {}
        values.update({key: items[-1] for key, items in parsed.items()})
    return Params(values, files)


@dataclass(frozen=True)
class ImageInfo:
    width: int
    height: int
    format: str
    size: int


def inspect_image(data: bytes) -> ImageInfo | None:
    """Width, height and format of a picture Pillow can decode; ``None`` otherwise."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data)) as image:
                image.verify()
            with Image.open(io.BytesIO(data)) as image:
                return ImageInfo(image.width, image.height, str(image.format or ""), len(data))
    except (UnidentifiedImageError, OSError, ValueError, SyntaxError, Image.DecompressionBombError):
        return None


class FetchError(Exception):
    """A URL the emulator cannot or may not fetch."""


def is_loopback_url(url: str) -> bool:
    parts = urlsplit(url)
    host = (parts.hostname or "").lower()
    if parts.scheme != "http" or not host:
        return False
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def fetch_loopback(url: str, max_bytes: int) -> tuple[str, bytes]:
    """GET ``url`` (``http://`` on loopback only, no redirects): its content type and
    body. Raises ``FetchError`` when it is not allowed, fails, or exceeds ``max_bytes``."""
    if not is_loopback_url(url):
        raise FetchError("only http:// URLs on 127.0.0.1 / localhost are fetched")
    parts = urlsplit(url)
    path = parts.path or "/"
    if parts.query:
        path += f"?{parts.query}"
    connection = http.client.HTTPConnection(
        parts.hostname or "127.0.0.1", parts.port or 80, timeout=FETCH_TIMEOUT
    )
    try:
        connection.request("GET", path, headers={"User-Agent": "platform-emulator/1.0"})
        response = connection.getresponse()
        if response.status != 200:
            raise FetchError(f"HTTP {response.status}")
        data = response.read(max_bytes + 1)
        content_type = response.getheader("Content-Type", "") or ""
    except (OSError, http.client.HTTPException) as exc:
        raise FetchError(type(exc).__name__) from None
    finally:
        connection.close()
    if len(data) > max_bytes:
        raise FetchError("too big")
    return content_type, data
