"""What the approval services share: the permission that decides, the refusals."""

from __future__ import annotations

import datetime as dt
import logging

from django.core.exceptions import PermissionDenied
from django.utils import timezone

from cases.services.case import CaseError

logger = logging.getLogger("workflows.approvals")

APPROVE_PERMISSION = "approvals.can_approve"


class ApprovalError(CaseError):
    """A request or decision refused for a reason the user can act on (HTTP 409)."""


class ApprovalForbidden(ApprovalError, PermissionDenied):
    """The actor may not ask for or decide this (HTTP 403)."""


class SelfApprovalRefused(ApprovalForbidden):
    """The requester tried to decide their own request."""


def _today() -> dt.date:
    return timezone.localdate()


def _name(user) -> str:
    return user.get_username() if user is not None else ""
