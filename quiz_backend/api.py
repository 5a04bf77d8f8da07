"""Project-wide DRF glue: every API error is a JSON body that names the problem."""

from __future__ import annotations

from typing import Any

from rest_framework import exceptions
from rest_framework.response import Response
from rest_framework.views import exception_handler


def json_exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    """Answer ``{"status": "error", "error": <code>, "message": ..., "fields": ...}``."""
    response = exception_handler(exc, context)
    if response is None:
        return None
    body: dict[str, Any] = {"status": "error"}
    if isinstance(exc, exceptions.ValidationError):
        body["error"] = "invalid"
        body["message"] = "The request body has invalid or missing fields."
        body["fields"] = response.data
    elif isinstance(exc, exceptions.APIException):
        body["error"] = getattr(exc.detail, "code", None) or exc.default_code
        detail = response.data.get("detail") if isinstance(response.data, dict) else None
        body["message"] = str(detail if detail is not None else exc.detail)
    response.data = body
    return response
