"""OpenAPI description of the callback: its body, its answers and how it is authenticated."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from drf_spectacular.extensions import OpenApiAuthenticationExtension
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiExample,
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    inline_serializer,
)
from rest_framework import serializers

_SIGNATURE_HEADERS = {
    "webhookId": (
        "webhook-id",
        "Unique message id: 1-255 printable ASCII characters, no spaces, no `.` (the "
        "signed content is `{id}.{timestamp}.{body}`); a replay of an id that was "
        "processed changes nothing.",
    ),
    "webhookTimestamp": (
        "webhook-timestamp",
        "Unix seconds when the callback was signed; refused when more than 300 s off.",
    ),
    "webhookSignature": (
        "webhook-signature",
        "Standard Webhooks signature: `v1,` + base64(HMAC-SHA256(secret, "
        "`{webhook-id}.{webhook-timestamp}.{raw body}`)), the secret being the webhook's "
        "`whsec_` secret base64-decoded. Several space-separated signatures are allowed.",
    ),
}


class CallbackAuthenticationScheme(OpenApiAuthenticationExtension):
    """Standard Webhooks signature headers (all three together) or a bearer token."""

    target_class = "webhooks.authentication.CallbackAuthentication"
    name = [*_SIGNATURE_HEADERS, "callbackBearer"]

    def get_security_requirement(self, auto_schema: Any) -> list[dict[str, list[Any]]]:
        return [{name: [] for name in _SIGNATURE_HEADERS}, {"callbackBearer": []}]

    def get_security_definition(self, auto_schema: Any) -> list[dict[str, Any]]:
        headers = [
            {"type": "apiKey", "in": "header", "name": header, "description": description}
            for header, description in _SIGNATURE_HEADERS.values()
        ]
        bearer = {
            "type": "http",
            "scheme": "bearer",
            "description": "For webhooks in bearer mode: the webhook's secret as the token.",
        }
        return [*headers, bearer]


ErrorSerializer = inline_serializer(
    name="CallbackError",
    fields={
        "status": serializers.ChoiceField(choices=["error"]),
        "error": serializers.CharField(help_text="A machine-readable code of the problem."),
        "message": serializers.CharField(
            help_text="What is wrong, in words: English, or the Accept-Language language (ru)."
        ),
        "fields": serializers.DictField(
            required=False, help_text="Per-field problems (only for 400 `invalid`)."
        ),
    },
)

_ERRORS = {
    400: "Malformed JSON, a missing or wrongly typed field, an unknown platform or status.",
    401: "No valid signature or bearer token, a stale timestamp or a malformed header.",
    403: "The authenticated webhook does not carry this platform or post.",
    404: "No post exists for this task on this platform.",
    405: "Only POST is allowed.",
    406: "The Accept header excludes application/json.",
    413: "The body is larger than 64 KiB, or sent chunked.",
    415: "The body is not sent as application/json.",
    429: "Too many callbacks from this source; wait the seconds in the Retry-After header.",
    503: "The server cannot decrypt its webhook secrets (key misconfiguration).",
}


LANGUAGE_RULE = (
    "Every answer is in one language: `message`, the per-field errors in `fields` and the "
    "authentication and throttling errors alike. It is English unless the `Accept-Language` "
    "header asks for a supported language (`ru` or `en`, regional variants such as `ru-RU` "
    "included; the highest `q` wins, `q=0` and `*` are ignored). The `Content-Language` "
    "header of the answer names the language used. The `status` and `error` codes never "
    "change with the language."
)

ACCEPT_LANGUAGE = OpenApiParameter(
    name="Accept-Language",
    type=OpenApiTypes.STR,
    location=OpenApiParameter.HEADER,
    required=False,
    description="The language of the answer's texts: `ru` or `en` (default `en`). " + LANGUAGE_RULE,
    examples=[
        OpenApiExample("Russian", value="ru"),
        OpenApiExample("English (the default)", value="en-US,en;q=0.9"),
    ],
)


def callback_schema(
    input_serializer: type[serializers.Serializer], output_serializer: type[serializers.Serializer]
) -> Callable:
    """``extend_schema`` for the callback view's ``post``."""
    responses: dict[int, Any] = {
        200: OpenApiResponse(output_serializer, description="Applied, or nothing to change."),
    }
    for code, description in _ERRORS.items():
        responses[code] = OpenApiResponse(ErrorSerializer, description=description)
    return extend_schema(
        operation_id="social_media_callback",
        summary="Report the result of a post published by a scenario",
        description=LANGUAGE_RULE,
        parameters=[ACCEPT_LANGUAGE],
        request=input_serializer,
        responses=responses,
        examples=[
            OpenApiExample(
                "Published",
                value={
                    "task_id": 123,
                    "platform": "instagram",
                    "status": "published",
                    "post_url": "https://www.instagram.com/p/Cx1/",
                    "post_id": "Cx1",
                },
                request_only=True,
            ),
            OpenApiExample(
                "Published, with the numbers the scenario read",
                value={
                    "task_id": 123,
                    "platform": "instagram",
                    "status": "published",
                    "post_url": "https://www.instagram.com/p/Cx1/",
                    "post_id": "Cx1",
                    "metrics": {"views": 1200, "engagements": 85, "comments": 4, "shares": 9},
                },
                request_only=True,
            ),
            OpenApiExample(
                "Failed",
                value={
                    "task_id": 123,
                    "platform": "tiktok",
                    "status": "failed",
                    "error_message": "Video rejected",
                },
                request_only=True,
            ),
        ],
    )
