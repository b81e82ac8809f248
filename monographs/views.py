"""Views of the monographs app: the public pages, the health check and the leaflets.

The public pages are the home page, the A–Z, each monograph (current and past
versions), its changelog, the reference list, robots.txt (the feed and the
sitemap are in feeds.py and sitemaps.py). Monograph pages are rendered from
their rows in a fixed number of queries and answer conditional requests from
one small query; pagecache.py keeps them once rendered.
"""

import dataclasses
import logging
import string
import unicodedata

from django.conf import settings
from django.db import connection
from django.db.models import F
from django.http import (
    Http404,
    HttpRequest,
    HttpResponse,
    HttpResponseBadRequest,
    JsonResponse,
)
from django.middleware.http import ConditionalGetMiddleware
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.cache import patch_cache_control
from django.utils.decorators import decorator_from_middleware
from django.utils.safestring import SafeString
from django.utils.translation import get_language, gettext
from django.views.decorators.http import condition, require_safe

from editorial import views as editorial_views
from monographs import followups, pagecache, rendering, routes, search
from monographs.emergency import emergency_contacts
from monographs.forms import SearchForm
from monographs.models import Alert, Medicine, Name, Reference, Version, urgent_help_anchor
from monographs.parsing import DOI_IN_TEXT_RE
from monographs.pdf_responses import stored_pdf
from monographs.printing import leaflets, products

logger = logging.getLogger(__name__)

# Pages that are cheap to render answer conditional requests with an ETag of
# their content; monograph pages use `condition` and skip rendering instead.
conditional_page = decorator_from_middleware(ConditionalGetMiddleware)

RECENT_UPDATES = 6  # medicines listed as recently updated on the home page


@require_safe
@conditional_page
def home(request: HttpRequest) -> HttpResponse:
    """What the site is, a search box, the A–Z letters and the recently updated medicines."""
    recent = Medicine.objects.with_published_version().order_by(
        "-published_version__published_at", "slug"
    )[:RECENT_UPDATES]
    return render(
        request,
        "monographs/home.html",
        {
            "letters": _letter_groups(_a_z_entries()),
            "recent": recent,
            "canonical_url": _absolute(reverse("monographs:home")),
        },
    )


@require_safe
@conditional_page
def a_z(request: HttpRequest) -> HttpResponse:
    """Every published medicine and brand name, grouped by first letter."""
    entries = _a_z_entries()
    return render(
        request,
        "monographs/a_z.html",
        {
            "letters": _letter_groups(entries),
            "entry_count": len(entries),
            "canonical_url": _absolute(reverse("monographs:a_z")),
        },
    )


def _page_etag(request: HttpRequest, slug: str, number: int | None = None) -> str | None:
    state = pagecache.page_state(request, slug, number)
    return f'"{state.fingerprint(get_language())}"' if state else None


def _page_last_modified(request: HttpRequest, slug: str, number: int | None = None):
    state = pagecache.page_state(request, slug, number)
    return state.last_modified if state else None


@require_safe
@condition(etag_func=_page_etag, last_modified_func=_page_last_modified)
def detail(request: HttpRequest, slug: str) -> HttpResponse:
    """A medicine's monograph page, as its published version says (pagecache.py keeps it)."""
    state = pagecache.page_state(request, slug)
    if state is None:
        if withdrawn := editorial_views.withdrawn_response(request, slug):
            return withdrawn
        raise Http404("No published medicine with this address.")
    return _monograph_response(request, state)


@require_safe
@condition(etag_func=_page_etag, last_modified_func=_page_last_modified)
def version(request: HttpRequest, slug: str, number: int) -> HttpResponse:
    """One published version of a monograph; a superseded one says so and links to the current."""
    state = pagecache.page_state(request, slug, number)
    if state is None:
        if withdrawn := editorial_views.withdrawn_response(request, slug):
            return withdrawn
        raise Http404("No published version with this number.")
    return _monograph_response(request, state)


@require_safe
@conditional_page
def changes(request: HttpRequest, slug: str) -> HttpResponse:
    """The changelog: every version the public has seen, newest first."""
    medicine = get_object_or_404(Medicine.objects.with_published_version(), slug=slug)
    versions = (
        medicine.versions.ever_published()
        .filter(language=medicine.published_version.language)
        .order_by("-number")
    )
    return render(
        request,
        "monographs/changes.html",
        {
            "medicine": medicine,
            "current": medicine.published_version,
            "versions": versions,
            "canonical_url": _absolute(reverse("monographs:changes", args=[slug])),
        },
    )


@require_safe
@conditional_page
def references(request: HttpRequest) -> HttpResponse:
    """Every reference cited by a published monograph, once, with the pages that cite it."""
    rows = (
        Reference.objects.filter(version__medicine__published_version=F("version"))
        .select_related("version__medicine")
        .order_by("text", "version__name")
    )
    cited: dict[str, dict] = {}
    for reference in rows:
        entry = cited.setdefault(reference.key, {"reference": reference, "citations": []})
        entry["citations"].append(reference)
    return render(
        request,
        "monographs/references.html",
        {
            "references": sorted(cited.values(), key=lambda e: e["reference"].text.casefold()),
            "canonical_url": _absolute(reverse("monographs:references")),
        },
    )


@require_safe
def robots(request: HttpRequest) -> HttpResponse:
    """Let search engines read the public pages, not the admin or the editors' endpoints."""
    lines = [
        "User-agent: *",
        "Disallow: /admin/",
        "Disallow: /markdownx/",
        "Disallow: /search/",
        "",
        f"Sitemap: {_absolute(reverse('monographs:sitemap'))}",
        "",
    ]
    response = HttpResponse("\n".join(lines), content_type="text/plain; charset=utf-8")
    patch_cache_control(response, public=True, max_age=60 * 60 * 24)
    return response


# --- Monograph pages: the rows and the context ----------------------------------


def _monograph_response(request: HttpRequest, state: pagecache.PageState) -> HttpResponse:
    """The page of `state`'s version, rendered from its rows; `?route=oral` leaves out
    what does not apply to that route (a route the medicine lacks: the whole page)."""
    page_version = _version_with_rows(state.version_pk)
    asked = request.GET.get("route")
    route = routes.chosen_route(asked, page_version.routes)
    if asked is not None and not route:
        return redirect(request.path)
    context = _monograph_context(page_version, state, route)
    response = render(request, "monographs/detail.html", context)
    # Stored by browsers, but checked with the server (a cheap 304) before each
    # use: a new version must show at once.
    patch_cache_control(response, public=True, no_cache=True)
    return response


def _version_with_rows(pk: int) -> Version:
    """A version with every row its page shows, in a fixed number of queries."""
    return (
        Version.objects.select_related("medicine")
        .defer("source_text")  # the Markdown: tens of kilobytes the page never shows
        .prefetch_related(
            "sections__blocks",
            "alerts",
            "takeaways",
            "interactions",
            "dosing",
            "side_effects",
            "faqs",
            "references",
        )
        .get(pk=pk)
    )


def _monograph_context(page_version: Version, state: pagecache.PageState, route: str = "") -> dict:
    alerts = list(page_version.alerts.all())
    interactions = list(page_version.interactions.all())
    urgent = [alert for alert in alerts if alert.kind == Alert.Kind.URGENT]
    sections = page_version.sections_with_rows(urgent)
    medicine_routes = page_version.routes
    # Dosing cards and subsections for another route are left out, of the page
    # and its contents. The rows were read for this response alone.
    sections = routes.sections_for_route(sections, route, medicine_routes)
    urgent_anchor = urgent_help_anchor(sections)
    choices = routes.route_choices(medicine_routes)

    medicine = page_version.medicine
    canonical = _absolute(
        medicine.get_absolute_url() if state.is_current else page_version.get_absolute_url()
    )
    description = _meta_description(page_version, sections)
    references = list(page_version.references.all())
    for reference in references:
        _split_citation_link(reference)
    leaflet_url = (
        reverse("monographs:leaflet", args=[medicine.slug])
        if state.is_current
        else reverse("monographs:version_leaflet", args=[medicine.slug, page_version.number])
    )
    # Only marked when the content is in another language than the interface.
    same_language = get_language().split("-")[0] == page_version.language.split("-")[0]
    return {
        "version": page_version,
        "medicine": medicine,
        "state": state,
        "sections": sections,
        "safety_alerts": [alert for alert in alerts if alert.kind == Alert.Kind.SAFETY],
        "takeaways": page_version.takeaways.all(),
        "major_interactions": [i for i in interactions if i.severity == "major"],
        "minor_interactions": [i for i in interactions if i.severity == "minor"],
        "references": references,
        "leaflet_url": leaflet_url,
        "content_language": "" if same_language else page_version.language,
        "canonical_url": canonical,
        "meta_description": description,
        "json_ld": _json_ld(page_version, canonical, description, state),
        "emergency": emergency_contacts(),
        "urgent_anchor": urgent_anchor,
        "adult_doses": routes.usual_adult_doses(page_version.dosing.all(), medicine_routes, route),
        "route": route,
        "route_label": next((c.label for c in choices if c.route == route), ""),
        "route_choices": choices,
    }


def _split_citation_link(reference: Reference) -> None:
    """Set `text_before`, `link_text`, `text_after` and `link` so the DOI or address
    written in the citation becomes its link, the citation staying as written."""
    reference.link = reference.doi_url or reference.url
    reference.link_text = ""
    match = DOI_IN_TEXT_RE.search(reference.text) if reference.doi else None
    if match:
        start, end = match.start(), match.end(1)
    elif reference.url and reference.url in reference.text:
        start = reference.text.index(reference.url)
        end = start + len(reference.url)
    else:
        return
    reference.text_before = reference.text[:start]
    reference.link_text = reference.text[start:end]
    reference.text_after = reference.text[end:]


def _meta_description(page_version: Version, sections: list[dict]) -> str:
    """The quick answer of "What it is and what it is used for", cut to about 160 characters."""
    text = next(
        (s["section"].quick_answer_text for s in sections if s["section"].quick_answer_text),
        "",
    ) or gettext("What %(name)s is for, how to take it, side effects and when to get help.") % {
        "name": page_version.name
    }
    if len(text) <= 160:
        return text
    return text[:157].rsplit(" ", 1)[0] + "…"


# schema.org's values for prescriptionStatus.
_PRESCRIPTION_STATUS = {
    "prescription only": "https://schema.org/PrescriptionOnly",
    "pharmacy": "https://schema.org/OTC",
    "general sale": "https://schema.org/OTC",
}


def _json_ld(
    page_version: Version, canonical: str, description: str, state: pagecache.PageState
) -> SafeString:
    """schema.org MedicalWebPage about a Drug, as JSON safe to print inside <script>."""

    def named(names):
        return [{"@type": "Organization", "name": name} for name in names]

    drug = {
        "@type": "Drug",
        "name": page_version.name,
        "nonProprietaryName": page_version.generic_name,
        "activeIngredient": page_version.generic_name,
        "proprietaryName": page_version.brands,
        "drugClass": {"@type": "DrugClass", "name": page_version.drug_class},
        "dosageForm": page_version.forms,
        "administrationRoute": page_version.routes,
        "availableStrength": [
            {"@type": "DrugStrength", "name": strength} for strength in page_version.strengths
        ],
        "code": {"@type": "MedicalCode", "code": page_version.atc_code, "codingSystem": "ATC"},
    }
    if page_version.prescription_status in _PRESCRIPTION_STATUS:
        drug["prescriptionStatus"] = _PRESCRIPTION_STATUS[page_version.prescription_status]
    data = {
        "@context": "https://schema.org",
        "@type": "MedicalWebPage",
        "url": canonical,
        "name": page_version.name,
        "description": description,
        "inLanguage": page_version.language,
        "lastReviewed": page_version.last_reviewed.isoformat(),
        "datePublished": page_version.published_at.isoformat(),
        "author": named(page_version.authors),
        "about": drug,
    }
    # A sign-off only when a reviewer account published this version; never a name
    # from a file (issue #15: 3).
    if page_version.published_by_id is not None:
        data["reviewedBy"] = {"@type": "Person", "name": page_version.published_by_name}
        if page_version.published_by_profession:
            data["reviewedBy"]["jobTitle"] = page_version.published_by_profession
    return rendering.render_json_data(data)


# --- The A–Z ------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class _AZEntry:
    label: str
    slug: str
    medicine_name: str  # set when the label is another name for the medicine (a brand)
    sort_key: str


def _a_z_entries() -> list[_AZEntry]:
    """Each published medicine under its name, and again under each brand and other generic."""
    names = Name.objects.filter(
        version__medicine__published_version=F("version"),
        kind__in=[Name.Kind.NAME, Name.Kind.GENERIC, Name.Kind.BRAND],
    ).values_list("kind", "value", "normalized", "version__name", "version__medicine__slug")
    entries = {}
    for kind, value, normalized, medicine_name, slug in names:
        own_name = kind == Name.Kind.NAME
        if not own_name and normalized == _normalize(medicine_name):
            continue  # the generic name is usually the name itself
        entries[(slug, normalized)] = _AZEntry(
            label=value,
            slug=slug,
            medicine_name="" if own_name else medicine_name,
            sort_key=_sort_key(value),
        )
    return sorted(entries.values(), key=lambda e: (e.sort_key, e.medicine_name))


def _normalize(value: str) -> str:
    return " ".join(value.casefold().split())


def _sort_key(value: str) -> str:
    """Sort and group "Émla" with "E": accents off, case folded."""
    decomposed = unicodedata.normalize("NFKD", value.casefold())
    return "".join(char for char in decomposed if not unicodedata.combining(char))


def _letter_groups(entries: list[_AZEntry]) -> list[dict]:
    """One group per letter A–Z (empty ones too, for the letter bar) and "0–9" for the rest."""
    groups = {letter: [] for letter in string.ascii_uppercase}
    other = []
    for entry in entries:
        first = entry.sort_key[:1].upper()
        if first in groups:
            groups[first].append(entry)
        else:
            other.append(entry)
    result = [
        {"letter": letter, "id": f"letter-{letter.lower()}", "entries": items}
        for letter, items in groups.items()
    ]
    if other:
        result.append({"letter": "0–9", "id": "letter-other", "entries": other})
    return result


def _absolute(path: str) -> str:
    return settings.SITE_URL + path


@require_safe
def healthz(request: HttpRequest) -> JsonResponse:
    """Answer 200 when the database and the search index work, else 503 naming the failing part.

    Work a publish left for after its commit (followups.py) is reported as
    ``"pending": N``; an index that lags only by such recent work is
    ``"search_index": "pending"`` and still 200. A row stuck past
    PUBLISH_FOLLOWUP_STUCK_SECONDS, or failed PUBLISH_FOLLOWUP_MAX_ATTEMPTS times,
    fails ``publishing``. Never raises: a health check that errors out tells the
    load balancer nothing. Details go to the log; the public body only names the parts.
    """
    database_ok = _check_database()
    backlog = _check_backlog() if database_ok else followups.Backlog()
    search_state = _check_search_index(backlog)
    parts = {"database": "ok" if database_ok else "error", "search_index": search_state}
    if backlog is None or not backlog.ok:
        parts["publishing"] = "error"
    failing = [name for name, state in parts.items() if state == "error"]
    body: dict[str, object] = {"status": "error" if failing else "ok", **parts}
    if backlog is not None and backlog.pending:
        body["pending"] = backlog.pending
    if failing:
        body["failing"] = failing
    response = JsonResponse(body, status=503 if failing else 200)
    response["Cache-Control"] = "no-store"
    return response


def _check_database() -> bool:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except Exception:
        logger.exception("health check: database query failed")
        return False
    return True


def _check_backlog() -> followups.Backlog | None:
    try:
        backlog = followups.backlog()
    except Exception:
        logger.exception("health check: publish follow-ups could not be counted")
        return None
    if not backlog.ok:
        logger.warning(
            "health check: publish follow-ups stuck: %d pending, %d older than %d s, "
            "%d failed %d times (run `manage.py complete_publishes`)",
            backlog.pending,
            backlog.stuck,
            settings.PUBLISH_FOLLOWUP_STUCK_SECONDS,
            backlog.failing,
            settings.PUBLISH_FOLLOWUP_MAX_ATTEMPTS,
        )
    return backlog


def _check_search_index(backlog: followups.Backlog | None) -> str:
    """The index's state: "ok", "pending" (behind by recent publishes that will
    catch up by themselves) or "error"."""
    try:
        status = search.index_status()
    except Exception:
        logger.exception("health check: search index check raised")
        return "error"
    if status["ok"]:
        return "ok"
    if backlog is not None and backlog.heals_itself and search.is_stale(status):
        logger.info("health check: search index catching up: %s", status["detail"])
        return "pending"
    logger.warning("health check: search index not usable: %s", status["detail"])
    return "error"


@require_safe
def leaflet(request: HttpRequest, slug: str) -> HttpResponse:
    """The PDF leaflet of a medicine's published version; ?size=large, ?paper=letter."""
    medicine = get_object_or_404(Medicine.objects.with_published_version(), slug=slug)
    # Short: this address shows a newer version as soon as one is published.
    return _leaflet_response(request, medicine.published_version, max_age=300)


@require_safe
def version_leaflet(request: HttpRequest, slug: str, number: int) -> HttpResponse:
    """The PDF leaflet of one published version, current or superseded (for the changelog)."""
    version = (
        Version.objects.ever_published()
        .select_related("medicine")
        .filter(medicine__slug=slug, number=number)
        .order_by("language")
        .first()
    )
    if version is None:
        raise Http404("No published version with this number.")
    return _leaflet_response(request, version, max_age=60 * 60 * 24)


def _leaflet_response(request: HttpRequest, version: Version, max_age: int) -> HttpResponse:
    try:
        variant = leaflets.Variant.from_query(request.GET.get("size"), request.GET.get("paper"))
        # ?route=oral: the leaflet of that route only (issue #16).
        route = products.product_route(request.GET.get("route"), version)
    except ValueError as error:
        return HttpResponseBadRequest(str(error), content_type="text/plain; charset=utf-8")
    route_tag = f"-{route}" if route else ""
    return stored_pdf(
        request,
        leaflets.open_leaflet(version, variant, route),
        name=leaflets.leaflet_name(version, variant, route),
        tag=f"{version.sha256[:16]}{route_tag}{variant.suffix}",
        filename=leaflets.leaflet_filename(version, variant, route),
        max_age=max_age,
    )


# --- Search -------------------------------------------------------------------


@require_safe
def search_results(request: HttpRequest) -> HttpResponse:
    """Search results grouped by medicine, or help when there are none.

    SearchForm cleans the query (control characters dropped; longer than
    search.MAX_QUERY_LENGTH is a 400 with a message). Only an exact name,
    brand or synonym goes straight to the monograph; a look-alike name is
    offered as "did you mean", never followed.
    """
    form = SearchForm(request.GET)
    context = {
        "form": form,
        "query": "",
        "results": None,
        "unavailable": False,
        "max_length": search.MAX_QUERY_LENGTH,
    }
    if not form.is_valid():
        return render(request, "monographs/search.html", context, status=400)
    query = context["query"] = form.cleaned_data["q"]
    if query:
        try:
            exact = search.exact_match(query) if "page" not in request.GET else None
            if exact:
                return redirect(exact.url)
            # ?as_typed=1: the patient asked for what they typed, not its correction.
            context["results"] = search.search(
                query, page=request.GET.get("page"), correct="as_typed" not in request.GET
            )
        except search.SearchUnavailable:
            logger.warning("search: the index is unavailable", exc_info=True)
            context["unavailable"] = True
            return render(request, "monographs/search.html", context, status=503)
    return render(request, "monographs/search.html", context)


@require_safe
def suggest(request: HttpRequest) -> JsonResponse:
    """Names and brands starting with what was typed, for the search box: small JSON.

    ``{"query": ..., "suggestions": [{"label", "detail", "url"}, ...]}``.
    """
    form = SearchForm(request.GET)
    if not form.is_valid():
        return JsonResponse({"error": form.errors["q"][0], "suggestions": []}, status=400)
    query = form.cleaned_data["q"]
    try:
        found = search.suggest(query)
    except search.SearchUnavailable:
        return JsonResponse({"query": query, "suggestions": []}, status=503)
    suggestions = [
        {"label": item.label, "detail": _suggestion_detail(item), "url": item.url} for item in found
    ]
    response = JsonResponse({"query": query, "suggestions": suggestions})
    patch_cache_control(response, public=True, max_age=300)
    return response


def _suggestion_detail(item: search.Suggestion) -> str:
    if item.kind == "brand":
        return gettext("brand name of %(medicine)s") % {"medicine": item.medicine}
    if item.kind == "generic":
        return gettext("generic name of %(medicine)s") % {"medicine": item.medicine}
    return ""


# --- Staff preview (called by the editorial admin, which checks permissions) ---


def render_preview(request: HttpRequest, version: Version) -> HttpResponse:
    """Any version, drafts included, on the public monograph template, marked as a preview.

    The admin's preview page calls this for staff only. The page is built from
    the version's rows exactly as the public page is, but it is never cached,
    never indexed and carries a "preview" banner (the `preview` flag).
    """
    page_version = _version_with_rows(version.pk)
    # Shown as the page would look if published now: no "old version" banner,
    # and today as its publication date (in memory only; nothing is saved).
    page_version.published_at = page_version.published_at or timezone.now()
    state = pagecache.PageState(
        slug=page_version.medicine.slug,
        version_pk=page_version.pk,
        current_pk=page_version.pk,
        current_published_at=page_version.published_at,
        next_review=page_version.next_review,
    )
    context = _monograph_context(page_version, state)
    response = render(request, "monographs/detail.html", {**context, "preview": True})
    response["X-Robots-Tag"] = "noindex, nofollow"
    patch_cache_control(response, private=True, no_store=True)
    return response
