from django.contrib import admin
from django.contrib.auth.decorators import login_required
from django.urls import include, path

from victimsupport import views

# The admin's own login would bypass throttling and two-factor authentication: send it
# through the application's login instead.
admin.site.login = login_required(admin.site.login)  # type: ignore[method-assign]
admin.site.site_header = "Casework administration"
admin.site.site_title = "Casework administration"

urlpatterns = [
    path("", views.home, name="home"),
    path("healthz", views.healthz, name="healthz"),
    path("cases/", include("cases.urls")),
    path("audit/", views.audit_log, name="audit_log"),
    path("accounts/", include("allauth.urls")),
    path("admin/", admin.site.urls),
]
