"""The Celery app carries the reliability settings itself (no manual set-up)."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.core.exceptions import ImproperlyConfigured

from quiz_backend.celery import _configure, app, time_limits
from social_media.delivery import max_countdown


def test_worker_options_for_at_least_once_delivery():
    conf = app.conf
    assert conf.task_acks_late is True
    assert conf.task_reject_on_worker_lost is True
    assert conf.worker_prefetch_multiplier == 1
    assert conf.worker_soft_shutdown_timeout > 0
    assert conf.worker_enable_soft_shutdown_on_idle is True
    assert conf.broker_connection_max_retries is None  # a worker waits out a broker outage


def test_time_limits_nest_inside_the_lease_and_the_visibility_timeout(settings):
    conf = app.conf
    assert conf.task_soft_time_limit < conf.task_time_limit
    assert conf.task_time_limit < settings.SOCIAL_MEDIA_LEASE_SECONDS
    assert settings.SOCIAL_MEDIA_LEASE_SECONDS < settings.CELERY_VISIBILITY_TIMEOUT
    assert conf.task_soft_time_limit > settings.SOCIAL_MEDIA_HTTP_TIMEOUT
    for lease in (5, 12, 30, 300, 3000):
        soft, hard = time_limits(lease)
        assert 0 < soft < hard < lease


def test_the_relay_is_on_the_beat_schedule():
    app.loader.import_default_modules()  # what ``celery beat`` / ``worker`` do at start
    entry = app.conf.beat_schedule["relay-due-social-media-posts"]
    assert entry["task"] == "social_media.relay_due_posts"
    assert entry["task"] in app.tasks
    assert entry["options"]["expires"] <= entry["schedule"]


def test_a_lease_longer_than_the_visibility_timeout_is_refused(settings):
    settings.SOCIAL_MEDIA_LEASE_SECONDS = 4000
    with pytest.raises(ImproperlyConfigured, match="CELERY_VISIBILITY_TIMEOUT"):
        _configure(app)


def test_an_http_timeout_longer_than_the_time_limit_is_refused(settings):
    settings.SOCIAL_MEDIA_LEASE_SECONDS = 10
    settings.SOCIAL_MEDIA_HTTP_TIMEOUT = 20
    with pytest.raises(ImproperlyConfigured, match="SOCIAL_MEDIA_HTTP_TIMEOUT"):
        _configure(app)


def test_countdowns_stay_inside_the_visibility_timeout(settings):
    assert max_countdown() == 300
    settings.CELERY_VISIBILITY_TIMEOUT = 120
    assert max_countdown() == 60


def test_the_embedded_broker_writes_only_inside_its_folder(settings, tmp_path, monkeypatch):
    """Kombu's folders default to the current directory: without ``control_folder`` a
    worker's remote-control queue binding lands in ``./control`` (the repository root)."""
    cwd = tmp_path / "cwd"
    cwd.mkdir()
    monkeypatch.chdir(cwd)
    broker_dir = tmp_path / "broker"
    settings.CELERY_BROKER_URL = "filesystem://"
    settings.CELERY_BROKER_DIR = broker_dir
    keys = ("broker_url", "broker_transport_options")
    saved = {key: app.conf[key] for key in keys}
    try:
        _configure(app)
        options = app.conf.broker_transport_options
        folders = {
            k: v for k, v in options.items() if k.endswith(("_folder", "_folder_in", "_folder_out"))
        }
        assert set(folders) >= {
            "data_folder_in",
            "data_folder_out",
            "processed_folder",
            "control_folder",
        }
        for folder in folders.values():
            assert Path(folder).is_relative_to(broker_dir)
        with app.connection_for_write() as connection:
            # What a worker does at start (its pidbox) and `celery inspect` does to reach it.
            mailbox = app.control.mailbox  # type: ignore[attr-defined]  # not in celery-types
            node = mailbox.Node("probe@localhost", channel=connection.default_channel)
            node.listen()
            app.control.broadcast("ping", connection=connection, reply=False)
    finally:
        app.conf.update(saved)

    assert list(cwd.iterdir()) == []
    assert any((broker_dir / "control").iterdir())


def test_local_state_lives_under_var(settings):
    """The test settings, like scripts/run, keep the broker and the logs under var/."""
    var = Path(settings.BASE_DIR) / "var"
    assert Path(settings.CELERY_BROKER_DIR).is_relative_to(var)
    assert Path(settings.LOG_DIR).is_relative_to(var)
