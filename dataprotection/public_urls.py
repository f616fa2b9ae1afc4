"""The person's own page, reached by no one signed in: the one-time download of their copy.
Mounted at the root (``/copy/<link_id>/``), outside ``/data-protection/``, so that the address
says nothing of the service or of data protection."""

from django.urls import path

from dataprotection import public_views

urlpatterns = [
    path("copy/<str:link_id>/", public_views.copy_download, name="copy_download"),
]
