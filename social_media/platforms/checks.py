"""Helpers every platform's connection test shares; verdicts are translated for the admin."""

from __future__ import annotations

from django.utils.translation import gettext as _

from social_media.http import ApiError
from social_media.platforms.base import ConnectionVerdict, Outcome

# Admin checks run inside a web request: a silent platform must not hold it for the
# publishing timeout (SOCIAL_MEDIA_HTTP_TIMEOUT) per call.
CHECK_TIMEOUT = 5.0


def unreachable(platform: str, error: ApiError) -> ConnectionVerdict | None:
    """The verdict for a call that got no answer (``None`` when it did)."""
    if error.http_status is None:
        return ConnectionVerdict(
            False,
            _("Could not reach %(platform)s (%(error)s). Nothing was changed; try again later.")
            % {"platform": platform, "error": error.message},
        )
    return None


def rejected(error: ApiError) -> ConnectionVerdict:
    return ConnectionVerdict(
        False,
        _("Token rejected (%(error)s). Enter a new token to reconnect the account.")
        % {"error": error.message},
    )


def failed(platform: str, error: ApiError) -> tuple[ConnectionVerdict, str | None]:
    """The verdict of a call that failed, and the reason to flag the credential when the
    token was rejected: no answer, a rejected token (AUTH), or what the platform said."""
    if verdict := unreachable(platform, error):
        return verdict, None
    if error.outcome == Outcome.AUTH:
        return rejected(error), error.message
    return ConnectionVerdict(False, error.message), None
