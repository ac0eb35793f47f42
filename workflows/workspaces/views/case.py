"""The case page and what is done from it: log a contact (with a promise, a photo, a
recording), ask for a waiver or an installment plan, advance the case (with a preview of
the document the step generates), record a letter's delivery, ask for a withdrawal, and
download its documents and evidence files."""

from __future__ import annotations

import copy

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views import generic

from cases.models import InstallmentPlan, StoredFile
from cases.models.case import LEGAL_STAGES, TRANSITIONS
from cases.permissions import user_may_work_case
from cases.policy import guard_for
from cases.selectors.case import transitions_open_to
from cases.services.case import CaseError, case_transition, contact_log, delivery_record
from cases.services.claims import claim_include_time_barred, user_may_include_time_barred
from cases.services.plan import plan_sign
from cases.storage import blob_read
from legal_docs.calculation_table import XLSX_TYPE, calculation_table_xlsx
from legal_docs.models import LegalDocument
from legal_docs.package import litigation_package_build
from legal_docs.selectors import document_for_user, legal_doc_preview
from legal_docs.services import legal_doc_record_delivery
from workflows.approvals.models import WAIVER_REASONS
from workflows.approvals.services import (
    installment_plan_propose,
    waiver_request,
    withdrawal_request,
)
from workflows.downloads import attachment_response
from workflows.escalation import documents_for
from workflows.workspaces import forms
from workflows.workspaces.access import is_legal, is_manager
from workflows.workspaces.selectors import case_file_visible, case_page_for
from workflows.workspaces.views.common import CaseMixin, ServiceFormMixin

# The letters whose delivery starts a deadline, in the order they are sent.
DELIVERABLE_KINDS = ("demand_letter", "lawyer_letter", "payment_order_application", "complaint")


def case_url(case, name: str = "detail", **kwargs) -> str:
    return reverse(f"workspaces:case:{name}", kwargs={"pk": case.pk, **kwargs})


class CaseDetailView(CaseMixin, generic.TemplateView):
    template_name = "workspaces/case_detail.html"

    def get_context_data(self, **kwargs):
        page = case_page_for(
            self.request.user, self.case, timeline_page=self.request.GET.get("page", 1)
        )
        user = self.request.user
        return super().get_context_data(
            page=page,
            may_work=user_may_work_case(user, self.case),
            may_record_delivery=is_legal(user) or is_manager(user),
            may_include_time_barred=user_may_include_time_barred(user) and self.case.is_open,
            may_package=(is_legal(user) or is_manager(user))
            and (self.case.stage in LEGAL_STAGES or self.case.return_stage in LEGAL_STAGES),
            **kwargs,
        )


class CaseFormView(CaseMixin, ServiceFormMixin, generic.FormView):
    """A form about a case that calls one service, then back to the case page."""

    template_name = "workspaces/case_form.html"

    def get_success_url(self):
        return case_url(self.case)


class ContactLogView(CaseFormView):
    template_name = "workspaces/case_contact.html"
    form_class = forms.ContactForm

    def get(self, request, *args, **kwargs):
        if not user_may_work_case(request.user, self.case):
            raise PermissionDenied
        return super().get(request, *args, **kwargs)

    def post(self, request, *args, **kwargs):
        if not user_may_work_case(request.user, self.case):
            raise PermissionDenied
        return super().post(request, *args, **kwargs)

    def perform(self, form):
        data = form.cleaned_data
        promised = data["outcome"] == "promised"
        contact_log(
            self.case,
            actor=self.request.user,
            channel=data["channel"],
            outcome=data["outcome"],
            occurred_at=data.get("occurred_at"),
            notes=data["notes"],
            witness=data["witness"],
            delivery_confirmed=data["delivery_confirmed"],
            tracking_number=data["tracking_number"],
            tracking_status=data["tracking_status"],
            promised_on=data["promised_on"] if promised else None,
            promised_amount=data["promised_amount"] if promised else None,
            attachments=form.attachments(),
        )
        self.success_message = _("Contact logged on case #%(id)s.") % {"id": self.case.pk}


class WaiverRequestView(CaseFormView):
    form_class = forms.WaiverForm
    title = gettext_lazy("Ask for a late-fee waiver")

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "categories": WAIVER_REASONS}

    def perform(self, form):
        data = form.cleaned_data
        waiver_request(
            self.case,
            actor=self.request.user,
            reason_category=data["reason_category"],
            reason=data["reason"],
            good_faith=data["good_faith"],
            amount=data["amount"],
        )
        self.success_message = _("Waiver request sent to the managers.")


class PlanProposeView(CaseFormView):
    form_class = forms.PlanForm
    title = gettext_lazy("Propose an installment plan")

    def perform(self, form):
        data = form.cleaned_data
        installment_plan_propose(
            self.case,
            actor=self.request.user,
            installments=data["installments"],
            reason=data["reason"],
        )
        self.success_message = _("Installment plan sent to the managers.")


class PlanSignView(CaseFormView):
    """Record the owner's signature of an approved plan (legal officer or manager)."""

    form_class = forms.PlanSignatureForm
    title = gettext_lazy("Record the signed installment agreement")

    def get_context_data(self, **kwargs):
        if not (is_legal(self.request.user) or is_manager(self.request.user)):
            raise PermissionDenied
        return super().get_context_data(**kwargs)

    def perform(self, form):
        if not (is_legal(self.request.user) or is_manager(self.request.user)):
            raise PermissionDenied
        plan = get_object_or_404(InstallmentPlan, pk=self.kwargs["plan_pk"], case_id=self.case.pk)
        scan = form.cleaned_data["signed_scan"]
        plan_sign(
            plan,
            actor=self.request.user,
            signed_on=form.cleaned_data["signed_on"],
            scan=scan,
            scan_name=getattr(scan, "name", ""),
        )
        self.success_message = _("Signed agreement recorded: the installment plan is in force.")


class WithdrawalRequestView(CaseFormView):
    form_class = forms.WithdrawalForm
    title = gettext_lazy("Ask for a withdrawal")

    def perform(self, form):
        withdrawal_request(self.case, actor=self.request.user, reason=form.cleaned_data["reason"])
        self.success_message = _("Withdrawal requested; a manager decides.")


class ClaimIncludeView(CaseFormView):
    """A legal officer includes one time-barred charge of the case in its claims."""

    form_class = forms.ClaimIncludeForm
    title = gettext_lazy("Include a time-barred charge in the claim")

    def dispatch(self, request, *args, **kwargs):
        if request.user.is_authenticated and not user_may_include_time_barred(request.user):
            raise PermissionDenied
        return super().dispatch(request, *args, **kwargs)

    def charge(self):
        charge = self.case.unit.charges.filter(pk=self.kwargs["charge_pk"]).first()
        if charge is None:
            raise Http404
        return charge

    def get_context_data(self, **kwargs):
        charge = self.charge()
        kwargs.setdefault(
            "title",
            _("Include %(item)s %(period)s (%(amount)s) in the claim")
            % {
                "item": charge.get_item_display(),
                "period": f"{charge.period_start:%Y-%m}",
                "amount": charge.amount,
            },
        )
        return super().get_context_data(**kwargs)

    def perform(self, form):
        claim_include_time_barred(
            self.case,
            charge=self.charge(),
            actor=self.request.user,
            reason=form.cleaned_data["reason"],
        )
        self.success_message = _("The time-barred charge is included in the claim.")


class AdvanceView(CaseFormView):
    """Take one step of the state machine, after seeing the guard's verdict and the text of
    the document(s) the step will generate."""

    template_name = "workspaces/case_advance.html"
    form_class = forms.AdvanceForm

    def dispatch(self, request, *args, **kwargs):
        self.transition = kwargs["transition"]
        if self.transition not in TRANSITIONS:
            raise Http404(_("No such step."))
        return super().dispatch(request, *args, **kwargs)

    def get(self, request, *args, **kwargs):
        self._check_open()
        return super().get(request, *args, **kwargs)

    def post(self, request, *args, **kwargs):
        self._check_open()
        return super().post(request, *args, **kwargs)

    def _check_open(self):
        if self.transition not in transitions_open_to(self.request.user, self.case):
            raise PermissionDenied

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "transition": self.transition, "case": self.case}

    def get_initial(self):
        return {"expected_stage": self.case.stage, "kind": self.request.GET.get("kind", "")}

    def previews(self) -> list[tuple[str, str]]:
        spec = TRANSITIONS[self.transition]
        target = spec.target or self.case.return_stage
        preview_case = copy.copy(self.case)
        if self.transition == "file_litigation":
            preview_case.litigation_kind = self.request.GET.get("kind") or "payment_order"
        out = []
        for kind in documents_for(preview_case, target, self.case.stage):
            label = LegalDocument(kind=kind).get_kind_display()
            try:
                out.append((label, legal_doc_preview(kind, case=preview_case)))
            except Exception as exc:  # a preview must never block the step itself
                out.append((label, _("No preview: %(error)s") % {"error": exc}))
        return out

    def get_context_data(self, **kwargs):
        guard = guard_for(self.transition)(self.case) if self.transition else None
        return super().get_context_data(
            spec=TRANSITIONS[self.transition],
            guard=guard,
            previews=self.previews(),
            **kwargs,
        )

    def perform(self, form):
        case_transition(
            self.case,
            self.transition,
            actor=self.request.user,
            note=form.cleaned_data["note"],
            expected_stage=form.cleaned_data["expected_stage"],
            **form.params(),
        )
        self.success_message = _("Case #%(id)s: %(step)s done.") % {
            "id": self.case.pk,
            "step": TRANSITIONS[self.transition].label,
        }


class DeliveryRecordView(CaseFormView):
    form_class = forms.DeliveryForm
    title = gettext_lazy("Record a letter's delivery")

    def documents(self):
        return LegalDocument.objects.filter(case=self.case, kind__in=DELIVERABLE_KINDS).order_by(
            "-generated_at"
        )

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "documents": self.documents()}

    def perform(self, form):
        data = form.cleaned_data
        proof, scan = data.get("proof"), data.get("scan")
        facts = {
            "actor": self.request.user,
            "status": data["status"],
            "delivered_on": data["delivered_on"],
            "method": data["method"],
            "proof": proof,
            "proof_name": proof.name if proof else "",
            "tracking_number": data["tracking_number"],
            "tracking_status": data["tracking_status"],
        }
        if data["paper_record"]:
            delivery_record(
                self.case,
                letter=data["paper_letter"],
                paper_record=True,
                scan=scan,
                scan_name=scan.name if scan else "",
                **facts,
            )
        else:
            legal_doc_record_delivery(self.documents().get(pk=data["document"]), **facts)
        self.success_message = _("Delivery recorded.")


class DocumentDownloadView(CaseMixin, generic.View):
    def get(self, request, pk, document_pk):
        try:
            document, content = document_for_user(request.user, int(document_pk))
        except LegalDocument.DoesNotExist:
            raise Http404(_("No such document.")) from None
        if document.case_id != self.case.pk:
            raise Http404(_("No such document."))
        return attachment_response(
            content,
            filename=document.filename,
            content_type=document.file.content_type,
            sha256=document.sha256,
        )


class EvidenceFileDownloadView(CaseMixin, generic.View):
    """A photo, recording or receipt of the case's evidence, re-hashed on the way out."""

    def get(self, request, pk, sha256):
        if not case_file_visible(self.case, sha256):
            raise Http404(_("No such file on this case."))
        content = blob_read(sha256)  # re-hashed: a damaged file is an error, never served
        stored = StoredFile.objects.filter(sha256=sha256).first()
        content_type = stored.content_type if stored else "application/octet-stream"
        extension = content_type.rsplit("/", 1)[-1].replace("mpeg", "mp3")
        return attachment_response(
            content,
            filename=f"case-{self.case.pk}-{sha256[:12]}.{extension}",
            content_type=content_type,
            sha256=sha256,
        )


class PackageView(CaseMixin, generic.View):
    """The litigation package (complaint or application, evidence list, every evidence file,
    manifest.json) as one zip. A POST: building it may generate the filing document."""

    def post(self, request, pk):
        if not (is_legal(request.user) or is_manager(request.user)):
            raise PermissionDenied
        try:
            result = litigation_package_build(self.case, actor=request.user)
        except CaseError as exc:
            messages.error(request, exc.message)
            return HttpResponseRedirect(case_url(self.case))
        return attachment_response(
            result.zip_bytes, filename=result.filename, content_type="application/zip"
        )


class CalculationTableView(CaseMixin, generic.View):
    """The case's 欠费明细及滞纳金计算表 as .xlsx (the claim on today), for legal officers and
    managers; a case the user may not see is a 404 (``CaseMixin``)."""

    def get(self, request, pk):
        if not (is_legal(request.user) or is_manager(request.user)):
            raise PermissionDenied
        content, filename = calculation_table_xlsx(self.case, as_of=timezone.localdate())
        return attachment_response(content, filename=filename, content_type=XLSX_TYPE)
