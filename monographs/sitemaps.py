"""sitemap.xml: the public pages, with each monograph's publication time as lastmod.

Addresses are built on settings.SITE_URL, like the pages' canonical links,
whichever host name the request came in on.
"""

from urllib.parse import urlsplit

from django.conf import settings
from django.contrib.sitemaps import Sitemap
from django.urls import reverse

from monographs.models import Medicine


class _SiteUrlSitemap(Sitemap):
    def get_protocol(self, protocol=None):
        return urlsplit(settings.SITE_URL).scheme

    def get_domain(self, site=None):
        return urlsplit(settings.SITE_URL).netloc


class PageSitemap(_SiteUrlSitemap):
    """The pages that are not about one medicine."""

    def items(self):
        return ["monographs:home", "monographs:a_z", "monographs:references"]

    def location(self, item):
        return reverse(item)


class MedicineSitemap(_SiteUrlSitemap):
    """Each published medicine's page."""

    def items(self):
        return Medicine.objects.with_published_version().only(
            "slug", "published_version__published_at"
        )

    def lastmod(self, item: Medicine):
        return item.published_version.published_at


SITEMAPS = {"pages": PageSitemap, "medicines": MedicineSitemap}
