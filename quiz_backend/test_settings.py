"""Settings for the test suite: production settings with test-friendly defaults."""

import os

os.environ.setdefault("SECRET_KEY", "test-secret-key-not-for-production")
os.environ.setdefault("DEBUG", "false")
# The test client speaks plain http; production redirects it to https.
os.environ.setdefault("SECURE_SSL_REDIRECT", "false")
os.environ.setdefault("LOG_DIR", os.path.join(os.path.dirname(__file__), "..", "var", "test-logs"))
os.environ.setdefault("SITE_URL", "https://quiz.example.com")
os.environ.setdefault("CELERY_TASK_ALWAYS_EAGER", "true")
# Two fixed test keys: the first encrypts, both decrypt.
os.environ.setdefault(
    "FIELD_ENCRYPTION_KEYS",
    "Xq0u3kR8F5wq9rKj1V2d2gk2YkM0nN8o9pQrStUvWxY=,p1T3Hq7eR9u5i0O2a4S6d8F0g2H4j6K8l0Z2x4C6v8B=",
)

from quiz_backend.settings import *  # noqa: F403

STORAGES["staticfiles"]["BACKEND"] = "django.contrib.staticfiles.storage.StaticFilesStorage"  # noqa: F405
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
