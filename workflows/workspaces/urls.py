"""The workspaces' URLs: log in / log out (named ``login`` and ``logout``, as Django and
viewflow's templates expect) and the site at the root. Include in config/urls.py."""

from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_not_required
from django.urls import path
from viewflow.contrib.auth import AuthenticationForm

from workflows.workspaces.site import site

urlpatterns = [
    path(
        "accounts/login/",
        login_not_required(
            auth_views.LoginView.as_view(
                template_name="workspaces/login.html",
                form_class=AuthenticationForm,
                redirect_authenticated_user=True,
            )
        ),
        name="login",
    ),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("", site.urls),
]
