"""The editorial app, and the admin config that makes sites.EditorialAdminSite `admin.site`."""

from django.apps import AppConfig
from django.contrib.admin import apps as admin_apps
from django.utils.translation import gettext_lazy as _


class EditorialConfig(AppConfig):
    default = True  # "editorial" in INSTALLED_APPS means this one, not the admin's below
    name = "editorial"
    verbose_name = _("Editorial workflow")

    def ready(self):
        from monographs.loading import versions_published

        from . import workflow

        versions_published.connect(
            workflow.lift_withdrawals, dispatch_uid="editorial.lift_withdrawals"
        )


class DruginfoAdminConfig(admin_apps.AdminConfig):
    """Django's admin, with druginfo's own site (sites.py) as `admin.site`."""

    default = False
    default_site = "editorial.sites.EditorialAdminSite"
