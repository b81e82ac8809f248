"""Forms of the review workflow: each checks what a person sends before workflow.py runs."""

from __future__ import annotations

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from monographs.forms import PublishForm

from .workflow import COMMENT_MAX_CHARS, NOTE_MAX_CHARS


class ChangeNoteForm(forms.Form):
    change_note = forms.CharField(
        label=_("What this draft changes, in plain words"),
        max_length=NOTE_MAX_CHARS,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_(
            "Written for this draft only. Reviewers read it, and once published it is "
            "shown to the public on the medicine's list of changes."
        ),
    )


class CommentForm(forms.Form):
    text = forms.CharField(
        label=_("Comment"), max_length=COMMENT_MAX_CHARS, widget=forms.Textarea(attrs={"rows": 4})
    )

    def __init__(self, *args, **kwargs):
        # Beside RequestChangesForm on one page: its own element ids.
        kwargs.setdefault("auto_id", "id_comment_%s")
        super().__init__(*args, **kwargs)


class RequestChangesForm(forms.Form):
    text = forms.CharField(
        label=_("What needs to change"),
        max_length=COMMENT_MAX_CHARS,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("The version goes back to draft; the editors see this comment with it."),
    )

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("auto_id", "id_changes_%s")
        super().__init__(*args, **kwargs)


class ReviewDatesForm(PublishForm):
    """Review dates: the last review today or before, the next one in the future."""

    def clean(self):
        cleaned = super().clean()
        following = cleaned.get("next_review")
        if following and following <= timezone.localdate():
            self.add_error("next_review", _("The next review must be in the future."))
        return cleaned


class PublishOrScheduleForm(ReviewDatesForm):
    publish_at = forms.DateTimeField(
        label=_("Publish at (leave empty to publish now)"),
        required=False,
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
        help_text=_("A future date and time, in the site's time zone."),
    )

    def clean(self):
        cleaned = super().clean()
        when, following = cleaned.get("publish_at"), cleaned.get("next_review")
        if when is not None:
            if when <= timezone.now():
                self.add_error("publish_at", _("The publishing time must be in the future."))
            elif following and following <= timezone.localdate(when):
                self.add_error(
                    "next_review", _("The next review must be after the publishing date.")
                )
        return cleaned


class NoChangeReviewForm(ReviewDatesForm):
    change_summary = None
    note = forms.CharField(
        label=_("Note for the editors (optional)"),
        required=False,
        max_length=NOTE_MAX_CHARS,
        widget=forms.Textarea(attrs={"rows": 2}),
    )


class WithdrawForm(forms.Form):
    reason = forms.CharField(
        label=_("Why it is withdrawn"),
        max_length=NOTE_MAX_CHARS,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Shown to the public on the medicine's page, in place of the monograph."),
    )
