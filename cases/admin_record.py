"""Admin for the record behind the claims: service contracts, management rules and fee
standards (inlines of the estate and of the contract), and the scan uploads of contracts,
rules and a unit's ownership record.

Scans are checked by content and size like contact attachments (``cases.services.files``)
when the form is validated, and stored once under their SHA-256 when it is saved. The
no-overlap rules of contracts and fee standards are the models' ``clean``: a form that
breaks one is shown again with the message naming the other contract or standard.
"""

from __future__ import annotations

from django import forms
from django.contrib import admin
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from cases.models import FeeStandard, ManagementRules, ServiceContract
from cases.services.files import check_uploads, store_checked


class ScanUploadForm(forms.ModelForm):
    """A model form with a ``scan_upload`` file field that fills the model's scan
    (``scan_field``) and its file name (``scan_field + "_name"``)."""

    scan_field = "scan"
    scan_upload = forms.FileField(
        label=_("upload a scan"),
        required=False,
        help_text=_("A PDF or a photo, at most 25 MB; replaces the stored scan."),
    )

    def clean_scan_upload(self):
        upload = self.cleaned_data.get("scan_upload")
        if not upload:
            return None
        try:
            return check_uploads([(upload, upload.name)])
        except ValidationError as exc:
            raise ValidationError(exc.messages) from exc

    def save(self, commit=True):
        checked = self.cleaned_data.get("scan_upload")
        if checked:
            file, name = store_checked(checked)[0]
            setattr(self.instance, self.scan_field, file)
            setattr(self.instance, f"{self.scan_field}_name", name[:255])
        return super().save(commit=commit)


class OwnershipScanForm(ScanUploadForm):
    scan_field = "ownership_scan"


class ChargeIssueForm(forms.ModelForm):
    """The charge add form: an amount that is deliberately not the fee standard's (a
    pro-rated month) is issued with ``without_standard`` ticked, and then says so."""

    without_standard = forms.BooleanField(
        label=_("issue without a fee standard"),
        required=False,
        help_text=_(
            "Tick when the amount is deliberately not area × price × months of the estate's "
            "fee standard (e.g. a pro-rated month); otherwise it must agree with it."
        ),
    )


class NoOverlapFormSet(forms.BaseInlineFormSet):
    """Rows submitted together are checked against each other too (each row's model
    ``clean`` only sees what is already saved): two rows of the same ``overlap_key`` whose
    validity meets are refused, naming the other row."""

    overlap_key: tuple[str, ...] = ()

    def clean(self):
        super().clean()
        seen = []
        for form in self.forms:
            data = getattr(form, "cleaned_data", None)
            if not data or data.get("DELETE") or not data.get("valid_from"):
                continue
            key = tuple(data.get(name) for name in self.overlap_key)
            start, end = data["valid_from"], data.get("valid_to")
            for other_key, other_start, other_end, number in seen:
                if (
                    key == other_key
                    and (end is None or other_start <= end)
                    and (other_end is None or start <= other_end)
                ):
                    raise ValidationError(
                        _("Rows %(a)d and %(b)d have overlapping validity.")
                        % {"a": number, "b": len(seen) + 1}
                    )
            seen.append((key, start, end, len(seen) + 1))


class ContractFormSet(NoOverlapFormSet):
    overlap_key = ()


class FeeStandardFormSet(NoOverlapFormSet):
    overlap_key = ("item", "segment")


class ServiceContractInline(admin.StackedInline):
    model = ServiceContract
    form = ScanUploadForm
    formset = ContractFormSet
    extra = 0
    show_change_link = True
    fields = (
        ("kind", "number"),
        ("party_a_kind", "party_a_name"),
        ("signed_on", "valid_from", "valid_to"),
        ("fee_clause", "payment_clause", "late_fee_clause"),
        ("scan", "scan_name"),
        "scan_upload",
    )
    readonly_fields = ("scan", "scan_name")


class ManagementRulesInline(admin.TabularInline):
    model = ManagementRules
    form = ScanUploadForm
    extra = 0
    fields = ("title", "adopted_on", "scan", "scan_name", "scan_upload")
    readonly_fields = ("scan", "scan_name")


class FeeStandardInline(admin.TabularInline):
    model = FeeStandard
    formset = FeeStandardFormSet
    fk_name = "contract"
    extra = 0
    fields = (
        "item",
        "segment",
        "unit_price",
        "monthly_amount",
        "valid_from",
        "valid_to",
        "clause",
    )

    def get_formset(self, request, obj=None, **kwargs):
        formset = super().get_formset(request, obj, **kwargs)
        estate_id = obj.estate_id if obj is not None else None

        class SameEstate(formset):
            """A standard added under a contract belongs to the contract's estate."""

            def _construct_form(self, i, **kwargs):
                form = super()._construct_form(i, **kwargs)
                if form.instance.estate_id is None:
                    form.instance.estate_id = estate_id
                return form

        return SameEstate


@admin.register(ServiceContract)
class ServiceContractAdmin(admin.ModelAdmin):
    form = ScanUploadForm
    list_display = ("estate", "kind", "number", "party_a_name", "signed_on", "valid_from",
                    "valid_to")  # fmt: skip
    list_filter = ("kind", "estate")
    list_select_related = ("estate",)
    search_fields = ("number", "party_a_name", "estate__name")
    autocomplete_fields = ("estate",)
    readonly_fields = ("scan", "scan_name", "created_at")
    fields = ("estate", *ServiceContractInline.fields, "created_at")
    inlines = (FeeStandardInline,)

    def get_inline_instances(self, request, obj=None):
        # Fee standards are added once the contract (and so their estate) is saved.
        if obj is None:
            return []
        return super().get_inline_instances(request, obj)


@admin.register(ManagementRules)
class ManagementRulesAdmin(admin.ModelAdmin):
    form = ScanUploadForm
    list_display = ("estate", "title", "adopted_on")
    list_filter = ("estate",)
    autocomplete_fields = ("estate",)
    readonly_fields = ("scan", "scan_name", "created_at")
    fields = ("estate", "title", "adopted_on", "scan", "scan_name", "scan_upload", "created_at")


@admin.register(FeeStandard)
class FeeStandardAdmin(admin.ModelAdmin):
    list_display = ("estate", "item", "segment", "price", "valid_from", "valid_to", "clause",
                    "contract")  # fmt: skip
    list_filter = ("estate", "item", "segment")
    list_select_related = ("estate", "contract")
    autocomplete_fields = ("estate", "contract")
    fields = (
        "estate",
        "contract",
        "clause",
        ("item", "segment"),
        ("unit_price", "monthly_amount"),
        ("valid_from", "valid_to"),
    )

    @admin.display(description=_("price"))
    def price(self, obj):
        return obj.price_text
