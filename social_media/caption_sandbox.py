"""A sandboxed Django template engine for caption templates written by staff.

Not the project's template engine: a dedicated ``Engine`` with no loaders (templates
come from strings only), no ``{% load %}`` libraries and a builtins library of a few
plain-text tags and filters. There is no ``include``, ``extends``, ``load``, ``url``,
``csrf_token``, ``debug``, ``now`` or ``ssi``: using one is a syntax error. Output is
plain text (no autoescaping: captions are not HTML).

The context holds only plain values (strings, numbers and tuples of strings)
computed from the task, never a model instance. On top of that, a compiled
template may read a field or an item of a list (``answers.0``) and the loop's
``forloop.counter`` and friends, nothing else: ``question.upper``-style attribute
access is refused when the template is compiled (Django itself refuses names that
start with an underscore). Loops may not run over text and run at most
``LOOP_BUDGET`` times in one rendering, so a template cannot hang a worker.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable, Iterator, Mapping
from typing import Any, ClassVar, cast

from django.template import (
    Context,
    Engine,
    Library,
    Node,
    Template,
    TemplateSyntaxError,
    defaultfilters,
    defaulttags,
)
from django.template.base import FilterExpression, Parser, Token, Variable, VariableNode
from django.template.defaulttags import FirstOfNode, ForNode, IfNode, TemplateLiteral, WithNode
from django.utils.translation import gettext

ALLOWED_TAGS = ("if", "for", "with", "firstof", "comment")
# Filters whose output is never much larger than their input. ``add``, ``center``,
# ``ljust``, ``stringformat``, ``floatformat`` and friends are left out: chained
# through ``{% with %}`` they could build strings of any size.
ALLOWED_FILTERS = (
    "capfirst",
    "cut",
    "default",
    "default_if_none",
    "first",
    "last",
    "length",
    "lower",
    "pluralize",
    "slice",
    "title",
    "truncatechars",
    "truncatewords",
    "upper",
    "wordcount",
    "yesno",
)
FORLOOP_FIELDS = frozenset({"counter", "counter0", "revcounter", "revcounter0", "first", "last"})
LOOP_BUDGET = 1000
TEMPLATE_MAX_LENGTH = 10_000
_BUDGET_KEY = "caption_loop_budget"


class CaptionError(Exception):
    """A caption template that cannot be compiled or rendered; the message says why."""


class _LoopBudget:
    """Loop iterations left in one rendering."""

    def __init__(self) -> None:
        self.left = LOOP_BUDGET


class _CaptionForNode(ForNode):
    """``{% for %}`` over lists only, within the rendering's loop budget."""

    def render(self, context: Context) -> str:
        expression = cast(FilterExpression, self.sequence)
        sequence = expression.resolve(context, ignore_failures=True)
        if isinstance(sequence, str):
            raise CaptionError(
                gettext(
                    "“{%% for %%}” runs over lists (answers, hashtags), not over text: %(expr)s"
                )
                % {"expr": expression.token}
            )
        budget = context.render_context.get(_BUDGET_KEY)
        if not isinstance(budget, _LoopBudget):
            budget = _LoopBudget()
            context.render_context[_BUDGET_KEY] = budget
        budget.left -= len(sequence) if hasattr(sequence, "__len__") else 0
        if budget.left < 0:
            raise CaptionError(
                gettext("The loops of this template run more than %(limit)d times.")
                % {"limit": LOOP_BUDGET}
            )
        return super().render(context)


def _do_for(parser: Parser, token: Token) -> Node:
    node = defaulttags.do_for(parser, token)
    node.__class__ = _CaptionForNode
    return node


def _join(value: Any, separator: str) -> str:
    """``join`` for lists only (joining text with text could grow without bound)."""
    if not isinstance(value, list | tuple):
        return str(value)
    return str(separator).join(str(item) for item in value)


register = Library()
for _name in ALLOWED_TAGS:
    register.tags[_name] = defaulttags.register.tags[_name]
register.tags["for"] = _do_for
for _name in ALLOWED_FILTERS:
    register.filters[_name] = defaultfilters.register.filters[_name]
register.filter("join", _join)


class CaptionEngine(Engine):
    """An engine whose builtins are only this module's library."""

    default_builtins: ClassVar[list[str]] = []


@functools.cache
def caption_engine() -> CaptionEngine:
    return CaptionEngine(
        dirs=[],
        app_dirs=False,
        loaders=[],
        libraries={},
        builtins=["social_media.caption_sandbox"],
        autoescape=False,
        string_if_invalid="",
        debug=False,
    )


def normalize_source(source: str) -> str:
    """Browsers send line breaks as CRLF; captions use LF."""
    return source.replace("\r\n", "\n").replace("\r", "\n")


def _condition_expressions(condition: Any) -> Iterator[FilterExpression]:
    if condition is None:
        return
    if isinstance(condition, TemplateLiteral):
        if isinstance(condition.value, FilterExpression):
            yield condition.value
        return
    yield from _condition_expressions(getattr(condition, "first", None))
    yield from _condition_expressions(getattr(condition, "second", None))


def _node_expressions(node: Node) -> Iterator[FilterExpression]:
    if isinstance(node, VariableNode):
        yield node.filter_expression
    elif isinstance(node, IfNode):
        for condition, _nodelist in node.conditions_nodelists:
            yield from _condition_expressions(condition)
    elif isinstance(node, ForNode | WithNode | FirstOfNode):
        if isinstance(node, ForNode):
            candidates: Iterable[object] = [node.sequence]
        elif isinstance(node, WithNode):
            candidates = node.extra_context.values()
        else:
            candidates = node.vars
        yield from (item for item in candidates if isinstance(item, FilterExpression))


def _variables(expression: FilterExpression) -> Iterator[Variable]:
    if isinstance(expression.var, Variable):
        yield expression.var
    for _func, args in expression.filters:
        for is_variable, arg in args:
            if is_variable and isinstance(arg, Variable):
                yield arg


def _allowed_lookup(lookups: Iterable[str]) -> bool:
    root, *rest = lookups
    if root == "forloop":
        return all(bit in FORLOOP_FIELDS for bit in rest)
    return all(bit.isdigit() for bit in rest)


def _check_lookups(template: Template) -> None:
    for node in template.nodelist.get_nodes_by_type(Node):
        for expression in _node_expressions(node):
            for variable in _variables(expression):
                if variable.lookups and not _allowed_lookup(variable.lookups):
                    raise CaptionError(
                        gettext(
                            "“%(name)s”: a caption can use the listed fields and list items "
                            "(answers.0), not their attributes."
                        )
                        % {"name": variable.var}
                    )


@functools.lru_cache(maxsize=256)
def compile_caption(source: str) -> Template:
    """The compiled template; ``CaptionError`` with a readable message when it is invalid."""
    if len(source) > TEMPLATE_MAX_LENGTH:
        raise CaptionError(
            gettext("A caption template is at most %(limit)d characters long.")
            % {"limit": TEMPLATE_MAX_LENGTH}
        )
    try:
        template = caption_engine().from_string(normalize_source(source))
    except TemplateSyntaxError as error:
        raise CaptionError(_syntax_message(error)) from error
    except RecursionError:
        raise CaptionError(_too_deep()) from None
    except Exception as error:  # anything else the parser may raise: still a refusal
        raise CaptionError(f"{type(error).__name__}: {error}") from error
    _check_lookups(template)
    return template


def _too_deep() -> str:
    return gettext("The template nests its tags too deeply; use fewer nested if, for or with.")


def _syntax_message(error: TemplateSyntaxError) -> str:
    message = str(error)
    if "Invalid block tag" in message or "Invalid filter" in message:
        message = message.replace(" Did you forget to register or load this tag?", "")
        return gettext(
            "%(error)s. Captions can use the tags %(tags)s and the filters %(filters)s."
        ) % {
            "error": message.rstrip("."),
            "tags": ", ".join(ALLOWED_TAGS),
            "filters": ", ".join((*ALLOWED_FILTERS, "join")),
        }
    return message


def render_caption(source: str, values: Mapping[str, Any]) -> str:
    """Render ``source`` with ``values`` (plain values only); ``CaptionError`` if it fails."""
    template = compile_caption(source)
    try:
        return template.render(Context(dict(values), autoescape=False))
    except CaptionError:
        raise
    except RecursionError:
        raise CaptionError(_too_deep()) from None
    except Exception as error:  # a filter given a bad argument, and the like
        raise CaptionError(
            gettext("The template failed to render: %(error)s")
            % {"error": f"{type(error).__name__}: {error}"}
        ) from error
