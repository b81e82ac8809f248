"""The admin's review pages (a version, a medicine) and the public page of a withdrawn medicine.

The admin pages are staff-only (admin_view) and call workflow.py and
monographs.editing for every step; a refused step shows its reason beside the
form, with what was typed still in it, and changes nothing.
"""

from __future__ import annotations

from django.contrib import admin, messages
from django.contrib.admin.models import CHANGE, LogEntry
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest, HttpResponseRedirect
from django.shortcuts import get_object_or_404, render
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.translation import gettext as _

from monographs import editing
from monographs.forms import ask_to_confirm_numbers, numbers_confirmed
from monographs.labels import audit
from monographs.models import Medicine, Version
from monographs.parsing import MonographError

from . import workflow
from .forms import (
    ChangeNoteForm,
    CommentForm,
    NoChangeReviewForm,
    PublishOrScheduleForm,
    RequestChangesForm,
    WithdrawForm,
)
from .models import Review, Withdrawal

PERMISSION_VIEW = "monographs.view_version"


# --- A version: change note, comments, review, publish or schedule, discard ------


def version_page(request: HttpRequest, slug: str, number: int) -> HttpResponse:
    _require(request, PERMISSION_VIEW)
    version = get_object_or_404(
        Version.objects.select_related("medicine__published_version", "author"),
        medicine__slug=slug,
        number=number,
    )
    user = request.user
    # Every number of the text looked up in its source documents (issue #15: 2).
    number_audit = audit.audit_version(version)
    forms = {
        "note_form": ChangeNoteForm(),
        "comment_form": CommentForm(),
        "changes_form": RequestChangesForm(),
        "publish_form": PublishOrScheduleForm(
            initial={**PublishOrScheduleForm.initial_for(), "change_summary": _own_note(version)}
        ),
    }
    ask_to_confirm_numbers(forms["publish_form"], number_audit)
    if request.method == "POST":
        handler = _VERSION_ACTIONS.get(request.POST.get("action"))
        if handler is None:
            return HttpResponseBadRequest(_("Unknown action."), content_type="text/plain")
        outcome = handler(request, version, number_audit)
        if isinstance(outcome, HttpResponse):
            return outcome
        forms.update(outcome)
    current = version.medicine.published_version
    context = {
        **admin.site.each_context(request),
        "title": _("%(medicine)s version %(number)s")
        % {"medicine": version.medicine, "number": version.number},
        "version": version,
        "medicine": version.medicine,
        "current": current,
        "is_stale": version.published_at is None
        and current is not None
        and current.number > version.number,
        # What a reviewer checks: the text against the public version's.
        "diff": editing.diff_texts(current.source_text, version.source_text)
        if current is not None and version.published_at is None
        else None,
        "comments": version.comments.select_related("author"),
        "schedules": version.schedules.select_related("scheduled_by").order_by("-created_at"),
        "can_submit": user.has_perm(workflow.PERMISSION_SUBMIT),
        "can_write": user.has_perm(workflow.PERMISSION_WRITE),
        "can_publish": user.has_perm(workflow.PERMISSION_PUBLISH),
        "is_author": version.author_id == user.pk,
        "audit": number_audit,
        **forms,
    }
    return TemplateResponse(request, "admin/editorial/version.html", context)


def _send_for_review(request, version, number_audit):
    form = ChangeNoteForm(request.POST)
    if form.is_valid():
        try:
            workflow.send_for_review(
                version, user=request.user, change_note=form.cleaned_data["change_note"]
            )
        except editing.WorkflowError as error:
            form.add_error(None, str(error))
        else:
            return _done(
                request,
                version,
                f"Sent version {version.number} for review.",
                _("Version %(number)s is now in review; another reviewer can publish it.")
                % {"number": version.number},
            )
    return {"note_form": form}


def _comment(request, version, number_audit):
    form = CommentForm(request.POST)
    if form.is_valid():
        try:
            workflow.add_comment(version, user=request.user, text=form.cleaned_data["text"])
        except editing.WorkflowError as error:
            form.add_error(None, str(error))
        else:
            return _done(request, version, None, _("Your comment was added."))
    return {"comment_form": form}


def _request_changes(request, version, number_audit):
    form = RequestChangesForm(request.POST)
    if form.is_valid():
        try:
            workflow.request_changes(version, user=request.user, text=form.cleaned_data["text"])
        except editing.WorkflowError as error:
            form.add_error(None, str(error))
        else:
            return _done(
                request,
                version,
                f"Requested changes to version {version.number}.",
                _("Version %(number)s is back to draft, with your comment.")
                % {"number": version.number},
            )
    return {"changes_form": form}


def _publish(request, version, number_audit):
    form = PublishOrScheduleForm(request.POST)
    # Publishing (or scheduling) with numbers not found in the sources needs the
    # reviewer's ticked confirmation; without it nothing changes.
    ask_to_confirm_numbers(form, number_audit)
    if form.is_valid() and numbers_confirmed(form, number_audit):
        fields = {name: form.cleaned_data[name] for name in PublishOrScheduleForm.base_fields}
        when = fields.pop("publish_at")
        try:
            if when is None:
                editing.publish(version, user=request.user, **fields)
            else:
                workflow.schedule_publish(version, user=request.user, publish_at=when, **fields)
        except editing.WorkflowError as error:
            form.add_error(None, str(error))
        except MonographError as error:
            for problem in error.problems:
                form.add_error(None, str(problem))
        else:
            if when is None:
                return _done(
                    request,
                    version,
                    f"Published version {version.number}.",
                    _(
                        "Version %(number)s is published. The page, the search results and "
                        "the leaflets now show it."
                    )
                    % {"number": version.number},
                )
            return _done(
                request,
                version,
                f"Scheduled version {version.number} to publish at {when.isoformat()}.",
                _(
                    "Version %(number)s will be published at %(when)s, when publish_scheduled "
                    "next runs."
                )
                % {"number": version.number, "when": when.strftime("%Y-%m-%d %H:%M")},
            )
    return {"publish_form": form}


def _cancel_schedule(request, version, number_audit):
    schedule = get_object_or_404(version.schedules, pk=request.POST.get("schedule") or 0)
    try:
        workflow.cancel_schedule(schedule, user=request.user)
    except editing.WorkflowError as error:
        messages.error(request, str(error))
        return HttpResponseRedirect(_version_url(version))
    return _done(
        request,
        version,
        f"Cancelled the scheduled publish of version {version.number}.",
        _("The scheduled publish was cancelled; version %(number)s is still in review.")
        % {"number": version.number},
    )


def _discard(request, version, number_audit):
    try:
        workflow.discard_draft(version, user=request.user)
    except editing.WorkflowError as error:
        messages.error(request, str(error))
        return HttpResponseRedirect(_version_url(version))
    _log(request, version.medicine, f"Discarded draft version {version.number}.")
    messages.success(
        request,
        _(
            "Draft version %(number)s was discarded. Its text and comments are kept under "
            "“Discarded drafts” on the medicine's review page."
        )
        % {"number": version.number},
    )
    return HttpResponseRedirect(reverse("editorial:medicine", args=[version.medicine.slug]))


_VERSION_ACTIONS = {
    "send_for_review": _send_for_review,
    "comment": _comment,
    "request_changes": _request_changes,
    "publish": _publish,
    "cancel_schedule": _cancel_schedule,
    "discard": _discard,
}


# --- A medicine: reviewed with no change, withdraw ---------------------------------


def medicine_page(request: HttpRequest, slug: str) -> HttpResponse:
    _require(request, PERMISSION_VIEW)
    medicine = get_object_or_404(Medicine.objects.select_related("published_version"), slug=slug)
    forms = {
        "review_form": NoChangeReviewForm(initial=NoChangeReviewForm.initial_for()),
        "withdraw_form": WithdrawForm(),
    }
    if request.method == "POST":
        handler = _MEDICINE_ACTIONS.get(request.POST.get("action"))
        if handler is None:
            return HttpResponseBadRequest(_("Unknown action."), content_type="text/plain")
        outcome = handler(request, medicine)
        if isinstance(outcome, HttpResponse):
            return outcome
        forms.update(outcome)
    context = {
        **admin.site.each_context(request),
        "title": _("Review %(medicine)s") % {"medicine": medicine},
        "medicine": medicine,
        "current": medicine.published_version,
        "versions": medicine.versions.select_related("author")
        .defer("source_text")
        .order_by("-number"),
        "reviews": Review.objects.filter(version__medicine=medicine).select_related(
            "reviewer", "version"
        ),
        "withdrawals": medicine.withdrawals.select_related("withdrawn_by"),
        "discarded": medicine.discarded_drafts.select_related("author", "discarded_by"),
        "can_publish": request.user.has_perm(workflow.PERMISSION_PUBLISH),
        **forms,
    }
    return TemplateResponse(request, "admin/editorial/medicine.html", context)


def _record_review(request, medicine):
    form = NoChangeReviewForm(request.POST)
    if form.is_valid():
        try:
            workflow.record_review(medicine, user=request.user, **form.cleaned_data)
        except (editing.WorkflowError, MonographError) as error:
            form.add_error(None, str(error))
        else:
            dates = form.cleaned_data
            _log(request, medicine, "Reviewed with no change.")
            messages.success(
                request,
                _(
                    "Recorded your review: no change needed. The page now says it was "
                    "reviewed on %(last)s, next review %(next)s."
                )
                % {"last": dates["last_reviewed"], "next": dates["next_review"]},
            )
            return HttpResponseRedirect(reverse("editorial:medicine", args=[medicine.slug]))
    return {"review_form": form}


def _withdraw(request, medicine):
    form = WithdrawForm(request.POST)
    if form.is_valid():
        try:
            workflow.withdraw(medicine, user=request.user, reason=form.cleaned_data["reason"])
        except editing.WorkflowError as error:
            form.add_error(None, str(error))
        else:
            _log(request, medicine, "Withdrawn from the public site.")
            messages.success(
                request,
                _(
                    "%(medicine)s is withdrawn. Its address now tells the public it was "
                    "withdrawn, and why; publishing a version brings it back."
                )
                % {"medicine": medicine},
            )
            return HttpResponseRedirect(reverse("editorial:medicine", args=[medicine.slug]))
    return {"withdraw_form": form}


_MEDICINE_ACTIONS = {"review": _record_review, "withdraw": _withdraw}


# --- The public page of a withdrawn medicine ------------------------------------


def withdrawn_response(request: HttpRequest, slug: str) -> HttpResponse | None:
    """410 Gone with a notice saying when and why, or None when `slug` is not withdrawn.

    410 rather than 200: the page is gone for good as far as search engines go,
    while a person following an old link or bookmark reads what happened.
    """
    withdrawal: Withdrawal | None = workflow.withdrawal_in_force(slug)
    if withdrawal is None:
        return None
    return render(
        request,
        "editorial/withdrawn.html",
        {"withdrawal": withdrawal, "name": withdrawal.version.name},
        status=410,
    )


# --- Helpers ---------------------------------------------------------------


def _require(request, permission: str) -> None:
    if not request.user.has_perm(permission):
        raise PermissionDenied


def _own_note(version: Version) -> str:
    """The note given when this version went to review; never an older version's summary."""
    return version.change_summary if version.status == Version.Status.IN_REVIEW else ""


def _version_url(version: Version) -> str:
    return reverse("editorial:version", args=[version.medicine.slug, version.number])


def _done(request, version: Version, log_message: str | None, message: str) -> HttpResponse:
    if log_message:
        _log(request, version.medicine, log_message)
    messages.success(request, message)
    return HttpResponseRedirect(_version_url(version))


def _log(request, medicine: Medicine, message: str) -> None:
    LogEntry.objects.log_actions(
        user_id=request.user.pk,
        queryset=[medicine],
        action_flag=CHANGE,
        change_message=message,
        single_object=True,
    )
