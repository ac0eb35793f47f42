"""Django admin for estates, units, parties, the fee ledger and collection cases.

The ledger is append-only: charges and payments are added through the ledger services
(so that credit and payments are allocated at once) and are never edited or deleted here.
Adjustments need an approver other than the requester and come through the workflow; the
admin only lists them. Allocations are written by the services alone.

Cases, contact attempts, deliveries and the evidence chain change only through
``cases.services.case`` (stage transitions, evidence entries): the admin shows them read-only.
Call scripts are company content and are edited here.
"""

from __future__ import annotations

from decimal import Decimal

from django.apps import apps
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import DecimalField, Sum, Value
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from cases.admin_record import (
    ChargeIssueForm,
    ManagementRulesInline,
    OwnershipScanForm,
    ServiceContractInline,
)
from cases.models import (
    Adjustment,
    Allocation,
    CallScript,
    Case,
    Charge,
    ContactAttachment,
    ContactAttempt,
    Delivery,
    Estate,
    EvidenceEntry,
    LprRate,
    Party,
    Payment,
    SmallClaimsThreshold,
    StoredFile,
    Unit,
    UnitParty,
)
from cases.permissions import mask_phone, user_sees_all_cases
from cases.services.ledger import charge_issue, payment_record

admin.site.site_header = _("Fee recovery administration")
admin.site.site_title = _("Fee recovery")
admin.site.index_title = _("Case engine administration")


# --- helpers -------------------------------------------------------------------------------


class _ServiceRefused(Exception):
    """A ledger service refused a form that had passed validation (e.g. a concurrent write)."""

    def __init__(self, error: ValidationError):
        super().__init__(error)
        self.error = error


class ImmutableAdmin(admin.ModelAdmin):
    """Rows that are never changed or deleted through the admin. Ledger corrections are
    adjustments (down) or a supplementary charge (up); cases change by their transitions."""

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class ReadOnlyAdmin(ImmutableAdmin):
    """Rows written by the services only: listed and viewed, never added here."""

    def has_add_permission(self, request):
        return False


class ServiceAddAdmin(ImmutableAdmin):
    """New rows go through a ledger service instead of ``Model.save()``.

    If the service raises ``ValidationError`` after the form validated, the transaction of
    the add view is rolled back and the form is shown again with the service's errors.
    """

    def create_via_service(self, request, form):
        raise NotImplementedError

    def save_model(self, request, obj, form, change):
        if change:  # never reached: change permission is never granted
            raise PermissionDenied
        try:
            created = self.create_via_service(request, form)
        except ValidationError as exc:
            raise _ServiceRefused(exc) from exc
        # The admin goes on with ``obj`` (log entry, message, redirect): make it the new row.
        for field in obj._meta.concrete_fields:
            setattr(obj, field.attname, getattr(created, field.attname))
        obj._state.adding = False
        obj._state.db = created._state.db

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        try:
            return super().changeform_view(request, object_id, form_url, extra_context)
        except _ServiceRefused as refused:
            request._ledger_service_error = refused.error
            return super().changeform_view(request, object_id, form_url, extra_context)

    def get_form(self, request, obj=None, change=False, **kwargs):
        form_class = super().get_form(request, obj, change, **kwargs)
        error = getattr(request, "_ledger_service_error", None)
        if error is None:
            return form_class

        class RefusedForm(form_class):
            def clean(self):
                cleaned = super().clean()
                if hasattr(error, "error_dict"):
                    for name, errors in error.error_dict.items():
                        self.add_error(name if name in self.fields else None, errors)
                else:
                    self.add_error(None, error)
                return cleaned

        return RefusedForm

    def get_inline_instances(self, request, obj=None):
        # Allocations only exist once the service has written them.
        if obj is None:
            return []
        return super().get_inline_instances(request, obj)


class ReadOnlyInline(admin.TabularInline):
    extra = 0
    can_delete = False
    show_change_link = True

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class AllocationInline(ReadOnlyInline):
    model = Allocation
    fields = ("charge", "payment", "adjustment", "target", "amount", "allocated_on")
    readonly_fields = fields
    ordering = ("allocated_on", "id")

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .select_related("charge__unit", "payment__unit", "adjustment__unit")
        )


class ChargeAllocationInline(AllocationInline):
    fields = ("payment", "adjustment", "target", "amount", "allocated_on")
    readonly_fields = fields
    verbose_name_plural = _("allocations to this charge")


class SourceAllocationInline(AllocationInline):
    fields = ("charge", "target", "amount", "allocated_on")
    readonly_fields = fields
    verbose_name_plural = _("allocations to charges")


# --- estates, units, parties ---------------------------------------------------------------


@admin.register(Estate)
class EstateAdmin(admin.ModelAdmin):
    list_display = (
        "name",
        "code",
        "city",
        "company_name",
        "late_fee_daily_rate",
        "grace_days",
        "allocation_rule",
        "lawyer_letter_threshold",
        "lawyer_letter_threshold_vacant",
        "lawyer_letter_age_days",
    )
    list_filter = ("city", "allocation_rule")
    search_fields = ("name", "code")
    readonly_fields = ("created_at",)
    inlines = (ServiceContractInline, ManagementRulesInline)
    # Rows of the form by section. Fields the model does not have are left out, and any
    # editable field not named here is shown under "Other settings", so that a field added
    # to the model is never hidden from the form.
    sections = (
        (
            _("Identity"),
            (
                ("name", "code"),
                "company_name",
                ("city", "province"),
                "office_address",
                "office_phone",
                "created_at",
            ),
        ),
        (
            _("Company, counsel and court"),
            (
                "company_address",
                ("company_credit_code", "company_legal_representative"),
                "law_firm_name",
                ("law_firm_address", "law_firm_phone"),
                ("lawyer_name", "lawyer_license_no", "lawyer_phone"),
                "court_name",
                ("company_legal_representative_title", "company_postal_code"),
                "service_email",
                ("accepts_electronic_service", "service_via_lawyer"),
                "attorney_special_authority",
            ),
        ),
        (
            _("Late-fee policy"),
            (
                "contract_provides_late_fees",
                "late_fee_daily_rate",
                ("late_fee_claim_policy", "late_fee_lpr_multiple"),
                "grace_days",
                "allocation_rule",
            ),
        ),
        (
            _("Escalation thresholds"),
            (
                ("lawyer_letter_threshold", "lawyer_letter_threshold_vacant"),
                "lawyer_letter_age_days",
                "reminder_interval_days",
                ("demand_deadline_days", "lawyer_letter_deadline_days"),
                ("demand_min_contacts", "demand_min_channels"),
                "installment_default_days",
            ),
        ),
    )

    def get_fieldsets(self, request, obj=None):
        present = {f.name for f in self.model._meta.concrete_fields}
        editable = [
            f.name for f in self.model._meta.concrete_fields if f.editable and not f.primary_key
        ]
        named, fieldsets = set(), []
        for title, rows in self.sections:
            kept = []
            for row in rows:
                names = (row,) if isinstance(row, str) else row
                names = tuple(n for n in names if n in present)
                named.update(names)
                if names:
                    kept.append(names[0] if len(names) == 1 else names)
            if kept:
                fieldsets.append((title, {"fields": kept}))
        rest = [n for n in editable if n not in named]
        if rest:
            fieldsets.append((_("Other settings"), {"fields": rest}))
        return fieldsets


class UnitPartyInline(admin.TabularInline):
    model = UnitParty
    fk_name = "unit"
    fields = ("party", "role", "liable", "since", "until")
    autocomplete_fields = ("party",)
    extra = 0

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("unit", "party")


class PartyUnitInline(admin.TabularInline):
    model = UnitParty
    fk_name = "party"
    fields = ("unit", "role", "liable", "since", "until")
    autocomplete_fields = ("unit",)
    extra = 0
    verbose_name = _("unit link")
    verbose_name_plural = _("unit links")

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("unit__estate", "party")


@admin.register(Unit)
class UnitAdmin(admin.ModelAdmin):
    list_display = ("estate", "building", "number", "segment", "area")
    list_display_links = ("building", "number")
    list_filter = ("estate", "segment")
    list_select_related = ("estate",)
    search_fields = (
        "building",
        "number",
        "estate__name",
        "unit_parties__party__name",
        "unit_parties__party__phone",
    )
    autocomplete_fields = ("estate",)
    fields = ("estate", ("building", "number"), "area", "segment")
    inlines = (UnitPartyInline,)
    form = OwnershipScanForm
    ownership_fields = (
        ("title_certificate_no", "purchase_contract_no"),
        "handed_over_on",
        ("ownership_scan", "ownership_scan_name"),
        "scan_upload",
    )
    readonly_fields = ("ownership_scan", "ownership_scan_name")

    def get_fieldsets(self, request, obj=None):
        return (
            (None, {"fields": self.fields}),
            (_("Ownership (产权)"), {"fields": self.ownership_fields}),
        )


@admin.register(Party)
class PartyAdmin(admin.ModelAdmin):
    """Owners' phone numbers are personal data: shown in full only to those allowed to see
    them on any case (``cases.see_unmasked_phones``); the assigned collector sees them on
    the case itself."""

    list_display = ("name", "kind", "phone", "id_number", "lives_in_china")
    list_filter = ("kind", "lives_in_china")
    search_fields = ("name", "phone", "alt_phone", "id_number")
    fieldsets = (
        (None, {"fields": ("name", "kind", "id_number")}),
        (
            _("Contact"),
            {"fields": (("phone", "alt_phone"), "email", "wechat", "address", "lives_in_china")},
        ),
        (
            _("Identity (as a court needs it)"),
            {
                "fields": (
                    "id_type",
                    ("sex", "born_on", "ethnicity"),
                    "domicile",
                    "habitual_residence",
                    ("legal_representative", "legal_representative_title"),
                )
            },
        ),
    )
    inlines = (PartyUnitInline,)

    @staticmethod
    def _unmasked(request) -> bool:
        return request.user.has_perm("cases.see_unmasked_phones")

    def get_list_display(self, request):
        if self._unmasked(request):
            return self.list_display

        @admin.display(description=_("phone"))
        def masked_phone(party):
            return mask_phone(party.phone) if party.phone else ""

        return ("name", "kind", masked_phone, "lives_in_china")

    def get_search_fields(self, request):
        return self.search_fields if self._unmasked(request) else ("name",)

    def get_fieldsets(self, request, obj=None):
        if self._unmasked(request):
            return self.fieldsets
        return ((None, {"fields": ("name", "kind", "address", "lives_in_china")}),)


@admin.register(UnitParty)
class UnitPartyAdmin(admin.ModelAdmin):
    list_display = ("unit", "party", "role", "liable", "since", "until")
    list_filter = ("role", "liable", "unit__estate")
    list_select_related = ("unit__estate", "party")
    search_fields = ("unit__building", "unit__number", "party__name", "party__phone")
    autocomplete_fields = ("unit", "party")


# --- the ledger ----------------------------------------------------------------------------


@admin.register(Charge)
class ChargeAdmin(ServiceAddAdmin):
    list_display = ("unit", "item", "period_start", "period_end", "amount", "due_date", "issued_on")
    list_filter = ("item", "unit__estate", "unit__segment")
    list_select_related = ("unit__estate",)
    date_hierarchy = "due_date"
    search_fields = ("unit__building", "unit__number", "unit__estate__name")
    autocomplete_fields = ("unit",)
    fields = (
        "unit",
        "item",
        ("period_start", "period_end"),
        "amount",
        "due_date",
        "issued_on",
        "note",
    )
    inlines = (ChargeAllocationInline,)
    form = ChargeIssueForm

    def get_fields(self, request, obj=None):
        fields = super().get_fields(request, obj)
        return (
            (*fields, "created_at", "basis_text")
            if obj is not None
            else (
                *fields,
                "without_standard",
            )
        )

    def get_changeform_initial_data(self, request):
        return {"issued_on": timezone.localdate(), **super().get_changeform_initial_data(request)}

    def create_via_service(self, request, form):
        data = form.cleaned_data
        return charge_issue(
            data["unit"],
            item=data["item"],
            period_start=data["period_start"],
            period_end=data["period_end"],
            amount=data["amount"],
            due_date=data["due_date"],
            issued_on=data["issued_on"],
            note=data.get("note", ""),
            **({"fee_standard": None} if data.get("without_standard") else {}),
        )


_MONEY = DecimalField(max_digits=14, decimal_places=2)
CENT = Decimal("0.01")


@admin.register(Payment)
class PaymentAdmin(ServiceAddAdmin):
    list_display = (
        "unit",
        "amount",
        "allocated",
        "paid_on",
        "method",
        "reference",
        "payer_name",
        "recorded_by",
    )
    list_filter = ("method", "unit__estate")
    list_select_related = ("unit__estate", "recorded_by")
    date_hierarchy = "paid_on"
    search_fields = ("unit__building", "unit__number", "reference", "payer_name")
    autocomplete_fields = ("unit", "designated_charges")
    fields = (
        "unit",
        "amount",
        "paid_on",
        "method",
        "reference",
        "payer_name",
        "designated_charges",
    )
    inlines = (SourceAllocationInline,)

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .annotate(
                allocated_total=Coalesce(Sum("allocations__amount"), Value(0), output_field=_MONEY)
            )
        )

    def get_fields(self, request, obj=None):
        fields = super().get_fields(request, obj)
        if obj is None:
            return fields
        return (*fields, "allocated", "credit", "recorded_by", "created_at")

    @admin.display(description=_("allocated"), ordering="allocated_total")
    def allocated(self, obj):
        return Decimal(obj.allocated_total).quantize(CENT)

    @admin.display(description=_("unallocated credit"))
    def credit(self, obj):
        return (obj.amount - Decimal(obj.allocated_total)).quantize(CENT)

    def get_changeform_initial_data(self, request):
        return {"paid_on": timezone.localdate(), **super().get_changeform_initial_data(request)}

    def create_via_service(self, request, form):
        data = form.cleaned_data
        return payment_record(
            data["unit"],
            amount=data["amount"],
            paid_on=data["paid_on"],
            actor=request.user,
            method=data["method"],
            reference=data.get("reference", ""),
            payer_name=data.get("payer_name", ""),
            designated_charges=data.get("designated_charges") or (),
        )


@admin.register(Adjustment)
class AdjustmentAdmin(ReadOnlyAdmin):
    list_display = (
        "unit",
        "kind",
        "amount",
        "effective_on",
        "reason_category",
        "requested_by",
        "approved_by",
    )
    list_filter = ("kind", "reason_category", "unit__estate")
    list_select_related = ("unit__estate", "requested_by", "approved_by")
    date_hierarchy = "effective_on"
    search_fields = ("unit__building", "unit__number", "reason")
    inlines = (SourceAllocationInline,)

    def changelist_view(self, request, extra_context=None):
        if request.method == "GET":
            self.message_user(
                request,
                _(
                    "Adjustments need an approver other than the requester; they are requested "
                    "and approved through the workflow, not added here."
                ),
                messages.INFO,
            )
        return super().changelist_view(request, extra_context)


@admin.register(Allocation)
class AllocationAdmin(ReadOnlyAdmin):
    list_display = ("charge", "target", "amount", "allocated_on", "payment", "adjustment")
    list_filter = ("target", "charge__unit__estate")
    list_select_related = ("charge__unit", "payment__unit", "adjustment__unit")
    date_hierarchy = "allocated_on"
    search_fields = ("charge__unit__building", "charge__unit__number")


# --- collection cases ----------------------------------------------------------------------


class ContactAttemptInline(ReadOnlyInline):
    model = ContactAttempt
    fields = (
        "occurred_at",
        "recorded_at",
        "stage",
        "channel",
        "outcome",
        "actor",
        "proof_grade",
        "tracking_number",
        "tracking_status",
        "notes",
    )
    readonly_fields = fields
    ordering = ("-occurred_at",)

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("actor")


class DeliveryInline(ReadOnlyInline):
    model = Delivery
    fields = (
        "letter",
        "status",
        "delivered_on",
        "recorded_at",
        "deadline",
        "method",
        "tracking_number",
        "tracking_status",
        "paper_record",
        "proof",
        "scan",
        "proven",
        "recorded_by",
    )
    readonly_fields = fields

    @admin.display(boolean=True, description=_("proven served"))
    def proven(self, delivery: Delivery) -> bool:
        return delivery.proven_served

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("recorded_by")


class EvidenceEntryInline(ReadOnlyInline):
    model = EvidenceEntry
    fields = ("seq", "kind", "recorded_at", "actor", "summary")
    readonly_fields = fields
    ordering = ("seq",)

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("actor")


class CaseScopedAdmin(ReadOnlyAdmin):
    """A collector sees only the cases assigned to them (``cases.permissions``)."""

    case_path = "case"

    def get_queryset(self, request):
        queryset = super().get_queryset(request)
        if user_sees_all_cases(request.user):
            return queryset
        prefix = f"{self.case_path}__" if self.case_path else ""
        return queryset.filter(**{f"{prefix}collector": request.user})


@admin.register(Case)
class CaseAdmin(CaseScopedAdmin):
    list_display = (
        "id",
        "unit",
        "stage",
        "collector",
        "legal_officer",
        "opened_on",
        "principal_snapshot",
        "days_overdue_snapshot",
        "next_step_eligible",
        "priority",
    )
    list_display_links = ("id", "unit")
    list_filter = ("stage", "next_step_eligible", "litigation_kind", "unit__estate")
    list_select_related = ("unit__estate", "collector", "legal_officer")
    date_hierarchy = "opened_on"
    search_fields = ("=id", "unit__building", "unit__number", "court_case_number")
    inlines = (ContactAttemptInline, DeliveryInline, EvidenceEntryInline)
    case_path = ""


class ContactAttachmentInline(ReadOnlyInline):
    model = ContactAttachment
    fields = ("kind", "original_name", "file", "uploaded_by", "uploaded_at")
    readonly_fields = fields

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("file", "uploaded_by")


@admin.register(ContactAttempt)
class ContactAttemptAdmin(CaseScopedAdmin):
    list_display = (
        "case",
        "occurred_at",
        "recorded_at",
        "channel",
        "outcome",
        "actor",
        "proof_grade",
        "tracking_number",
        "tracking_status",
        "promise_status",
        "promised_on",
    )
    list_filter = (
        "channel",
        "outcome",
        "proof_grade",
        "tracking_status",
        "promise_status",
        "stage",
    )
    list_select_related = ("case__unit", "actor")
    date_hierarchy = "occurred_at"
    search_fields = (
        "case__unit__building",
        "case__unit__number",
        "notes",
        "witness",
        "tracking_number",
    )
    inlines = (ContactAttachmentInline,)


@admin.register(ContactAttachment)
class ContactAttachmentAdmin(CaseScopedAdmin):
    case_path = "contact__case"
    list_display = ("contact", "kind", "original_name", "file", "uploaded_by", "uploaded_at")
    list_filter = ("kind",)
    list_select_related = ("contact", "file", "uploaded_by")
    search_fields = ("original_name", "file__sha256")


@admin.register(Delivery)
class DeliveryAdmin(CaseScopedAdmin):
    list_display = (
        "case",
        "letter",
        "status",
        "delivered_on",
        "deadline",
        "method",
        "tracking_number",
        "tracking_status",
        "paper_record",
        "proven",
        "recorded_by",
        "recorded_at",
    )
    list_filter = ("letter", "status", "method", "tracking_status", "paper_record")
    list_select_related = ("case__unit", "recorded_by")
    date_hierarchy = "delivered_on"
    search_fields = (
        "case__unit__building",
        "case__unit__number",
        "document_ref",
        "tracking_number",
    )

    @admin.display(boolean=True, description=_("proven served"))
    def proven(self, delivery: Delivery) -> bool:
        return delivery.proven_served


@admin.register(CallScript)
class CallScriptAdmin(admin.ModelAdmin):
    list_display = ("order", "moment", "stage", "title")
    list_display_links = ("moment", "title")
    list_filter = ("stage",)
    search_fields = ("title", "body")
    fields = (("moment", "stage", "order"), "title", "body", "note")


@admin.register(EvidenceEntry)
class EvidenceEntryAdmin(CaseScopedAdmin):
    list_display = ("case", "seq", "kind", "recorded_at", "actor", "summary")
    list_filter = ("kind",)
    list_select_related = ("case__unit", "actor")
    date_hierarchy = "recorded_at"
    search_fields = ("=case__id", "summary", "hash", "file_sha256")


@admin.register(StoredFile)
class StoredFileAdmin(ReadOnlyAdmin):
    list_display = ("sha256", "content_type", "size", "stored_at")
    list_filter = ("content_type",)
    search_fields = ("sha256",)


@admin.register(SmallClaimsThreshold)
class SmallClaimsThresholdAdmin(admin.ModelAdmin):
    """Reference data the legal department updates every year (published wage figures)."""

    list_display = ("province", "year", "amount", "average_wage", "source")
    list_filter = ("province", "year")
    search_fields = ("province",)


@admin.register(LprRate)
class LprRateAdmin(admin.ModelAdmin):
    """The one-year LPR table behind the ``cap_lpr`` late-fee claim policy."""

    list_display = ("effective_on", "one_year_rate", "five_year_rate", "source")
    date_hierarchy = "effective_on"


# --- anything else in the app --------------------------------------------------------------
# Models added to ``cases`` without an admin of their own yet are listed read-only (their
# rows are written by services), so that the admin never silently lacks a model.
for _model in apps.get_app_config("cases").get_models():
    if not admin.site.is_registered(_model):
        admin.site.register(_model, ReadOnlyAdmin)
