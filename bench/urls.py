"""The application's URLs plus one bare signed-in page, for the benchmark only.

The bare page is the floor every signed-in page stands on: the session, every middleware
(the sign-in, the second-factor check, the audit context, the no-store headers) and one small
template, with no data. The benchmark reports the case page as a multiple of it. Only the
benchmark's settings (bench/settings.py, bench/prodsettings.py) route here.
"""

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.template import engines
from django.urls import path

from victimsupport.urls import handler403 as handler403
from victimsupport.urls import urlpatterns as app_urlpatterns

BARE_PATH = "/bench/bare/"

_BARE = engines["django"].from_string(
    '<!doctype html><html lang="{{ LANGUAGE_CODE }}"><head><meta charset="utf-8">'
    "<title>Bench</title></head><body><p>Signed in.</p></body></html>"
)


@login_required
def bare(request: HttpRequest) -> HttpResponse:
    return HttpResponse(_BARE.render({}, request))


urlpatterns = [path(BARE_PATH.strip("/") + "/", bare, name="bench_bare"), *app_urlpatterns]
