"""The editor's live preview as the public page shows it, from typed text alone.

admin.markdownify has only the text in the editor. When it parses, this builds
the context the public page's own includes read (views._monograph_context
builds it from stored rows) out of the parsed Monograph: the same projection
loading.project_rows makes for the database, every piece of HTML rendered by
rendering.py, held in unsaved model instances. Nothing is written and no query
is made but the one for the version number.
"""

from __future__ import annotations

import datetime

from django.utils import timezone

from . import models, pagecache, routes
from .emergency import emergency_contacts
from .loading import _version_fields, project_rows
from .parsing import Monograph
from .views import _split_citation_link


def page_context(document: Monograph, medicine: models.Medicine | None) -> dict:
    """What live_preview.html's page includes need for `document`, saved as the
    next version of `medicine` (or a new medicine when None)."""
    fields = _version_fields(document)
    latest = (
        medicine.versions.order_by("-number").values_list("number", flat=True).first()
        if (medicine)
        else None
    )
    fields["number"] = (latest or 0) + 1
    version = models.Version(
        medicine=medicine or models.Medicine(slug=document.slug),
        origin=models.Version.Origin.ADMIN,
        **fields,
    )
    rows = project_rows(document)

    sections = []
    for data in rows["sections"]:
        section = models.Section(**{k: v for k, v in data.items() if k != "blocks"})
        sections.append((section, [models.Block(**block) for block in data["blocks"]]))
    alerts = [models.Alert(**row) for row in rows["alerts"]]
    interactions = [models.Interaction(**row) for row in rows["interactions"]]
    dosing = [models.DosingEntry(**row) for row in rows["dosing"]]
    references = [models.Reference(**row) for row in rows["references"]]
    for reference in references:
        _split_citation_link(reference)
    urgent = [alert for alert in alerts if alert.kind == models.Alert.Kind.URGENT]
    paired = models.pair_sections_with_rows(
        sections,
        dosing=dosing,
        faqs=[models.Faq(**row) for row in rows["faqs"]],
        side_effects=[models.SideEffect(**row) for row in rows["side_effects"]],
        urgent_alerts=urgent,
    )
    urgent_anchor = models.urgent_help_anchor(paired)
    now = timezone.now()
    return {
        "live_preview": True,
        "version": version,
        "medicine": version.medicine,
        # As the page of the current version, published now.
        "state": pagecache.PageState(
            slug=document.slug,
            version_pk=0,
            current_pk=0,
            current_published_at=now,
            next_review=version.next_review or datetime.date.max,
        ),
        "sections": paired,
        "safety_alerts": [alert for alert in alerts if alert.kind == models.Alert.Kind.SAFETY],
        "takeaways": [models.Takeaway(**row) for row in rows["takeaways"]],
        "major_interactions": [i for i in interactions if i.severity == "major"],
        "minor_interactions": [i for i in interactions if i.severity == "minor"],
        "references": references,
        "emergency": emergency_contacts(),
        "urgent_anchor": urgent_anchor,
        "adult_doses": routes.usual_adult_doses(dosing, version.routes),
    }
