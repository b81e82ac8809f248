"""URLs of the monographs app, namespaced ``monographs:``."""

from django.contrib.sitemaps.views import sitemap
from django.urls import path

from monographs import print_views, views
from monographs.feeds import UpdatesFeed
from monographs.sitemaps import SITEMAPS

app_name = "monographs"

urlpatterns = [
    path("", views.home, name="home"),
    path("healthz", views.healthz, name="healthz"),
    path("medicines/", views.a_z, name="a_z"),
    path("medicines/<slug:slug>/", views.detail, name="detail"),
    path("medicines/<slug:slug>/changes/", views.changes, name="changes"),
    path("medicines/<slug:slug>/v<int:number>/", views.version, name="version"),
    path("references/", views.references, name="references"),
    path("search/", views.search_results, name="search"),
    path("search/suggest/", views.suggest, name="suggest"),
    path("feed/", views.conditional_page(UpdatesFeed()), name="feed"),
    path(
        "sitemap.xml",
        views.conditional_page(sitemap),
        {"sitemaps": SITEMAPS},
        name="sitemap",
    ),
    path("robots.txt", views.robots, name="robots"),
    path("medicines/<slug:slug>/leaflet.pdf", views.leaflet, name="leaflet"),
    path("medicines/<slug:slug>/print/", print_views.print_page, name="print"),
    path("medicines/<slug:slug>/summary.pdf", print_views.summary, name="summary"),
    path("medicines/<slug:slug>/schedule.pdf", print_views.schedule, name="schedule"),
    path("medicines/<slug:slug>/card.pdf", print_views.card, name="card"),
    path("my-medicines/", print_views.my_medicines_page, name="my_medicines"),
    path("my-medicines/print.pdf", print_views.my_medicines_pdf, name="my_medicines_pdf"),
    path(
        "medicines/<slug:slug>/v<int:number>/leaflet.pdf",
        views.version_leaflet,
        name="version_leaflet",
    ),
]
