"""Views of the print products: a medicine's print page and its PDFs (summary, dose
chart, wallet card), and "my medicines" (the picker and its sheet).

The PDFs come from monographs/printing/: stored files for what depends only on
the version, route and variant, the cache for what the URL adds (a schedule's
times and dose, a list of medicines). Bad input (an unknown route, paper, size,
time or medicine) is a 404 or a 400 page that says what to change, never a 500.
"""

from __future__ import annotations

import hashlib

from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.cache import patch_cache_control
from django.views.decorators.http import require_safe

from monographs import routes
from monographs.models import Medicine, Version
from monographs.pdf_responses import stored_pdf
from monographs.printing import leaflets, my_medicines, products
from monographs.printing.store import PAPERS, SIZES, Variant

# Short: these addresses show a newer version as soon as one is published.
MAX_AGE = 300


def _bad_request(request: HttpRequest, message: str, back: str = "") -> HttpResponse:
    return render(
        request,
        "monographs/print_bad_request.html",
        {"message": message, "back": back},
        status=400,
    )


def _published(slug: str) -> Version:
    medicine = get_object_or_404(Medicine.objects.with_published_version(), slug=slug)
    version = medicine.published_version
    version.medicine = medicine
    return version


def _options(request: HttpRequest, version: Version) -> tuple[Variant, str]:
    """The variant and route of `?paper=&size=&route=`; raises ValueError (shown as a 400)."""
    variant = Variant.from_query(request.GET.get("size"), request.GET.get("paper"))
    return variant, products.product_route(request.GET.get("route"), version)


@require_safe
def print_page(request: HttpRequest, slug: str) -> HttpResponse:
    """Every print product of a medicine, with its page count and file size, for the
    paper and print size chosen on the page (rendering the ones not stored yet)."""
    version = _published(slug)
    back = reverse("monographs:print", args=[slug])
    try:
        variant = Variant.from_query(request.GET.get("size"), request.GET.get("paper"))
    except ValueError as error:
        return _bad_request(request, str(error), back)
    offers = products.print_offers(version, variant)
    response = render(
        request,
        "monographs/print.html",
        {
            "version": version,
            "medicine": version.medicine,
            "variant": variant,
            "papers": PAPERS,
            "sizes": SIZES,
            "offers": offers,
            "times": products.TIMES,
            "weeks": products.WEEKS,
            "dose_max_length": products.DOSE_MAX_LENGTH,
            "route_choices": routes.route_choices(version.routes),
            "my_medicines_url": reverse("monographs:my_medicines") + f"?m={slug}",
        },
    )
    patch_cache_control(response, public=True, max_age=MAX_AGE)
    return response


def _stored_response(request: HttpRequest, version: Version, product: str, variant, route):
    """A stored product as a PDF response with validators, rendered first if missing."""
    name = leaflets.product_name(version, product, variant, route)
    file = products.open_product(version, product, variant, route)
    return stored_pdf(
        request,
        file,
        name=name,
        tag=f"{version.sha256[:16]}-{hashlib.sha256(name.encode()).hexdigest()[:8]}",
        filename=leaflets.product_filename(version, product, variant, route),
        max_age=MAX_AGE,
    )


def _pdf_response(pdf: bytes, filename: str) -> HttpResponse:
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="{filename}"'
    # Made of the visitor's own choices: kept by their browser only.
    patch_cache_control(response, private=True, max_age=MAX_AGE)
    return response


@require_safe
def summary(request: HttpRequest, slug: str) -> HttpResponse:
    """The summary of one route (`?route=`); a medicine with several routes and no
    route chosen sends the reader to its print page to choose one."""
    version = _published(slug)
    back = reverse("monographs:print", args=[slug])
    try:
        variant, route = _options(request, version)
    except ValueError as error:
        return _bad_request(request, str(error), back)
    if len(version.routes) > 1 and not route:
        return redirect(f"{back}?{variant.query}#products")
    return _stored_response(request, version, "summary", variant, route)


@require_safe
def card(request: HttpRequest, slug: str) -> HttpResponse:
    """The wallet card (of one route with `?route=`)."""
    version = _published(slug)
    try:
        variant, route = _options(request, version)
    except ValueError as error:
        return _bad_request(request, str(error), reverse("monographs:print", args=[slug]))
    return _stored_response(request, version, "card", variant, route)


@require_safe
def schedule(request: HttpRequest, slug: str) -> HttpResponse:
    """The dose chart; `?times=&weeks=&dose=` are the carer's and are never stored."""
    version = _published(slug)
    try:
        variant, route = _options(request, version)
        options = products.ScheduleOptions.from_query(request.GET)
    except ValueError as error:
        return _bad_request(request, str(error), reverse("monographs:print", args=[slug]))
    if options.is_default:
        return _stored_response(request, version, "schedule", variant, route)
    pdf = products.render_schedule(version, variant, route, options)
    return _pdf_response(pdf, leaflets.product_filename(version, "schedule", variant, route))


@require_safe
def my_medicines_page(request: HttpRequest) -> HttpResponse:
    """Pick medicines (a plain GET form; a script keeps the choice in the browser too),
    see the interactions between them, and print one sheet."""
    back = reverse("monographs:my_medicines")
    try:
        chosen = my_medicines.chosen_versions(request.GET.getlist("m"))
        variant = Variant.from_query(request.GET.get("size"), request.GET.get("paper"))
    except ValueError as error:
        return _bad_request(request, str(error), back)
    medicines = Medicine.objects.with_published_version().order_by("published_version__name")
    chosen_slugs = [version.medicine.slug for version in chosen]
    query = "&".join(f"m={slug}" for slug in chosen_slugs)
    response = render(
        request,
        "monographs/my_medicines.html",
        {
            "medicines": medicines,
            "chosen": chosen,
            "chosen_slugs": chosen_slugs,
            "found": my_medicines.find_interactions(chosen) if len(chosen) > 1 else [],
            "variant": variant,
            "papers": PAPERS,
            "sizes": SIZES,
            "max_medicines": my_medicines.MAX_MEDICINES,
            "pdf_url": f"{reverse('monographs:my_medicines_pdf')}?{query}&{variant.query}",
        },
    )
    patch_cache_control(response, private=True, max_age=0)
    return response


@require_safe
def my_medicines_pdf(request: HttpRequest) -> HttpResponse:
    """The "my medicines" sheet of `?m=slug&m=slug…` (at most MAX_MEDICINES)."""
    back = reverse("monographs:my_medicines")
    try:
        chosen = my_medicines.chosen_versions(request.GET.getlist("m"))
        variant = Variant.from_query(request.GET.get("size"), request.GET.get("paper"))
    except ValueError as error:
        return _bad_request(request, str(error), back)
    if not chosen:
        return _bad_request(request, "Choose at least one medicine (?m=baclofen).", back)
    pdf = my_medicines.render_sheet(chosen, variant)
    return _pdf_response(pdf, f"my-medicines{variant.suffix}.pdf")
