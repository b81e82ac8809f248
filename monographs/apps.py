from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class MonographsConfig(AppConfig):
    name = "monographs"
    verbose_name = _("Medicine monographs")
