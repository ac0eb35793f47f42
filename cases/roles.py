"""The roles of DESIGN.md section 1, as Django groups (created by a data migration)."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class Role(models.TextChoices):
    COLLECTOR = "collector", _("Collector (催收员)")
    LEGAL_OFFICER = "legal_officer", _("Legal officer (法务)")
    MANAGER = "manager", _("Manager (经理)")
    FINANCE = "finance", _("Finance (财务)")


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


def user_has_role(user, role: str) -> bool:
    if not user or not user.is_authenticated:
        return False
    return user.is_superuser or user.groups.filter(name=role).exists()
