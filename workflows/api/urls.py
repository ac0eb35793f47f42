"""The REST API, mounted by ``config.urls`` at ``api/`` (namespace ``api``)."""

from django.urls import include, path, re_path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView
from rest_framework.routers import SimpleRouter

from workflows.api import views

app_name = "api"

router = SimpleRouter()
router.register("estates", views.EstateViewSet, basename="estate")
router.register("units", views.UnitViewSet, basename="unit")
router.register("parties", views.PartyViewSet, basename="party")
router.register("charges", views.ChargeViewSet, basename="charge")
router.register("payments", views.PaymentViewSet, basename="payment")
router.register("cases", views.CaseViewSet, basename="case")

urlpatterns = [
    path("", include(router.urls)),
    path(
        "cases/<int:pk>/transitions/<str:name>/",
        views.CaseTransitionView.as_view(),
        name="case-transition",
    ),
    path("cases/<int:pk>/contacts/", views.CaseContactsView.as_view(), name="case-contacts"),
    path("cases/<int:pk>/deliveries/", views.CaseDeliveriesView.as_view(), name="case-deliveries"),
    path("cases/<int:pk>/documents/", views.CaseDocumentsView.as_view(), name="case-documents"),
    path("cases/<int:pk>/evidence/", views.CaseEvidenceView.as_view(), name="case-evidence"),
    path(
        "cases/<int:pk>/evidence/verify/",
        views.CaseEvidenceVerifyView.as_view(),
        name="case-evidence-verify",
    ),
    path(
        "cases/<int:pk>/litigation-package/",
        views.CaseLitigationPackageView.as_view(),
        name="case-litigation-package",
    ),
    path(
        "documents/<int:pk>/download/",
        views.DocumentDownloadView.as_view(),
        name="document-download",
    ),
    path("schema/", SpectacularAPIView.as_view(), name="schema"),
    path("docs/", SpectacularSwaggerView.as_view(url_name="api:schema"), name="docs"),
    # Last: any other path under api/ is a JSON 404, not the site's HTML page. Only paths
    # ending in "/", so that APPEND_SLASH still redirects /api/cases to /api/cases/.
    re_path(r"^.*/$", views.no_such_endpoint),
]
