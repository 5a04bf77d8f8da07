"""Pinterest's connection test: the token's account, then the credential's board."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.utils.translation import gettext as _

from social_media.http import ApiError
from social_media.platforms import checks
from social_media.platforms.base import ConnectionVerdict
from social_media.platforms.checks import CHECK_TIMEOUT
from social_media.platforms.pinterest.client import PinterestClient, board_of

if TYPE_CHECKING:
    from webhooks.models import SocialMediaCredentials


def test_pinterest(
    credential: SocialMediaCredentials,
) -> tuple[ConnectionVerdict, str | None]:
    client = PinterestClient(token=credential.access_token)
    client.timeout = CHECK_TIMEOUT
    try:
        account = client.get_user_account()
    except ApiError as error:
        return checks.failed("Pinterest", error)
    username = str(account.get("username") or "?") if isinstance(account, dict) else "?"
    board_id = board_of(credential)
    if not board_id:
        return ConnectionVerdict(
            False,
            _("Connected as %(user)s, but no board_id is set in the extra data.")
            % {"user": username},
        ), None
    try:
        board = client.get_board(board_id=board_id)
    except ApiError as error:
        if error.http_status == 404:
            message = _("Connected as %(user)s, but board %(board)s was not found (%(error)s).")
            return ConnectionVerdict(
                False, message % {"user": username, "board": board_id, "error": error.message}
            ), None
        return checks.failed("Pinterest", error)
    name = str(board.get("name") or board_id) if isinstance(board, dict) else board_id
    return ConnectionVerdict(
        True, _("Connected as %(user)s, board “%(board)s”.") % {"user": username, "board": name}
    ), None
