"""Forms of the monographs app: each validates what a user sends before anything reads it.

The editorial admin's forms (the Markdown editor, publishing, comparing two
versions) are at the end; the monograph rules themselves live in parsing.py.
"""

from __future__ import annotations

import datetime

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from markdownx.widgets import AdminMarkdownxWidget

from . import search
from .parsing import MAX_FILE_BYTES

# --- Search (views.search_results and views.suggest) --------------------------


class SearchQueryField(forms.CharField):
    """A patient's search text: Unicode-normalised, control characters and NULs dropped.

    Cleaning happens before the length check and before Django's own refusal of
    NUL characters, so a pasted control character is simply ignored.
    """

    def to_python(self, value):
        return search.normalize_query(super().to_python(value))


class SearchForm(forms.Form):
    q = SearchQueryField(
        label=_("Search for a medicine"),
        required=False,
        max_length=search.MAX_QUERY_LENGTH,
        error_messages={
            "max_length": _(
                "Your search is too long. Please use at most %(limit_value)d characters, "
                "for example the name of the medicine and one or two other words."
            ),
        },
    )


# --- Editorial admin forms (monographs/admin.py) ------------------------------


class MarkdownEditorWidget(AdminMarkdownxWidget):
    """markdownx's editor, laid out with its live preview beside it (see the template)."""

    template_name = "admin/monographs/widgets/markdown_editor.html"
    # Where the live preview posts, with what the text is saved as (admin.markdownify);
    # the admin sets it per page. markdownx's own attribute would name the bare path.
    preview_url = ""

    def get_context(self, name, value, attrs):
        context = super().get_context(name, value, attrs)
        if self.preview_url:
            context["widget"]["attrs"]["data-markdownx-urls-path"] = self.preview_url
        return context

    class Media:
        # The editor's layout (panes, checks, preview) is in the editorial stylesheet.
        # live-preview.css: the public page's boxes inside the live preview.
        css = {
            "all": [
                "monographs/admin/editorial.css",
                "monographs/admin/editor-usability.css",
                "monographs/admin/live-preview.css",
                "monographs/admin/gutter.css",
            ]
        }
        # outline.js: the outline, the caret's line and going to a line (issue #17: 3).
        # gutter.js: line numbers beside the text, scrolled with it.
        js = [
            "monographs/admin/editor.js",
            "monographs/admin/outline.js",
            "monographs/admin/gutter.js",
        ]


def _normalise_newlines(text: str) -> str:
    # Browsers send a textarea's lines with CRLF; files and hashes use LF.
    return text.replace("\r\n", "\n").replace("\r", "\n")


class NewMonographForm(forms.Form):
    """A new medicine, written as a whole monograph (front matter and sections)."""

    source_text = forms.CharField(
        label=_("Monograph (Markdown with front matter)"),
        strip=False,
        widget=MarkdownEditorWidget(attrs={"rows": 40, "spellcheck": "true"}),
        help_text=_(
            "Every field and section is described in “How to write a monograph”, linked "
            "below. The version number and status are set for you when you save."
        ),
    )

    def clean_source_text(self) -> str:
        text = _normalise_newlines(self.cleaned_data["source_text"])
        size = len(text.encode("utf-8"))
        if size > MAX_FILE_BYTES:
            raise forms.ValidationError(
                _("The text is %(size)s bytes; a monograph may be at most %(limit)s bytes."),
                params={"size": f"{size:,}", "limit": f"{MAX_FILE_BYTES:,}"},
            )
        return text


class MonographSourceForm(NewMonographForm):
    """A medicine's monograph, with the version number the editor started from."""

    base_number = forms.IntegerField(min_value=0, widget=forms.HiddenInput)


class PublishForm(forms.Form):
    change_summary = forms.CharField(
        label=_("What changed, in plain words"),
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Shown to the public on the medicine's list of changes."),
    )
    last_reviewed = forms.DateField(
        label=_("Last reviewed"),
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )
    next_review = forms.DateField(
        label=_("Next review due"),
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        help_text=_("Usually a year after the review."),
    )

    @staticmethod
    def initial_for(today: datetime.date | None = None) -> dict:
        today = today or timezone.localdate()
        try:
            following = today.replace(year=today.year + 1)
        except ValueError:  # 29 February
            following = today.replace(year=today.year + 1, day=28)
        return {"last_reviewed": today, "next_review": following}

    def clean(self):
        cleaned = super().clean()
        last, following = cleaned.get("last_reviewed"), cleaned.get("next_review")
        if last and last > timezone.localdate():
            self.add_error("last_reviewed", _("The review date cannot be in the future."))
        if last and following and following <= last:
            self.add_error("next_review", _("The next review must be after the last review."))
        return cleaned


class DiffForm(forms.Form):
    """Two versions of one medicine to compare."""

    old = forms.TypedChoiceField(label=_("From version"), coerce=int)
    new = forms.TypedChoiceField(label=_("To version"), coerce=int)

    def __init__(self, *args, versions, **kwargs):
        super().__init__(*args, **kwargs)
        self.versions = {version.number: version for version in versions}
        choices = [(number, str(number)) for number in self.versions]
        self.fields["old"].choices = choices
        self.fields["new"].choices = choices

    def clean(self):
        cleaned = super().clean()
        for field in ("old", "new"):
            if field in cleaned:
                cleaned[field] = self.versions[cleaned[field]]
        return cleaned


CONFIRM_NUMBERS = "confirm_numbers"


def ask_to_confirm_numbers(form: forms.Form, audit) -> None:
    """Add to a publish form the reviewer's checkbox that publishing goes ahead although
    the number audit (`audit`, labels.audit.AuditReport) left numbers unexplained."""
    if not audit.ok:
        form.fields[CONFIRM_NUMBERS] = forms.BooleanField(
            required=False,
            label=_("Publish although some numbers are not found in the sources"),
            help_text=_(
                "Tick only after checking each number listed under “Numbers checked "
                "against the sources” yourself."
            ),
        )


def numbers_confirmed(form: forms.Form, audit) -> bool:
    """Whether a valid publish form may go ahead as far as the number audit goes; if
    not, the form says why (and nothing must change)."""
    if audit.ok or form.cleaned_data.get(CONFIRM_NUMBERS):
        return True
    form.add_error(
        CONFIRM_NUMBERS if CONFIRM_NUMBERS in form.fields else None,
        _(
            "Nothing was published: some numbers are not found in the sources. Check "
            "each one listed on this page, then tick the box to publish anyway."
        ),
    )
    return False
