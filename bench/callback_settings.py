"""Settings for the callback benchmark: the product's, plus a bare DRF endpoint to compare."""

from quiz_backend.settings import *  # noqa: F403

ROOT_URLCONF = "bench.callback_urls"
