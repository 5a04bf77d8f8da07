"""The delivery path's hot statements, written once instead of compiled per post.

A publish runs the same three statements for every post: the claim, the attempt's
INSERT and one UPDATE of the attempt and the post. Building them through the ORM's
query compiler cost about a third of a publish's CPU (profile in docs/benchmarks.md),
so the text is built here from the models' own field definitions (columns quoted by
the connection, values prepared by each field's ``get_db_prep_save``) and cached per
shape. Only plain values are supported: no expressions.
"""

from __future__ import annotations

from functools import cache
from typing import Any

from django.db import connection
from django.db.models import Field, Model


def _field(model: type[Model], name: str) -> Field[Any, Any]:
    field = model._meta.get_field(name)
    if not isinstance(field, Field) or not field.concrete:
        raise TypeError(f"{model.__name__}.{name} is not a column.")
    return field


def _prepared(model: type[Model], name: str, value: Any) -> Any:
    if isinstance(value, Model):  # a foreign key given as the object, as the ORM allows
        value = value.pk
    return _field(model, name).get_db_prep_save(value, connection)


def _quoted_column(model: type[Model], name: str) -> str:
    return connection.ops.quote_name(str(_field(model, name).column))


@cache
def _set_clause(model: type[Model], names: tuple[str, ...]) -> str:
    return ", ".join(f"{_quoted_column(model, name)} = %s" for name in names)


@cache
def _where_clause(model: type[Model], names: tuple[str, ...]) -> str:
    return " AND ".join(f"{_quoted_column(model, name)} = %s" for name in names)


def update_sql(
    model: type[Model], where: dict[str, Any], values: dict[str, Any]
) -> tuple[str, tuple[Any, ...]]:
    """``UPDATE <table> SET <values> WHERE <where>`` (equality on every key), with its
    parameters; ``None`` in ``values`` becomes NULL, as the ORM writes it."""
    quote = connection.ops.quote_name
    set_names, where_names = tuple(values), tuple(where)
    sql = (
        f"UPDATE {quote(model._meta.db_table)} SET {_set_clause(model, set_names)} "  # noqa: S608
        f"WHERE {_where_clause(model, where_names)}"
    )
    params = [_prepared(model, name, values[name]) for name in set_names]
    params += [_prepared(model, name, where[name]) for name in where_names]
    return sql, tuple(params)


@cache
def _insert_head(model: type[Model]) -> tuple[str, str, tuple[str, ...]]:
    quote = connection.ops.quote_name
    opts = model._meta
    fields = [f for f in opts.concrete_fields if f is not opts.pk]
    columns = ", ".join(quote(str(f.column)) for f in fields)
    head = f"INSERT INTO {quote(opts.db_table)} ({columns}) VALUES "  # noqa: S608
    row = "(" + ", ".join(["%s"] * len(fields)) + ")"
    return head, row, tuple(f.name for f in fields)


def insert_sql(objs: list[Model]) -> tuple[str, list[Any]]:
    """``INSERT … VALUES (…), (…) RETURNING pk`` for unsaved instances of one model, with
    the values the ORM would write (each field's ``pre_save``, so ``auto_now`` applies)."""
    model = type(objs[0])
    head, row, names = _insert_head(model)
    fields = [_field(model, name) for name in names]
    params = [
        field.get_db_prep_save(field.pre_save(obj, True), connection)
        for obj in objs
        for field in fields
    ]
    pk = connection.ops.quote_name(str(model._meta.pk.column))
    return f"{head}{', '.join([row] * len(objs))} RETURNING {pk}", params


def insert(obj: Model) -> Model:
    """INSERT ``obj`` in one round trip and set its pk; no signals."""
    sql, params = insert_sql([obj])
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        row = cursor.fetchone()
    obj.pk = row[0] if row else None
    obj._state.adding = False
    obj._state.db = connection.alias
    return obj
