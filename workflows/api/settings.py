"""Settings the REST API needs, to be merged into ``config/settings/base.py``.

Throttle rates come from the environment so that a deployment (or a test run) can change
them without code: ``API_THROTTLE_USER`` (default 1000/hour) and ``API_THROTTLE_ANON``
(default 60/hour).
"""

import os

API_INSTALLED_APPS = [
    "rest_framework",
    "rest_framework.authtoken",
    "django_filters",
    "drf_spectacular",
]

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework.authentication.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": [
        "rest_framework.parsers.JSONParser",
        "rest_framework.parsers.MultiPartParser",
        "rest_framework.parsers.FormParser",
    ],
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "DEFAULT_PAGINATION_CLASS": "rest_framework.pagination.PageNumberPagination",
    "PAGE_SIZE": 50,
    "DEFAULT_THROTTLE_CLASSES": [
        "workflows.api.permissions.AnonThrottle",
        "workflows.api.permissions.UserThrottle",
    ],
    "DEFAULT_THROTTLE_RATES": {
        "anon": os.environ.get("API_THROTTLE_ANON", "60/hour"),
        "user": os.environ.get("API_THROTTLE_USER", "1000/hour"),
    },
    "EXCEPTION_HANDLER": "workflows.api.errors.exception_handler",
    "DEFAULT_SCHEMA_CLASS": "workflows.api.idempotency.IdempotentAutoSchema",
    "COERCE_DECIMAL_TO_STRING": True,
    "TEST_REQUEST_DEFAULT_FORMAT": "json",
}

SPECTACULAR_SETTINGS = {
    "TITLE": "Fee recovery API",
    "DESCRIPTION": (
        "Estates, units, parties, the fee ledger and collection cases of the fee-recovery "
        "engine. Authenticate with `Authorization: Token <key>` (or a session). Every POST "
        "takes an optional `Idempotency-Key` header: the same key with the same body returns "
        "the stored response and does nothing again; with another body it gets 422."
    ),
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "COMPONENT_SPLIT_REQUEST": True,
    "SCHEMA_PATH_PREFIX": r"/api/",
    "ENUM_NAME_OVERRIDES": {
        "StageEnum": "cases.models.case.Stage",
        "ChannelEnum": "cases.models.contact.Channel",
        "PaymentMethodEnum": "cases.models.ledger.Payment.Method",
    },
}
