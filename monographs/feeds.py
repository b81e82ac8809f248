"""The Atom feed of content updates: each version the public has been shown, newest first.

Addresses are built on settings.SITE_URL, so entry ids stay the same whichever
host name a reader's request came in on.
"""

from django.conf import settings
from django.contrib.syndication.views import Feed
from django.db.models import F
from django.urls import reverse
from django.utils.feedgenerator import Atom1Feed
from django.utils.html import escape
from django.utils.translation import gettext_lazy as _

from monographs.models import Version

FEED_LENGTH = 50


class UpdatesFeed(Feed):
    feed_type = Atom1Feed
    title = _("druginfo: medicine information updates")
    subtitle = _("New and updated medicine pages, with what changed and why.")

    def link(self):
        return settings.SITE_URL + reverse("monographs:home")

    def feed_url(self):
        return settings.SITE_URL + reverse("monographs:feed")

    def items(self):
        # Only medicines that are still public; a version published once stays
        # in the feed (its page is still viewable) after a newer one appears.
        return (
            Version.objects.ever_published()
            .filter(
                medicine__published_version__isnull=False,
                language=F("medicine__published_version__language"),
            )
            .select_related("medicine")
            .order_by("-published_at", "-pk")[:FEED_LENGTH]
        )

    def item_title(self, item: Version) -> str:
        return _("%(name)s, version %(number)s") % {"name": item.name, "number": item.number}

    def item_description(self, item: Version) -> str:
        # Atom1Feed writes this into <summary type="html">, which readers parse
        # as HTML: the summary is plain text, so it goes in escaped, as words.
        return escape(item.change_summary)

    def item_link(self, item: Version) -> str:
        return settings.SITE_URL + item.get_absolute_url()

    def item_pubdate(self, item: Version):
        return item.published_at

    def item_updateddate(self, item: Version):
        return item.published_at

    def item_author_name(self, item: Version) -> str:
        return ", ".join(item.authors)
