"""The embedded file broker keeps all its files in CELERY_BROKER_DIR (var/), not the cwd."""

from __future__ import annotations

from pathlib import Path

from celery import Celery

from quiz_backend.celery import _configure


def test_the_embedded_broker_writes_nothing_outside_its_directory(settings, tmp_path, monkeypatch):
    settings.CELERY_BROKER_URL = "filesystem://"
    settings.CELERY_BROKER_DIR = tmp_path / "broker"
    workdir = tmp_path / "repo"
    workdir.mkdir()
    monkeypatch.chdir(workdir)
    app = Celery("embedded-broker-test")
    _configure(app)

    app.send_task("social_media.relay_due_posts")

    options = app.conf.broker_transport_options
    for key in ("data_folder_in", "data_folder_out", "processed_folder", "control_folder"):
        assert Path(options[key]).is_relative_to(settings.CELERY_BROKER_DIR)
    assert list(workdir.iterdir()) == []  # kombu's default ./control is not created
    assert (settings.CELERY_BROKER_DIR / "control").is_dir()
