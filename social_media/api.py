"""The result callback Make.com / Zapier scenarios call after publishing."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import IO, Any

from django.db import IntegrityError, transaction
from django.utils.text import format_lazy
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from rest_framework import exceptions, parsers, serializers, status
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.settings import api_settings
from rest_framework.throttling import SimpleRateThrottle
from rest_framework.views import APIView

from quiz_backend.api import MachineLanguageMixin
from quiz_backend.redaction import redact
from social_media.callbacks import CallbackError, post_apply_callback
from social_media.metrics_collect import metrics_record_callback
from social_media.metrics_values import COUNT_NAMES, MAX_COUNT, SHARE_NAMES
from social_media.platforms.registry import webhook_platform_keys
from tasks.models import PostStatus
from webhooks.authentication import CallbackAuthentication, WebhookCaller
from webhooks.models import CallbackReceipt
from webhooks.schema import callback_schema

MAX_BODY_BYTES = 64 * 1024
MAX_TASK_ID = 2**63 - 1  # the largest primary key PostgreSQL's bigint holds


class PayloadTooLarge(exceptions.APIException):
    status_code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
    default_detail = format_lazy(
        gettext_lazy("The body is larger than {size} KiB."), size=MAX_BODY_BYTES // 1024
    )
    default_code = "payload_too_large"


class BadContentLength(exceptions.APIException):
    status_code = status.HTTP_400_BAD_REQUEST
    default_detail = gettext_lazy("The Content-Length header is not a whole number.")
    default_code = "bad_content_length"


class CallbackJSONParser(parsers.JSONParser):
    """JSON only; a body nested too deeply for Python's parser is a 400, not a 500, and
    the parse error is said in the answer's language (DRF's text is English only)."""

    def parse(
        self,
        stream: IO[Any],
        media_type: str | None = None,
        parser_context: Mapping[str, Any] | None = None,
    ) -> Any:
        try:
            return super().parse(stream, media_type, parser_context)
        except RecursionError:
            raise exceptions.ParseError(
                _("JSON parse error - the body is nested too deeply.")
            ) from None
        except exceptions.ParseError as error:
            cause = error.__context__
            if isinstance(cause, json.JSONDecodeError):
                message = _("The body is not valid JSON (line %(line)d, column %(column)d).") % {
                    "line": cause.lineno,
                    "column": cause.colno,
                }
            else:
                message = _("The body is not valid JSON.")  # bad UTF-8, NaN, Infinity
            raise exceptions.ParseError(message) from None


class CallbackThrottle(SimpleRateThrottle):
    """Per source address; the rate is ``SOCIAL_MEDIA_CALLBACK_RATE`` (read per request)."""

    scope = "social_media_callback"

    def get_rate(self) -> str | None:
        # The rates are "60/min" strings; djangorestframework-stubs types them as numbers.
        return api_settings.DEFAULT_THROTTLE_RATES.get(self.scope)  # type: ignore[return-value]

    def get_cache_key(self, request: Request, view: APIView) -> str:
        return self.cache_format % {"scope": self.scope, "ident": self.get_ident(request)}


def _check_body_size(request: Request) -> None:
    """Refuse oversized and chunked bodies before a byte of them is read."""
    if request.META.get("HTTP_TRANSFER_ENCODING", "").strip():
        raise PayloadTooLarge(_("Chunked bodies are not accepted; send Content-Length."))
    length = (request.META.get("CONTENT_LENGTH") or "0").strip()
    if not (length.isascii() and length.isdigit()):  # isdigit() alone takes "²"
        raise BadContentLength()
    if int(length) > MAX_BODY_BYTES:
        raise PayloadTooLarge()


def _check_content_type(request: Request) -> None:
    media_type = (request.content_type or "").split(";")[0].strip().lower()
    if media_type != "application/json":
        raise exceptions.UnsupportedMediaType(
            media_type or "(none)",
            detail=_("Send the body as JSON with Content-Type: application/json."),
        )


class CallbackMetricsSerializer(serializers.Serializer):
    """Optional numbers a scenario read from the platform: whole counts, and a 0…1 share.

    ``null`` means "not available" and is ignored; a name not listed here is refused.
    """

    def get_fields(self) -> dict[str, serializers.Field]:
        fields: dict[str, serializers.Field] = {
            name: serializers.IntegerField(
                min_value=0, max_value=MAX_COUNT, required=False, allow_null=True
            )
            for name in COUNT_NAMES
        }
        for name in SHARE_NAMES:
            fields[name] = serializers.FloatField(
                min_value=0, max_value=1, required=False, allow_null=True
            )
        return fields

    def to_internal_value(self, data: Any) -> dict[str, Any]:
        if isinstance(data, Mapping):
            unknown = sorted(str(name) for name in data if name not in self.fields)
            if unknown:
                raise serializers.ValidationError(
                    {
                        api_settings.NON_FIELD_ERRORS_KEY: [
                            _("Unknown metrics: %(names)s. Known: %(known)s.")
                            % {"names": ", ".join(unknown), "known": ", ".join(self.fields)}
                        ]
                    }
                )
        values = super().to_internal_value(data)
        return {name: value for name, value in values.items() if value is not None}

    class Meta:
        ref_name = "CallbackMetrics"


class SocialMediaCallbackApi(MachineLanguageMixin, APIView):
    """``POST /api/webhooks/social-media-callback/``: a scenario reports a post's result.

    Answers are in English, or in the ``Accept-Language`` language when it is ru/en
    (``quiz_backend.api.api_language``).
    """

    authentication_classes = [CallbackAuthentication]
    permission_classes = [IsAuthenticated]
    throttle_classes = [CallbackThrottle]
    parser_classes = [CallbackJSONParser]

    class InputSerializer(serializers.Serializer):
        task_id = serializers.IntegerField(min_value=1, max_value=MAX_TASK_ID)
        platform = serializers.ChoiceField(choices=sorted(webhook_platform_keys()))
        status = serializers.ChoiceField(
            choices=[PostStatus.PROCESSING, PostStatus.PUBLISHED, PostStatus.FAILED]
        )
        post_url = serializers.URLField(required=False, allow_blank=True, max_length=2048)
        post_id = serializers.CharField(required=False, allow_blank=True, max_length=255)
        error_message = serializers.CharField(required=False, allow_blank=True, max_length=5000)
        metrics = CallbackMetricsSerializer(
            required=False,
            help_text="Optional: the post's numbers now (views, engagements, clicks, saves, "
            "shares, comments, answers as whole numbers; correct_share from 0 to 1). Only "
            "with status published; a count lower than the one already kept is ignored.",
        )

        def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
            if attrs.get("metrics") and attrs["status"] != PostStatus.PUBLISHED:
                raise serializers.ValidationError(
                    {"metrics": _("Metrics are accepted only with status published.")}
                )
            return attrs

        class Meta:
            ref_name = "SocialMediaCallback"

    class OutputSerializer(serializers.Serializer):
        status = serializers.CharField()
        message = serializers.CharField()

        class Meta:
            ref_name = "CallbackAnswer"

    def initial(self, request: Request, *args: Any, **kwargs: Any) -> None:
        # DRF's order is authenticate → permissions → throttle; here size and the
        # throttle come first, so failed signatures count against the source too.
        method = request.method or ""
        if method.lower() not in self.allowed_methods_lower():
            raise exceptions.MethodNotAllowed(method)
        _check_body_size(request)
        self.format_kwarg = self.get_format_suffix(**kwargs)
        request.accepted_renderer, request.accepted_media_type = self.perform_content_negotiation(
            request
        )
        request.version, request.versioning_scheme = self.determine_version(
            request, *args, **kwargs
        )
        self.check_throttles(request)
        if request.method == "POST":
            _check_content_type(request)
        self.perform_authentication(request)
        self.check_permissions(request)

    def allowed_methods_lower(self) -> list[str]:
        return [method.lower() for method in self.allowed_methods]

    @callback_schema(InputSerializer, OutputSerializer)
    def post(self, request: Request) -> Response:
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        caller = request.user
        # WebhookAuthentication sets it; the permission refuses anonymous callers.
        assert isinstance(caller, WebhookCaller)
        if caller.webhook is not None and data["platform"] not in caller.webhook.target_platforms:
            return _error(
                "wrong_webhook",
                _("This webhook does not carry %(platform)s.") % {"platform": data["platform"]},
                status.HTTP_403_FORBIDDEN,
            )
        metrics = data.get("metrics") or {}
        try:
            with transaction.atomic():
                # The receipt goes first: a concurrent delivery of the same
                # webhook-id waits on its unique index, then fails as a replay.
                if caller.message_id:
                    CallbackReceipt.objects.create(
                        message_id=caller.message_id, webhook=caller.webhook
                    )
                result = post_apply_callback(
                    task_id=data["task_id"],
                    platform=data["platform"],
                    status=data["status"],
                    post_url=data.get("post_url", ""),
                    post_id=data.get("post_id", ""),
                    # A scenario's error text may quote the platform's token back.
                    error_message=redact(data.get("error_message", "")),
                    webhook_id=caller.webhook.pk if caller.webhook else None,
                )
                if metrics and result.post.status == PostStatus.PUBLISHED:
                    metrics_record_callback(post=result.post, values=metrics)
        except IntegrityError:
            # Only the receipt can conflict: this webhook-id was processed before,
            # and the rolled-back transaction changed nothing.
            return Response(
                {
                    "status": "ok",
                    "message": _("Callback %(id)s was already processed; nothing changed.")
                    % {"id": caller.message_id},
                }
            )
        except CallbackError as error:
            return _error(error.code, str(error), error.http_status)
        names = {"task": data["task_id"], "platform": data["platform"]}
        message = _("Status updated for task %(task)s on %(platform)s") % names
        if not result.changed:
            message = _(
                "Status for task %(task)s on %(platform)s is already %(status)s; nothing changed"
            ) % (names | {"status": result.post.status})
            if metrics:
                message = _("Metrics recorded for task %(task)s on %(platform)s") % names
        return Response({"status": "ok", "message": message})


def _error(code: str, message: str, http_status: int) -> Response:
    return Response({"status": "error", "error": code, "message": message}, status=http_status)
