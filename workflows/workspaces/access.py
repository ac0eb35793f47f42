"""Who may open which workspace, and the 404-for-others rule for every URL carrying an id."""

from __future__ import annotations

from django.http import Http404
from django.utils.translation import gettext as _

from cases.models import Case
from cases.roles import Role, user_has_role
from cases.services.case import case_for_user


def is_collector(user) -> bool:
    return user_has_role(user, Role.COLLECTOR)


def is_legal(user) -> bool:
    return user_has_role(user, Role.LEGAL_OFFICER)


def is_manager(user) -> bool:
    return user_has_role(user, Role.MANAGER)


def works_cases(user) -> bool:
    return is_collector(user) or is_legal(user) or is_manager(user)


def home_url_name(user) -> str:
    """The workspace a user lands in after logging in."""
    if is_manager(user):
        return "workspaces:manager:index"
    if is_legal(user):
        return "workspaces:legal:index"
    if is_collector(user):
        return "workspaces:collector:index"
    return "admin:index"


def case_or_404(user, pk) -> Case:
    """The case if ``user`` may see it, else 404 — the same answer as for a case that does
    not exist, so a collector cannot learn that another collector's case exists."""
    try:
        return case_for_user(user, int(pk))
    except (Case.DoesNotExist, ValueError, TypeError):
        raise Http404(_("No such case.")) from None
