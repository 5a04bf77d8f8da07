"""Settings for the test suite: the production settings, read from a hermetic environment.

No ``.env`` is read and no exported variable counts except the inputs listed in
``quiz_backend/hermetic.py`` (``TEST_DATABASE_URL`` and a few more); the values the
suite relies on are set there explicitly.
"""

from quiz_backend import hermetic

hermetic.ignored[:] = hermetic.apply()

from quiz_backend.settings import *  # noqa: E402, F403

STORAGES["staticfiles"]["BACKEND"] = "django.contrib.staticfiles.storage.StaticFilesStorage"  # noqa: F405
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
