"""Template filters and tags: stored, already-sanitised HTML, dates, emergency numbers."""

from django import template
from django.utils import timezone

from monographs import emergency, rendering

register = template.Library()


@register.filter
def rendered(html: str):
    """`{{ section.intro_html|rendered }}`: HTML sanitised by rendering.py at load time."""
    return rendering.trusted(html or "")


@register.filter
def iso_datetime(value) -> str:
    """`<time datetime="{{ version.published_at|iso_datetime }}">`: ISO 8601 in local
    time, to the second. The Nu HTML checker refuses `|date:'c'`'s microseconds."""
    if not value:
        return ""
    return timezone.localtime(value).replace(microsecond=0).isoformat()


@register.simple_tag(name="emergency_contacts")
def emergency_contacts_tag():
    """`{% emergency_contacts as emergency %}`: the numbers for settings.SITE_COUNTRY,
    also where there is no view context (the 500 page)."""
    return emergency.emergency_contacts()
