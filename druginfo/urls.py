"""Root URLs: the admin and its review pages, the editor's live preview and the monographs app.

404 and 500 pages are Django's default handlers rendering templates/404.html
and templates/500.html.
"""

from django.conf import settings
from django.conf.urls.static import static
from django.contrib import admin
from django.urls import include, path

from monographs import admin as monographs_admin

urlpatterns = [
    # The review pages (editorial/urls.py), staff-only, before the admin's own.
    path("admin/editorial/", include("editorial.urls")),
    # The editor page's presence and autosave calls (collaboration/urls.py), staff-only.
    path("admin/collaboration/", include("collaboration.urls")),
    path("admin/", admin.site.urls),
    # markdownx's widget posts its live preview here. Not markdownx.urls: its
    # stock views pass <script> and javascript: links through and accept SVG
    # uploads. Our view is staff-only and renders with rendering.py; there is
    # no upload route.
    path("markdownx/markdownify/", monographs_admin.markdownify, name="markdownx_markdownify"),
    path("", include("monographs.urls")),
]

# Serves uploaded media in development only (static() is a no-op with DEBUG off).
urlpatterns += static(settings.MEDIA_URL, document_root=settings.MEDIA_ROOT)
