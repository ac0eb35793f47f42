"""Settings for the test suite: SQLite in memory unless DATABASE_URL points elsewhere."""

import tempfile
from pathlib import Path

from .base import *  # noqa: F403
from .base import env

if not env.str("DATABASE_URL", default=""):
    DATABASES = {"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": ":memory:"}}

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
CELERY_TASK_ALWAYS_EAGER = env.bool("CELERY_TASK_ALWAYS_EAGER", default=True)
LANGUAGE_CODE = "en"

# Each test session stores evidence files in a fresh folder of its own.
EVIDENCE_STORE_ROOT = Path(tempfile.mkdtemp(prefix="fee-recovery-test-store-"))
