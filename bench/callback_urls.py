"""The product's URLs plus ``/bench/bare-callback/``: the same update without auth.

The bare endpoint parses the same body with a DRF serializer, locks and updates the
same post row, and answers the same JSON, but has no signature check, no replay
receipt, no throttle and no state rules: the floor the real endpoint is compared to.
"""

from __future__ import annotations

from django.db import transaction
from django.urls import path
from django.utils import timezone
from rest_framework import serializers
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from quiz_backend.urls import urlpatterns as product_urlpatterns
from tasks.models import SocialMediaPost


class BareCallbackApi(APIView):
    authentication_classes = []
    permission_classes = [AllowAny]
    throttle_classes = []

    class InputSerializer(serializers.Serializer):
        task_id = serializers.IntegerField(min_value=1)
        platform = serializers.CharField(max_length=32)
        status = serializers.CharField(max_length=12)
        post_url = serializers.URLField(required=False, allow_blank=True)
        post_id = serializers.CharField(required=False, allow_blank=True)

    def post(self, request: Request) -> Response:
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        with transaction.atomic():
            post = (
                SocialMediaPost.objects.select_for_update()
                .filter(task_id=data["task_id"], platform=data["platform"])
                .first()
            )
            if post is None:
                return Response({"status": "error"}, status=404)
            post.status = data["status"]
            post.post_url = data.get("post_url", "")
            post.post_id = data.get("post_id", "")
            post.published_at = timezone.now()
            post.save(update_fields=["status", "post_url", "post_id", "published_at", "updated_at"])
        message = f"Status updated for task {data['task_id']} on {data['platform']}"
        return Response({"status": "ok", "message": message})


urlpatterns = [
    *product_urlpatterns,
    path("bench/bare-callback/", BareCallbackApi.as_view()),
]
