"""Settings shared by every environment, read from the environment (django-environ).

The embedded default needs nothing set: SQLite under ``var/`` and eager Celery, so that
``python manage.py demo`` runs on a fresh machine. ``DATABASE_URL`` switches to PostgreSQL,
``CELERY_BROKER_URL`` to a real broker (Redis or RabbitMQ).
"""

from pathlib import Path

import environ
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent.parent
VAR_DIR = Path(environ.Env().str("DJANGO_VAR_DIR", default=str(BASE_DIR / "var")))

env = environ.Env()

DEBUG = env.bool("DJANGO_DEBUG", default=False)
# Development only; production.py demands DJANGO_SECRET_KEY and has no default.
SECRET_KEY = env.str("DJANGO_SECRET_KEY", default="insecure-dev-key-change-me-0123456789abcdefghij")
ALLOWED_HOSTS = env.list("DJANGO_ALLOWED_HOSTS", default=["127.0.0.1", "localhost", "testserver"])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django_celery_beat",
    "rest_framework",
    "rest_framework.authtoken",
    "django_filters",
    "drf_spectacular",
    "viewflow",
    "viewflow.workflow",
    "axes",
    "cases",
    "legal_docs",
    "workflows",
    "workflows.approvals",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "workflows.workspaces.middleware.LoginRequiredMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # Last, as django-axes asks: it turns a locked-out login into the lockout page.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"
ASGI_APPLICATION = "config.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

DATABASES = {
    "default": env.db_url_config(
        env.str("DATABASE_URL", default="") or f"sqlite:///{VAR_DIR / 'fee_recovery.sqlite3'}"
    ),
}
DATABASES["default"]["ATOMIC_REQUESTS"] = False  # services are durable atomic blocks (STYLE.md)
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    if DATABASES["default"]["NAME"] != ":memory:":
        Path(DATABASES["default"]["NAME"]).parent.mkdir(parents=True, exist_ok=True)
    # Writers wait for each other instead of failing at once with "database is locked".
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {"timeout": 20, "transaction_mode": "IMMEDIATE"}
    )
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = env.str("LANGUAGE_CODE", default="zh-hans")
LANGUAGES = [("zh-hans", _("Simplified Chinese")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = env.str("TIME_ZONE", default="Asia/Shanghai")
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = env.str("DJANGO_STATIC_ROOT", default=str(VAR_DIR / "static"))
MEDIA_ROOT = env.str("DJANGO_MEDIA_ROOT", default=str(VAR_DIR / "media"))
MEDIA_URL = "media/"
# Evidence files and generated documents, content-addressed and written once.
EVIDENCE_STORE_ROOT = Path(
    env.str("DJANGO_EVIDENCE_STORE", default=str(Path(MEDIA_ROOT) / "store"))
)

# The workspaces (workflows.workspaces) are the web UI; the admin stays for master data.
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "workspaces:index"  # reversed in the language of the login page
LOGOUT_REDIRECT_URL = "login"

# django-axes: an account is locked after AXES_FAILURE_LIMIT failed logins in a row, for
# AXES_COOLOFF_HOURS; a manager (or `manage.py axes_reset_username`) can lift it earlier.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AXES_FAILURE_LIMIT = env.int("AXES_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = env.float("AXES_COOLOFF_HOURS", default=1.0)
# Lock the account, not the address: a property office's collectors share one NAT address,
# and an address lock would shut them all out after one person's typos. Hence W006 silenced.
AXES_LOCKOUT_PARAMETERS = ["username"]
SILENCED_SYSTEM_CHECKS = ["axes.W006"]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "workspaces/locked_out.html"
AXES_VERBOSE = False

# Celery: eager (in-process, no broker) unless a broker is configured.
CELERY_BROKER_URL = env.str("CELERY_BROKER_URL", default="") or "memory://localhost/"
CELERY_TASK_ALWAYS_EAGER = env.bool(
    "CELERY_TASK_ALWAYS_EAGER", default=CELERY_BROKER_URL.startswith("memory://")
)
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_RESULT_BACKEND = env.str("CELERY_RESULT_BACKEND", default=None)
CELERY_TIMEZONE = TIME_ZONE
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_BEAT_SCHEDULER = "django_celery_beat.schedulers:DatabaseScheduler"
CELERY_BROKER_TRANSPORT_OPTIONS = env.json("CELERY_BROKER_TRANSPORT_OPTIONS", default={})

# SMS reminders (workflows.sms): an outbox file by default, an HTTP gateway for production.
SMS_BACKEND = env.str("SMS_BACKEND", default="workflows.sms.OutboxSmsBackend")
SMS_OUTBOX = env.str("SMS_OUTBOX", default=str(VAR_DIR / "sms" / "outbox.jsonl"))
SMS_GATEWAY = {
    "URL": env.str("SMS_GATEWAY_URL", default=""),
    "API_KEY": env.str("SMS_GATEWAY_API_KEY", default=""),
    "SIGN_NAME": env.str("SMS_SIGN_NAME", default=""),
    "TIMEOUT": env.float("SMS_GATEWAY_TIMEOUT", default=10.0),
    "RETRIES": env.int("SMS_GATEWAY_RETRIES", default=3),
    "BACKOFF": env.float("SMS_GATEWAY_BACKOFF", default=0.5),
}
SMS_TIME_ZONE = env.str("SMS_TIME_ZONE", default="Asia/Shanghai")
SMS_QUIET_HOURS = env.str("SMS_QUIET_HOURS", default="21:00-08:00")  # "" = none
SMS_MAX_ATTEMPTS = env.int("SMS_MAX_ATTEMPTS", default=3)
EMAIL_BACKEND = env.str(
    "DJANGO_EMAIL_BACKEND", default="django.core.mail.backends.console.EmailBackend"
)
DEFAULT_FROM_EMAIL = env.str("DJANGO_DEFAULT_FROM_EMAIL", default="fee-recovery@localhost")

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env.str("DJANGO_LOG_LEVEL", default="WARNING")},
}

# How long the API keeps an Idempotency-Key's stored response (purged nightly).
IDEMPOTENCY_KEY_DAYS = env.int("IDEMPOTENCY_KEY_DAYS", default=7)

# The REST API (workflows.api): token or session auth, pagination, throttling, OpenAPI.
from workflows.api.settings import REST_FRAMEWORK, SPECTACULAR_SETTINGS  # noqa: E402, F401
