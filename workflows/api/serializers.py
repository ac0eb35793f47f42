"""What the API shows and what it accepts. Output serializers are read-only views of models
and selector results; input serializers only parse and check the shape of a request, the
services check the rules."""

from __future__ import annotations

from decimal import Decimal

from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers
from rest_framework.reverse import reverse

from cases.identity import mask_id_number
from cases.models import (
    Allocation,
    CallScript,
    Case,
    Channel,
    Charge,
    ContactAttachment,
    ContactAttempt,
    Delivery,
    DeliveryStatus,
    Estate,
    EvidenceEntry,
    FeeStandard,
    JudgmentKind,
    Letter,
    LitigationKind,
    ManagementRules,
    Outcome,
    Party,
    Payment,
    ServiceContract,
    Stage,
    TrackingStatus,
    Unit,
)
from cases.models.case import TRANSITIONS
from cases.permissions import mask_phone
from cases.selectors.case import transitions_open_to
from cases.selectors.ledger import FEN, charge_late_fee_owed, money
from legal_docs.models import LegalDocument

MONEY = {"max_digits": 14, "decimal_places": 2}


def _username(user) -> str | None:
    return user.get_username() if user is not None else None


class ErrorSerializer(serializers.Serializer):
    """Every error: ``detail`` for a person, ``code`` for a program, ``errors`` per field."""

    detail = serializers.CharField()
    code = serializers.CharField(required=False)
    errors = serializers.JSONField(required=False)
    stage = serializers.CharField(required=False, help_text="409: the case's stage now.")


# --- estates, units, parties ------------------------------------------------------------


class FeeStandardSerializer(serializers.ModelSerializer):
    price = serializers.CharField(source="price_text", read_only=True)
    cited_clause = serializers.CharField(read_only=True)

    class Meta:
        model = FeeStandard
        fields = ["id", "item", "segment", "unit_price", "monthly_amount", "price", "valid_from",
                  "valid_to", "clause", "cited_clause"]  # fmt: skip
        read_only_fields = fields


class ServiceContractSerializer(serializers.ModelSerializer):
    """A property service contract with its clauses and fee standards; the scan by its
    SHA-256 (the stored file)."""

    fee_standards = FeeStandardSerializer(many=True, read_only=True)

    class Meta:
        model = ServiceContract
        fields = ["id", "kind", "number", "party_a_kind", "party_a_name", "signed_on",
                  "valid_from", "valid_to", "fee_clause", "payment_clause", "late_fee_clause",
                  "scan", "scan_name", "fee_standards"]  # fmt: skip
        read_only_fields = fields


class ManagementRulesSerializer(serializers.ModelSerializer):
    class Meta:
        model = ManagementRules
        fields = ["id", "title", "adopted_on", "scan", "scan_name"]
        read_only_fields = fields


class EstateSerializer(serializers.ModelSerializer):
    # the record behind the claims, nested read-only
    contracts = ServiceContractSerializer(many=True, read_only=True)
    management_rules = ManagementRulesSerializer(many=True, read_only=True)

    class Meta:
        model = Estate
        fields = [
            "id",
            "name",
            "code",
            "company_name",
            "city",
            "office_address",
            "office_phone",
            "court_name",
            "late_fee_daily_rate",
            "contract_provides_late_fees",
            "late_fee_claim_policy",
            "late_fee_lpr_multiple",
            "grace_days",
            "allocation_rule",
            "lawyer_letter_threshold",
            "lawyer_letter_threshold_vacant",
            "lawyer_letter_age_days",
            "reminder_interval_days",
            "demand_deadline_days",
            "lawyer_letter_deadline_days",
            "demand_min_contacts",
            "demand_min_channels",
            "collects_maintenance_fund",
            "contracts",
            "management_rules",
        ]
        read_only_fields = fields


class UnitSerializer(serializers.ModelSerializer):
    label = serializers.CharField(read_only=True)

    class Meta:
        model = Unit
        fields = ["id", "estate", "building", "number", "label", "area", "segment",
                  "title_certificate_no", "purchase_contract_no", "handed_over_on"]  # fmt: skip
        read_only_fields = fields


class PartyUnitSerializer(serializers.Serializer):
    unit = serializers.IntegerField(source="unit_id")
    role = serializers.CharField()
    liable = serializers.BooleanField()


# A person's identity beyond the name: shown only to those who may see personal data.
PERSONAL_IDENTITY_FIELDS = ("sex", "born_on", "ethnicity", "domicile", "habitual_residence")


class PartySerializer(serializers.ModelSerializer):
    """Phones, alternative phone, e-mail, WeChat, ID number and a person's identity only for
    those who may see them (``unmasked``, the rule of ``cases.permissions.may_see_personal_data``):
    phones are masked as 138****5678, ID numbers as 3301**********123X, the others left
    empty. A company's legal representative is not personal data."""

    phone = serializers.SerializerMethodField()
    alt_phone = serializers.SerializerMethodField()
    email = serializers.SerializerMethodField()
    wechat = serializers.SerializerMethodField()
    id_number = serializers.SerializerMethodField()
    masked = serializers.SerializerMethodField()
    units = PartyUnitSerializer(source="unit_links", many=True, read_only=True)

    class Meta:
        model = Party
        fields = [
            "id",
            "name",
            "kind",
            "id_number",
            "phone",
            "alt_phone",
            "email",
            "wechat",
            "address",
            "lives_in_china",
            "masked",
            "units",
            "id_type",
            *PERSONAL_IDENTITY_FIELDS,
            "legal_representative",
            "legal_representative_title",
        ]

    @staticmethod
    def _phone(party: Party, phone: str) -> str:
        return phone if party.unmasked or not phone else mask_phone(phone)

    def get_phone(self, party: Party) -> str:
        return self._phone(party, party.phone)

    def get_alt_phone(self, party: Party) -> str:
        return self._phone(party, party.alt_phone)

    def get_email(self, party: Party) -> str:
        return party.email if party.unmasked else ""

    def get_wechat(self, party: Party) -> str:
        return party.wechat if party.unmasked else ""

    def get_id_number(self, party: Party) -> str:
        return party.id_number if party.unmasked else mask_id_number(party.id_number)

    def to_representation(self, party: Party) -> dict:
        data = super().to_representation(party)
        if not party.unmasked:
            for name in PERSONAL_IDENTITY_FIELDS:
                data[name] = None if name == "born_on" else ""
        return data

    def get_masked(self, party: Party) -> bool:
        return not party.unmasked


# --- ledger ------------------------------------------------------------------------------


class ChargeSerializer(serializers.ModelSerializer):
    """A charge and its balance today: principal still owed and late fee still owed."""

    outstanding = serializers.SerializerMethodField()
    late_fee = serializers.SerializerMethodField()
    overdue = serializers.SerializerMethodField()

    class Meta:
        model = Charge
        fields = [
            "id",
            "unit",
            "item",
            "period_start",
            "period_end",
            "amount",
            "due_date",
            "issued_on",
            "note",
            "outstanding",
            "late_fee",
            "overdue",
            "fee_standard",
            "billed_area",
            "billed_months",
            "basis_text",
        ]

    @extend_schema_field(OpenApiTypes.DECIMAL)
    def get_outstanding(self, charge: Charge) -> str:
        return str(money(Decimal(charge.outstanding_fen) / FEN))

    @extend_schema_field(OpenApiTypes.DECIMAL)
    def get_late_fee(self, charge: Charge) -> str:
        return str(charge_late_fee_owed(charge))

    def get_overdue(self, charge: Charge) -> bool:
        return charge.outstanding_fen > 0 and charge.due_date < timezone.localdate()


class AllocationSerializer(serializers.ModelSerializer):
    class Meta:
        model = Allocation
        fields = ["id", "charge", "target", "amount", "allocated_on"]
        read_only_fields = fields


class PaymentSerializer(serializers.ModelSerializer):
    allocations = AllocationSerializer(many=True, read_only=True)
    recorded_by = serializers.SerializerMethodField()

    class Meta:
        model = Payment
        fields = [
            "id",
            "unit",
            "amount",
            "paid_on",
            "method",
            "reference",
            "payer_name",
            "designated_charges",
            "recorded_by",
            "created_at",
            "allocations",
        ]
        read_only_fields = fields

    def get_recorded_by(self, payment: Payment) -> str | None:
        return _username(payment.recorded_by)


class PaymentCreateSerializer(serializers.Serializer):
    """A payment received for a unit; ``cases.services.ledger.payment_record`` allocates it."""

    unit = serializers.PrimaryKeyRelatedField(queryset=Unit.objects.all())
    amount = serializers.DecimalField(**MONEY, min_value=Decimal("0.01"))
    paid_on = serializers.DateField()
    method = serializers.ChoiceField(choices=Payment.Method.choices, default=Payment.Method.BANK)
    reference = serializers.CharField(max_length=80, required=False, default="", allow_blank=True)
    payer_name = serializers.CharField(max_length=200, required=False, default="", allow_blank=True)
    designated_charges = serializers.PrimaryKeyRelatedField(
        queryset=Charge.objects.all(),
        many=True,
        required=False,
        default=list,
        help_text="Charges the payer said this payment is for (Civil Code art. 560): paid first.",
    )

    def validate_paid_on(self, value):
        if value > timezone.localdate():
            raise serializers.ValidationError(_("A payment cannot be dated in the future."))
        return value


class OpenChargeSerializer(serializers.Serializer):
    charge = serializers.IntegerField(source="charge_id")
    item = serializers.CharField()
    period_start = serializers.DateField()
    due_date = serializers.DateField()
    outstanding = serializers.DecimalField(**MONEY)


class ArrearsSerializer(serializers.Serializer):
    """What the unit owes on ``as_of`` (``cases.selectors.ledger.UnitArrears``)."""

    as_of = serializers.DateField()
    principal = serializers.SerializerMethodField()
    late_fee = serializers.SerializerMethodField()
    total_due = serializers.SerializerMethodField()
    credit = serializers.SerializerMethodField()
    oldest_due_date = serializers.DateField(allow_null=True)
    days_overdue = serializers.IntegerField()
    charges = OpenChargeSerializer(many=True)

    @extend_schema_field(OpenApiTypes.DECIMAL)
    def get_principal(self, arrears) -> str:
        return str(money(arrears.principal))

    @extend_schema_field(OpenApiTypes.DECIMAL)
    def get_late_fee(self, arrears) -> str:
        return str(money(arrears.late_fee))

    @extend_schema_field(OpenApiTypes.DECIMAL)
    def get_total_due(self, arrears) -> str:
        return str(money(arrears.total_due))

    @extend_schema_field(OpenApiTypes.DECIMAL)
    def get_credit(self, arrears) -> str:
        return str(money(arrears.credit))


class CaseRefSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    stage = serializers.ChoiceField(choices=Stage.choices)


class PaymentResultSerializer(serializers.Serializer):
    """The recorded payment, its allocations, what the unit owes after it, and the unit's
    open case (which may have moved: settled, or waiting for a withdrawal)."""

    payment = PaymentSerializer()
    arrears = ArrearsSerializer()
    case = CaseRefSerializer(allow_null=True)


# --- cases --------------------------------------------------------------------------------


class CaseUnitSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    label = serializers.CharField()
    segment = serializers.CharField()
    estate = serializers.IntegerField(source="estate_id")
    estate_name = serializers.CharField(source="estate.name")


class UserRefSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    username = serializers.CharField()


class CaseSerializer(serializers.ModelSerializer):
    unit = CaseUnitSerializer(read_only=True)
    stage_label = serializers.CharField(source="get_stage_display", read_only=True)
    collector = UserRefSerializer(read_only=True, allow_null=True)
    legal_officer = UserRefSerializer(read_only=True, allow_null=True)

    class Meta:
        model = Case
        fields = [
            "id",
            "unit",
            "stage",
            "stage_label",
            "return_stage",
            "collector",
            "legal_officer",
            "opened_on",
            "closed_on",
            "principal_snapshot",
            "days_overdue_snapshot",
            "next_step",
            "next_step_eligible",
            "next_step_reason",
            "priority",
        ]
        read_only_fields = fields


class PartyContactSerializer(serializers.Serializer):
    """``cases.selectors.case.PartyContact``: phones masked for anyone not on the case."""

    name = serializers.CharField()
    role = serializers.CharField()
    liable = serializers.BooleanField()
    phone = serializers.CharField()
    alt_phone = serializers.CharField()
    address = serializers.CharField()
    email = serializers.CharField()
    wechat = serializers.CharField()
    masked = serializers.BooleanField()
    id_number = serializers.CharField()


class CallScriptSerializer(serializers.ModelSerializer):
    class Meta:
        model = CallScript
        fields = ["moment", "title", "body", "note"]
        read_only_fields = fields


class CaseDetailSerializer(serializers.Serializer):
    """A ``cases.selectors.case.CaseView``: the case, what the unit owes today, its parties
    (masked or not) and the call scripts of its step, plus the steps the user's role may
    take from here (the guards are checked when one is taken)."""

    case = CaseSerializer()
    litigation_kind = serializers.CharField(source="case.litigation_kind")
    court = serializers.CharField(source="case.court")
    court_case_number = serializers.CharField(source="case.court_case_number")
    filed_on = serializers.DateField(source="case.filed_on", allow_null=True)
    summons_served_on = serializers.DateField(source="case.summons_served_on", allow_null=True)
    judgment_kind = serializers.CharField(source="case.judgment_kind")
    judgment_on = serializers.DateField(source="case.judgment_on", allow_null=True)
    arrears = ArrearsSerializer()
    parties = PartyContactSerializer(many=True)
    call_scripts = CallScriptSerializer(many=True)
    transitions = serializers.SerializerMethodField(
        help_text="Steps the user's role may take from the current stage."
    )

    @extend_schema_field(
        serializers.ListField(child=serializers.ChoiceField(choices=sorted(TRANSITIONS)))
    )
    def get_transitions(self, view) -> list[str]:
        return transitions_open_to(self.context["request"].user, view.case)

    def to_representation(self, instance):
        data = super().to_representation(instance)
        return {**data.pop("case"), **data}


# --- transitions ------------------------------------------------------------------------


class TransitionRequestSerializer(serializers.Serializer):
    """The body of ``POST /api/cases/{id}/transitions/{name}/``: all optional; which
    parameters a step takes is checked against the step (``TRANSITION_PARAMS``)."""

    expected_stage = serializers.ChoiceField(
        choices=Stage.choices,
        required=False,
        help_text="The stage the client saw; a case that moved since gets 409.",
    )
    note = serializers.CharField(required=False, allow_blank=True, max_length=2000)
    kind = serializers.CharField(
        required=False,
        help_text="file_litigation: payment_order | lawsuit; record_judgment: judgment | "
        "mediation | payment_order_effective.",
    )
    court = serializers.CharField(required=False, max_length=200)
    filed_on = serializers.DateField(required=False)
    court_case_number = serializers.CharField(required=False, allow_blank=True, max_length=80)
    served_on = serializers.DateField(required=False)
    effective_on = serializers.DateField(required=False)
    performance_deadline = serializers.DateField(
        required=False,
        help_text="record_judgment: the last day of the performance period the judgment or "
        "mediation states (the 2-year enforcement period runs from it).",
    )
    on = serializers.DateField(
        required=False,
        help_text="close: the closing date; record_objection: the day the debtor objected.",
    )

    def validate(self, attrs):
        name = self.context["transition"]
        params_serializer = TRANSITION_PARAMS.get(name, NoParams)
        allowed = set(params_serializer().fields)
        given = {k: v for k, v in attrs.items() if k not in ("expected_stage", "note")}
        unexpected = sorted(set(given) - allowed)
        if unexpected:
            raise serializers.ValidationError(
                {
                    field: _("“%(step)s” takes no “%(field)s”.") % {"step": name, "field": field}
                    for field in unexpected
                }
            )
        params = params_serializer(data=self.initial_data)
        params.is_valid(raise_exception=True)
        return {
            "expected_stage": attrs.get("expected_stage"),
            "note": attrs.get("note", ""),
            "params": params.validated_data,
        }


class NoParams(serializers.Serializer):
    pass


class FileLitigationParams(serializers.Serializer):
    kind = serializers.ChoiceField(choices=LitigationKind.choices)
    court = serializers.CharField(max_length=200)
    filed_on = serializers.DateField()
    court_case_number = serializers.CharField(
        max_length=80, required=False, default="", allow_blank=True
    )


class RecordSummonsParams(serializers.Serializer):
    served_on = serializers.DateField()
    court_case_number = serializers.CharField(
        max_length=80, required=False, default="", allow_blank=True
    )


class CourtAcceptanceParams(serializers.Serializer):
    accepted_on = serializers.DateField()
    court_case_number = serializers.CharField(max_length=80)


class RecordJudgmentParams(serializers.Serializer):
    kind = serializers.ChoiceField(choices=JudgmentKind.choices)
    effective_on = serializers.DateField()
    performance_deadline = serializers.DateField(required=False)


class CloseParams(serializers.Serializer):
    on = serializers.DateField(required=False)


class PaymentOrderServiceParams(serializers.Serializer):
    served_on = serializers.DateField()


class ObjectionParams(serializers.Serializer):
    on = serializers.DateField()


TRANSITION_PARAMS: dict[str, type[serializers.Serializer]] = {
    "file_litigation": FileLitigationParams,
    "record_summons": RecordSummonsParams,
    "record_judgment": RecordJudgmentParams,
    "record_payment_order_service": PaymentOrderServiceParams,
    "record_objection": ObjectionParams,
    "record_court_acceptance": CourtAcceptanceParams,
    "close": CloseParams,
}


# --- contacts, documents, evidence ---------------------------------------------------------


class AttachmentSerializer(serializers.ModelSerializer):
    sha256 = serializers.CharField(source="file_id")
    size = serializers.IntegerField(source="file.size")
    content_type = serializers.CharField(source="file.content_type")

    class Meta:
        model = ContactAttachment
        fields = ["id", "kind", "original_name", "sha256", "size", "content_type", "uploaded_at"]
        read_only_fields = fields


class ContactSerializer(serializers.ModelSerializer):
    actor = serializers.SerializerMethodField()
    attachments = AttachmentSerializer(many=True, read_only=True)
    proof_grade_label = serializers.CharField(source="get_proof_grade_display", read_only=True)

    class Meta:
        model = ContactAttempt
        fields = [
            "id",
            "case",
            "stage",
            "channel",
            "outcome",
            "occurred_at",
            "recorded_at",
            "actor",
            "notes",
            "witness",
            "delivery_confirmed",
            "tracking_number",
            "tracking_status",
            "sms_report_ref",
            "promised_on",
            "promised_amount",
            "promise_status",
            "proof_grade",
            "proof_grade_label",
            "attachments",
        ]
        read_only_fields = fields

    def get_actor(self, contact: ContactAttempt) -> str | None:
        return _username(contact.actor)


ATTACHMENT_KINDS = ContactAttachment.Kind.values


class ContactCreateSerializer(serializers.Serializer):
    """A contact attempt and its proof. Files go in multipart fields named after their
    kind (``photo``, ``recording``, ``signed_receipt``, ``delivery_record``, ``document``),
    several per kind allowed; ``cases.services.case.contact_log`` checks them by content."""

    channel = serializers.ChoiceField(choices=Channel.choices)
    outcome = serializers.ChoiceField(choices=Outcome.choices)
    occurred_at = serializers.DateTimeField(required=False)
    notes = serializers.CharField(required=False, default="", allow_blank=True)
    witness = serializers.CharField(required=False, default="", allow_blank=True, max_length=100)
    delivery_confirmed = serializers.BooleanField(
        required=False,
        default=False,
        help_text="A claim only: without stored proof the grade is 'claimed, unproven' (0).",
    )
    tracking_number = serializers.CharField(
        required=False, default="", allow_blank=True, max_length=40
    )
    tracking_status = serializers.ChoiceField(
        choices=TrackingStatus.choices, required=False, default="", allow_blank=True
    )
    promised_on = serializers.DateField(required=False, allow_null=True, default=None)
    promised_amount = serializers.DecimalField(
        **MONEY, required=False, allow_null=True, default=None, min_value=Decimal("0.01")
    )
    photo = serializers.ListField(
        child=serializers.FileField(allow_empty_file=True), required=False, default=list
    )
    recording = serializers.ListField(
        child=serializers.FileField(allow_empty_file=True), required=False, default=list
    )
    signed_receipt = serializers.ListField(
        child=serializers.FileField(allow_empty_file=True), required=False, default=list
    )
    delivery_record = serializers.ListField(
        child=serializers.FileField(allow_empty_file=True), required=False, default=list
    )
    document = serializers.ListField(
        child=serializers.FileField(allow_empty_file=True), required=False, default=list
    )

    def validate(self, attrs):
        attachments = [
            (kind, upload, upload.name) for kind in ATTACHMENT_KINDS for upload in attrs.pop(kind)
        ]
        return {**attrs, "attachments": attachments}


class DeliverySerializer(serializers.ModelSerializer):
    """A letter's delivery: the day it happened (``delivered_on``) and when it was recorded,
    its stored proof, and whether that proof shows it served (``proven_served``, the rule
    both the art. 944 guard and the limitation clock use)."""

    recorded_by = serializers.SerializerMethodField()
    proven_served = serializers.BooleanField(read_only=True)
    proof_sha256 = serializers.CharField(source="proof_id", read_only=True, allow_null=True)
    scan_sha256 = serializers.CharField(source="scan_id", read_only=True, allow_null=True)

    class Meta:
        model = Delivery
        fields = [
            "id",
            "case",
            "letter",
            "status",
            "delivered_on",
            "deadline",
            "method",
            "document_ref",
            "tracking_number",
            "tracking_status",
            "paper_record",
            "proof_sha256",
            "scan_sha256",
            "proven_served",
            "recorded_by",
            "recorded_at",
        ]
        read_only_fields = fields

    def get_recorded_by(self, delivery: Delivery) -> str | None:
        return _username(delivery.recorded_by)


class DeliveryCreateSerializer(serializers.Serializer):
    """A letter's delivery with its proof (multipart ``proof`` file, or a tracking number and
    status); a pre-go-live paper record needs its ``scan``. ``cases.services.case.
    delivery_record`` checks the dates (not before the letter's generated document, not in
    the future, not before the case opened unless a paper record)."""

    letter = serializers.ChoiceField(choices=Letter.choices)
    status = serializers.ChoiceField(choices=DeliveryStatus.choices)
    delivered_on = serializers.DateField()
    method = serializers.ChoiceField(choices=Channel.choices)
    document_ref = serializers.CharField(
        required=False, default="", allow_blank=True, max_length=80
    )
    tracking_number = serializers.CharField(
        required=False, default="", allow_blank=True, max_length=40
    )
    tracking_status = serializers.ChoiceField(
        choices=TrackingStatus.choices, required=False, default="", allow_blank=True
    )
    paper_record = serializers.BooleanField(required=False, default=False)
    proof = serializers.FileField(required=False, allow_null=True, default=None)
    scan = serializers.FileField(required=False, allow_null=True, default=None)

    def validate(self, attrs):
        for field in ("proof", "scan"):
            upload = attrs.get(field)
            attrs[f"{field}_name"] = upload.name if upload else ""
        return attrs


class DocumentSerializer(serializers.ModelSerializer):
    kind_label = serializers.CharField(source="get_kind_display", read_only=True)
    filename = serializers.CharField(read_only=True)
    generated_by = serializers.SerializerMethodField()
    download_url = serializers.SerializerMethodField()

    class Meta:
        model = LegalDocument
        fields = [
            "id",
            "case",
            "unit",
            "kind",
            "kind_label",
            "version",
            "number",
            "filename",
            "sha256",
            "generated_by",
            "generated_at",
            "download_url",
        ]
        read_only_fields = fields

    def get_generated_by(self, document: LegalDocument) -> str | None:
        return _username(document.generated_by)

    def get_download_url(self, document: LegalDocument) -> str:
        return reverse(
            "api:document-download", args=[document.pk], request=self.context.get("request")
        )


class EvidenceEntrySerializer(serializers.ModelSerializer):
    """One link of the chain; ``body`` is the exact text that was hashed into ``hash``."""

    actor = serializers.SerializerMethodField()

    class Meta:
        model = EvidenceEntry
        fields = [
            "seq",
            "kind",
            "actor",
            "recorded_at",
            "summary",
            "file_sha256",
            "prev_hash",
            "hash",
            "body",
        ]
        read_only_fields = fields

    def get_actor(self, entry: EvidenceEntry) -> str | None:
        return _username(entry.actor)


class EvidenceVerifySerializer(serializers.Serializer):
    ok = serializers.BooleanField()
    seq = serializers.IntegerField(required=False, help_text="The first broken entry.")
    reason = serializers.CharField(required=False)
