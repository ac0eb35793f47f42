"""The proof grade of a contact (DESIGN.md section 5): what a court weighs."""

from collections.abc import Iterable

from cases.models.contact import Channel, ContactAttachment, Outcome, ProofGrade

K = ContactAttachment.Kind


def proof_grade_for(
    *,
    channel: str,
    outcome: str,
    witness: str = "",
    delivery_confirmed: bool = False,
    attachment_kinds: Iterable[str] = (),
) -> int:
    """Strongest first: a signed receipt or a refusal recorded by a witness; registered mail
    with a delivery record; an SMS delivery report; a call recording; a notice posted with a
    photo; otherwise a note only."""
    kinds = set(attachment_kinds)
    if K.SIGNED_RECEIPT in kinds or (outcome == Outcome.REFUSED and witness.strip()):
        return ProofGrade.SIGNED_OR_WITNESSED
    if channel == Channel.REGISTERED_MAIL and (delivery_confirmed or K.DELIVERY_RECORD in kinds):
        return ProofGrade.REGISTERED_DELIVERED
    if channel == Channel.SMS and delivery_confirmed:
        return ProofGrade.SMS_DELIVERED
    if channel == Channel.PHONE and K.RECORDING in kinds:
        return ProofGrade.CALL_RECORDING
    if channel == Channel.NOTICE_POSTED and K.PHOTO in kinds:
        return ProofGrade.POSTED_WITH_PHOTO
    return ProofGrade.NOTE_ONLY
