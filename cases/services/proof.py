"""The proof grade of a contact (DESIGN.md sections 5 and 5a): what a court weighs, derived
from stored proof only."""

from collections.abc import Iterable

from cases.limitation import demand_proven_served
from cases.models.contact import Channel, ContactAttachment, Outcome, ProofGrade

K = ContactAttachment.Kind


def proof_grade_for(
    *,
    channel: str,
    outcome: str,
    witness: str = "",
    delivery_confirmed: bool = False,
    attachment_kinds: Iterable[str] = (),
    tracking_status: str = "",
    sms_report_ref: str = "",
) -> int:
    """Strongest first: a signed receipt or a refusal with its witness's record (a file, or a
    tracking status of refused); registered mail proven delivered (a delivery record file or
    a tracking status of delivered); an SMS with the gateway's delivery report; a call
    recording; a notice posted with a photo. Whatever proves a demand served here is what
    ``demand_proven_served`` says. A ticked "delivery confirmed", a witness's name or a
    tracking number without a stored proof is "claimed, unproven"; otherwise a note only."""
    kinds = set(attachment_kinds)
    proven = demand_proven_served(
        channel=channel,
        outcome=outcome,
        file_kinds=kinds,
        tracking_status=tracking_status,
        sms_delivered=bool(sms_report_ref),
    )
    if K.SIGNED_RECEIPT in kinds or (proven and outcome == Outcome.REFUSED):
        return ProofGrade.SIGNED_OR_WITNESSED
    if proven and channel == Channel.SMS and sms_report_ref:
        return ProofGrade.SMS_DELIVERED
    if proven:
        return ProofGrade.REGISTERED_DELIVERED
    if channel == Channel.PHONE and K.RECORDING in kinds:
        return ProofGrade.CALL_RECORDING
    if channel == Channel.NOTICE_POSTED and K.PHOTO in kinds:
        return ProofGrade.POSTED_WITH_PHOTO
    if delivery_confirmed or witness.strip() or tracking_status:
        return ProofGrade.CLAIMED_UNPROVEN
    return ProofGrade.NOTE_ONLY
