"""Which privacy level a TikTok post gets, and the credential settings that shape it.

The level must be one of the creator's ``privacy_level_options`` (creator info, asked
before every post). An unaudited app may only post ``SELF_ONLY`` to a private account
(content-sharing guidelines, Direct Post API).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

PUBLIC = "PUBLIC_TO_EVERYONE"
SELF_ONLY = "SELF_ONLY"
# From the most to the least public.
LEVELS = (PUBLIC, "FOLLOWER_OF_CREATOR", "MUTUAL_FOLLOW_FRIENDS", SELF_ONLY)

UNAUDITED_NOTICE = (
    "The TikTok app is not audited: TikTok lets it post only privately (SELF_ONLY, on a "
    "private account). Posts stay private until the app passes TikTok's audit; then set "
    '"app_audited": true (or remove it) in the extra data.'
)


@dataclass(frozen=True)
class AccountSettings:
    """The credential's extra data: ``open_id`` and the optional TikTok settings."""

    open_id: str
    privacy_level: str = PUBLIC  # the wish; the creator's options decide
    pull_from_url: bool = False  # the media domain is verified for PULL_FROM_URL
    app_audited: bool = True  # False: post SELF_ONLY from the start

    @classmethod
    def of(cls, extra_data: Any) -> AccountSettings:
        extra = extra_data if isinstance(extra_data, dict) else {}
        wish = extra.get("privacy_level")
        return cls(
            open_id=str(extra.get("open_id") or "").strip(),
            privacy_level=wish if wish in LEVELS else PUBLIC,
            pull_from_url=extra.get("pull_from_url") is True,
            app_audited=extra.get("app_audited") is not False,
        )


def choose_level(wish: str, options: list[str], *, audited: bool) -> tuple[str | None, str]:
    """``(level, why)``: the level to post with and, when it is not the wish, why.

    ``None`` when no level works (an unaudited app and no ``SELF_ONLY`` option).
    When the wish is not offered, the most public offered level not more public than
    the wish is used, else the least public one offered.
    """
    offered = [level for level in LEVELS if level in options]
    if not audited:
        if SELF_ONLY in options:
            return SELF_ONLY, UNAUDITED_NOTICE if wish != SELF_ONLY else ""
        return None, ""
    if wish in options:
        return wish, ""
    if not offered:
        return None, ""
    start = LEVELS.index(wish) if wish in LEVELS else 0
    quieter = [level for level in offered if LEVELS.index(level) >= start]
    level = quieter[0] if quieter else offered[-1]
    why = (
        f"TikTok does not offer {wish} for this account (it offers {', '.join(options)}); "
        f"posted as {level}."
    )
    return level, why
