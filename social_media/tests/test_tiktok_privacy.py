"""The privacy level a TikTok post gets from the creator's options and the credential."""

from __future__ import annotations

import pytest

from social_media.platforms.tiktok.privacy import (
    PUBLIC,
    SELF_ONLY,
    UNAUDITED_NOTICE,
    AccountSettings,
    choose_level,
)

PUBLIC_ACCOUNT = [PUBLIC, "MUTUAL_FOLLOW_FRIENDS", SELF_ONLY]
PRIVATE_ACCOUNT = ["FOLLOWER_OF_CREATOR", "MUTUAL_FOLLOW_FRIENDS", SELF_ONLY]


def test_the_wish_is_used_when_offered():
    assert choose_level(PUBLIC, PUBLIC_ACCOUNT, audited=True) == (PUBLIC, "")
    assert choose_level(SELF_ONLY, PRIVATE_ACCOUNT, audited=True) == (SELF_ONLY, "")


def test_a_wish_not_offered_takes_the_most_public_level_below_it_and_says_so():
    level, why = choose_level(PUBLIC, PRIVATE_ACCOUNT, audited=True)
    assert level == "FOLLOWER_OF_CREATOR"
    assert "does not offer PUBLIC_TO_EVERYONE" in why
    assert "posted as FOLLOWER_OF_CREATOR" in why


def test_a_private_wish_not_offered_takes_the_least_public_level():
    level, why = choose_level(SELF_ONLY, [PUBLIC, "MUTUAL_FOLLOW_FRIENDS"], audited=True)
    assert level == "MUTUAL_FOLLOW_FRIENDS"
    assert why


def test_an_unaudited_app_posts_self_only_and_says_why():
    assert choose_level(PUBLIC, PRIVATE_ACCOUNT, audited=False) == (SELF_ONLY, UNAUDITED_NOTICE)
    assert choose_level(SELF_ONLY, PRIVATE_ACCOUNT, audited=False) == (SELF_ONLY, "")
    assert choose_level(PUBLIC, [PUBLIC], audited=False) == (None, "")


def test_no_usable_level():
    assert choose_level(PUBLIC, [], audited=True) == (None, "")
    assert choose_level(PUBLIC, ["SOMETHING_NEW"], audited=True) == (None, "")


@pytest.mark.parametrize(
    ("extra", "expected"),
    [
        ({"open_id": " -000x "}, AccountSettings("-000x")),
        (
            {
                "open_id": "o",
                "privacy_level": SELF_ONLY,
                "pull_from_url": True,
                "app_audited": False,
            },
            AccountSettings("o", SELF_ONLY, True, False),
        ),
        ({"open_id": "o", "privacy_level": "public", "pull_from_url": "yes"}, AccountSettings("o")),
        (None, AccountSettings("")),
    ],
)
def test_account_settings_read_only_well_formed_values(extra, expected):
    assert AccountSettings.of(extra) == expected
