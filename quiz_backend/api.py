"""Project-wide DRF glue: every API error is a JSON body that names the problem, in one
language per answer.

Language rule for machine clients (the callback): English, unless the request's
``Accept-Language`` header asks for a language the site supports (``ru`` or ``en``,
regional variants such as ``ru-RU`` included; the highest ``q`` wins, ``q=0`` and ``*`` are
ignored). The admin's language cookie and ``LANGUAGE_CODE`` play no part. The whole answer
(``message``, DRF's field errors, authentication and throttling errors) is in that language,
and ``Content-Language`` says which.
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponseBase
from django.utils import translation
from django.utils.cache import patch_vary_headers
from django.utils.translation import gettext
from django.utils.translation.trans_real import parse_accept_lang_header
from rest_framework import exceptions
from rest_framework.response import Response
from rest_framework.views import exception_handler

API_DEFAULT_LANGUAGE = "en"


def api_language(request: HttpRequest) -> str:
    """The language of a machine client's answer; see the module docstring."""
    header = request.META.get("HTTP_ACCEPT_LANGUAGE", "")
    for code, quality in parse_accept_lang_header(header):
        if code == "*" or quality <= 0:
            continue
        try:
            return translation.get_supported_language_variant(code)
        except LookupError:
            continue
    return API_DEFAULT_LANGUAGE


class MachineLanguageMixin:
    """For ``APIView``s called by machines: the whole answer is in ``api_language``."""

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        language = api_language(request)
        with translation.override(language):
            response = super().dispatch(request, *args, **kwargs)  # type: ignore[misc]  # mixed into an APIView
            render = getattr(response, "render", None)
            if callable(render):
                render()  # the body's lazy texts are resolved in this language
            response.headers["Content-Language"] = language
        patch_vary_headers(response, ("Accept-Language",))
        return response


def json_exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    """Answer ``{"status": "error", "error": <code>, "message": ..., "fields": ...}``."""
    response = exception_handler(exc, context)
    if response is None:
        return None
    body: dict[str, Any] = {"status": "error"}
    if isinstance(exc, exceptions.ValidationError):
        body["error"] = "invalid"
        body["message"] = gettext("The request body has invalid or missing fields.")
        body["fields"] = response.data
    elif isinstance(exc, exceptions.APIException):
        body["error"] = getattr(exc.detail, "code", None) or exc.default_code
        detail = response.data.get("detail") if isinstance(response.data, dict) else None
        body["message"] = str(detail if detail is not None else exc.detail)
    response.data = body
    return response
