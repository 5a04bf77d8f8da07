"""Admin JSON fields: one place that says what each JSON value may look like.

Every ``models.JSONField`` the admin edits has a ``JSONShape`` here, and its form
field (``ShapedJSONField`` subclass, wired through ``Meta.field_classes``) and
its model validation both call ``JSONShape.validate``. Bad input gets one short
form error per problem: ``null``, a wrong type, wrong item types, too many or
too long items, duplicates, unknown codes. Offending items are listed uniquely,
at most ``SHOWN_ITEMS`` of them, each shortened, then "and N more", so a list of
5,000 bad entries still makes a one-line message.

Language codes: a routing list (webhooks, credentials) takes codes in the
format of ``Task.language`` (lowercase ``ll`` or ``ll-rr``) whose language Django
knows (``django.conf.locale.LANG_INFO``, which includes ``settings.LANGUAGES``),
so a task in any real language can be routed, and typos such as ``"RU!"`` or
``"xx"`` are refused.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from django import forms
from django.conf import settings
from django.conf.locale import LANG_INFO
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.utils.functional import Promise
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from quiz_backend.platform_catalog import webhook_platform_keys

SHOWN_ITEMS = 5
SHOWN_ITEM_CHARS = 30
LANGUAGE_CODE = re.compile(r"^[a-z]{2}(-[a-z]{2})?$")


def _display(item: object) -> str:
    text = item if isinstance(item, str) else json.dumps(item, ensure_ascii=False, default=str)
    text = " ".join(text.split()) or '""'
    return text if len(text) <= SHOWN_ITEM_CHARS else text[: SHOWN_ITEM_CHARS - 1] + "…"


def offenders(items: Iterable[object]) -> str:
    """Unique offenders, the first few of them shortened, then "and N more"."""
    unique = list(dict.fromkeys(_display(item) for item in items))
    text = ", ".join(unique[:SHOWN_ITEMS])
    rest = len(unique) - SHOWN_ITEMS
    if rest > 0:
        text += " " + gettext("and %(count)d more") % {"count": rest}
    return text


def _repeated(items: Iterable[str]) -> list[str]:
    seen: set[str] = set()
    repeated = []
    for item in items:
        if item in seen:
            repeated.append(item)
        seen.add(item)
    return repeated


def _json_size(value: object) -> int:
    return len(json.dumps(value, ensure_ascii=False, default=str))


@dataclass(frozen=True)
class JSONShape:
    """What one JSON field holds: a list of strings, or a flat object."""

    kind: type  # list or dict
    format_message: Promise | str  # says what the value must be, e.g. "a JSON list of …"
    max_chars: int  # the submitted text, and the value serialised
    max_items: int
    max_item_chars: int  # each list item; each object key and string value
    allow_blank_items: bool = False
    is_allowed: Callable[[str], bool] | None = None  # list items must pass this
    allowed_hint: Callable[[], str] = str  # the allowed items, for the message
    unknown_message: Promise | str = ""  # %(unknown)s, %(allowed)s

    def validate(self, value: object) -> None:
        """Raise one ``ValidationError`` listing every problem of ``value``."""
        if value is None:
            raise ValidationError(
                gettext("null is not allowed here. %(format)s") % {"format": self.format_message},
                code="null",
            )
        if not isinstance(value, self.kind):
            raise ValidationError(str(self.format_message), code="invalid_type")
        size = _json_size(value)
        if size > self.max_chars:
            raise ValidationError(self._too_long_message(size), code="too_long")
        problems: list[str] = []
        if isinstance(value, list):
            problems = self._list_problems(value)
        elif isinstance(value, dict):
            problems = self._object_problems(value)
        if problems:
            raise ValidationError(problems)

    def _too_long_message(self, size: int) -> str:
        return gettext("The value is too long: %(size)d characters, at most %(max)d allowed.") % {
            "size": size,
            "max": self.max_chars,
        }

    def _count_problem(self, count: int) -> list[str]:
        if count > self.max_items:
            return [
                gettext("Too many entries: %(count)d, at most %(max)d allowed.")
                % {"max": self.max_items, "count": count}
            ]
        return []

    def _long_problem(self, texts: list[str]) -> list[str]:
        long = [text for text in texts if len(text) > self.max_item_chars]
        if not long:
            return []
        return [
            gettext("Too long (at most %(max)d characters each): %(items)s.")
            % {"max": self.max_item_chars, "items": offenders(long)}
        ]

    def _list_problems(self, items: list[Any]) -> list[str]:
        not_text = [item for item in items if not isinstance(item, str)]
        if not_text:
            return [
                gettext("%(format)s Not text: %(items)s.")
                % {"format": self.format_message, "items": offenders(not_text)}
            ]
        problems = self._count_problem(len(items))
        problems += self._long_problem(items)
        if not self.allow_blank_items and any(not item.strip() for item in items):
            problems.append(gettext("Empty entries are not allowed."))
        repeated = _repeated(items)
        if repeated:
            problems.append(
                gettext("Each entry may appear only once; repeated: %(items)s.")
                % {"items": offenders(repeated)}
            )
        if self.is_allowed is not None:
            unknown = [item for item in items if not self.is_allowed(item)]
            if unknown:
                problems.append(
                    str(self.unknown_message)
                    % {"unknown": offenders(unknown), "allowed": self.allowed_hint()}
                )
        return problems

    def _object_problems(self, data: dict[str, Any]) -> list[str]:
        problems = self._count_problem(len(data))
        nested = [key for key, item in data.items() if isinstance(item, list | dict)]
        if nested:
            problems.append(
                gettext("Values must be text, numbers or true/false; not for: %(items)s.")
                % {"items": offenders(nested)}
            )
        texts = list(data) + [item for item in data.values() if isinstance(item, str)]
        return problems + self._long_problem(texts)


def is_language_code(code: str) -> bool:
    """Task.language's format, and a language Django knows (or one of the site's)."""
    if not LANGUAGE_CODE.match(code):
        return False
    site = {site_code for site_code, _name in settings.LANGUAGES}
    return code in site or code in LANG_INFO or code.split("-")[0] in LANG_INFO


def _site_languages() -> str:
    return ", ".join(code for code, _name in settings.LANGUAGES)


def _is_webhook_platform(key: str) -> bool:
    return key in webhook_platform_keys()


def _webhook_platforms() -> str:
    return ", ".join(sorted(webhook_platform_keys()))


LANGUAGES = JSONShape(
    kind=list,
    format_message=_('Languages must be a JSON list of codes such as ["ru"].'),
    max_chars=1024,
    max_items=20,
    max_item_chars=5,
    is_allowed=is_language_code,
    allowed_hint=_site_languages,
    unknown_message=_(
        "Unknown language codes: %(unknown)s. Use lowercase language codes such as %(allowed)s."
    ),
)
WEBHOOK_PLATFORMS = JSONShape(
    kind=list,
    format_message=_("Target platforms must be a JSON list of platform keys."),
    max_chars=1024,
    max_items=20,
    max_item_chars=32,
    is_allowed=_is_webhook_platform,
    allowed_hint=_webhook_platforms,
    unknown_message=_("Unknown webhook platforms: %(unknown)s. Use: %(allowed)s."),
)
ANSWERS = JSONShape(
    kind=list,
    format_message=_("Answers must be a JSON list of strings."),
    max_chars=20_000,
    max_items=12,  # Telegram's quiz polls take up to 12 options, the most of any target
    max_item_chars=500,  # Task.correct_answer's max_length: every answer can be the correct one
)
EXTRA_DATA = JSONShape(
    kind=dict,
    format_message=_("Extra data must be a JSON object."),
    max_chars=2048,
    max_items=20,
    max_item_chars=255,
)


def json_field_errors(instance: object, **shapes: JSONShape) -> dict[str, ValidationError]:
    """For a model's ``clean()``: each named field's value checked against its shape."""
    errors = {}
    for name, shape in shapes.items():
        try:
            shape.validate(getattr(instance, name))
        except ValidationError as error:
            errors[name] = error
    return errors


class _RepeatedKeys(ValueError):
    def __init__(self, keys: list[str]) -> None:
        super().__init__("repeated keys")
        self.keys = keys


def _unique_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    repeated = _repeated(key for key, _value in pairs)
    if repeated:
        raise _RepeatedKeys(repeated)
    return dict(pairs)


def _no_nan(constant: str) -> None:
    raise ValueError(constant)


class ShapedJSONField(forms.JSONField):
    """A form ``JSONField`` checked against ``shape``; an empty box means the empty value."""

    shape: JSONShape

    def to_python(self, value: Any) -> Any:
        if self.disabled or not isinstance(value, str):
            return value
        if len(value) > self.shape.max_chars:
            raise ValidationError(self.shape._too_long_message(len(value)), code="too_long")
        if not value.strip():
            return self.shape.kind()
        try:
            converted = json.loads(value, object_pairs_hook=_unique_keys, parse_constant=_no_nan)
        except _RepeatedKeys as repeated:
            raise ValidationError(
                gettext("Each key may appear only once; repeated: %(items)s.")
                % {"items": offenders(repeated.keys)},
                code="repeated_keys",
            ) from None
        except ValueError:  # JSONDecodeError, NaN / Infinity (jsonb cannot store them)
            raise ValidationError(
                self.error_messages["invalid"], code="invalid", params={"value": value}
            ) from None
        if converted is None:  # the literal ``null``
            self.shape.validate(None)
        return converted

    def bound_data(self, data: Any, initial: Any) -> Any:
        """A re-shown form keeps the text as typed (not re-serialised)."""
        if self.disabled or not isinstance(data, str):
            return super().bound_data(data, initial)
        return forms.fields.InvalidJSONInput(data)

    def validate(self, value: Any) -> None:
        super().validate(value)
        self.shape.validate(value)


class LanguagesField(ShapedJSONField):
    shape = LANGUAGES


class WebhookPlatformsField(ShapedJSONField):
    shape = WEBHOOK_PLATFORMS


class AnswersField(ShapedJSONField):
    shape = ANSWERS


class ExtraDataField(ShapedJSONField):
    shape = EXTRA_DATA


class ShapedJSONFormMixin:
    """For ModelForms with ``ShapedJSONField``s: when such a field already failed, the
    model's ``clean()`` only saw the old value, so its errors for that field are dropped."""

    def add_error(self, field: str | None, error: Any) -> None:
        if field is None and isinstance(error, ValidationError) and hasattr(error, "error_dict"):
            kept = {
                name: errors
                for name, errors in error.error_dict.items()
                if name == NON_FIELD_ERRORS
                or not (
                    # A mixin for ModelForms: mypy sees no _errors or fields on object.
                    name in self._errors  # type: ignore[attr-defined]
                    and isinstance(self.fields.get(name), ShapedJSONField)  # type: ignore[attr-defined]
                )
            }
            if not kept:
                return
            error = ValidationError(kept)
        super().add_error(field, error)  # type: ignore[misc]  # ModelForm.add_error, after the mixin
