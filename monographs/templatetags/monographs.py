"""Template filters for monograph pages: print stored, already-sanitised HTML."""

from django import template

from monographs import rendering

register = template.Library()


@register.filter
def rendered(html: str):
    """`{{ section.intro_html|rendered }}`: HTML sanitised by rendering.py at load time."""
    return rendering.trusted(html or "")
