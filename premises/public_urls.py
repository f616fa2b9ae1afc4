"""The victim-facing safety page of a site: public, outside the staff's pages."""

from django.urls import path  # noqa: F401

from premises.views import public  # noqa: F401 (the safety block uses it)

urlpatterns = [
    # --- safety (views.public) ---
    # --- end of safety ---
]
