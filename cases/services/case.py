"""The services that change a case: the only writers of cases, contacts and deliveries.

Each one: one transaction, the case row locked (``case_lock``), guard and permission checked
first, the change saved, exactly one evidence entry appended, side effects after commit.
A refused operation raises before writing anything.
"""

from __future__ import annotations

import datetime as dt
import json
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
from cases.models.evidence import EvidenceEntry, EvidenceKind, StoredFile
from cases.permissions import user_may_transition, user_may_view_case, user_may_work_case
from cases.policy import GuardResult, guard_for, params_guard, payment_step
from cases.roles import SYSTEM_USERNAME, Role
from cases.selectors.ledger import arrears_for_unit
from cases.services.evidence import evidence_append
from cases.services.files import check_uploads, store_checked
from cases.services.proof import proof_grade_for
from cases.signals import case_stage_changed

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
    attachments = list(attachments)
    for kind, _upload, _name in attachments:
        if kind not in ContactAttachment.Kind.values:
            raise ValidationError(_("Unknown attachment kind “%(k)s”.") % {"k": kind})
    checked = check_uploads((upload, name) for _kind, upload, name in attachments)
    return [
        (kind, file, name)
        for (kind, _u, _n), (file, name) in zip(attachments, store_checked(checked), strict=True)
    ]


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
    tracking_number: str = "",
    tracking_status: str = "",
) -> ContactAttempt:
    """Log a contact attempt with its proof. ``occurred_at`` is when it happened (what
    documents print), not when it is recorded (the chain's time). ``attachments``: (kind,
    file, name) triples; each is checked by content (photos, recordings, PDFs), size
    (≤ 25 MB) and emptiness before anything is written. The proof grade is derived from
    stored proof only (``proof_grade_for``): ``delivery_confirmed`` alone is "claimed,
    unproven". Raises ``ValidationError`` (future date, a tracking status without its
    number). One evidence entry."""
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
        tracking_number=tracking_number.strip(),
        tracking_status=tracking_status,
    )
    contact.full_clean(exclude=["case", "actor"])
    if contact.occurred_at > timezone.now() + dt.timedelta(minutes=5):
        raise ValidationError({"occurred_at": _("A contact cannot be logged in the future.")})
    _check_tracking(contact.tracking_number, tracking_status)
    stored = _store_attachments(attachments)
    contact.proof_grade = proof_grade_for(
        channel=channel,
        outcome=outcome,
        witness=witness,
        delivery_confirmed=delivery_confirmed,
        attachment_kinds=[k for k, _f, _n in stored],
        tracking_status=tracking_status,
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
        "delivery_confirmed": delivery_confirmed,
        "tracking_number": contact.tracking_number,
        "tracking_status": tracking_status,
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


def _check_tracking(number: str, status: str) -> None:
    if status and not number.strip():
        raise ValidationError(
            {"tracking_number": _("A tracking status needs the tracking number it was read on.")}
        )


def date_zh(day: dt.date) -> str:
    """2026年12月4日 (no zero padding), as the documents print dates."""
    return f"{day.year}年{day.month}月{day.day}日"


# The letters the system generates itself: a delivery of one is bounded by its document.
GENERATED_LETTERS = {Letter.DEMAND_LETTER: "demand_letter", Letter.LAWYER_LETTER: "lawyer_letter"}


def letter_document_date(case: Case, letter: str, *, document_ref: str = "") -> dt.date | None:
    """The date of the generated document a delivery of ``letter`` is for, read from the
    case's own evidence chain (the document's generation is an entry of kind ``document``;
    the date it bears, else the day it was generated):
    the document ``document_ref`` names when it is on the case, else the earliest document of
    the letter's kind. None: no such document was generated on the case."""
    kind = GENERATED_LETTERS.get(letter)
    if kind is None:
        return None
    dates: dict[int, dt.date] = {}
    for body, recorded_at in EvidenceEntry.objects.filter(
        case_id=case.pk, kind=EvidenceKind.DOCUMENT
    ).values_list("body", "recorded_at"):
        data = json.loads(body).get("data", {})
        if data.get("kind") == kind:
            dated = data.get("dated")
            dates[data.get("document")] = (
                dt.date.fromisoformat(dated) if dated else timezone.localtime(recorded_at).date()
            )
    if not dates:
        return None
    ref = int(document_ref) if document_ref.isdigit() else None
    return dates.get(ref) or min(dates.values())


def _check_delivery_dates(
    case: Case, *, letter: str, delivered_on: dt.date, document_ref: str, paper_record: bool
) -> None:
    """A delivery happens after its document and after the case opened, never in the future;
    a pre-go-live paper record (with its scan) may precede both."""
    if delivered_on > _today():
        raise ValidationError({"delivered_on": _("A delivery date cannot be in the future.")})
    if paper_record:
        return
    letter_label = Letter(letter).label if letter in Letter.values else letter
    if letter in GENERATED_LETTERS:
        generated = letter_document_date(case, letter, document_ref=document_ref)
        if generated is None:
            raise ValidationError(
                {
                    "delivered_on": _(
                        "No %(letter)s has been generated on case #%(id)s: a letter served "
                        "on paper before the system held it must be recorded as a paper "
                        "record with its scan."
                    )
                    % {"letter": letter_label, "id": case.pk}
                }
            )
        if delivered_on < generated:
            raise ValidationError(
                {
                    "delivered_on": _(
                        "A delivery on %(day)s cannot be before the %(letter)s of %(generated)s "
                        "it delivers."
                    )
                    % {
                        "day": date_zh(delivered_on),
                        "letter": letter_label,
                        "generated": date_zh(generated),
                    }
                }
            )
    if delivered_on < case.opened_on:
        raise ValidationError(
            {
                "delivered_on": _(
                    "A delivery on %(day)s cannot be before the case was opened on %(opened)s, "
                    "unless it is recorded as a pre-go-live paper record with its scan."
                )
                % {"day": date_zh(delivered_on), "opened": date_zh(case.opened_on)}
            }
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
    tracking_number: str = "",
    tracking_status: str = "",
    paper_record: bool = False,
    scan=None,
    scan_name: str = "",
) -> Delivery:
    """Record a letter's delivery on the day it happened (``delivered_on``, what documents
    print; the chain keeps when it was recorded). Served, signed or refused sets the letter's
    deadline (the estate's demand or lawyer-letter deadline days); returned does not. Whether
    it counts — for the art. 944 guard and the limitation clock alike — is
    ``demand_proven_served`` of its stored proof (``proof`` file, tracking status).

    Raises ``ValidationError`` naming the field, before anything is written, for a date in
    the future, before the letter's generated document (a demand or lawyer letter the case
    has no document of is refused), or before the case opened — unless ``paper_record``
    (a letter served on paper before go-live), which requires its ``scan``; and for a
    tracking status without its number. One evidence entry."""
    locked = case_lock(case.pk)
    if not (
        actor.is_superuser
        or actor.groups.filter(name__in=[Role.LEGAL_OFFICER, Role.MANAGER, Role.SYSTEM]).exists()
    ):
        raise CaseForbidden(_("Only legal officers record letter deliveries."))
    if not locked.is_open:
        raise CaseError(_("Case #%(id)s is closed.") % {"id": locked.pk}, case=locked)
    if paper_record and not scan:
        raise ValidationError(
            {"scan": _("A pre-go-live paper record needs the scan of the paper letter.")}
        )
    _check_delivery_dates(
        locked,
        letter=letter,
        delivered_on=delivered_on,
        document_ref=document_ref,
        paper_record=paper_record,
    )
    _check_tracking(tracking_number, tracking_status)
    files = [("delivery_record", proof, proof_name)] if proof else []
    files += [("document", scan, scan_name)] if scan else []
    stored = _store_attachments(files)
    proof_file = next((f for k, f, _n in stored if k == "delivery_record"), None)
    scan_file = next((f for k, f, _n in stored if k == "document"), None)
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
        proof=proof_file,
        tracking_number=tracking_number.strip(),
        tracking_status=tracking_status,
        paper_record=paper_record,
        scan=scan_file,
    )
    delivery.full_clean(exclude=["case", "recorded_by", "proof", "scan"])
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
            "tracking_number": delivery.tracking_number,
            "tracking_status": tracking_status,
            "paper_record": paper_record,
            "proof": proof_file.sha256 if proof_file else None,
            "scan": scan_file.sha256 if scan_file else None,
            "proven_served": delivery.proven_served,
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
