"""The central check of reported numbers: every bad answer is refused, none raises."""

from __future__ import annotations

import math

import pytest

from social_media.metrics_values import MAX_COUNT, check_values, good_numbers, raw_for_storage


def test_good_numbers_pass_in_the_common_names():
    checked = check_values({"views": 120, "saves": 3, "correct_share": 0.25, "clicks": 4.0})
    assert checked.values == {"views": 120, "saves": 3, "correct_share": 0.25, "clicks": 4}
    assert checked.problems == []


def test_a_string_of_digits_is_a_count_other_strings_are_refused():
    checked = check_values({"views": "1200", "comments": "lots", "shares": "12.5"})
    assert checked.values == {"views": 1200}
    assert checked.problems == [
        "comments 'lots' is not a whole number",
        "shares '12.5' is not a whole number",
    ]


@pytest.mark.parametrize(
    ("value", "reason"),
    [
        (None, "views is null"),
        (-1, "views -1 is out of range"),
        (MAX_COUNT + 1, f"views {MAX_COUNT + 1} is out of range"),
        (True, "views True is not a whole number"),
        (1.5, "views 1.5 is not a whole number"),
        (math.nan, "views nan is not a whole number"),
        ([1], "views [1] is not a whole number"),
        ({"count": 1}, "views {'count': 1} is not a whole number"),
    ],
)
def test_a_bad_count_is_refused_with_its_reason(value, reason):
    checked = check_values({"views": value, "saves": 2})
    assert checked.values == {"saves": 2}
    assert checked.problems == [reason]


def test_counts_going_backwards_are_refused_but_a_share_may_fall():
    checked = check_values(
        {"views": 90, "saves": 5, "correct_share": 0.4},
        previous={"views": 100, "saves": 5, "correct_share": 0.9},
    )
    assert checked.values == {"saves": 5, "correct_share": 0.4}
    assert checked.problems == ["views went back from 100 to 90"]


@pytest.mark.parametrize("share", [1.2, -0.1, "half", math.inf])
def test_a_share_outside_zero_to_one_is_refused(share):
    checked = check_values({"correct_share": share})
    assert checked.values == {}
    assert "is not a share from 0 to 1" in checked.problems[0]


def test_unknown_names_and_non_objects_are_refused():
    assert check_values({"likes": 3}).problems == ["'likes' is not a known metric"]
    not_an_object = check_values(["views", 3])
    assert not_an_object.values == {} and "not an object (list)" in not_an_object.problems[0]


def test_good_numbers_drops_junk_from_a_stored_mapping():
    assert good_numbers({"views": 3, "shares": "x", "nonsense": 1}) == {"views": 3}
    assert good_numbers("not a mapping") == {}


def test_raw_is_stored_as_json_the_database_takes():
    stored = raw_for_storage({"IMPRESSION": math.nan, "when": object, "nested": [1, (2, 3)]})
    assert stored["IMPRESSION"] == "nan"
    assert stored["nested"] == [1, [2, 3]]
    assert isinstance(stored["when"], str)
    assert raw_for_storage([1, 2]) == {"value": [1, 2]}
    assert raw_for_storage({"x": "y" * 30_000})["truncated"] is True
