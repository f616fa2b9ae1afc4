"""The project's URLs plus the site reports of the test app."""

from django.urls import include, path

urlpatterns = [
    path("", include("tests.testapp.reports")),
    path("", include("victimsupport.urls")),
]
