"""Telling the managers: a log line and one email (Django's email backend) to every active
member of the manager group who has an address, sent after the transaction commits."""

from __future__ import annotations

import logging

from django.contrib.auth import get_user_model
from django.core.mail import send_mail
from django.db import transaction

from cases.roles import Role

logger = logging.getLogger("workflows.approvals")


def manager_emails() -> list[str]:
    """The addresses of the active members of the manager group."""
    return sorted(
        set(
            get_user_model()
            .objects.filter(groups__name=Role.MANAGER, is_active=True)
            .exclude(email="")
            .values_list("email", flat=True)
        )
    )


def _send(subject: str, body: str, recipients: list[str]) -> None:
    try:
        send_mail(subject, body, None, recipients)
    except Exception:  # a mail server being down must not undo or repeat the work
        logger.exception("could not email %s: %s", recipients, subject)


def managers_notify(subject: str, body: str) -> list[str]:
    """Email ``subject``/``body`` to the manager group after commit; returns the recipients
    (empty, with a warning logged, when no manager has an address)."""
    recipients = manager_emails()
    if not recipients:
        logger.warning("no manager has an email address; not emailed: %s", subject)
        return []
    transaction.on_commit(lambda: _send(subject, body, recipients))
    return recipients


def user_notify(user, subject: str, body: str) -> bool:
    """Email one user after commit, if they have an address."""
    if user is None or not user.email:
        return False
    transaction.on_commit(lambda: _send(subject, body, [user.email]))
    return True
