"""Login required everywhere (Django's ``LoginRequiredMiddleware``), except the REST API,
which answers 401 itself to token clients, and the views marked ``login_not_required``
(the login page, the language switch)."""

from django.contrib.auth import middleware

EXEMPT_PREFIXES = ("/api/", "/static/")


class LoginRequiredMiddleware(middleware.LoginRequiredMiddleware):
    def process_view(self, request, view_func, view_args, view_kwargs):
        if request.path.startswith(EXEMPT_PREFIXES):
            return None
        return super().process_view(request, view_func, view_args, view_kwargs)
