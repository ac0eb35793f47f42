"""The workspace forms. They only shape input for the services, which hold the rules and
raise ``ValidationError`` naming the field; ``apply_errors`` puts those on the form."""

from __future__ import annotations

from decimal import Decimal

from django import forms
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from cases.models import (
    Case,
    Channel,
    ContactAttachment,
    DeliveryStatus,
    Letter,
    Outcome,
    Stage,
    TrackingStatus,
)
from cases.models.case import JudgmentKind, LitigationKind
from cases.storage import MAX_UPLOAD_BYTES, read_upload, sniff_content_type

# ISO values whatever the language: a date input ignores a value in any other format.
DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
DATETIME = forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")


def checked_upload(upload) -> object:
    """An uploaded photo, recording or PDF, refused here (under its own field) when it is
    empty, too big or of another type; the service checks again before storing it."""
    if upload:
        sniff_content_type(read_upload(upload, name=upload.name), name=upload.name)
        upload.seek(0)
    return upload


def with_blank(choices) -> list:
    """A choice list that starts with an empty "choose" entry, so nothing is preselected."""
    return [("", "---------"), *choices]


def apply_errors(form: forms.Form, exc: ValidationError) -> None:
    """Attach a service's ``ValidationError`` to the form: to the field it names when the
    form has that field, else to the whole form."""
    if hasattr(exc, "error_dict"):
        for field, errors in exc.message_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, exc.messages)


class CaseFilterForm(forms.Form):
    """The worklist's filters; every one optional."""

    estate = forms.IntegerField(required=False, widget=forms.Select)
    stage = forms.ChoiceField(
        label=_("Stage"), required=False, choices=[("", _("All stages")), *Stage.choices]
    )
    min_days = forms.IntegerField(label=_("Days overdue ≥"), required=False, min_value=0)
    min_amount = forms.DecimalField(
        label=_("Arrears ≥"), required=False, min_value=Decimal(0), decimal_places=2
    )
    broken_promises = forms.BooleanField(label=_("Broken promises only"), required=False)

    def __init__(self, *args, estates=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["estate"] = forms.TypedChoiceField(
            label=_("Estate"),
            required=False,
            coerce=int,
            empty_value=None,
            choices=[("", _("All estates")), *((e.pk, e.name) for e in estates)],
        )


class ContactForm(forms.Form):
    """Log a contact (and a promise to pay) from a phone: the file fields open the phone's
    camera or recorder (``capture``)."""

    channel = forms.ChoiceField(label=_("Channel"), choices=with_blank(Channel.choices))
    outcome = forms.ChoiceField(label=_("Outcome"), choices=with_blank(Outcome.choices))
    occurred_at = forms.DateTimeField(
        label=_("When it happened"),
        required=False,
        widget=DATETIME,
        help_text=_("Empty: now. The record keeps its own time of recording."),
    )
    notes = forms.CharField(
        label=_("Notes"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )
    witness = forms.CharField(
        label=_("Witness"),
        required=False,
        max_length=100,
        help_text=_("Who saw a refusal or a posting (name, role)."),
    )
    delivery_confirmed = forms.BooleanField(
        label=_("Delivery claimed"),
        required=False,
        help_text=_(
            "Without a stored proof (a receipt or delivery record, a tracking number with its "
            "status, the SMS gateway's report) the contact stays “claimed, unproven”."
        ),
    )
    tracking_number = forms.CharField(
        label=_("Tracking number (EMS / registered mail)"), required=False, max_length=40
    )
    tracking_status = forms.ChoiceField(
        label=_("Tracking status"), required=False, choices=TrackingStatus.choices
    )
    receipt = forms.FileField(
        label=_("Signed receipt or delivery record"),
        required=False,
        widget=forms.ClearableFileInput(attrs={"accept": "image/*,application/pdf"}),
    )
    promised_on = forms.DateField(label=_("Promised payment date"), required=False, widget=DATE)
    promised_amount = forms.DecimalField(
        label=_("Promised amount"), required=False, min_value=Decimal("0.01"), decimal_places=2
    )
    photo = forms.FileField(
        label=_("Photo"),
        required=False,
        widget=forms.ClearableFileInput(attrs={"accept": "image/*", "capture": "environment"}),
    )
    recording = forms.FileField(
        label=_("Call recording"),
        required=False,
        widget=forms.ClearableFileInput(attrs={"accept": "audio/*", "capture": "user"}),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # Set per request, in the user's language (a lazy string formatted at import is not).
        self.fields["photo"].help_text = _(
            "Takes a picture with the phone's camera. At most %(mb)d MB."
        ) % {"mb": MAX_UPLOAD_BYTES // (1024 * 1024)}

    def clean_photo(self):
        return checked_upload(self.cleaned_data.get("photo"))

    def clean_recording(self):
        return checked_upload(self.cleaned_data.get("recording"))

    def clean_receipt(self):
        return checked_upload(self.cleaned_data.get("receipt"))

    def clean(self):
        data = super().clean()
        if data.get("outcome") == Outcome.PROMISED:
            if "promised_on" not in self.errors:
                if not data.get("promised_on"):
                    self.add_error("promised_on", _("A promise needs the date the owner will pay."))
                elif data["promised_on"] < timezone.localdate():
                    self.add_error("promised_on", _("A promise date cannot be in the past."))
            if "promised_amount" not in self.errors and not data.get("promised_amount"):
                self.add_error("promised_amount", _("A promise needs the amount."))
        return data

    def attachments(self) -> list[tuple[str, object, str]]:
        out = []
        # A receipt signed by the owner, else the courier's (or a witness's) delivery record.
        receipt = (
            ContactAttachment.Kind.SIGNED_RECEIPT
            if self.cleaned_data.get("channel") == Channel.NOTICE_SIGNED
            else ContactAttachment.Kind.DELIVERY_RECORD
        )
        for field, kind in (
            ("photo", ContactAttachment.Kind.PHOTO),
            ("recording", ContactAttachment.Kind.RECORDING),
            ("receipt", receipt),
        ):
            upload = self.cleaned_data.get(field)
            if upload:
                out.append((kind, upload, upload.name))
        return out


class WaiverForm(forms.Form):
    reason_category = forms.ChoiceField(label=_("Reason"), choices=())
    reason = forms.CharField(label=_("Details"), widget=forms.Textarea(attrs={"rows": 3}))
    good_faith = forms.BooleanField(
        label=_("The owner is not refusing in bad faith"), required=False
    )
    amount = forms.DecimalField(
        label=_("Amount to waive"),
        required=False,
        min_value=Decimal("0.01"),
        decimal_places=2,
        help_text=_("Empty: the whole late fee owed today."),
    )

    def __init__(self, *args, categories=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["reason_category"].choices = categories


class PlanForm(forms.Form):
    """An installment plan: one line per installment, ``YYYY-MM-DD amount``."""

    installments = forms.CharField(
        label=_("Installments"),
        widget=forms.Textarea(attrs={"rows": 5, "placeholder": "2027-01-15 1500.00"}),
        help_text=_("One per line: due date and amount, e.g. “2027-01-15 1500.00”."),
    )
    reason = forms.CharField(label=_("Hardship"), widget=forms.Textarea(attrs={"rows": 3}))

    def clean_installments(self):
        rows = []
        for number, line in enumerate(self.cleaned_data["installments"].splitlines(), 1):
            if not line.strip():
                continue
            parts = line.split()
            try:
                due = forms.DateField().clean(parts[0])
                amount = Decimal(parts[1].replace(",", ""))
                if len(parts) != 2:
                    raise ValueError
            except (IndexError, ValueError, ArithmeticError, ValidationError):
                raise ValidationError(
                    _("Line %(n)d “%(line)s” is not “date amount”.")
                    % {"n": number, "line": line.strip()}
                ) from None
            rows.append((len(rows) + 1, due, amount))
        if not rows:
            raise ValidationError(_("Give at least one installment."))
        return rows


class AdvanceForm(forms.Form):
    """Advance a case one step; the fields a step takes are added per step."""

    expected_stage = forms.CharField(widget=forms.HiddenInput)
    note = forms.CharField(
        label=_("Note for the evidence"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )

    def __init__(self, *args, transition: str, case: Case, **kwargs):
        super().__init__(*args, **kwargs)
        self.transition = transition
        today = timezone.localdate()
        if transition == "file_litigation":
            self.fields["kind"] = forms.ChoiceField(
                label=_("Procedure"), choices=LitigationKind.choices
            )
            self.fields["court"] = forms.CharField(
                label=_("Court"), max_length=200, initial=case.unit.estate.court_name
            )
            self.fields["filed_on"] = forms.DateField(
                label=_("Filed on"), widget=DATE, initial=today
            )
            self.fields["court_case_number"] = forms.CharField(
                label=_("Court case number"), max_length=80, required=False
            )
        elif transition == "record_summons":
            self.fields["served_on"] = forms.DateField(
                label=_("Summons served on"), widget=DATE, initial=today
            )
            self.fields["court_case_number"] = forms.CharField(
                label=_("Court case number"),
                max_length=80,
                required=False,
                initial=case.court_case_number,
            )
        elif transition == "record_court_acceptance":
            self.fields["accepted_on"] = forms.DateField(
                label=_("Accepted by the court on"), widget=DATE, initial=today
            )
            self.fields["court_case_number"] = forms.CharField(
                label=_("Court case number"), max_length=80, initial=case.court_case_number
            )
        elif transition == "record_payment_order_service":
            self.fields["served_on"] = forms.DateField(
                label=_("Payment order served on"),
                widget=DATE,
                initial=today,
                help_text=_("The owner has 15 days from service to pay or object."),
            )
        elif transition == "record_objection":
            self.fields["on"] = forms.DateField(
                label=_("Objection filed on"), widget=DATE, initial=today
            )
        elif transition == "record_judgment":
            self.fields["kind"] = forms.ChoiceField(
                label=_("Outcome"), choices=JudgmentKind.choices
            )
            self.fields["effective_on"] = forms.DateField(
                label=_("Effective on"), widget=DATE, initial=today
            )
            self.fields["performance_deadline"] = forms.DateField(
                label=_("Performance deadline (履行期限)"),
                widget=DATE,
                required=False,
                help_text=_(
                    "The last day the judgment or mediation gives the owner to pay. The two "
                    "years to apply for enforcement run from it (from the effective date when "
                    "it states none)."
                ),
            )

    def params(self) -> dict:
        return {
            k: v
            for k, v in self.cleaned_data.items()
            if k not in ("expected_stage", "note") and v not in (None, "")
        }


class DeliveryForm(forms.Form):
    """A generated letter's delivery, or (paper record) a letter served on paper before the
    system held it, with its scan. Proof is a stored file or a tracking status; without it the
    delivery is shown as "claimed, unproven" and moves neither the deadline nor the clock."""

    document = forms.TypedChoiceField(
        label=_("Letter"), coerce=int, choices=(), required=False, empty_value=None
    )
    status = forms.ChoiceField(label=_("Delivery"), choices=DeliveryStatus.choices)
    delivered_on = forms.DateField(
        label=_("Date it happened"),
        widget=DATE,
        help_text=_("Not before the letter's own date, not before the case opened."),
    )
    method = forms.ChoiceField(label=_("How"), choices=Channel.choices)
    proof = forms.FileField(
        label=_("Proof (receipt, delivery record, witness's record)"),
        required=False,
        widget=forms.ClearableFileInput(attrs={"accept": "image/*,application/pdf"}),
    )
    tracking_number = forms.CharField(
        label=_("Tracking number (EMS / registered mail)"), required=False, max_length=40
    )
    tracking_status = forms.ChoiceField(
        label=_("Tracking status"), required=False, choices=TrackingStatus.choices
    )
    paper_record = forms.BooleanField(
        label=_("Pre-go-live paper record"),
        required=False,
        help_text=_("A letter served on paper before the system held it: attach its scan."),
    )
    paper_letter = forms.ChoiceField(
        label=_("Paper letter"), required=False, choices=with_blank(Letter.choices)
    )
    scan = forms.FileField(
        label=_("Scan of the paper letter"),
        required=False,
        widget=forms.ClearableFileInput(attrs={"accept": "image/*,application/pdf"}),
    )

    def clean_proof(self):
        return checked_upload(self.cleaned_data.get("proof"))

    def clean_scan(self):
        return checked_upload(self.cleaned_data.get("scan"))

    def __init__(self, *args, documents=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["document"].choices = [
            ("", "—"),
            *((d.pk, f"{d.get_kind_display()} {d.number}".strip()) for d in documents),
        ]
        self.fields["delivered_on"].initial = timezone.localdate()

    def clean(self):
        data = super().clean()
        if data.get("paper_record"):
            if not data.get("paper_letter") and "paper_letter" not in self.errors:
                self.add_error("paper_letter", _("Which letter was served on paper?"))
        elif data.get("document") is None and "document" not in self.errors:
            self.add_error(
                "document",
                _("Choose the generated letter, or record a pre-go-live paper record."),
            )
        return data


class WithdrawalForm(forms.Form):
    reason = forms.CharField(
        label=_("Why withdraw"), widget=forms.Textarea(attrs={"rows": 3}), max_length=2000
    )


class PlanSignatureForm(forms.Form):
    signed_on = forms.DateField(label=_("Signed by the owner on"), widget=DATE)
    signed_scan = forms.FileField(
        label=_("Scan of the signed agreement"),
        widget=forms.ClearableFileInput(attrs={"accept": "image/*,application/pdf"}),
    )

    def clean_signed_scan(self):
        return checked_upload(self.cleaned_data.get("signed_scan"))


class ClaimIncludeForm(forms.Form):
    """A legal officer includes a time-barred charge in the claim, saying why."""

    reason = forms.CharField(
        label=_("Why claim this time-barred charge"),
        help_text=_(
            "E.g. the owner acknowledged the debt in writing, or a demand the system does not "
            "hold interrupted the period. Recorded in the evidence chain."
        ),
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=2000,
    )
