from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class MonographsConfig(AppConfig):
    name = "monographs"
    verbose_name = _("Medicine monographs")

    def ready(self):
        from monographs import leaflets
        from monographs.loading import versions_published

        versions_published.connect(
            leaflets.render_published_leaflets, dispatch_uid="monographs.leaflets"
        )

        from monographs import search

        versions_published.connect(
            search.reindex_published_versions, dispatch_uid="monographs.search"
        )
