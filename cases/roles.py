"""The roles of DESIGN.md section 1, as Django groups (created by a data migration)."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class Role(models.TextChoices):
    COLLECTOR = "collector", _("Collector (催收员)")
    LEGAL_OFFICER = "legal_officer", _("Legal officer (法务)")
    MANAGER = "manager", _("Manager (经理)")
    FINANCE = "finance", _("Finance (财务)")
    SYSTEM = "system", _("System (automatic steps)")


SYSTEM_USERNAME = "system"


# Model permissions each role's group holds; the case permissions come with the case models.
ROLE_MODEL_PERMISSIONS: dict[str, list[str]] = {
    Role.COLLECTOR: [
        "view_estate",
        "view_unit",
        "view_party",
        "view_unitparty",
        "view_charge",
        "view_payment",
        "view_allocation",
    ],
    Role.LEGAL_OFFICER: [
        "view_estate",
        "view_unit",
        "view_party",
        "view_unitparty",
        "view_charge",
        "view_payment",
        "view_allocation",
        "view_adjustment",
    ],
    Role.MANAGER: [
        "view_estate",
        "change_estate",
        "view_unit",
        "view_party",
        "view_unitparty",
        "view_charge",
        "view_payment",
        "view_allocation",
        "view_adjustment",
        "add_adjustment",
    ],
    Role.FINANCE: [
        "view_estate",
        "view_unit",
        "view_party",
        "view_unitparty",
        "view_charge",
        "add_charge",
        "view_payment",
        "add_payment",
        "view_allocation",
        "view_adjustment",
    ],
}


def user_roles(user) -> frozenset[str]:
    """The role groups of ``user`` (cached on the user object for the request)."""
    if user is None or not user.is_authenticated:
        return frozenset()
    cached = getattr(user, "_cases_roles", None)
    if cached is None:
        cached = frozenset(user.groups.values_list("name", flat=True))
        user._cases_roles = cached
    return cached


def user_has_role(user, role: str) -> bool:
    return bool(user and user.is_authenticated and (user.is_superuser or role in user_roles(user)))
