"""Who may see and change a case. Views, the API, flows and services all ask here."""

from __future__ import annotations

from typing import TYPE_CHECKING

from cases.roles import Role, user_roles

if TYPE_CHECKING:
    from cases.models import Case
    from cases.models.case import TransitionSpec

# Roles that see every case; a collector sees only the cases assigned to them.
ALL_CASES_ROLES = frozenset({Role.LEGAL_OFFICER, Role.MANAGER, Role.FINANCE, Role.SYSTEM})
WORKING_ROLES = frozenset({Role.COLLECTOR, Role.LEGAL_OFFICER, Role.MANAGER})


def user_sees_all_cases(user) -> bool:
    return bool(user and user.is_authenticated) and (
        user.is_superuser or bool(user_roles(user) & ALL_CASES_ROLES)
    )


def user_may_view_case(user, case: Case) -> bool:
    if user_sees_all_cases(user):
        return True
    return bool(user and user.is_authenticated) and case.collector_id == user.pk


def user_may_work_case(user, case: Case) -> bool:
    """Log contacts and promises: the assigned collector, legal officers, managers, and the
    system (the reminders the clocks send are contacts too)."""
    if not (user and user.is_authenticated):
        return False
    if user.is_superuser:
        return True
    roles = user_roles(user)
    if roles & {Role.LEGAL_OFFICER, Role.MANAGER, Role.SYSTEM}:
        return True
    return Role.COLLECTOR in roles and case.collector_id == user.pk


def user_may_transition(user, case: Case, spec: TransitionSpec) -> bool:
    if not (user and user.is_authenticated):
        return False
    if user.is_superuser:
        return True
    allowed = user_roles(user) & spec.roles
    if not allowed:
        return False
    if allowed == {Role.COLLECTOR}:
        return case.collector_id == user.pk
    return True


def user_on_case(user, case: Case) -> bool:
    """The assigned collector or legal officer: they see owners' phone numbers unmasked."""
    return bool(user and user.is_authenticated) and user.pk in (
        case.collector_id,
        case.legal_officer_id,
    )


def may_see_personal_data(user, *, case: Case | None = None) -> bool:
    """The one rule for a party's personal data (phones, e-mail, WeChat, ID number): shown
    unmasked to the case's assigned collector or legal officer, and to anyone holding
    ``cases.see_unmasked_phones``; masked for everyone else."""
    if not (user and user.is_authenticated):
        return False
    return (case is not None and user_on_case(user, case)) or user.has_perm(
        "cases.see_unmasked_phones"
    )


def mask_phone(phone: str) -> str:
    """138****5678: keep the first three and last four digits of a number."""
    digits = [c for c in phone if c.isdigit()]
    if len(digits) < 7:
        return "*" * len(phone)
    return "".join(digits[:3]) + "*" * (len(digits) - 7) + "".join(digits[-4:])
