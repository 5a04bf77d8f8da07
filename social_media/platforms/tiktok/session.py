"""What every TikTok publish step shares: the token-refreshing client, results, waits."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from social_media.http import ApiError
from social_media.platforms.base import Outcome, PublishResult
from social_media.platforms.tiktok import oauth
from social_media.platforms.tiktok.client import TikTokClient, TikTokError
from webhooks.models import SocialMediaCredentials

T = TypeVar("T")

FILE_UPLOAD = "FILE_UPLOAD"
PULL_FROM_URL = "PULL_FROM_URL"
STEP_UPLOAD = "TikTok is receiving the video"
STEP_PROCESSING = "TikTok is processing the video"
STEP_MODERATION = "TikTok is reviewing the video before it is public"
# Status polls: 2, 4, 8 … seconds, at most a minute apart.
FIRST_POLL, MAX_POLL = 2.0, 60.0
# TikTok's post_info.title: at most 2,200 UTF-16 code units.
TITLE_LIMIT = 2200


def poll_wait(polls: int) -> float:
    """Seconds before status poll number ``polls + 1``: 2, 4, 8 … capped at a minute."""
    return min(FIRST_POLL * 2 ** max(polls, 0), MAX_POLL)


def fit_title(text: str, limit: int = TITLE_LIMIT) -> str:
    """``text`` cut to ``limit`` UTF-16 code units (emoji count twice), never mid-character."""
    units = 0
    for index, char in enumerate(text):
        units += 2 if ord(char) > 0xFFFF else 1
        if units > limit:
            return text[:index].rstrip()
    return text


class Api:
    """The credential's client, refreshing the token ahead of expiry and once after a
    rejection (``access_token_invalid``), then repeating the call that was refused."""

    def __init__(self, credential: SocialMediaCredentials) -> None:
        self.credential = credential
        self.refreshed = False
        self.client = TikTokClient(token=credential.access_token)

    def refresh_if_due(self) -> PublishResult | None:
        """Refresh a token about to expire; a refusal is AUTH (the rest: try the old one)."""
        if not (oauth.expires_soon(self.credential) and oauth.refresh_possible(self.credential)):
            return None
        result = oauth.credential_refresh_token(credential=self.credential)
        self.refreshed = True
        self.client = TikTokClient(token=self.credential.access_token)
        if not result.ok and result.rejected:
            return PublishResult(Outcome.AUTH, error_message=f"TikTok: {result.message}")
        return None

    def run(self, call: Callable[[TikTokClient], T]) -> T:
        try:
            return call(self.client)
        except TikTokError as error:
            if error.code != "access_token_invalid" or self.refreshed:
                raise
            if not oauth.refresh_possible(self.credential):
                raise
            self.refreshed = True
            stale = self.credential.access_token
            result = oauth.credential_refresh_token(credential=self.credential, stale_token=stale)
            if not result.ok:
                outcome = Outcome.AUTH if result.rejected else Outcome.TRANSIENT
                raise TikTokError(
                    outcome,
                    f"{error.message} The token refresh failed: {result.message}",
                    http_status=error.http_status,
                    excerpt=error.excerpt,
                    code=error.code,
                ) from None
            self.client = TikTokClient(token=self.credential.access_token)
            return call(self.client)


def credential_notice_set(credential: SocialMediaCredentials, notice: str) -> None:
    """What TikTok said about the account, shown on the credential ("" clears it).

    The same as ``social_media.targets.credential_notice_set``, which a platform module
    cannot import (``targets`` imports the registry, which imports the platforms).
    """
    if credential.notice != notice:
        SocialMediaCredentials.objects.filter(pk=credential.pk).update(notice=notice)
        credential.notice = notice


def failure(error: ApiError, state: dict[str, Any] | None = None) -> PublishResult:
    return PublishResult(
        error.outcome,
        http_status=error.http_status,
        error_message=error.message,
        retry_after=error.retry_after,
        response_excerpt=error.excerpt,
        state=state,
        spam=is_spam(error),
    )


def notices_of(state: dict[str, Any]) -> str:
    notes = state.get("notices")
    return " ".join(n for n in notes if isinstance(n, str)) if isinstance(notes, list) else ""


def waiting(state: dict[str, Any], step: str, wait: float) -> PublishResult:
    return PublishResult(
        Outcome.WAITING, state=state, step=step, retry_after=wait, notice=notices_of(state)
    )


def is_spam(error: ApiError) -> bool:
    return isinstance(error, TikTokError) and error.spam
