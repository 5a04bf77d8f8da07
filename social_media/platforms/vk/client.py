"""VK API: the wire (methods, the wall-photo upload, error codes) and where a post lives.

Every method is ``POST {VK_API_BASE_URL}/<method>`` with a form body and ``v``; the token
travels in ``Authorization: Bearer`` (https://dev.vk.com/en/api/api-requests). Errors come
with HTTP 200 as ``{"error": {"error_code", "error_msg"}}`` (schema ``errors.json`` of
VKCOM/vk-api-schema 5.199; outcomes: docs/platform-api-facts-native.md §5.4).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from social_media.http import ApiClient, ApiError
from social_media.platforms.base import Outcome, platform_setting
from social_media.platforms.vk.pacing import PACER, token_key

if TYPE_CHECKING:
    import requests

    from webhooks.models import SocialMediaCredentials

NO_GROUP = (
    'VK: the credential has no group_id in its extra data ({"group_id": "…"}); '
    "set it in the admin, then retry."
)
RECONNECT = "Enter a new user token of a community admin in the admin."
# Codes of errors.json and what they mean for a post (facts §5.4).
AUTH_CODES = {5, 17, 18}
TRANSIENT_CODES = {1, 10, 22, 118, 121}
DAILY_CAP = re.compile(r"posts? a day|per day|в сутки", re.IGNORECASE)
FLOOD_WAIT = 600.0  # error 9: identical actions too often; wait long, do not insist
DAILY_WAIT = 3600.0  # error 214 (the 50-posts-a-day cap) and 29 (a method's daily quota)
EXPLAINED = {
    5: "the token is invalid, expired or revoked. " + RECONNECT,
    6: "too many requests per second; retrying in a moment.",
    9: "flood control (too many identical actions); retrying much later.",
    14: (
        "VK asks for a captcha, which unattended publishing cannot solve. Post once by hand "
        "in VK from this account (or wait a few hours), then retry."
    ),
    15: (
        "access denied: the token's user is not an admin or editor of the community, or the "
        "token lacks the wall and photos rights. " + RECONNECT
    ),
    27: (
        "this is a community (group) token; VK publishes to a community wall and uploads wall "
        "photos only with a user token of a community admin. " + RECONNECT
    ),
    28: "this is a service token, which cannot publish. " + RECONNECT,
    214: (
        "the token's user may not post on this community's wall (not an admin or editor, or "
        "the wall is closed)."
    ),
}


def group_of(credential: SocialMediaCredentials) -> str:
    extra = credential.extra_data if isinstance(credential.extra_data, dict) else {}
    return str(extra.get("group_id") or "").strip()


def post_url(group_id: str, post_id: str | int) -> str:
    """``https://vk.com/wall-<group_id>_<post_id>`` (``VK_POST_URL``)."""
    pattern = str(platform_setting("VK_POST_URL"))
    return pattern.replace("{group_id}", str(group_id)).replace("{post_id}", str(post_id))


@dataclass
class VkApiError(ApiError):
    """A VK answer that did not succeed: ``code`` is VK's error code (None: HTTP level)."""

    code: int | None = None
    spam: bool = False


def classify(code: object, text: str, method: str) -> tuple[Outcome, float | None, bool]:
    """(outcome, retry_after, spam) of VK error ``code`` answered to ``method``."""
    if code in AUTH_CODES:
        return Outcome.AUTH, None, False
    if code == 6:
        return Outcome.RATE_LIMITED, 1.0, False
    if code == 9:
        return Outcome.RATE_LIMITED, FLOOD_WAIT, True
    if code == 29:
        return Outcome.RATE_LIMITED, DAILY_WAIT, False
    if code == 214 and DAILY_CAP.search(text):
        return Outcome.RATE_LIMITED, DAILY_WAIT, False
    if code == 10 and method == "wall.post":
        return Outcome.UNKNOWN, None, False  # a server error after the post may have landed
    if code in TRANSIENT_CODES:
        return Outcome.TRANSIENT, None, False
    return Outcome.PERMANENT, None, False


class VkClient(ApiClient):
    """VK API (https://dev.vk.com/en/method) for one token."""

    def __init__(self, *, token: str, base_url: str | None = None) -> None:
        super().__init__(
            base_url=base_url or platform_setting("VK_API_BASE_URL"),
            secrets=[token],
            platform_name="VK",
        )
        self.version = str(platform_setting("VK_API_VERSION"))
        self.pace_key = token_key(token)
        # The token travels in a header, never in a URL or a body that could be logged.
        self.session.headers["Authorization"] = f"Bearer {token}"

    # --- the wire ---------------------------------------------------------------------
    def call(self, method: str, *, read: bool = False, **params: Any) -> Any:
        """One API method: its ``response``, or ``VkApiError``. GET and POST are the same
        to VK; short reads (``read``) go as GET, everything else as a POST form."""
        per_second = int(platform_setting("VK_REQUESTS_PER_SECOND"))
        if PACER.take(self.pace_key, per_second) is None:
            wait = PACER.next_free(self.pace_key, per_second)
            raise VkApiError(
                Outcome.RATE_LIMITED,
                f"VK: this token's {per_second} calls a second are taken by other posts; "
                "retrying in a moment (nothing was sent).",
                retry_after=max(wait, 1.0),
            )
        form = {key: _form_value(value) for key, value in params.items() if value is not None}
        form["v"] = self.version
        if read:
            body = self.request("GET", method, params=form)
        else:
            body = self.request("POST", method, data=form)
        if not isinstance(body, dict):
            raise self._no_response(method)
        if "error" in body:
            raise self.api_error(body["error"], method)
        if "response" not in body:
            raise self._no_response(method)
        return body["response"]

    def _no_response(self, method: str) -> VkApiError:
        posting = method == "wall.post"
        return VkApiError(
            Outcome.UNKNOWN if posting else Outcome.TRANSIENT,
            f"VK: {method} answered without a response"
            + ("; the post may exist." if posting else "."),
            http_status=self.last_status,
            excerpt=self.last_excerpt,
        )

    def api_error(self, error: object, method: str) -> VkApiError:
        code = error.get("error_code") if isinstance(error, dict) else None
        text = str(error.get("error_msg") or "") if isinstance(error, dict) else ""
        outcome, retry_after, spam = classify(code, text, method)
        message = f"VK: {method} error {code}: {text or 'unknown error'}"
        explained = EXPLAINED.get(code) if isinstance(code, int) else None
        if outcome == Outcome.RATE_LIMITED and code == 214:
            explained = "the community's daily post limit is reached; retrying later."
        if explained:
            message = f"{message} — {explained}"
        return VkApiError(
            outcome,
            self.redact(message),
            http_status=self.last_status,
            retry_after=retry_after,
            excerpt=self.last_excerpt,
            code=code if isinstance(code, int) else None,
            spam=spam,
        )

    def error_from_response(self, response: requests.Response, body: Any) -> ApiError:
        error = body.get("error") if isinstance(body, dict) else None
        if isinstance(error, dict):
            found = self.api_error(error, "request")
            if response.status_code >= 500 and found.outcome == Outcome.PERMANENT:
                found.outcome = Outcome.TRANSIENT
            return found
        generic = self.generic_error(response, f"HTTP {response.status_code}")
        return VkApiError(
            generic.outcome,
            generic.message,
            http_status=generic.http_status,
            retry_after=generic.retry_after,
            excerpt=generic.excerpt,
        )

    # --- methods ----------------------------------------------------------------------
    # https://dev.vk.com/en/method/groups.getById
    def get_group(self, *, group_id: str) -> dict[str, Any]:
        answer = self.call("groups.getById", read=True, group_ids=group_id)
        groups = answer.get("groups") if isinstance(answer, dict) else answer
        first = groups[0] if isinstance(groups, list) and groups else None
        return first if isinstance(first, dict) else {}

    # https://dev.vk.com/en/method/photos.getWallUploadServer (user token)
    def wall_upload_server(self, *, group_id: str) -> str:
        answer = self.call("photos.getWallUploadServer", group_id=group_id)
        url = answer.get("upload_url") if isinstance(answer, dict) else None
        if not isinstance(url, str) or urlsplit(url).scheme not in ("https", "http"):
            raise VkApiError(Outcome.TRANSIENT, "VK: the upload server answer has no upload_url.")
        return url

    # https://dev.vk.com/en/api/upload/wall-photo: multipart field "photo"
    def upload_photo(
        self, *, upload_url: str, filename: str, data: bytes, content_type: str
    ) -> dict[str, Any]:
        """``{"server", "photo", "hash"}`` from the upload server (not an API method)."""
        self._check_upload_url(upload_url)
        self.secrets = [*self.secrets, upload_url, urlsplit(upload_url).path]
        body = self.request(
            "POST",
            upload_url,
            files={"photo": (filename, data, content_type)},
            headers={"Authorization": None},  # the upload URL is signed; no token there
        )
        photo = body.get("photo") if isinstance(body, dict) else None
        if not isinstance(photo, str) or photo in ("", "[]") or "hash" not in body:
            reason = body.get("error") if isinstance(body, dict) else None
            raise VkApiError(
                Outcome.TRANSIENT,
                f"VK: the photo upload was refused ({reason or 'empty photo list'}); "
                "it is uploaded again on the next attempt.",
                http_status=self.last_status,
                excerpt=self.last_excerpt,
            )
        return body

    def _check_upload_url(self, upload_url: str) -> None:
        """VK hands out https upload URLs; plain http only next to an http API (emulator)."""
        scheme = urlsplit(upload_url).scheme
        if scheme == "https" or (scheme == "http" and self.base_url.startswith("http://")):
            return
        raise VkApiError(Outcome.PERMANENT, "VK: the upload URL VK answered is not https.")

    # https://dev.vk.com/en/method/photos.saveWallPhoto (user token)
    def save_wall_photo(self, *, group_id: str, uploaded: dict[str, Any]) -> str:
        """The saved photo as an attachment, ``photo<owner_id>_<id>``."""
        answer = self.call(
            "photos.saveWallPhoto",
            group_id=group_id,
            photo=uploaded["photo"],
            server=uploaded.get("server"),
            hash=uploaded["hash"],
        )
        photo = answer[0] if isinstance(answer, list) and answer else None
        owner, photo_id = (
            (photo.get("owner_id"), photo.get("id")) if isinstance(photo, dict) else (None, None)
        )
        if not isinstance(owner, int) or not isinstance(photo_id, int):
            raise VkApiError(Outcome.TRANSIENT, "VK: photos.saveWallPhoto answered no photo id.")
        return f"photo{owner}_{photo_id}"

    # https://dev.vk.com/en/method/polls.create (user token)
    def create_poll(self, *, group_id: str, question: str, answers: list[str]) -> str:
        """The poll as an attachment, ``poll<owner_id>_<id>``."""
        answer = self.call(
            "polls.create",
            owner_id=f"-{group_id}",
            question=question,
            add_answers=json.dumps(answers, ensure_ascii=False),
        )
        poll_id = answer.get("id") if isinstance(answer, dict) else None
        owner = answer.get("owner_id") if isinstance(answer, dict) else None
        if not isinstance(poll_id, int):
            raise VkApiError(Outcome.TRANSIENT, "VK: polls.create answered no poll id.")
        return f"poll{owner if isinstance(owner, int) else -int(group_id)}_{poll_id}"

    # https://dev.vk.com/en/method/wall.post (user token)
    def wall_post(self, *, group_id: str, message: str, attachments: list[str], guid: str) -> str:
        answer = self.call(
            "wall.post",
            owner_id=f"-{group_id}",
            from_group=1,
            message=message,
            attachments=",".join(attachments) or None,
            guid=guid,
        )
        post_id = answer.get("post_id") if isinstance(answer, dict) else None
        if not isinstance(post_id, int) or isinstance(post_id, bool):
            raise VkApiError(
                Outcome.UNKNOWN,
                "VK: wall.post answered no post_id; the post may exist.",
                http_status=self.last_status,
                excerpt=self.last_excerpt,
            )
        return str(post_id)

    # https://dev.vk.com/en/method/wall.get: newest first (a pinned post may come first)
    def wall_page(self, *, group_id: str, count: int = 100, offset: int = 0) -> list[dict]:
        answer = self.call(
            "wall.get", read=True, owner_id=f"-{group_id}", count=count, offset=offset
        )
        items = answer.get("items") if isinstance(answer, dict) else None
        return [item for item in items or [] if isinstance(item, dict)]

    # https://dev.vk.com/en/method/wall.getById: {"items": [...]} in 5.199
    def posts_by_id(self, *, ids: list[str]) -> list[dict]:
        answer = self.call("wall.getById", posts=",".join(ids))
        items = answer.get("items") if isinstance(answer, dict) else answer
        return [item for item in items or [] if isinstance(item, dict)]


def _form_value(value: Any) -> str:
    if isinstance(value, bool):
        return "1" if value else "0"
    return str(value)
