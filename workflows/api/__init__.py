"""The REST API (Django REST framework + drf-spectacular) over the cases and documents.

Settings to merge into ``config.settings`` are in ``workflows.api.settings``."""
