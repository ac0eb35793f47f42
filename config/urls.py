from django.conf.urls.i18n import i18n_patterns
from django.contrib import admin
from django.urls import include, path
from django.views.generic import RedirectView

urlpatterns = [
    path("i18n/", include("django.conf.urls.i18n")),
    path("api/", include("workflows.api.urls")),
]
urlpatterns += i18n_patterns(
    path("admin/", admin.site.urls),
    path("imports/", include("workflows.imports_views")),
    path("", include("workflows.approvals.urls")),
    path("", RedirectView.as_view(pattern_name="admin:index", permanent=False)),
    prefix_default_language=False,
)
