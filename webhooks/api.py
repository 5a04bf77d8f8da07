"""The result callback Make.com / Zapier scenarios call after publishing."""

from __future__ import annotations

from django.db import IntegrityError, transaction
from rest_framework import exceptions, serializers, status
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.throttling import SimpleRateThrottle
from rest_framework.views import APIView

from social_media.callbacks import CallbackError, post_apply_callback
from social_media.platforms import webhook_platform_keys
from tasks.models import PostStatus
from webhooks.authentication import CallbackAuthentication
from webhooks.models import CallbackReceipt

MAX_BODY_BYTES = 64 * 1024


class PayloadTooLarge(exceptions.APIException):
    status_code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
    default_detail = f"The body is larger than {MAX_BODY_BYTES // 1024} KiB."
    default_code = "payload_too_large"


class CallbackThrottle(SimpleRateThrottle):
    """Per source address; the rate is ``SOCIAL_MEDIA_CALLBACK_RATE``."""

    scope = "social_media_callback"

    def get_cache_key(self, request, view):
        return self.cache_format % {"scope": self.scope, "ident": self.get_ident(request)}


class SocialMediaCallbackApi(APIView):
    """``POST /api/webhooks/social-media-callback/``: a scenario reports a post's result."""

    authentication_classes = [CallbackAuthentication]
    permission_classes = [IsAuthenticated]
    throttle_classes = [CallbackThrottle]

    class InputSerializer(serializers.Serializer):
        task_id = serializers.IntegerField(min_value=1)
        platform = serializers.ChoiceField(choices=sorted(webhook_platform_keys()))
        status = serializers.ChoiceField(
            choices=[PostStatus.PROCESSING, PostStatus.PUBLISHED, PostStatus.FAILED]
        )
        post_url = serializers.URLField(required=False, allow_blank=True, max_length=2048)
        post_id = serializers.CharField(required=False, allow_blank=True, max_length=255)
        error_message = serializers.CharField(required=False, allow_blank=True, max_length=5000)

    class OutputSerializer(serializers.Serializer):
        status = serializers.CharField()
        message = serializers.CharField()

    def initial(self, request: Request, *args, **kwargs) -> None:
        length = request.META.get("CONTENT_LENGTH") or "0"
        if not length.isdigit() or int(length) > MAX_BODY_BYTES:
            raise PayloadTooLarge()
        if request.META.get("HTTP_TRANSFER_ENCODING", "").lower() == "chunked":
            raise PayloadTooLarge("Chunked bodies are not accepted; send Content-Length.")
        super().initial(request, *args, **kwargs)

    def post(self, request: Request) -> Response:
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        caller = request.user
        try:
            with transaction.atomic():
                if caller.message_id:
                    CallbackReceipt.objects.create(
                        message_id=caller.message_id[:255], webhook=caller.webhook
                    )
                result = post_apply_callback(
                    task_id=data["task_id"],
                    platform=data["platform"],
                    status=data["status"],
                    post_url=data.get("post_url", ""),
                    post_id=data.get("post_id", ""),
                    error_message=data.get("error_message", ""),
                    webhook_id=caller.webhook.pk if caller.webhook else None,
                )
        except IntegrityError:
            return Response(
                {"status": "ok", "message": f"Callback {caller.message_id} was already processed."}
            )
        except CallbackError as error:
            return Response(
                {"status": "error", "error": error.code, "message": str(error)},
                status=error.http_status,
            )
        message = f"Status updated for task {data['task_id']} on {data['platform']}"
        if not result.changed:
            message = (
                f"Status for task {data['task_id']} on {data['platform']} is already "
                f"{result.post.status}; nothing changed"
            )
        return Response({"status": "ok", "message": message})
