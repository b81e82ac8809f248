"""druginfo's admin site: its own name, and the editors' dashboard on its front page."""

from __future__ import annotations

from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from .dashboard import build_dashboard


class EditorialAdminSite(admin.AdminSite):
    site_header = _("druginfo editorial")
    site_title = _("druginfo editorial")
    index_title = _("Editors' dashboard")
    index_template = "admin/editorial/index.html"

    def index(self, request, extra_context=None):
        extra_context = {**(extra_context or {}), "dashboard": build_dashboard(request.user)}
        return super().index(request, extra_context)
