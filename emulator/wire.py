"""The emulator's tiny HTTP vocabulary: a parsed request and the answer to send."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from http import HTTPStatus
from typing import Any
from urllib.parse import parse_qs


@dataclass
class Request:
    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]  # names in lower case
    body: bytes
    params: dict[str, str] = field(default_factory=dict)  # from the route pattern
    record: dict[str, Any] | None = None  # this request's entry in the request log
    arrived: int = 0  # the state's release generation when it arrived (ends its stall)

    def header(self, name: str) -> str:
        return self.headers.get(name.lower(), "")

    def json(self) -> Any:
        """The body as JSON, or ``None`` when it is not JSON."""
        try:
            return json.loads(self.body.decode() or "null")
        except (UnicodeDecodeError, ValueError):
            return None

    def form(self) -> dict[str, str]:
        """Form fields (``application/x-www-form-urlencoded``) or a JSON object's fields."""
        content_type = self.header("content-type")
        if "json" in content_type:
            data = self.json()
            return {k: str(v) for k, v in data.items()} if isinstance(data, dict) else {}
        try:
            parsed = parse_qs(self.body.decode(), keep_blank_values=True)
        except UnicodeDecodeError:
            return {}
        return {key: values[-1] for key, values in parsed.items()}

    def bearer_token(self) -> str:
        auth = self.header("authorization")
        return auth[7:].strip() if auth.lower().startswith("bearer ") else ""


@dataclass
class Response:
    status: int = 200
    body: bytes = b""
    content_type: str = "application/json"
    headers: dict[str, str] = field(default_factory=dict)
    drop: bool = False  # close the connection without answering (an upload cut off)


def json_response(data: Any, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    body = json.dumps(data, ensure_ascii=False).encode()
    return Response(status=status, body=body, headers=dict(headers or {}))


def text_response(text: str, status: int = 200, content_type: str = "text/plain") -> Response:
    return Response(
        status=status, body=text.encode(), content_type=f"{content_type}; charset=utf-8"
    )


def phrase(status: int) -> str:
    """The reason phrase of an HTTP status ("Error" for an unknown one)."""
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "Error"
