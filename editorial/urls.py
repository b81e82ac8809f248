"""The review pages, inside the admin (/admin/editorial/...), namespaced ``editorial:``."""

from django.contrib import admin
from django.urls import path

from . import views

app_name = "editorial"

urlpatterns = [
    path(
        "medicines/<slug:slug>/",
        admin.site.admin_view(views.medicine_page),
        name="medicine",
    ),
    path(
        "medicines/<slug:slug>/v<int:number>/",
        admin.site.admin_view(views.version_page),
        name="version",
    ),
]
