"""Who may call what: the roles' model permissions (``cases.roles``) for reads and for the
writes no service checks; the services themselves decide the rest (they raise, and
``workflows.api.errors`` maps that to HTTP). Which *cases* a user sees is the selectors'
business (``case_list_for``, ``case_for_user``): another collector's case is a 404."""

from __future__ import annotations

from rest_framework import permissions, throttling
from rest_framework.settings import api_settings


class RolePermission(permissions.BasePermission):
    """An authenticated user holding the view's ``required_perms`` for the method.

    ``required_perms`` maps an HTTP method to Django permission names, e.g.
    ``{"GET": ["cases.view_payment"], "POST": ["cases.add_payment"]}``; a method not in the
    map needs authentication only (its service checks the role)."""

    message = "Your role does not allow this."

    def has_permission(self, request, view) -> bool:
        user = request.user
        if not (user and user.is_authenticated):
            return False
        method = "GET" if request.method in ("HEAD", "OPTIONS") else request.method
        needed = getattr(view, "required_perms", {}).get(method, ())
        return user.has_perms(needed)


class _LiveRateMixin:
    """DRF reads throttle rates once, at import; these read them on every request, so a
    changed setting (``override_settings`` in a test, say) takes effect."""

    def get_rate(self):
        return api_settings.DEFAULT_THROTTLE_RATES.get(self.scope)


class AnonThrottle(_LiveRateMixin, throttling.AnonRateThrottle):
    pass


class UserThrottle(_LiveRateMixin, throttling.UserRateThrottle):
    pass
