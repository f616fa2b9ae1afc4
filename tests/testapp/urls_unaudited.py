"""A case page someone added without its access entry: the audit net must catch it."""

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.urls import include, path

from cases.access import get_case_for_user


@login_required
def peek(request: HttpRequest, pk: object) -> HttpResponse:
    case = get_case_for_user(request.user, pk)
    return HttpResponse(case.victim.display_name)


urlpatterns = [
    path("peek/<uuid:pk>/", peek, name="peek"),
    path("", include("victimsupport.urls")),
]
