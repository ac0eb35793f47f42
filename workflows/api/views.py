"""The REST endpoints. Each one parses the request, calls a selector or a service, and
serialises what it got back; the rules live in ``cases`` (and what breaking one means in
HTTP lives in ``workflows.api.errors``)."""

from __future__ import annotations

from django.http import JsonResponse
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    extend_schema_view,
)
from rest_framework import exceptions, generics, mixins, status, viewsets
from rest_framework.renderers import BaseRenderer, JSONRenderer
from rest_framework.response import Response
from rest_framework.views import APIView

from cases.models import Case, Charge, ContactAttempt, Delivery, Estate, EvidenceEntry, Unit
from cases.models.case import DECIDED_BY_APPROVAL, TRANSITIONS
from cases.permissions import user_may_transition
from cases.roles import Role, user_has_role
from cases.selectors.case import case_list_for, case_view_for
from cases.services.case import (
    TransitionRefused,
    case_for_user,
    case_transition,
    contact_log,
    delivery_record,
)
from cases.services.evidence import evidence_status
from cases.services.ledger import payment_record
from cases.storage import DOCX_CONTENT_TYPE
from legal_docs.models import LegalDocument
from legal_docs.package import litigation_package_build
from legal_docs.selectors import document_for_user
from workflows.api import filters, serializers
from workflows.api.idempotency import idempotent
from workflows.api.permissions import RolePermission
from workflows.api.selectors import (
    charge_list,
    party_list_for,
    payment_list,
    payment_outcome,
)
from workflows.downloads import attachment_response

ID = r"[0-9]+"
ZIP_CONTENT_TYPE = "application/zip"

Error = serializers.ErrorSerializer
ERRORS = {
    400: OpenApiResponse(Error, description="Invalid input: `detail` says what, `errors` where."),
    401: OpenApiResponse(Error, description="Not authenticated."),
    403: OpenApiResponse(Error, description="The user's role may not do this."),
    404: OpenApiResponse(Error, description="No such object, or one the user may not see."),
}
CONFLICT = {
    409: OpenApiResponse(Error, description="Refused by the case's state, or the case moved."),
    422: OpenApiResponse(Error, description="Idempotency-Key reused with another body."),
}
ID_PATH = OpenApiParameter("id", OpenApiTypes.INT, OpenApiParameter.PATH)
CASE_PATH = [ID_PATH]


def _valid(serializer_class, request, **context):
    body = serializer_class(data=request.data, context={"request": request, **context})
    body.is_valid(raise_exception=True)
    return body.validated_data


def _visible_case(request, pk) -> Case:
    """The case if the user may see it, else 404 (``Case.DoesNotExist``)."""
    return case_for_user(request.user, int(pk))


def _case_detail(request, case: Case) -> dict:
    view = case_view_for(request.user, case)
    return serializers.CaseDetailSerializer(view, context={"request": request}).data


# --- estates, units, parties, charges, payments ---------------------------------------------


@extend_schema_view(retrieve=extend_schema(parameters=[ID_PATH]))
class _ReadOnly(viewsets.ReadOnlyModelViewSet):
    permission_classes = [RolePermission]
    lookup_value_regex = ID


@extend_schema(tags=["estates"], responses={200: serializers.EstateSerializer, **ERRORS})
class EstateViewSet(_ReadOnly):
    queryset = Estate.objects.order_by("name").prefetch_related(
        "contracts__fee_standards__contract", "management_rules"
    )
    serializer_class = serializers.EstateSerializer
    required_perms = {"GET": ["cases.view_estate"]}


@extend_schema(tags=["units"], responses={200: serializers.UnitSerializer, **ERRORS})
class UnitViewSet(_ReadOnly):
    queryset = Unit.objects.order_by("estate_id", "building", "number", "id")
    serializer_class = serializers.UnitSerializer
    filterset_class = filters.UnitFilter
    required_perms = {"GET": ["cases.view_unit"]}


@extend_schema(tags=["parties"], responses={200: serializers.PartySerializer, **ERRORS})
class PartyViewSet(_ReadOnly):
    """Owners, tenants and developers. Phones are masked (138****5678), e-mail, WeChat and ID
    number left empty, unless the user is on an open case of one of the party's units or
    may see every phone (``cases.see_unmasked_phones``)."""

    serializer_class = serializers.PartySerializer
    filterset_class = filters.PartyFilter
    required_perms = {"GET": ["cases.view_party"]}

    def get_queryset(self):
        return party_list_for(self.request.user).order_by("name", "id")


@extend_schema(tags=["charges"], responses={200: serializers.ChargeSerializer, **ERRORS})
class ChargeViewSet(_ReadOnly):
    """Billed items with what is still owed on each today."""

    serializer_class = serializers.ChargeSerializer
    filterset_class = filters.ChargeFilter
    required_perms = {"GET": ["cases.view_charge"]}

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # schema generation: no database reads
            return Charge.objects.none()
        return charge_list()


@extend_schema(tags=["payments"])
class PaymentViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    permission_classes = [RolePermission]
    lookup_value_regex = ID
    serializer_class = serializers.PaymentSerializer
    filterset_class = filters.PaymentFilter
    required_perms = {"GET": ["cases.view_payment"], "POST": ["cases.add_payment"]}

    def get_queryset(self):
        return payment_list().order_by("-paid_on", "-id")

    @extend_schema(responses={200: serializers.PaymentSerializer, **ERRORS})
    def list(self, request, *args, **kwargs):
        return super().list(request, *args, **kwargs)

    @extend_schema(parameters=[ID_PATH], responses={200: serializers.PaymentSerializer, **ERRORS})
    def retrieve(self, request, *args, **kwargs):
        return super().retrieve(request, *args, **kwargs)

    @extend_schema(
        summary="Record a payment",
        description=(
            "Records the payment and allocates it (principal oldest first by the estate's "
            "rule, then late fees; the rest stays as credit). The unit's open case reacts: "
            "paid in full before a lawyer letter it is settled, after one it waits for a "
            "manager to approve the withdrawal. Needs `cases.add_payment` (finance)."
        ),
        request=serializers.PaymentCreateSerializer,
        responses={201: serializers.PaymentResultSerializer, **ERRORS, **CONFLICT},
    )
    @idempotent
    def create(self, request, *args, **kwargs):
        data = _valid(serializers.PaymentCreateSerializer, request)
        payment = payment_record(
            data["unit"],
            amount=data["amount"],
            paid_on=data["paid_on"],
            actor=request.user,
            method=data["method"],
            reference=data["reference"],
            payer_name=data["payer_name"],
            designated_charges=data["designated_charges"],
        )
        outcome = payment_outcome(payment)
        return Response(
            serializers.PaymentResultSerializer(outcome, context={"request": request}).data,
            status=status.HTTP_201_CREATED,
        )


# --- cases ------------------------------------------------------------------------------------


@extend_schema(tags=["cases"])
class CaseViewSet(viewsets.ReadOnlyModelViewSet):
    """Cases the user may see: a collector the cases assigned to them (another's is a 404),
    legal officers, managers and finance all of them."""

    permission_classes = [RolePermission]
    lookup_value_regex = ID
    serializer_class = serializers.CaseSerializer
    filterset_class = filters.CaseFilter
    required_perms = {"GET": ["cases.view_case"]}

    def get_queryset(self):
        return case_list_for(self.request.user)

    @extend_schema(responses={200: serializers.CaseSerializer, **ERRORS})
    def list(self, request, *args, **kwargs):
        return super().list(request, *args, **kwargs)

    @extend_schema(
        parameters=[ID_PATH], responses={200: serializers.CaseDetailSerializer, **ERRORS}
    )
    def retrieve(self, request, pk=None):
        return Response(_case_detail(request, _visible_case(request, pk)))


class CaseTransitionView(APIView):
    """Take one step of the case's state machine."""

    permission_classes = [RolePermission]

    @extend_schema(
        tags=["cases"],
        operation_id="cases_transition",
        summary="Take a step of the state machine",
        description=(
            "Body parameters by step: `file_litigation` kind (payment_order | lawsuit), court, "
            "filed_on, court_case_number; `record_summons` served_on, court_case_number; "
            "`record_court_acceptance` accepted_on, court_case_number; "
            "`record_payment_order_service` served_on; `record_objection` on; "
            "`record_judgment` kind (judgment | mediation | payment_order_effective), "
            "effective_on, performance_deadline; `close` on. Any step: note, expected_stage "
            "(the stage the client saw; 409 if the case has moved since). 409 with the guard's "
            "reason when the estate's policy refuses the step; 403 when the user's role may not "
            "take it."
        ),
        parameters=[
            *CASE_PATH,
            OpenApiParameter(
                "name", OpenApiTypes.STR, OpenApiParameter.PATH, enum=sorted(TRANSITIONS)
            ),
        ],
        request=serializers.TransitionRequestSerializer,
        responses={200: serializers.CaseDetailSerializer, **ERRORS, **CONFLICT},
    )
    @idempotent
    def post(self, request, pk, name):
        case = _visible_case(request, pk)
        if name not in TRANSITIONS:
            raise exceptions.NotFound(_("Unknown step “%(name)s”.") % {"name": name})
        if name in DECIDED_BY_APPROVAL and user_may_transition(
            request.user, case, TRANSITIONS[name]
        ):
            raise TransitionRefused(
                _(
                    "“%(step)s” is a manager's decision on a request: ask for it and decide "
                    "it in the approval inbox."
                )
                % {"step": TRANSITIONS[name].label},
                case=case,
            )
        body = _valid(serializers.TransitionRequestSerializer, request, transition=name)
        case = case_transition(
            case,
            name,
            actor=request.user,
            note=body["note"],
            expected_stage=body["expected_stage"],
            **body["params"],
        )
        return Response(_case_detail(request, case))


class CaseContactsView(generics.GenericAPIView):
    """Contact attempts on a case (newest first) and logging a new one with its proof."""

    permission_classes = [RolePermission]
    required_perms = {"GET": ["cases.view_contactattempt"]}
    serializer_class = serializers.ContactSerializer

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # schema generation: no request
            return ContactAttempt.objects.none()
        case = _visible_case(self.request, self.kwargs["pk"])
        return (
            ContactAttempt.objects.filter(case=case)
            .select_related("actor")
            .prefetch_related("attachments__file")
            .order_by("-occurred_at", "-id")
        )

    @extend_schema(
        tags=["cases"],
        operation_id="cases_contacts_list",
        parameters=CASE_PATH,
        responses={200: serializers.ContactSerializer(many=True), **ERRORS},
    )
    def get(self, request, pk):
        page = self.paginate_queryset(self.get_queryset())
        return self.get_paginated_response(self.get_serializer(page, many=True).data)

    @extend_schema(
        tags=["cases"],
        operation_id="cases_contacts_create",
        summary="Log a contact attempt",
        description=(
            "multipart/form-data with the files in fields named after their kind (photo, "
            "recording, signed_receipt, delivery_record, document). Files are checked by "
            "content (photos, recordings, PDFs; at most 25 MB, not empty): a refused file is "
            "a 400 naming it, and nothing is written. The proof grade is derived."
        ),
        parameters=CASE_PATH,
        request={
            "multipart/form-data": serializers.ContactCreateSerializer,
            "application/json": serializers.ContactCreateSerializer,
        },
        responses={201: serializers.ContactSerializer, **ERRORS, **CONFLICT},
    )
    @idempotent
    def post(self, request, pk):
        case = _visible_case(request, pk)
        data = _valid(serializers.ContactCreateSerializer, request)
        contact = contact_log(case, actor=request.user, **data)
        contact = self.get_queryset().get(pk=contact.pk)
        return Response(self.get_serializer(contact).data, status=status.HTTP_201_CREATED)


class CaseDeliveriesView(generics.GenericAPIView):
    """Letter deliveries on a case (in the order they happened) and recording a new one."""

    permission_classes = [RolePermission]
    required_perms = {"GET": ["cases.view_delivery"]}
    serializer_class = serializers.DeliverySerializer

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return Delivery.objects.none()
        case = _visible_case(self.request, self.kwargs["pk"])
        return (
            Delivery.objects.filter(case=case)
            .select_related("recorded_by")
            .order_by("delivered_on", "id")
        )

    @extend_schema(
        tags=["cases"],
        operation_id="cases_deliveries_list",
        parameters=CASE_PATH,
        responses={200: serializers.DeliverySerializer(many=True), **ERRORS},
    )
    def get(self, request, pk):
        page = self.paginate_queryset(self.get_queryset())
        return self.get_paginated_response(self.get_serializer(page, many=True).data)

    @extend_schema(
        tags=["cases"],
        operation_id="cases_deliveries_create",
        summary="Record a letter's delivery",
        description=(
            "The day it happened, its proof (a `proof` file, or `tracking_number` with "
            "`tracking_status`), and for a letter served on paper before go-live "
            "`paper_record` with its `scan`. A date before the letter's generated document, "
            "in the future or before the case opened is a 400 naming `delivered_on`."
        ),
        parameters=CASE_PATH,
        request={
            "multipart/form-data": serializers.DeliveryCreateSerializer,
            "application/json": serializers.DeliveryCreateSerializer,
        },
        responses={201: serializers.DeliverySerializer, **ERRORS, **CONFLICT},
    )
    @idempotent
    def post(self, request, pk):
        case = _visible_case(request, pk)
        data = _valid(serializers.DeliveryCreateSerializer, request)
        delivery = delivery_record(case, actor=request.user, **data)
        delivery = self.get_queryset().get(pk=delivery.pk)
        return Response(self.get_serializer(delivery).data, status=status.HTTP_201_CREATED)


class CaseDocumentsView(generics.ListAPIView):
    """The documents generated for a case, newest first."""

    permission_classes = [RolePermission]
    required_perms = {"GET": ["cases.view_case"]}
    serializer_class = serializers.DocumentSerializer

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return LegalDocument.objects.none()
        case = _visible_case(self.request, self.kwargs["pk"])
        return (
            LegalDocument.objects.filter(case=case)
            .select_related("unit", "generated_by")
            .order_by("-generated_at", "-id")
        )

    @extend_schema(
        tags=["cases"],
        operation_id="cases_documents_list",
        parameters=CASE_PATH,
        responses={200: serializers.DocumentSerializer(many=True), **ERRORS},
    )
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)


class _BinaryRenderer(BaseRenderer):
    """Lets a client ask for the file it downloads; errors still go out as JSON."""

    charset = None
    render_style = "binary"

    def render(self, data, accepted_media_type=None, renderer_context=None):
        if isinstance(data, bytes):
            return data
        return JSONRenderer().render(data)


class DocxRenderer(_BinaryRenderer):
    media_type = DOCX_CONTENT_TYPE
    format = "docx"


class ZipRenderer(_BinaryRenderer):
    media_type = ZIP_CONTENT_TYPE
    format = "zip"


class DocumentDownloadView(APIView):
    """The generated .docx, as stored: re-hashed on the way out (a damaged file is a 500
    naming it, never silently served)."""

    permission_classes = [RolePermission]
    required_perms = {"GET": ["cases.view_case"]}
    renderer_classes = [JSONRenderer, DocxRenderer]

    @extend_schema(
        tags=["documents"],
        operation_id="documents_download",
        parameters=[OpenApiParameter("id", OpenApiTypes.INT, OpenApiParameter.PATH)],
        responses={(200, DOCX_CONTENT_TYPE): OpenApiTypes.BINARY, **ERRORS},
    )
    def get(self, request, pk):
        document, content = document_for_user(request.user, int(pk))
        return attachment_response(
            content,
            filename=document.filename,
            content_type=DOCX_CONTENT_TYPE,
            sha256=document.sha256,
        )


class CaseLitigationPackageView(APIView):
    """The case's litigation package (``legal_docs.package``): legal officers and managers
    only; a case the user may not see is a 404."""

    permission_classes = [RolePermission]
    required_perms = {"GET": ["cases.view_case"]}
    renderer_classes = [JSONRenderer, ZipRenderer]

    @extend_schema(
        tags=["cases"],
        operation_id="cases_litigation_package",
        summary="Download the litigation package",
        description=(
            "A zip with the civil complaint or payment-order application (generated if the "
            "case has none), the evidence list (证据目录, refreshed when evidence was added "
            "since), every evidence file, and `manifest.json` with each file's SHA-256 and "
            "size and the evidence chain's verification and head hash. The same case state "
            "gives the same bytes. Legal officers and managers only (403 otherwise)."
        ),
        parameters=CASE_PATH,
        responses={(200, ZIP_CONTENT_TYPE): OpenApiTypes.BINARY, **ERRORS},
    )
    def get(self, request, pk):
        case = _visible_case(request, pk)
        if not (
            user_has_role(request.user, Role.LEGAL_OFFICER)
            or user_has_role(request.user, Role.MANAGER)
        ):
            raise exceptions.PermissionDenied(
                _("Only legal officers and managers download litigation packages.")
            )
        result = litigation_package_build(case, actor=request.user)
        response = attachment_response(
            result.zip_bytes, filename=result.filename, content_type=ZIP_CONTENT_TYPE
        )
        response["X-Evidence-Chain"] = "verified" if result.chain_verified else "broken"
        return response


class CaseEvidenceView(generics.ListAPIView):
    """The case's evidence chain in order; each entry's ``body`` is the hashed text."""

    permission_classes = [RolePermission]
    required_perms = {"GET": ["cases.view_evidenceentry"]}
    serializer_class = serializers.EvidenceEntrySerializer

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return EvidenceEntry.objects.none()
        case = _visible_case(self.request, self.kwargs["pk"])
        return EvidenceEntry.objects.filter(case=case).select_related("actor").order_by("seq")

    @extend_schema(
        tags=["cases"],
        operation_id="cases_evidence_list",
        parameters=CASE_PATH,
        responses={200: serializers.EvidenceEntrySerializer(many=True), **ERRORS},
    )
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)


class CaseEvidenceVerifyView(APIView):
    """Re-hash the case's chain and every file it names."""

    permission_classes = [RolePermission]
    required_perms = {"GET": ["cases.view_evidenceentry"]}

    @extend_schema(
        tags=["cases"],
        operation_id="cases_evidence_verify",
        parameters=CASE_PATH,
        responses={200: serializers.EvidenceVerifySerializer, **ERRORS},
    )
    def get(self, request, pk):
        problem = evidence_status(_visible_case(request, pk))
        if problem is None:
            return Response({"ok": True})
        return Response({"ok": False, "seq": problem.seq, "reason": problem.reason})


def no_such_endpoint(request, *args, **kwargs):
    return JsonResponse(
        {"detail": _("There is no API endpoint at %(path)s.") % {"path": request.path}},
        status=404,
    )
