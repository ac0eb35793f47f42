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
# A Celery worker started by the tests shares it through TEST_EVIDENCE_STORE.
EVIDENCE_STORE_ROOT = Path(
    env.str("TEST_EVIDENCE_STORE", default="")
    or tempfile.mkdtemp(prefix="fee-recovery-test-store-")
)
SMS_OUTBOX = env.str(
    "SMS_OUTBOX",
    default=str(Path(tempfile.mkdtemp(prefix="fee-recovery-test-sms-")) / "outbox.jsonl"),
)
EMAIL_BACKEND = env.str("EMAIL_BACKEND", default="django.core.mail.backends.locmem.EmailBackend")
