"""The victim-facing safety page of a site: public, outside the staff's pages."""

from django.urls import path

from premises.views import public

urlpatterns = [
    # --- safety (views.public) ---
    # No sign-in: the published version of the site with this random id, nothing else.
    path("safety/<uuid:public_id>/", public.safety_page_public, name="safety_page_public"),
    # --- end of safety ---
]
