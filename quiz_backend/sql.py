"""Hot statements written once instead of compiled per call.

A publish runs the same few statements for every post: the claim, the media look-up,
the attempt's INSERT and one UPDATE of the attempt and the post; a published save runs
the outbox INSERT. Building them through the ORM's query compiler cost about a third
of a publish's CPU (profile in docs/benchmarks.md), so the text is built here from the
models' own field definitions (columns quoted by the connection, values prepared by
each field's ``get_db_prep_save``, rows turned into instances with the fields'
converters) and cached per shape. Only plain values are supported: no expressions.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Sequence
from datetime import datetime
from functools import cache
from typing import Any, cast

from django.db import connection, models
from django.db.models import Field, Model

# Field classes whose ``get_db_prep_save`` hands PostgreSQL a value of the types below
# unchanged (checked with ``type(value) in …`` / an aware datetime), so that call is
# skipped for them: a publish prepares about forty values. Anything else (JSON, custom
# and encrypted fields, naive datetimes, expressions) goes through the field.
_AS_IS: dict[type[Field[Any, Any]], tuple[type, ...]] = {
    models.CharField: (str,),
    models.TextField: (str,),
    models.URLField: (str,),
    models.SlugField: (str,),
    models.EmailField: (str,),
    models.IntegerField: (int,),
    models.PositiveIntegerField: (int,),
    models.PositiveSmallIntegerField: (int,),
    models.SmallIntegerField: (int,),
    models.BigIntegerField: (int,),
    models.AutoField: (int,),
    models.BigAutoField: (int,),
    models.ForeignKey: (int,),
    models.BooleanField: (bool,),
    models.UUIDField: (uuid.UUID,),
    models.DateTimeField: (),
}


def _field(model: type[Model], name: str) -> Field[Any, Any]:
    field = model._meta.get_field(name)
    if not isinstance(field, Field) or not field.concrete:
        raise TypeError(f"{model.__name__}.{name} is not a column.")
    return field


@cache
def _preparer(model: type[Model], name: str) -> Callable[[Any], Any]:
    """``field.get_db_prep_save`` for the column, with its no-op cases short-circuited."""
    field = _field(model, name)
    prepare = field.get_db_prep_save
    as_is = _AS_IS.get(type(field))
    if as_is is None or connection.vendor != "postgresql":
        return lambda value: prepare(value, connection)
    if type(field) is models.DateTimeField:

        def prepared_datetime(value: Any) -> Any:
            if value is None or (type(value) is datetime and value.tzinfo is not None):
                return value
            return prepare(value, connection)

        return prepared_datetime

    def prepared(value: Any) -> Any:
        if value is None or type(value) in as_is:
            return value
        if isinstance(value, str) and str in as_is:  # text choices: a str subclass, as is
            return value
        return prepare(value, connection)

    return prepared


def _prepared(model: type[Model], name: str, value: Any) -> Any:
    if isinstance(value, Model):  # a foreign key given as the object, as the ORM allows
        value = value.pk
    return _preparer(model, name)(value)


def _quoted_column(model: type[Model], name: str) -> str:
    return connection.ops.quote_name(str(_field(model, name).column))


@cache
def _set_clause(model: type[Model], names: tuple[str, ...]) -> str:
    return ", ".join(f"{_quoted_column(model, name)} = %s" for name in names)


@cache
def _where_clause(model: type[Model], names: tuple[str, ...]) -> str:
    return " AND ".join(f"{_quoted_column(model, name)} = %s" for name in names)


@cache
def update_text(
    model: type[Model], set_names: tuple[str, ...], where_names: tuple[str, ...]
) -> str:
    """The text ``update_sql`` builds for these column names (cached)."""
    table = connection.ops.quote_name(model._meta.db_table)
    return (
        f"UPDATE {table} SET {_set_clause(model, set_names)} "  # noqa: S608
        f"WHERE {_where_clause(model, where_names)}"
    )


def update_sql(
    model: type[Model], where: dict[str, Any], values: dict[str, Any]
) -> tuple[str, tuple[Any, ...]]:
    """``UPDATE <table> SET <values> WHERE <where>`` (equality on every key), with its
    parameters; ``None`` in ``values`` becomes NULL, as the ORM writes it."""
    set_names, where_names = tuple(values), tuple(where)
    sql = update_text(model, set_names, where_names)
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


def insert_sql(objs: Sequence[Model]) -> tuple[str, list[Any]]:
    """``INSERT … VALUES (…), (…) RETURNING pk`` for unsaved instances of one model, with
    the values the ORM would write (each field's ``pre_save``, so ``auto_now`` applies)."""
    model = type(objs[0])
    head, row, names = _insert_head(model)
    steps = [(_field(model, name).pre_save, _preparer(model, name)) for name in names]
    params = [prepare(pre_save(obj, True)) for obj in objs for pre_save, prepare in steps]
    return f"{head}{', '.join([row] * len(objs))} RETURNING {_pk_column(model)}", params


@cache
def _pk_column(model: type[Model]) -> str:
    return connection.ops.quote_name(str(model._meta.pk.column))


@cache
def _insert_rows_text(model: type[Model], varying: tuple[bool, ...]) -> str:
    """``INSERT INTO t (…) SELECT … FROM unnest(%s::type[], …)``: a value shared by every
    row is one parameter, a column whose rows differ one array, so the text and its
    number of parameters do not grow with the rows (psycopg then keeps it parsed; a
    ``VALUES`` list of six 30-column rows is parsed, and every value quoted, each time)."""
    quote = connection.ops.quote_name
    opts = model._meta
    fields = [f for f in opts.concrete_fields if f is not opts.pk]
    columns = ", ".join(quote(str(f.column)) for f in fields)
    selected, arrays, names = [], [], []
    for index, (field, varies) in enumerate(zip(fields, varying, strict=True)):
        cast_type = field.cast_db_type(connection)
        if varies:
            selected.append(f"u.c{index}")
            arrays.append(f"%s::{cast_type}[]")
            names.append(f"c{index}")
        else:
            selected.append(f"%s::{cast_type}")
    source = (
        f"unnest({', '.join(arrays)}) AS u({', '.join(names)})"
        if arrays
        else "generate_series(1, %s)"
    )
    return (
        f"INSERT INTO {quote(opts.db_table)} ({columns}) "  # noqa: S608
        f"SELECT {', '.join(selected)} FROM {source} RETURNING {_pk_column(model)}"
    )


@cache
def _insert_steps(model: type[Model]) -> tuple[tuple[str, ...], tuple[Callable[..., Any], ...]]:
    _, _, names = _insert_head(model)
    return names, tuple(_field(model, name).pre_save for name in names)


def insert_rows_sql(objs: Sequence[Model]) -> tuple[str, list[Any]]:
    """``insert_sql`` as one ``INSERT … SELECT`` (PostgreSQL): the ids come back in the
    order of ``objs``."""
    model = type(objs[0])
    names, pre_saves = _insert_steps(model)
    columns = [[pre_save(obj, True) for obj in objs] for pre_save in pre_saves]
    varying = tuple(
        any(type(value) is not type(column[0]) or value != column[0] for value in column[1:])
        for column in columns
    )
    shared: list[Any] = []
    arrays: list[Any] = []
    for name, column, varies in zip(names, columns, varying, strict=True):
        prepare = _preparer(model, name)
        if varies:
            arrays.append([prepare(value) for value in column])
        else:
            shared.append(prepare(column[0]))
    params = shared + (arrays if arrays else [len(objs)])
    return _insert_rows_text(model, varying), params


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


@cache
def _select_plan(model: type[Model], name: str) -> tuple[str, list[tuple[int, list[Any]]]]:
    quote = connection.ops.quote_name
    fields = list(model._meta.concrete_fields)
    columns = ", ".join(quote(str(f.column)) for f in fields)
    sql = (
        f"SELECT {columns} FROM {quote(model._meta.db_table)} "  # noqa: S608
        f"WHERE {_quoted_column(model, name)} = ANY(%s)"
    )
    converters = []
    for index, field in enumerate(fields):
        found = [
            *connection.ops.get_db_converters(cast(Any, field)),
            *field.get_db_converters(connection),
        ]
        if found:
            converters.append((index, found))
    return sql, converters


def select_in(model: type[Model], name: str, values: list[Any]) -> list[Any]:
    """``model.objects.filter(**{f"{name}__in": values})`` in one round trip, as instances
    (PostgreSQL; the ORM elsewhere)."""
    if not values:
        return []
    if connection.vendor != "postgresql":
        return list(model._default_manager.filter(**{f"{name}__in": values}))
    sql, converters = _select_plan(model, name)
    fields = model._meta.concrete_fields
    names = [f.attname for f in fields]
    prepare = _preparer(model, name)
    with connection.cursor() as cursor:
        cursor.execute(sql, [[prepare(value) for value in values]])
        rows = cursor.fetchall()
    found = []
    for row in rows:
        record = list(row)
        for index, steps in converters:
            for convert in steps:
                record[index] = convert(record[index], fields[index], connection)
        found.append(model.from_db(connection.alias, names, record))
    return found
