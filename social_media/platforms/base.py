"""The contract every platform implements, and the result it returns.

A platform is one package, ``social_media/platforms/<key>/`` (see ``__init__.py``);
its ``platform.py`` exports ``PLATFORM``, an instance of a ``BasePlatform`` subclass.
Every hook below has a default, so a platform overrides only what it has.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from functools import cache
from importlib import import_module
from typing import TYPE_CHECKING, Any, ClassVar

from django.conf import settings as django_settings
from django.utils.functional import Promise

from social_media.platforms.spec import (
    DEFAULT_LIMITS,
    Route,
    SecretPattern,
    Setting,
    TextLimits,
    platform_settings,
)

if TYPE_CHECKING:
    from django.urls import URLPattern

    from quiz_media.specs import MediaSpec
    from social_media.media import PostMedia
    from social_media.oauth.provider import OAuthProvider
    from tasks.models import SocialMediaPost, Task
    from webhooks.models import SocialMediaCredentials


class Outcome(StrEnum):
    """What one attempt to publish tells us about the post."""

    SUCCESS = "success"  # live on the platform
    ACCEPTED = "accepted"  # a webhook scenario took it; its callback will tell the end
    TRANSIENT = "transient"  # try again later (timeout before sending, 5xx, throttling)
    RATE_LIMITED = "rate_limited"  # try again, but not before retry_after
    PERMANENT = "permanent"  # the request itself is wrong; retrying cannot help
    AUTH = "auth"  # the token is expired or revoked; the credential needs reconnecting
    UNKNOWN = "unknown"  # the request may have reached the platform: reconcile first
    # The platform is still working (a container processing, an upload session, a
    # publish to poll): call ``publish`` again after ``retry_after``. Not a retry.
    WAITING = "waiting"


def platform_setting(name: str) -> Any:
    """A platform's setting, read now from ``django.conf.settings`` (never at import).

    settings.py fills each declared setting from the environment; without it (settings
    of another project, a test that deleted it) the declared default applies.
    """
    declared = _declared_settings()
    if name not in declared:
        raise LookupError(f"{name} is not declared in any platform's conf.SETTINGS.")
    return getattr(django_settings, name, declared[name].default)


@cache
def _declared_settings() -> dict[str, Any]:
    # The declarations are constants of the platforms' conf modules: read them once.
    return {setting.name: setting for setting in platform_settings()}


RETRYABLE = {Outcome.TRANSIENT, Outcome.RATE_LIMITED, Outcome.UNKNOWN}


def is_ascii_digits(value: str) -> bool:
    """``0``-``9`` only: ``str.isdigit`` also takes "١٢٣", "²" and "１２３"."""
    return value.isascii() and value.isdigit()


@dataclass(frozen=True)
class PublishResult:
    """What one call of ``publish`` or ``reconcile`` found.

    Multi-step platforms keep where they are in ``state`` (stored on the post as
    ``platform_state`` and handed back on the next call): ``None`` leaves the stored
    state as it is, ``{}`` clears it. It must be JSON and hold no secrets. While the
    outcome is ``WAITING``, ``step`` says what we wait for (shown in the admin) and
    ``deadline_seconds`` how long the waiting may last in all, counted from the
    first ``WAITING`` (default ``SOCIAL_MEDIA_STEP_DEADLINE_SECONDS``).
    """

    outcome: Outcome
    post_id: str = ""
    post_url: str = ""
    http_status: int | None = None
    error_message: str = ""
    retry_after: float | None = None
    response_excerpt: str = ""
    state: dict[str, Any] | None = None
    step: str = ""
    deadline_seconds: float | None = None
    #: A remark an editor should see on the post, e.g. "uploaded as private".
    notice: str = ""
    #: The platform called this a spam or flood answer (pacing slows the target down).
    spam: bool = False


#: The common names metrics are mapped to (the raw numbers are kept as they came).
METRIC_NAMES = (
    "views",
    "engagements",
    "clicks",
    "saves",
    "shares",
    "comments",
    "answers",
    "correct_share",
)


@dataclass(frozen=True)
class MetricsReading:
    """One post's numbers: ``values`` by the common names (``METRIC_NAMES``), as the
    platform gave them (the collector checks them), and ``raw`` in the platform's own
    names."""

    values: dict[str, Any]
    raw: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class MetricsBatch:
    """The readings of one ``read_metrics`` call, by post pk; a post missing from
    ``readings`` could not be read. ``AUTH``: the token was refused (stop reading
    for this credential); ``RATE_LIMITED`` / ``TRANSIENT``: try later."""

    readings: dict[int, MetricsReading] = field(default_factory=dict)
    outcome: Outcome = Outcome.SUCCESS
    error_message: str = ""
    retry_after: float | None = None


@dataclass(frozen=True)
class TaskImageRule:
    """When a task's own image may be sent instead of the generated question card.

    The worker downloads the image (at most ``max_bytes``) and uses it only when
    Pillow reads it as one of ``formats``, it is at least ``min_width`` ×
    ``min_height`` pixels, and its width / height is within ``tolerance`` of one of
    ``aspect_ratios``; anything else (missing, broken, HTML, too big, the wrong
    shape) gets the card. See docs/media.md.
    """

    formats: tuple[str, ...]  # Pillow format names, e.g. ("JPEG", "PNG")
    aspect_ratios: tuple[float, ...]  # width / height
    max_bytes: int
    min_width: int = 600
    min_height: int = 300
    tolerance: float = 0.03  # relative difference from an aspect ratio
    max_pixels: int = 40_000_000  # refuse decompression bombs before decoding


@dataclass(frozen=True)
class ConnectionVerdict:
    ok: bool
    message: str


@dataclass(frozen=True)
class RefreshResult:
    ok: bool
    message: str
    rejected: bool = False  # the platform refused the refresh token: reconnect by hand


@dataclass(frozen=True)
class SuggestedPace:
    """The pace a platform suggests for one account (an editor applies it in one click).

    ``min_gap_seconds`` between two posts, at most ``daily_cap`` a day (0: no cap);
    see ``social_media.pacing`` and the README's *Pacing*.
    """

    min_gap_seconds: int
    daily_cap: int = 0


@dataclass(frozen=True)
class DemoCredential:
    """The account ``load_demo_data`` creates for the local run (pointing at the emulator)."""

    extra_data: dict[str, Any] = field(default_factory=dict)
    access_token: str = ""


class BasePlatform:
    """One social network. Subclasses set ``key``, ``label`` and ``routes`` and publish.

    ``media_requirements`` lists what the platform accepts (one ``MediaSpec`` per
    kind of media it is sent); the worker renders or reuses each before publishing
    and passes them to ``publish``. ``task_image_rule`` lets a task's own image
    stand in for the question card when it fits.
    """

    key: str
    label: str | Promise
    #: The routes a post can take; the first is the one used today.
    routes: ClassVar[tuple[Route, ...]]
    text_limits: TextLimits = DEFAULT_LIMITS
    #: What the platform accepts, one ``MediaSpec`` per kind of media (empty: nothing).
    media_requirements: tuple[MediaSpec, ...] = ()
    task_image_rule: TaskImageRule | None = None
    #: The platform's Django settings (from ``conf.py``; settings.py reads them from the env).
    settings: tuple[Setting, ...] = ()
    #: Secret shapes masked in logs and messages (from ``conf.py``; see quiz_backend.redaction).
    secret_patterns: tuple[SecretPattern, ...] = ()
    #: Demo data for ``load_demo_data``: a credential for an API platform.
    demo_credential: DemoCredential | None = None
    #: The pace suggested for one account (``None``: no suggestion; see social_media.pacing).
    suggested_pace: SuggestedPace | None = None
    #: What a credential's extra data holds, for the admin's help text (translated).
    extra_data_help: str | Promise = ""

    #: How many posts one ``read_metrics`` call may take.
    metrics_batch_size: int = 1

    @property
    def kind(self) -> str:
        """The platform's first route ("api" or "webhook")."""
        return str(self.routes[0])

    @property
    def only_route(self) -> str | None:
        """The route when the platform has just one, else ``None`` (a target decides)."""
        return str(self.routes[0]) if len(self.routes) == 1 else None

    def supports(self, route: Route | str) -> bool:
        return route in self.routes

    def validate_extra_data(self, extra_data: dict[str, Any]) -> None:
        """Raise ``ValidationError`` when a credential's extra data is unusable."""

    def task_problems(self, task: Task) -> list[str]:
        """Reasons this task cannot be published here, found without any network call."""
        return []

    def publish(self, post: SocialMediaPost, target: Any, media: PostMedia) -> PublishResult:
        """Send ``post`` through its API route with ``target`` (a credential) and the media
        the worker resolved from ``media_requirements``; never raise.

        A multi-step platform reads ``post.platform_state`` to know where it is and
        returns ``WAITING`` with the new ``state`` until the post is live. A webhook
        target never reaches this method: delivery sends those through
        ``social_media.platforms.webhook.deliver_to_webhook``.
        """
        raise NotImplementedError

    def reconcile(self, post: SocialMediaPost, target: Any) -> PublishResult | None:
        """After an attempt with an unknown end, look for the post on the platform.

        Return a SUCCESS result when it is there, ``None`` when it is not (so it is
        safe to send again), or a non-success result when the lookup itself failed.
        ``post.platform_state`` holds what earlier steps stored (a container or
        publish id), the surest way to find the post again.
        """
        return None

    def test_connection(
        self, credential: SocialMediaCredentials
    ) -> tuple[ConnectionVerdict, str | None] | None:
        """Ask the platform whether the credential works: the verdict, and the reason when
        the token was rejected (the credential is then flagged). ``None``: no test."""
        return None

    def oauth_provider(self) -> OAuthProvider | None:
        """The OAuth provider behind the admin's Connect button: ``PROVIDER`` of the
        package's ``connect.py``, or ``None`` (no such module: tokens are pasted)."""
        name = f"{type(self).__module__.rpartition('.')[0]}.connect"
        try:
            module = import_module(name)
        except ModuleNotFoundError as error:
            if error.name != name:
                raise
            return None
        provider: OAuthProvider | None = getattr(module, "PROVIDER", None)
        return provider

    def refresh_possible(self, credential: SocialMediaCredentials) -> bool:
        """Whether a rejected or expiring token of ``credential`` can be refreshed
        (by default: through the OAuth provider, when it has a refresh grant)."""
        from social_media.oauth import refresh

        return refresh.refresh_possible(self.oauth_provider(), credential)

    def refresh_token(
        self, credential: SocialMediaCredentials, stale_token: str | None = None
    ) -> RefreshResult:
        """Exchange the credential's refresh token for a new access token and store it."""
        from social_media.oauth import refresh

        provider = self.oauth_provider()
        if provider is None or not provider.refreshable:
            return RefreshResult(False, f"{self.label}: tokens are not refreshed.")
        return refresh.credential_refresh(provider, credential, stale_token)

    def refresh_expiring_tokens(self) -> dict[str, int] | None:
        """Periodic (hourly, ``social_media.refresh_tokens``): refresh tokens about to
        expire. ``None`` when the platform has nothing to refresh."""
        from social_media.oauth import refresh

        provider = self.oauth_provider()
        return refresh.refresh_expiring(self.key, provider) if provider is not None else None

    def read_metrics(
        self, posts: list[SocialMediaPost], target: SocialMediaCredentials
    ) -> MetricsBatch | None:
        """Read the numbers of published ``posts`` (at most ``metrics_batch_size``, all of
        one credential); never raise. ``None``: the platform has no metrics to read."""
        return None

    def quota_today(self, credential: SocialMediaCredentials) -> tuple[int, int] | None:
        """``(used, limit)`` of the platform's daily quota as this credential's account sees
        it today (shown on the credential); ``None``: no daily quota is tracked."""
        return None

    def expiry_warning_days(self) -> int | None:
        """A token expiring within this many days is shown as due (``None``: no rule)."""
        return None

    def periodic_job(self) -> dict[str, int] | None:
        """Periodic (every minute, ``social_media.platform_jobs``): the platform's own upkeep,
        e.g. fetching its updates; counts of what was done. ``None``: nothing to do."""
        return None

    def urls(self) -> list[URLPattern]:
        """Endpoints the platform calls (e.g. its updates), mounted under ``/api/webhooks/``."""
        return []
