"""The one-command local run's SQLite: several processes write it at once without
"database is locked" errors."""

from __future__ import annotations

import json
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from django.db.backends.sqlite3.base import DatabaseWrapper

from quiz_backend.hermetic import production_environ

REPO = Path(__file__).resolve().parents[1]


def _local_database(tmp_path: Path) -> dict:
    """``DATABASES["default"]`` as the production settings build it for a SQLite URL."""
    script = (
        "from django.conf import settings; import json; "
        "print(json.dumps(settings.DATABASES['default']))"
    )
    environ = production_environ(
        DEBUG="true", DATABASE_URL=f"sqlite:///{tmp_path / 'local.sqlite3'}", LOG_DIR=str(tmp_path)
    )
    done = subprocess.run(  # noqa: S603 - our own interpreter, fixed arguments
        [sys.executable, "-c", f"import django; django.setup(); {script}"],
        cwd=REPO,
        env=environ,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    return json.loads(done.stdout.strip().splitlines()[-1])


def _connect(database: dict) -> DatabaseWrapper:
    settings = {
        "ATOMIC_REQUESTS": False,
        "AUTOCOMMIT": True,
        "CONN_MAX_AGE": 0,
        "CONN_HEALTH_CHECKS": False,
        "TIME_ZONE": None,
        "TEST": {},
        **database,
    }
    connection = DatabaseWrapper(settings)
    connection.ensure_connection()
    return connection


@pytest.fixture(autouse=True)
def _own_connections(django_db_blocker):
    """These tests open their own connections to a file of their own, not the test database."""
    with django_db_blocker.unblock():
        yield


def test_the_local_database_uses_wal_and_immediate_transactions(tmp_path):
    database = _local_database(tmp_path)

    assert database["OPTIONS"]["transaction_mode"] == "IMMEDIATE"
    connection = _connect(database)
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA journal_mode")
        assert cursor.fetchone()[0] == "wal"
    connection.close()


def test_a_second_writer_waits_for_the_first_instead_of_failing(tmp_path):
    database = _local_database(tmp_path)
    first = _connect(database)
    with first.cursor() as cursor:
        cursor.execute("CREATE TABLE posts (id INTEGER PRIMARY KEY, status TEXT)")
        cursor.execute("INSERT INTO posts (status) VALUES ('pending')")
    errors: list[BaseException] = []

    def read_then_write() -> None:
        # What a callback does while the worker writes: read, then update, in one transaction.
        second = _connect(database)  # a connection belongs to its thread
        try:
            with second.wrap_database_errors, second.cursor() as cursor:
                # As transaction.atomic() begins it: BEGIN (or BEGIN IMMEDIATE) at once.
                second.set_autocommit(False, force_begin_transaction_with_broken_autocommit=True)
                cursor.execute("SELECT status FROM posts")
                cursor.execute("UPDATE posts SET status = 'published'")
                second.commit()
        except BaseException as exc:  # reported by the assertion below
            errors.append(exc)
        finally:
            second.set_autocommit(True)
            second.close()

    first.set_autocommit(False, force_begin_transaction_with_broken_autocommit=True)
    with first.cursor() as cursor:
        cursor.execute("UPDATE posts SET status = 'processing'")  # holds the write lock
        writer = threading.Thread(target=read_then_write)
        writer.start()
        time.sleep(1.0)
        first.commit()
    first.set_autocommit(True)
    writer.join(30)

    assert not writer.is_alive()
    assert errors == []
    with first.cursor() as cursor:
        cursor.execute("SELECT status FROM posts")
        assert cursor.fetchone()[0] == "published"
    first.close()
