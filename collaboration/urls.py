"""URLs the medicine editor page calls, namespaced ``collaboration:``."""

from django.urls import path

from . import views

app_name = "collaboration"

urlpatterns = [
    path("<int:medicine_id>/presence/", views.presence, name="presence"),
    path("<int:medicine_id>/autosave/", views.autosave, name="autosave"),
    path("<int:medicine_id>/autosave/discard/", views.discard_autosave, name="discard_autosave"),
]
