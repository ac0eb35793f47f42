"""The services that change a case: the only writers of cases, contacts and deliveries.

Each one: one transaction, the case row locked (``case_lock``), guard and permission checked
first, the change saved, exactly one evidence entry appended, side effects after commit.
A refused operation raises before writing anything.
"""

from __future__ import annotations

import datetime as dt
import logging
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django_fsm import ConcurrentTransition, TransitionNotAllowed

from cases.models import Case, Unit
from cases.models.case import TRANSITIONS, Stage
from cases.models.contact import (
    SERVED_STATUSES,
    ContactAttachment,
    ContactAttempt,
    Delivery,
    Letter,
    Outcome,
    PromiseStatus,
)
from cases.models.evidence import EvidenceKind, StoredFile
from cases.permissions import user_may_transition, user_may_view_case, user_may_work_case
from cases.policy import GuardResult, guard_for, params_guard, payment_step
from cases.roles import SYSTEM_USERNAME, Role
from cases.selectors.ledger import arrears_for_unit
from cases.services.evidence import evidence_append
from cases.services.proof import proof_grade_for
from cases.signals import case_stage_changed
from cases.storage import blob_put, read_upload, sniff_content_type

logger = logging.getLogger(__name__)


class CaseError(Exception):
    """A domain refusal with a message for the user."""

    def __init__(self, message: str, *, case: Case | None = None):
        super().__init__(message)
        self.message = message
        self.case = case


class TransitionRefused(CaseError):
    """The guard said no (HTTP 409 at the edge)."""


class TransitionConflict(CaseError):
    """Someone else changed the case first (HTTP 409)."""


class CaseForbidden(CaseError, PermissionDenied):
    """The actor's role does not allow this (HTTP 403)."""


def system_user():
    """The actor of automatic steps (sweep, payment reactions)."""
    from django.contrib.auth.models import Group

    user, created = get_user_model().objects.get_or_create(
        username=SYSTEM_USERNAME, defaults={"is_active": False}
    )
    if created:
        user.set_unusable_password()
        user.save(update_fields=["password"])
        user.groups.add(Group.objects.get_or_create(name=Role.SYSTEM)[0])
    return user


def case_lock(pk: int) -> Case:
    """The one ``select_for_update`` on cases: lock the row for the rest of the transaction."""
    return Case.objects.select_for_update().select_related("unit__estate").get(pk=pk)


def _today() -> dt.date:
    return timezone.localdate()


@transaction.atomic
def case_open(unit: Unit, *, actor, on: dt.date | None = None, collector=None) -> Case:
    """Open a case for a unit that has none open. Raises ``CaseError`` if one is open."""
    on = on or _today()
    if Case.objects.filter(unit=unit).exclude(stage=Stage.CLOSED).exists():
        raise CaseError(_("Unit %(unit)s already has an open case.") % {"unit": unit.label})
    try:
        with transaction.atomic():
            case = Case.objects.create(unit=unit, opened_on=on, collector=collector)
    except IntegrityError as exc:  # a concurrent open won the race
        raise CaseError(
            _("Unit %(unit)s already has an open case.") % {"unit": unit.label}
        ) from exc
    arrears = arrears_for_unit(unit, as_of=on)
    evidence_append(
        case,
        kind=EvidenceKind.OPENED,
        actor=actor,
        summary=_("Case opened for %(unit)s") % {"unit": unit.label},
        payload={"unit": unit.pk, "principal": str(arrears.principal), "as_of": on.isoformat()},
    )
    return case


def _check_not_stale(locked: Case, seen_stage: str | None, name: str) -> None:
    if seen_stage is not None and locked.stage != seen_stage:
        raise TransitionConflict(
            _(
                "Case #%(id)s moved to “%(now)s” while you were looking at “%(seen)s”; "
                "“%(action)s” was not applied. Reload the case."
            )
            % {
                "id": locked.pk,
                "now": locked.get_stage_display(),
                "seen": Stage(seen_stage).label,
                "action": TRANSITIONS[name].label,
            },
            case=locked,
        )


def _apply_transition(
    locked: Case,
    name: str,
    *,
    actor,
    evidence_actor,
    as_of: dt.date,
    note: str = "",
    payload: dict | None = None,
    params: dict | None = None,
    files: tuple[str, ...] = (),
):
    """Guard, change, save, one evidence entry (with ``files``, stored SHA-256s), on_commit
    signal. Permission is the caller's business (system steps skip it)."""
    spec = TRANSITIONS[name]
    if locked.stage not in spec.sources:
        raise TransitionRefused(
            _("“%(action)s” is not possible while the case is at “%(stage)s”.")
            % {"action": spec.label, "stage": locked.get_stage_display()},
            case=locked,
        )
    verdict = guard_for(name)(locked, as_of=as_of)
    if not verdict:
        raise TransitionRefused(verdict.reason, case=locked)
    params = params or {}
    checked = params_guard(name, locked, params, as_of=as_of)
    if not checked:
        raise TransitionRefused(checked.reason, case=locked)
    if checked.reason:
        verdict = GuardResult(True, " ".join(r for r in (verdict.reason, checked.reason) if r))
    locked._guard_verdict = (name, verdict)
    source = locked.stage
    try:
        getattr(locked, name)(**params)
        if locked.stage == Stage.CLOSED and locked.closed_on is None:
            locked.closed_on = as_of
        locked.save()
    except (TransitionNotAllowed, ConcurrentTransition) as exc:
        raise TransitionConflict(str(exc), case=locked) from exc
    entry = evidence_append(
        locked,
        kind=EvidenceKind.TRANSITION,
        actor=evidence_actor,
        summary=f"{Stage(source).label} → {Stage(locked.stage).label}",
        payload={
            "transition": name,
            "from": source,
            "to": locked.stage,
            "reason": verdict.reason,
            "note": note,
            "params": {k: str(v) for k, v in params.items()},
            **(payload or {}),
        },
        files=files,
    )
    signal_kwargs = {
        "case_id": locked.pk,
        "transition": name,
        "source": source,
        "target": locked.stage,
        "evidence_id": entry.pk,
        "actor_id": getattr(actor, "pk", None),
    }
    # robust: a failing receiver (e.g. document generation) is logged and retried by its
    # task, never reported as if the committed stage change had failed.
    transaction.on_commit(lambda: _announce_stage_change(signal_kwargs), robust=True)
    return entry


def _announce_stage_change(signal_kwargs: dict) -> None:
    for receiver, result in case_stage_changed.send_robust(sender=Case, **signal_kwargs):
        if isinstance(result, Exception):
            logger.error(
                "after case %s moved to %s, %s failed: %s",
                signal_kwargs["case_id"],
                signal_kwargs["target"],
                receiver,
                result,
                exc_info=result,
            )


@transaction.atomic
def case_transition(
    case: Case,
    name: str,
    *,
    actor,
    note: str = "",
    expected_stage: str | None = None,
    as_of: dt.date | None = None,
    **params,
) -> Case:
    """Perform transition ``name`` of the state machine on ``case`` as ``actor``.

    Raises ``CaseForbidden`` when the actor's role may not, ``TransitionRefused`` with the
    guard's reason when the policy says no, ``TransitionConflict`` when the case changed
    since the caller read it (``expected_stage``, else the stage of the ``case`` passed in).
    Nothing is written when it raises."""
    if name not in TRANSITIONS:
        raise CaseError(_("Unknown step “%(name)s”.") % {"name": name})
    seen = expected_stage if expected_stage is not None else case.stage
    locked = case_lock(case.pk)
    if not user_may_transition(actor, locked, TRANSITIONS[name]):
        raise CaseForbidden(
            _("Your role may not “%(action)s” on case #%(id)s.")
            % {"action": TRANSITIONS[name].label, "id": locked.pk},
            case=locked,
        )
    _check_not_stale(locked, seen, name)
    _apply_transition(
        locked,
        name,
        actor=actor,
        evidence_actor=actor,
        as_of=as_of or _today(),
        note=note,
        params=params,
    )
    return locked


@transaction.atomic
def case_assign(case: Case, *, actor, collector=None, legal_officer=None) -> Case:
    """Assign the collector and/or legal officer (managers and legal officers only)."""
    if not (
        actor.is_superuser
        or actor.groups.filter(name__in=[Role.MANAGER, Role.LEGAL_OFFICER, Role.SYSTEM]).exists()
    ):
        raise CaseForbidden(_("Only managers and legal officers assign cases."))
    locked = case_lock(case.pk)
    changes = {}
    if collector is not None and locked.collector_id != collector.pk:
        locked.collector = collector
        changes["collector"] = collector.get_username()
    if legal_officer is not None and locked.legal_officer_id != legal_officer.pk:
        locked.legal_officer = legal_officer
        changes["legal_officer"] = legal_officer.get_username()
    if not changes:
        return locked
    Case.objects.filter(pk=locked.pk).update(
        collector=locked.collector, legal_officer=locked.legal_officer
    )
    evidence_append(
        locked,
        kind=EvidenceKind.ASSIGNMENT,
        actor=actor,
        summary=_("Assigned: %(who)s") % {"who": ", ".join(changes.values())},
        payload=changes,
    )
    return locked


def _store_attachments(attachments) -> list[tuple[str, StoredFile, str]]:
    """Validate every file first (nothing is written if one is refused), then store them."""
    checked = []
    for kind, upload, name in attachments:
        name = name or getattr(upload, "name", "") or ""
        if kind not in ContactAttachment.Kind.values:
            raise ValidationError(_("Unknown attachment kind “%(k)s”.") % {"k": kind})
        content = read_upload(upload, name=name)
        checked.append((kind, content, sniff_content_type(content, name=name), name))
    stored = []
    for kind, content, content_type, name in checked:
        sha = blob_put(content)
        file, _created = StoredFile.objects.get_or_create(
            sha256=sha, defaults={"size": len(content), "content_type": content_type}
        )
        stored.append((kind, file, name))
    return stored


@transaction.atomic
def contact_log(
    case: Case,
    *,
    actor,
    channel: str,
    outcome: str,
    occurred_at: dt.datetime | None = None,
    notes: str = "",
    witness: str = "",
    delivery_confirmed: bool = False,
    promised_on: dt.date | None = None,
    promised_amount: Decimal | None = None,
    attachments=(),
) -> ContactAttempt:
    """Log a contact attempt with its proof. ``attachments``: (kind, file, name) triples;
    each is checked by content (photos, recordings, PDFs), size (≤ 25 MB) and emptiness
    before anything is written. The proof grade is derived. One evidence entry."""
    locked = case_lock(case.pk)
    if not user_may_work_case(actor, locked):
        raise CaseForbidden(_("You are not assigned to case #%(id)s.") % {"id": locked.pk})
    if not locked.is_open:
        raise CaseError(_("Case #%(id)s is closed.") % {"id": locked.pk}, case=locked)
    contact = ContactAttempt(
        case=locked,
        stage=locked.stage,
        channel=channel,
        outcome=outcome,
        occurred_at=occurred_at or timezone.now(),
        actor=actor,
        notes=notes,
        witness=witness,
        delivery_confirmed=delivery_confirmed,
        promised_on=promised_on,
        promised_amount=promised_amount,
        promise_status=PromiseStatus.OPEN if outcome == Outcome.PROMISED else "",
    )
    contact.full_clean(exclude=["case", "actor"])
    if contact.occurred_at > timezone.now() + dt.timedelta(minutes=5):
        raise ValidationError({"occurred_at": _("A contact cannot be logged in the future.")})
    stored = _store_attachments(attachments)
    contact.proof_grade = proof_grade_for(
        channel=channel,
        outcome=outcome,
        witness=witness,
        delivery_confirmed=delivery_confirmed,
        attachment_kinds=[k for k, _f, _n in stored],
    )
    contact.save()
    ContactAttachment.objects.bulk_create(
        ContactAttachment(contact=contact, kind=k, file=f, original_name=n[:255], uploaded_by=actor)
        for k, f, n in stored
    )
    payload = {
        "contact": contact.pk,
        "channel": channel,
        "outcome": outcome,
        "occurred_at": timezone.localtime(contact.occurred_at).isoformat(),
        "proof_grade": contact.proof_grade,
        "notes": notes,
        "witness": witness,
        "attachments": [{"kind": k, "sha256": f.sha256, "name": n} for k, f, n in stored],
    }
    if outcome == Outcome.PROMISED:
        payload |= {"promised_on": promised_on.isoformat(), "promised_amount": str(promised_amount)}
    evidence_append(
        locked,
        kind=EvidenceKind.CONTACT,
        actor=actor,
        summary=f"{contact.get_channel_display()}: {contact.get_outcome_display()}",
        payload=payload,
        files=[f.sha256 for _k, f, _n in stored],
    )
    return contact


def promise_record(
    case: Case, *, actor, promised_on: dt.date, amount: Decimal, channel: str, **kwargs
) -> ContactAttempt:
    """A promise to pay is a contact whose outcome is 'promised'."""
    if promised_on < _today():
        raise ValidationError({"promised_on": _("A promise date cannot be in the past.")})
    return contact_log(
        case,
        actor=actor,
        channel=channel,
        outcome=Outcome.PROMISED,
        promised_on=promised_on,
        promised_amount=amount,
        **kwargs,
    )


@transaction.atomic
def delivery_record(
    case: Case,
    *,
    actor,
    letter: str,
    status: str,
    delivered_on: dt.date,
    method: str,
    proof=None,
    proof_name: str = "",
    document_ref: str = "",
) -> Delivery:
    """Record a letter's delivery. Served, signed or refused starts the letter's deadline
    (the estate's demand or lawyer-letter deadline days); returned does not."""
    locked = case_lock(case.pk)
    if not (
        actor.is_superuser
        or actor.groups.filter(name__in=[Role.LEGAL_OFFICER, Role.MANAGER, Role.SYSTEM]).exists()
    ):
        raise CaseForbidden(_("Only legal officers record letter deliveries."))
    if not locked.is_open:
        raise CaseError(_("Case #%(id)s is closed.") % {"id": locked.pk}, case=locked)
    if delivered_on > _today():
        raise ValidationError({"delivered_on": _("A delivery date cannot be in the future.")})
    stored = _store_attachments([("delivery_record", proof, proof_name)]) if proof else []
    estate = locked.unit.estate
    days = {
        Letter.DEMAND_LETTER: estate.demand_deadline_days,
        Letter.LAWYER_LETTER: estate.lawyer_letter_deadline_days,
    }.get(letter)
    deadline = (
        delivered_on + dt.timedelta(days=days) if days and status in SERVED_STATUSES else None
    )
    delivery = Delivery(
        case=locked,
        letter=letter,
        status=status,
        delivered_on=delivered_on,
        deadline=deadline,
        method=method,
        document_ref=document_ref,
        recorded_by=actor,
        proof=stored[0][1] if stored else None,
    )
    delivery.full_clean(exclude=["case", "recorded_by", "proof"])
    delivery.save()
    evidence_append(
        locked,
        kind=EvidenceKind.DELIVERY,
        actor=actor,
        summary=f"{delivery.get_letter_display()}: {delivery.get_status_display()}",
        payload={
            "delivery": delivery.pk,
            "letter": letter,
            "status": status,
            "delivered_on": delivered_on.isoformat(),
            "deadline": deadline.isoformat() if deadline else None,
            "method": method,
            "document_ref": document_ref,
        },
        files=[f.sha256 for _k, f, _n in stored],
    )
    return delivery


def payment_evidence_payload(payment) -> dict:
    """What a payment's evidence entry records: date, amount, receipt number and what it
    paid, charge by charge (item, period, principal or late fee)."""
    from cases.models import Allocation

    allocations = (
        Allocation.objects.filter(payment=payment)
        .select_related("charge")
        .order_by("charge__due_date", "charge_id", "target")
    )
    return {
        "payment": payment.pk,
        "amount": str(payment.amount),
        "paid_on": payment.paid_on.isoformat(),
        "reference": payment.reference,
        "method": payment.method,
        "payer": payment.payer_name,
        "designated_charges": sorted(payment.designated_charges.values_list("pk", flat=True)),
        "paid": [
            {
                "charge": a.charge_id,
                "item": a.charge.item,
                "period_start": a.charge.period_start.isoformat(),
                "period_end": a.charge.period_end.isoformat(),
                "due_date": a.charge.due_date.isoformat(),
                "target": a.target,
                "amount": str(a.amount),
            }
            for a in allocations
        ],
    }


def case_payment_react(unit: Unit, payment, *, actor) -> None:
    """A payment touched the unit: its evidence entry on the open case (date, amount,
    receipt number, what it paid), then the step ``payment_step`` gives: ``settle`` when
    paid in full before any lawyer letter, ``request_withdrawal`` from the lawyer letter on
    once the principal is paid (a manager decides on any late fee that remains).

    Runs inside ``payment_record``'s transaction, with the unit row locked."""
    open_case = Case.objects.filter(unit=unit).exclude(stage=Stage.CLOSED).first()
    if open_case is None:
        return
    locked = case_lock(open_case.pk)
    as_of = max(payment.paid_on, _today())
    arrears = arrears_for_unit(unit, as_of=as_of)
    after = {
        "principal_after": str(arrears.principal),
        "late_fee_after": str(arrears.late_fee_payable),
        "remainder_after": str(arrears.remainder),
    }
    payload = payment_evidence_payload(payment) | after
    receipt = f" ({payment.reference})" if payment.reference else ""
    evidence_append(
        locked,
        kind=EvidenceKind.PAYMENT,
        actor=actor,
        summary=_("Payment of %(amount)s received on %(date)s%(receipt)s")
        % {"amount": payment.amount, "date": payment.paid_on.isoformat(), "receipt": receipt},
        payload=payload,
    )
    step = payment_step(locked.stage, locked.return_stage, arrears)
    if step is not None:
        _apply_transition(
            locked,
            step,
            actor=system_user(),
            evidence_actor=actor,
            as_of=as_of,
            note=_("Paid in full") if arrears.paid_in_full else _("Principal paid"),
            payload={"payment": payment.pk, "amount": str(payment.amount), **after},
        )


def case_for_user(user, pk: int) -> Case:
    """The case if ``user`` may see it; ``Case.DoesNotExist`` otherwise (a 404 at the edge,
    so a collector cannot learn that another's case exists)."""
    case = Case.objects.select_related("unit__estate").get(pk=pk)
    if not user_may_view_case(user, case):
        raise Case.DoesNotExist(f"case {pk} not visible to {user}")
    return case
