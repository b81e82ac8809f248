"""Medicines, their versions, and the rows projected from each version's Markdown.

A Version keeps the full Markdown source it came from; every other row hangs
off a version and can be rebuilt from that source at any time (see loading.py).
HTML fields hold output of rendering.py, sanitised once at load time; templates
print them as they are and never convert Markdown themselves.
"""

from __future__ import annotations

from django.conf import settings
from django.contrib.postgres.search import SearchVectorField
from django.db import models
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .parsing import BAND_BY_NAME, BANDS

BAND_CHOICES = [(band.key, band.name) for band in BANDS]
BAND_MEANINGS = {band.key: band.meaning for band in BANDS}


class MedicineQuerySet(models.QuerySet):
    def published(self):
        """Medicines the public can see: those with a published version."""
        return self.filter(published_version__isnull=False)

    def with_published_version(self):
        return self.published().select_related("published_version")


class Medicine(models.Model):
    """A medicine's stable identity; its content lives in its versions."""

    slug = models.SlugField(max_length=100, unique=True)
    published_version = models.ForeignKey(
        "Version",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        help_text=_("The version the public sees."),
    )
    # The highest version number the content file was known to match, set when a
    # file is loaded or exported. An admin version above it is work the file has
    # not seen, which the loader must not overwrite.
    file_synced_number = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = MedicineQuerySet.as_manager()

    class Meta:
        ordering = ["slug"]

    def __str__(self) -> str:
        return self.slug

    def get_absolute_url(self) -> str:
        return reverse("monographs:detail", kwargs={"slug": self.slug})

    def latest_version(self) -> Version | None:
        return self.versions.order_by("-number").first()


class VersionQuerySet(models.QuerySet):
    def ever_published(self):
        return self.filter(published_at__isnull=False)


class Version(models.Model):
    """One distinct content of a medicine: the Markdown source and what it says."""

    class Origin(models.TextChoices):
        FILE = "file", _("content file")
        ADMIN = "admin", _("admin edit")

    class Status(models.TextChoices):
        DRAFT = "draft", _("draft")
        IN_REVIEW = "in_review", _("in review")
        PUBLISHED = "published", _("published")

    medicine = models.ForeignKey(Medicine, on_delete=models.CASCADE, related_name="versions")
    number = models.PositiveIntegerField()
    language = models.CharField(max_length=20, default="en")
    source_text = models.TextField(help_text=_("The full Markdown source: the truth."))
    sha256 = models.CharField(max_length=64)
    origin = models.CharField(max_length=10, choices=Origin.choices)
    origin_path = models.CharField(max_length=500, blank=True)
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True
    )
    created_at = models.DateTimeField(auto_now_add=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.DRAFT)
    published_at = models.DateTimeField(null=True, blank=True)
    # The reviewer account that published this version, and its name and profession
    # as they were then: the page's sign-off. None for a version loaded from a file,
    # which no reviewer has checked.
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    published_by_name = models.CharField(max_length=300, blank=True)
    published_by_profession = models.CharField(max_length=100, blank=True)
    change_summary = models.TextField(blank=True)

    # Identity and review facts from the front matter.
    name = models.CharField(max_length=200)
    generic_name = models.CharField(max_length=200)
    atc_code = models.CharField(max_length=7)
    drug_class = models.CharField(max_length=200)
    prescription_status = models.CharField(max_length=50)
    forms = models.JSONField(default=list)
    routes = models.JSONField(default=list)
    strengths = models.JSONField(default=list)
    brands = models.JSONField(default=list)
    synonyms = models.JSONField(default=list)
    conditions = models.JSONField(default=list)
    authors = models.JSONField(default=list)
    reviewers = models.JSONField(default=list)
    sources = models.JSONField(default=list)
    # The groups the medicine belongs to as other monographs' interactions name them.
    classes = models.JSONField(default=list, blank=True)
    # The official documents the text rests on (paths under the content folder), and
    # the numbers an editor accepted although the sources do not hold them as written.
    source_documents = models.JSONField(default=list, blank=True)
    accepted_numbers = models.JSONField(default=list, blank=True)
    last_reviewed = models.DateField()
    next_review = models.DateField()

    objects = VersionQuerySet.as_manager()

    class Meta:
        ordering = ["medicine", "-number"]
        constraints = [
            models.UniqueConstraint(
                fields=["medicine", "number", "language"], name="unique_version_number"
            ),
            models.CheckConstraint(
                condition=models.Q(number__gte=1), name="version_number_positive"
            ),
        ]
        indexes = [models.Index(fields=["published_at"])]
        # Editors write drafts; only Reviewers may make one the page the public sees.
        permissions = [("publish_version", "Can publish a version")]

    def __str__(self) -> str:
        return f"{self.medicine.slug} v{self.number}"

    def get_absolute_url(self) -> str:
        return reverse(
            "monographs:version", kwargs={"slug": self.medicine.slug, "number": self.number}
        )

    @property
    def is_current(self) -> bool:
        return self.medicine.published_version_id == self.pk

    def sections_with_rows(self, urgent_alerts: list) -> list[dict]:
        """Each section with its blocks, each block with the rows it shows.

        The one pairing of blocks and rows that the page and the leaflet share: a
        dosing card finds its entry and an FAQ its answer by anchor, a band its
        effects by the band named in its title, the urgent-help block the urgent
        alerts. Uses the prefetched rows, so it adds no queries of its own.
        """
        return pair_sections_with_rows(
            [(section, section.blocks.all()) for section in self.sections.all()],
            dosing=self.dosing.all(),
            faqs=self.faqs.all(),
            side_effects=self.side_effects.all(),
            urgent_alerts=urgent_alerts,
        )


def pair_sections_with_rows(
    sections, *, dosing, faqs, side_effects, urgent_alerts: list
) -> list[dict]:
    """Version.sections_with_rows on rows given as lists: `sections` is (section,
    blocks) pairs. The editor's live preview pairs unsaved rows through it too."""
    entries = {entry.anchor: entry for entry in dosing}
    answers = {faq.anchor: faq for faq in faqs}
    effects: dict[str, list[SideEffect]] = {}
    for effect in side_effects:
        effects.setdefault(effect.band, []).append(effect)
    paired = []
    for section, section_blocks in sections:
        blocks = []
        for block in section_blocks:
            item = {"block": block, "kind": block.kind}
            if block.kind == "dosing":
                item["entry"] = entries.get(block.anchor)
            elif block.kind == "band":
                band = BAND_BY_NAME[block.title.casefold()]
                item["band"] = band
                item["effects"] = effects.get(band.key, [])
            elif block.kind == "urgent_help":
                item["alerts"] = urgent_alerts
            elif block.kind == "faq":
                item["faq"] = answers.get(block.anchor)
            blocks.append(item)
        paired.append({"section": section, "blocks": blocks})
    return paired


def urgent_help_anchor(paired: list[dict]) -> str:
    """The anchor of the urgent-help block of pair_sections_with_rows' sections, or ''."""
    return next(
        (
            block["block"].anchor
            for item in paired
            for block in item["blocks"]
            if block["kind"] == "urgent_help"
        ),
        "",
    )


class Section(models.Model):
    version = models.ForeignKey(Version, on_delete=models.CASCADE, related_name="sections")
    position = models.PositiveSmallIntegerField()
    key = models.CharField(max_length=30)
    title = models.CharField(max_length=200)
    anchor = models.CharField(max_length=100)
    quick_answer_html = models.TextField(blank=True)
    quick_answer_text = models.TextField(blank=True)
    intro_html = models.TextField(blank=True)
    intro_text = models.TextField(blank=True)

    class Meta:
        ordering = ["version", "position"]
        constraints = [
            models.UniqueConstraint(fields=["version", "key"], name="unique_section_key")
        ]

    def __str__(self) -> str:
        return f"{self.version}: {self.title}"


class Block(models.Model):
    """A `###` part of a section: prose, or the heading of a structured list."""

    section = models.ForeignKey(Section, on_delete=models.CASCADE, related_name="blocks")
    position = models.PositiveSmallIntegerField()
    title = models.CharField(max_length=300)
    anchor = models.CharField(max_length=300)
    kind = models.CharField(max_length=30)
    html = models.TextField(blank=True)
    text = models.TextField(blank=True)

    class Meta:
        ordering = ["section", "position"]

    def __str__(self) -> str:
        return self.title


class Alert(models.Model):
    """A line of a safety box: a warning that can kill, or a sign to get urgent help."""

    class Kind(models.TextChoices):
        SAFETY = "safety", _("safety warning")
        URGENT = "urgent", _("get urgent help")

    version = models.ForeignKey(Version, on_delete=models.CASCADE, related_name="alerts")
    kind = models.CharField(max_length=10, choices=Kind.choices)
    position = models.PositiveSmallIntegerField()
    html = models.TextField()
    text = models.TextField()

    class Meta:
        ordering = ["version", "kind", "position"]

    def __str__(self) -> str:
        return self.text[:80]


class Takeaway(models.Model):
    version = models.ForeignKey(Version, on_delete=models.CASCADE, related_name="takeaways")
    position = models.PositiveSmallIntegerField()
    html = models.TextField()
    text = models.TextField()

    class Meta:
        ordering = ["version", "position"]

    def __str__(self) -> str:
        return self.text[:80]


class Interaction(models.Model):
    class Severity(models.TextChoices):
        MAJOR = "major", _("major")
        MINOR = "minor", _("minor")

    version = models.ForeignKey(Version, on_delete=models.CASCADE, related_name="interactions")
    severity = models.CharField(max_length=10, choices=Severity.choices)
    position = models.PositiveSmallIntegerField()
    medicine = models.CharField(max_length=300)
    examples = models.JSONField(default=list)
    effect_html = models.TextField()
    effect_text = models.TextField()
    action_html = models.TextField(blank=True)
    action_text = models.TextField(blank=True)

    class Meta:
        ordering = ["version", "severity", "position"]

    def __str__(self) -> str:
        return self.medicine


class DosingEntry(models.Model):
    version = models.ForeignKey(Version, on_delete=models.CASCADE, related_name="dosing")
    position = models.PositiveSmallIntegerField()
    title = models.CharField(max_length=300)
    anchor = models.CharField(max_length=300)
    population = models.CharField(max_length=300, blank=True)
    route = models.CharField(max_length=300, blank=True)
    starting_dose_html = models.TextField(blank=True)
    titration_html = models.TextField(blank=True)
    maintenance_html = models.TextField(blank=True)
    maximum_html = models.TextField(blank=True)
    notes_html = models.TextField(blank=True)
    text = models.TextField(blank=True, help_text=_("All fields as plain text, for search."))

    class Meta:
        ordering = ["version", "position"]
        verbose_name_plural = "dosing entries"

    def __str__(self) -> str:
        return self.title


class SideEffect(models.Model):
    version = models.ForeignKey(Version, on_delete=models.CASCADE, related_name="side_effects")
    band = models.CharField(max_length=20, choices=BAND_CHOICES)
    position = models.PositiveSmallIntegerField()
    html = models.TextField()
    text = models.TextField()

    class Meta:
        ordering = ["version", "position"]

    def __str__(self) -> str:
        return self.text[:80]

    @property
    def band_meaning(self) -> str:
        return BAND_MEANINGS[self.band]


class Faq(models.Model):
    version = models.ForeignKey(Version, on_delete=models.CASCADE, related_name="faqs")
    position = models.PositiveSmallIntegerField()
    question = models.CharField(max_length=500)
    anchor = models.CharField(max_length=300)
    answer_html = models.TextField()
    answer_text = models.TextField()

    class Meta:
        ordering = ["version", "position"]

    def __str__(self) -> str:
        return self.question


class Reference(models.Model):
    version = models.ForeignKey(Version, on_delete=models.CASCADE, related_name="references")
    number = models.PositiveSmallIntegerField()
    text = models.TextField(help_text=_("The citation exactly as written."))
    # The same citation in two monographs has the same key: the reference list
    # de-duplicates on it.
    key = models.CharField(max_length=64, db_index=True)
    authors = models.TextField(blank=True)
    title = models.TextField(blank=True)
    container = models.TextField(blank=True)
    year = models.PositiveSmallIntegerField(null=True, blank=True)
    doi = models.CharField(max_length=300, blank=True)
    url = models.URLField(max_length=500, blank=True)

    class Meta:
        ordering = ["version", "number"]

    def __str__(self) -> str:
        return self.text[:80]

    @property
    def doi_url(self) -> str:
        return f"https://doi.org/{self.doi}" if self.doi else ""


class Name(models.Model):
    """A name a patient might look a medicine up by: for the A–Z index and search."""

    class Kind(models.TextChoices):
        NAME = "name", _("name")
        GENERIC = "generic", _("generic name")
        BRAND = "brand", _("brand")
        SYNONYM = "synonym", _("other name")

    version = models.ForeignKey(Version, on_delete=models.CASCADE, related_name="names")
    kind = models.CharField(max_length=10, choices=Kind.choices)
    value = models.CharField(max_length=200)
    normalized = models.CharField(max_length=200, db_index=True)

    class Meta:
        ordering = ["version", "kind", "value"]

    def __str__(self) -> str:
        return self.value


# --- The PostgreSQL search index (search.py with SEARCH_BACKEND=postgres) -----
#
# Rows written only by the search module from the published versions, and
# rebuilt from them at any time (`manage.py rebuild_index`). The GIN and
# trigram indexes are PostgreSQL's own, so migration 0003 creates them there
# only and they are not listed in Meta: SQLite gets the plain tables, unused.


class SearchMedicine(models.Model):
    """A medicine in the search index: which published version it was indexed from."""

    slug = models.SlugField(max_length=100, unique=True)
    version_pk = models.BigIntegerField(help_text=_("The published version indexed."))
    name = models.CharField(max_length=200)
    document_count = models.PositiveIntegerField(help_text=_("How many parts are indexed."))
    # Every word of the medicine: counting matching medicines reads this, not its parts.
    vector = SearchVectorField(null=True)

    class Meta:
        ordering = ["slug"]

    def __str__(self) -> str:
        return self.slug


class SearchDocument(models.Model):
    """One searchable part of an indexed medicine: a section, a ``###`` part or an item."""

    medicine = models.ForeignKey(SearchMedicine, on_delete=models.CASCADE, related_name="documents")
    position = models.PositiveIntegerField()
    kind = models.CharField(max_length=20)
    section_key = models.CharField(max_length=30)
    section = models.CharField(max_length=200)
    title = models.TextField(blank=True)
    anchor = models.CharField(max_length=300)
    text = models.TextField(blank=True, help_text=_("Shown as the snippet."))
    # Weighted: A names, brands and conditions; B headings and items; C body; D the
    # names once more on the overview part, so that a name alone lands there.
    vector = SearchVectorField(null=True)

    class Meta:
        ordering = ["medicine", "position"]

    def __str__(self) -> str:
        return f"{self.medicine}: {self.title or self.section}"


class SearchName(models.Model):
    """A name, generic name, brand or synonym of an indexed medicine: exact matches and
    suggestions as the patient types."""

    medicine = models.ForeignKey(SearchMedicine, on_delete=models.CASCADE, related_name="names")
    label = models.CharField(max_length=200)
    kind = models.CharField(max_length=10)  # name, generic, brand or synonym
    normalized = models.CharField(max_length=200, db_index=True)
    # " word word ": the label's words, casefolded, padded for whole-word matching.
    words = models.TextField()

    class Meta:
        ordering = ["medicine", "label"]

    def __str__(self) -> str:
        return self.label


class SearchWord(models.Model):
    """A word of an indexed medicine's names and conditions: the did-you-mean vocabulary."""

    medicine = models.ForeignKey(SearchMedicine, on_delete=models.CASCADE, related_name="words")
    word = models.TextField()

    class Meta:
        ordering = ["medicine", "word"]

    def __str__(self) -> str:
        return self.word


class SearchLexeme(models.Model):
    """A word of the indexed parts, as stemmed, and how many parts hold it: how rare it is."""

    lexeme = models.TextField(unique=True)
    documents = models.PositiveIntegerField()

    class Meta:
        ordering = ["lexeme"]

    def __str__(self) -> str:
        return self.lexeme


class SearchSpelling(models.Model):
    """A plain word of the indexed text and how many medicines use it: the did-you-mean
    vocabulary, ranked by how common a word is (a trigram index finds near spellings)."""

    word = models.TextField(unique=True)
    documents = models.PositiveIntegerField(help_text=_("How many medicines use the word."))

    class Meta:
        ordering = ["word"]

    def __str__(self) -> str:
        return self.word


# --- Work that follows a publish (followups.py) ----------------------------------


class PublishFollowUpQuerySet(models.QuerySet):
    def claimable(self, now):
        """Rows nobody is working on: never claimed, or their claim has run out."""
        return self.filter(models.Q(claimed_until__isnull=True) | models.Q(claimed_until__lt=now))


class PublishFollowUp(models.Model):
    """What must still follow a committed publish: re-indexing search, rendering leaflets.

    Written in the publish's own transaction, so a process killed after the
    commit leaves it behind for whoever comes next; deleted once done. A bulk
    load writes one bulk row (the whole index is rebuilt), not one per version.
    """

    created_at = models.DateTimeField(default=timezone.now, db_index=True)
    # The versions published (ids), or empty for a bulk row, which covers them all.
    version_ids = models.JSONField(default=list, blank=True)
    bulk = models.BooleanField(default=False)
    needs_index = models.BooleanField(default=True)
    needs_leaflets = models.BooleanField(default=False)
    # A process working on the row holds it until then; a dead one's claim runs out.
    claimed_until = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveIntegerField(default=0)
    last_attempt_at = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(blank=True)

    objects = PublishFollowUpQuerySet.as_manager()

    class Meta:
        ordering = ["pk"]

    def __str__(self) -> str:
        what = "bulk" if self.bulk else f"{len(self.version_ids)} version(s)"
        return f"follow-up {self.pk} ({what}, {self.attempts} attempt(s))"
