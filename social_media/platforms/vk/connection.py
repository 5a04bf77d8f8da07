"""VK's connection test: the community, then whether the token may post on its wall.

``groups.getById`` names the community (and, for a user token, whether its user is an
admin); ``photos.getWallUploadServer`` takes only a user token with the photos right on
that community, the first step of every publish, and publishes nothing.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.utils.translation import gettext as _

from social_media.http import ApiError
from social_media.platforms import checks
from social_media.platforms.base import ConnectionVerdict
from social_media.platforms.checks import CHECK_TIMEOUT
from social_media.platforms.vk.client import VkApiError, VkClient, group_of

if TYPE_CHECKING:
    from webhooks.models import SocialMediaCredentials


def test_vk(credential: SocialMediaCredentials) -> tuple[ConnectionVerdict, str | None]:
    group_id = group_of(credential)
    if not group_id:
        return ConnectionVerdict(False, _("No group_id is set in the extra data.")), None
    client = VkClient(token=credential.access_token)
    client.timeout = CHECK_TIMEOUT
    try:
        group = client.get_group(group_id=group_id)
    except ApiError as error:
        return checks.failed("VK", error)
    name = str(group.get("name") or group_id)
    if group.get("is_admin") == 0:
        return ConnectionVerdict(
            False,
            _("The token's user is not an admin of the community “%(group)s”.") % {"group": name},
        ), None
    try:
        client.wall_upload_server(group_id=group_id)
    except VkApiError as error:
        if error.code in (15, 27, 28):
            return ConnectionVerdict(
                False,
                _("Community “%(group)s” found, but the token cannot post there: %(error)s")
                % {"group": name, "error": error.message},
            ), None
        return checks.failed("VK", error)
    except ApiError as error:
        return checks.failed("VK", error)
    return ConnectionVerdict(
        True,
        _(
            "Connected to the community “%(group)s”: the token may upload photos and post "
            "on its wall."
        )
        % {"group": name},
    ), None
