"""Checking the numbers a platform (or a scenario's callback) reports, before they are kept.

The one place that decides what a good number is. A platform hands over what it got
(``MetricsReading.values`` by common name, ``raw`` as it came); here a value that is
missing, ``null``, negative, not a number, a string that is not a whole number, too big
for the database, or lower than the number already kept (counts only go up) is refused:
the snapshot leaves it empty, the post keeps its previous good number, the raw answer
is stored as it came, and the caller logs the reasons. Nothing here raises.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from social_media.platforms.base import METRIC_NAMES

SHARE_NAMES = ("correct_share",)  # a share in 0…1; may go up and down
COUNT_NAMES = tuple(name for name in METRIC_NAMES if name not in SHARE_NAMES)
INTERACTION_NAMES = tuple(name for name in COUNT_NAMES if name != "views")
MAX_COUNT = 2**63 - 1  # PostgreSQL bigint
RAW_MAX_CHARS = 20_000
_DIGITS = re.compile(r"[0-9]{1,19}")
_DECIMAL = re.compile(r"[0-9]{1,3}(\.[0-9]{1,12})?")


@dataclass
class Checked:
    """The accepted numbers by common name, and why the others were refused."""

    values: dict[str, int | float] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)


def _count(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        return int(value) if math.isfinite(value) and value.is_integer() else None
    if isinstance(value, str) and _DIGITS.fullmatch(value.strip()):
        return int(value.strip())  # YouTube sends its counts as strings of digits
    return None


def _share(value: Any) -> float | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        share = float(value)
    elif isinstance(value, str) and _DECIMAL.fullmatch(value.strip()):
        share = float(value.strip())
    else:
        return None
    return share if math.isfinite(share) and 0.0 <= share <= 1.0 else None


def _shown(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 40 else text[:39] + "…"


def check_values(values: Any, previous: Mapping[str, Any] | None = None) -> Checked:
    """The good numbers of ``values`` given the ``previous`` good ones (``post.metrics``)."""
    checked = Checked()
    if not isinstance(values, Mapping):
        checked.problems.append(f"the numbers are not an object ({type(values).__name__})")
        return checked
    previous = previous if isinstance(previous, Mapping) else {}
    for name, value in values.items():
        if name not in METRIC_NAMES:
            checked.problems.append(f"{_shown(name)} is not a known metric")
            continue
        if value is None:
            checked.problems.append(f"{name} is null")
            continue
        number: int | float | None
        if name in SHARE_NAMES:
            number = _share(value)
            if number is None:
                checked.problems.append(f"{name} {_shown(value)} is not a share from 0 to 1")
                continue
        else:
            number = _count(value)
            if number is None:
                checked.problems.append(f"{name} {_shown(value)} is not a whole number")
                continue
            if number < 0 or number > MAX_COUNT:
                checked.problems.append(f"{name} {_shown(value)} is out of range")
                continue
            before = previous.get(name)
            if isinstance(before, int) and not isinstance(before, bool) and number < before:
                checked.problems.append(f"{name} went back from {before} to {number}")
                continue
        checked.values[name] = number
    return checked


def good_numbers(metrics: Any) -> dict[str, int | float]:
    """The numbers of a stored ``post.metrics`` that still pass the check (no history)."""
    return check_values(metrics).values if isinstance(metrics, Mapping) else {}


def _plain(value: Any, depth: int = 0) -> Any:
    if depth > 20:
        return "…"
    if value is None or isinstance(value, bool | int | str):
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else str(value)
    if isinstance(value, Mapping):
        return {str(k): _plain(v, depth + 1) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v, depth + 1) for v in value]
    return str(value)


def raw_for_storage(raw: Any) -> dict[str, Any]:
    """``raw`` as JSON the database takes (NaN and odd types as text), size-capped."""
    plain = _plain(raw)
    stored = plain if isinstance(plain, dict) else {"value": plain}
    if len(json.dumps(stored)) > RAW_MAX_CHARS:
        return {"truncated": True, "keys": sorted(stored)[:50]}
    return stored
