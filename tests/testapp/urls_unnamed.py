"""A URL pattern someone forgot to name: its refusals are recorded all the same."""

from django.http import Http404, HttpRequest, HttpResponse
from django.urls import include, path


def not_found(request: HttpRequest, pk: object) -> HttpResponse:
    raise Http404("No such thing.")


urlpatterns = [
    path("unnamed/<uuid:pk>/", not_found),
    path("", include("victimsupport.urls")),
]
