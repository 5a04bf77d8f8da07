"""Which account or webhook carries each platform for a task."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Union

from social_media.platforms.registry import PLATFORMS
from social_media.platforms.spec import Route
from webhooks.models import SocialMediaCredentials, Webhook, WebhookType

if TYPE_CHECKING:
    from tasks.models import Task

Target = Union["SocialMediaCredentials", "Webhook"]

_preloaded: ContextVar[Targets | None] = ContextVar("preloaded_targets", default=None)


@dataclass
class Targets:
    """Active credentials and social-media webhooks, loaded once (two queries)."""

    credentials: list[SocialMediaCredentials] = field(default_factory=list)
    webhooks: list[Webhook] = field(default_factory=list)

    @classmethod
    def load(cls, *, kind: str | None = None) -> Targets:
        """The active targets; inside ``targets_preloaded`` the ones already loaded.

        ``kind`` ("api" or "webhook") loads only that half: one query instead of two.
        """
        preloaded = _preloaded.get()
        if preloaded is not None:
            return preloaded
        credentials, webhooks = [], []
        if kind != "webhook":
            credentials = list(SocialMediaCredentials.objects.filter(is_active=True).order_by("id"))
        if kind != "api":
            webhooks = list(
                Webhook.objects.filter(
                    is_active=True, webhook_type=WebhookType.SOCIAL_MEDIA
                ).order_by("id")
            )
        return cls(credentials=credentials, webhooks=webhooks)

    def for_task(self, task: Task) -> dict[str, Target]:
        """Platform key → the target that publishes this task there (the oldest match)."""
        found: dict[str, Target] = {}
        for credential in self.credentials:
            platform = PLATFORMS.get(credential.platform)
            if platform and platform.supports(Route.API) and credential.serves(task.language):
                found.setdefault(credential.platform, credential)
        for webhook in self.webhooks:
            if not webhook.serves(task.language) or not isinstance(webhook.target_platforms, list):
                continue
            for key in webhook.target_platforms:
                platform = PLATFORMS.get(key) if isinstance(key, str) else None
                if platform and platform.supports(Route.WEBHOOK):
                    found.setdefault(key, webhook)
        return found


def route_of(target: Target) -> Route:
    """The route a target serves: a webhook's scenario, or a credential's API."""
    return Route.WEBHOOK if isinstance(target, Webhook) else Route.API


def preloaded_targets() -> Targets | None:
    """The targets a caller loaded for this request (``targets_preloaded``), if any."""
    return _preloaded.get()


@contextmanager
def targets_preloaded(targets: Targets) -> Iterator[Targets]:
    """Let everything inside one request (a save and its signal) share one load."""
    token = _preloaded.set(targets)
    try:
        yield targets
    finally:
        _preloaded.reset(token)
