from django.contrib import admin
from django.urls import include, path
from django.utils.translation import gettext_lazy as _
from django.views.i18n import set_language

from victimsupport import views
from victimsupport.accounts import views as account_views
from victimsupport.audit import views as audit_views

# The admin's own login form would sign someone in without throttling or a second factor,
# even over an existing session: every request to it goes to the application's sign-in.
admin.site.login = views.admin_login  # type: ignore[method-assign]
admin.site.site_header = _("Casework administration")
admin.site.site_title = _("Casework administration")

# 403 only for "may see, may not change"; every other refusal answers 404 (views.py).
handler403 = "victimsupport.views.permission_denied"
# 503 while the database cannot be reached (a restart, a full disk): nothing was saved.
handler500 = "victimsupport.views.server_error"

urlpatterns = [
    path("", views.home, name="home"),
    path("healthz", views.healthz, name="healthz"),
    path("readyz", views.readyz, name="readyz"),
    path("robots.txt", views.robots_txt, name="robots_txt"),
    path("favicon.ico", views.favicon, name="favicon"),
    # The language switcher's form posts here (POST only, CSRF-checked; ``next`` must be a
    # path on this site, and the switcher sends the page's path without its query).
    path("i18n/setlang/", set_language, name="set_language"),
    path("accounts/preferences/", account_views.preferences, name="account_preferences"),
    path("cases/", include("cases.urls")),
    path("risk/", include("risk.urls")),
    path("network/", include("referrals.urls")),
    path("data-protection/", include("dataprotection.urls")),
    # The person's one-time download of their copy: public, outside the staff's pages.
    path("", include("dataprotection.public_urls")),
    path("premises/", include("premises.urls")),
    # A site's "Your safety here" page, for the people the service supports: public.
    path("", include("premises.public_urls")),
    path("audit/", audit_views.audit_log, name="audit_log"),
    path("audit/export.csv", audit_views.audit_log_export, name="audit_log_export"),
    # Before allauth's own, which it replaces (same address and name).
    path(
        "accounts/password/reset/",
        account_views.password_reset,
        name="account_reset_password",
    ),
    path("accounts/", include("allauth.urls")),
    path("admin/", admin.site.urls),
]
