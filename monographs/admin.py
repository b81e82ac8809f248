"""The editorial admin: monographs edited as Markdown, reviewed, published and reverted.

A medicine's change page is a Markdown editor (django-markdownx) with a live
preview from our own renderer. Every step calls monographs.editing, which owns
the rules; this module owns the pages, the permission checks and the audit
trail (a LogEntry for each action, and editing.py's log line naming the user).

markdownx's own URLs are not used: its stock views answer anyone, logged in
or not; its default renderer passes `<script>`, `javascript:` links and `on*`
attributes straight through; and its upload view accepts SVG. `markdownify`
below takes its place at the path the widget posts to, for editorial staff
only; image upload has no route at all.
"""

from __future__ import annotations

from django.conf import settings
from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.core.exceptions import PermissionDenied
from django.db.models import OuterRef, Subquery
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404, render
from django.template.loader import render_to_string
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.decorators import method_decorator
from django.utils.html import format_html
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from collaboration import editor as collaboration_editor
from collaboration import merge as collaboration_merge
from collaboration import saving as collaboration_saving

from . import comparing, editing, format_guide, live_preview, models, views
from .forms import (
    DiffForm,
    MonographSourceForm,
    NewMonographForm,
    PublishForm,
    ask_to_confirm_numbers,
    numbers_confirmed,
)
from .labels import audit
from .labels import uploads as label_uploads
from .parsing import (
    MAX_FILE_BYTES,
    MonographError,
    markdown_body,
    parse_monograph,
    set_front_matter_fields,
)
from .readability import measure_readability
from .rendering import render_markdown

PERMISSION_SAVE = "monographs.add_version"
PERMISSION_SUBMIT = "monographs.change_version"
PERMISSION_PUBLISH = "monographs.publish_version"
PERMISSION_VIEW_VERSIONS = "monographs.view_version"
# The live preview lists the first problems only; the full list comes on save.
PREVIEW_PROBLEMS = 5


@admin.register(models.Medicine)
class MedicineAdmin(admin.ModelAdmin):
    list_display = ("slug", "name", "public_version", "latest", "next_review")
    search_fields = ("slug", "versions__name", "versions__generic_name")
    list_select_related = ("published_version",)
    change_list_template = "admin/monographs/medicine/change_list.html"

    # --- the changelist -----------------------------------------------------

    def get_queryset(self, request):
        latest = models.Version.objects.filter(medicine=OuterRef("pk")).order_by("-number")
        return (
            super()
            .get_queryset(request)
            .annotate(
                latest_number=Subquery(latest.values("number")[:1]),
                latest_status=Subquery(latest.values("status")[:1]),
                latest_name=Subquery(latest.values("name")[:1]),
            )
        )

    @admin.display(description=gettext_lazy("name"), ordering="latest_name")
    def name(self, medicine):
        return medicine.latest_name

    @admin.display(description=gettext_lazy("public version"))
    def public_version(self, medicine):
        version = medicine.published_version
        return version.number if version else _("not published")

    @admin.display(description=gettext_lazy("latest version"), ordering="latest_number")
    def latest(self, medicine):
        status = models.Version.Status(medicine.latest_status).label
        return f"{medicine.latest_number} ({status})"

    @admin.display(
        description=gettext_lazy("next review"), ordering="published_version__next_review"
    )
    def next_review(self, medicine):
        version = medicine.published_version
        if version is None:
            return "–"
        if version.next_review < timezone.localdate():
            return _("%(date)s (overdue)") % {"date": version.next_review.isoformat()}
        return version.next_review.isoformat()

    def has_delete_permission(self, request, obj=None):
        # A medicine carries every version ever published; nothing is deleted here.
        return False

    def get_urls(self):
        info = self.opts.app_label, self.opts.model_name

        def view(function):
            return self.admin_site.admin_view(function)

        return [
            path(
                "review-due/",
                view(self.review_due_view),
                name="{}_{}_review_due".format(*info),
            ),
            path(
                "from-label/",
                view(self.from_label_view),
                name="{}_{}_from_label".format(*info),
            ),
            path(
                "format-guide/",
                view(self.guide_view),
                name="{}_{}_guide".format(*info),
            ),
            path(
                "<path:object_id>/versions/",
                view(self.versions_view),
                name="{}_{}_versions".format(*info),
            ),
            path(
                "<path:object_id>/versions/<int:number>/preview/",
                view(self.preview_view),
                name="{}_{}_preview".format(*info),
            ),
            path(
                "<path:object_id>/versions/<int:number>/submit/",
                view(self.submit_view),
                name="{}_{}_submit".format(*info),
            ),
            path(
                "<path:object_id>/versions/<int:number>/publish/",
                view(self.publish_view),
                name="{}_{}_publish".format(*info),
            ),
            path(
                "<path:object_id>/versions/<int:number>/revert/",
                view(self.revert_view),
                name="{}_{}_revert".format(*info),
            ),
            *super().get_urls(),
        ]

    # --- writing: the Markdown editor -----------------------------------------

    def add_view(self, request, form_url="", extra_context=None):
        if not (self.has_add_permission(request) and request.user.has_perm(PERMISSION_SAVE)):
            raise PermissionDenied
        problems, copied_from = [], None
        # "New medicine from a label": the label kept by from_label_view, beside the editor.
        label_path = request.GET.get("label", "")
        label = label_uploads.open_source_document(label_path) if label_path else None
        if label_path and label is None:
            raise Http404("No such label.")
        if request.method == "POST":
            form = NewMonographForm(request.POST)
            if form.is_valid():
                try:
                    version = editing.create_medicine(
                        form.cleaned_data["source_text"], user=request.user
                    )
                except MonographError as error:
                    problems = error.problems
                else:
                    self.log_addition(
                        request, version.medicine, f"Created as draft version {version.number}."
                    )
                    messages.success(
                        request,
                        _(
                            "%(name)s was saved as draft version 1. The public cannot see it "
                            "until a reviewer publishes it."
                        )
                        % {"name": version.name},
                    )
                    return HttpResponseRedirect(self._url("change", version.medicine))
        elif label is not None:
            try:
                draft = label_uploads.build_drafts(label, label.path.name)[0]
            except label_uploads.DraftError:
                raise Http404("No draft can be made from that label.") from None
            form = NewMonographForm(initial={"source_text": draft.text})
        else:
            copied_from = self._copy_source(request)
            form = NewMonographForm(initial={"source_text": new_medicine_text(copied_from)})
        return self._editor_response(
            request,
            form,
            None,
            None,
            problems=problems,
            copied_from=copied_from,
            label_panel=label_uploads.panel(label, label_path) if label else None,
        )

    @method_decorator(require_POST)
    def from_label_view(self, request):
        """Upload a label: kept in the media store, its draft opened in the editor with
        the label beside it. A file that is not a label, or too large, is named with
        the reason on the "Add a medicine" page; nothing is kept."""
        if not (self.has_add_permission(request) and request.user.has_perm(PERMISSION_SAVE)):
            raise PermissionDenied
        upload = request.FILES.get("label")
        if upload is None:
            messages.error(request, _("Choose a label file (SPL XML or ePI JSON or XML) first."))
            return HttpResponseRedirect(self._url("add"))
        try:
            kept = label_uploads.keep_upload(upload)
        except (
            label_uploads.NotALabel,
            label_uploads.DraftError,
            label_uploads.UploadTooLarge,
        ) as error:
            messages.error(
                request,
                _("Not imported: %(file)s: %(reason)s.")
                % {"file": upload.name, "reason": str(error).rstrip(".")},
            )
            return HttpResponseRedirect(self._url("add"))
        others = [draft.slug for draft in kept.drafts[1:]]
        messages.success(
            request,
            _(
                "The editor holds a draft made from %(title)s, with the label's own text under "
                "each section: rewrite it in plain words and replace each [FILL IN …]; the "
                "label is shown beside the editor."
            )
            % {"title": kept.label.citation()},
        )
        if others:
            messages.info(
                request,
                _("The label also describes %(others)s: import those with manage.py import_label.")
                % {"others": ", ".join(others)},
            )
        return HttpResponseRedirect(f"{self._url('add')}?{urlencode({'label': kept.path})}")

    def _copy_source(self, request) -> models.Version | None:
        """The latest version of the medicine chosen to copy (?copy=<slug>), if any."""
        slug = request.GET.get("copy")
        if not slug:
            return None
        medicine = get_object_or_404(models.Medicine, slug=slug)
        version = medicine.latest_version()
        if version is None:
            raise Http404("That medicine has no version to copy.")
        return version

    def guide_view(self, request):
        """The content-format guide, for editors, inside the admin."""
        self._require(request, "monographs.view_medicine")
        try:
            guide = format_guide.content_format_guide()
        except OSError:
            raise Http404("The content-format guide is not installed here.") from None
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": _("How to write a monograph"),
            "guide": guide,
        }
        return TemplateResponse(request, "admin/monographs/medicine/guide.html", context)

    def change_view(self, request, object_id, form_url="", extra_context=None):
        medicine = self._medicine(request, object_id)
        if not self.has_view_or_change_permission(request, medicine):
            raise PermissionDenied
        latest = medicine.latest_version()
        can_save = self._can_save(request, medicine)
        problems, conflict, merged = [], None, None
        if request.method == "POST":
            if not can_save:
                raise PermissionDenied
            form = MonographSourceForm(request.POST)
            if form.is_valid():
                # Overlaps of an earlier merge that the editor chose yours/theirs/both for.
                text = collaboration_merge.apply_choices(
                    form.cleaned_data["source_text"], request.POST
                )
                base_number = form.cleaned_data["base_number"]
                try:
                    saved = collaboration_saving.save_draft(
                        medicine, text, base_number=base_number, user=request.user
                    )
                except (
                    collaboration_saving.MergeConflict,
                    collaboration_saving.MergedTextInvalid,
                ) as error:
                    # The merged text, overlaps marked, based on the version merged with:
                    # the next save starts from it.
                    conflict = latest = error.latest
                    merged = error.result
                    problems = getattr(error, "problems", [])
                    form = MonographSourceForm(
                        {"source_text": error.result.text, "base_number": conflict.number}
                    )
                except MonographError as error:
                    problems = error.problems
                    form = MonographSourceForm({"source_text": text, "base_number": base_number})
                except editing.NothingChanged:
                    messages.info(
                        request,
                        _("Nothing was changed, so no new version was made."),
                    )
                    return HttpResponseRedirect(self._url("change", medicine))
                else:
                    version = saved.version
                    self.log_change(request, medicine, f"Saved draft version {version.number}.")
                    if saved.merge:
                        messages.info(request, _merge_notice(saved))
                    messages.success(
                        request,
                        _(
                            "Saved as draft version %(number)s (the version number and status "
                            "were set for you). The public page does not change until a reviewer "
                            "publishes it."
                        )
                        % {"number": version.number},
                    )
                    return HttpResponseRedirect(self._url("change", medicine))
        else:
            form = MonographSourceForm(
                initial=collaboration_editor.restored_initial(request, medicine)
                or {
                    "source_text": latest.source_text if latest else "",
                    "base_number": latest.number if latest else 0,
                }
            )
        return self._editor_response(
            request,
            form,
            medicine,
            latest,
            problems=problems,
            conflict=conflict,
            merged=merged,
            can_save=can_save,
            label_panel=self._label_panel(latest),
        )

    @staticmethod
    def _label_panel(version) -> dict | None:
        """The first label among the version's source documents, for the side panel."""
        for source in getattr(version, "source_documents", None) or []:
            label = label_uploads.open_source_document(source)
            if label is not None:
                return label_uploads.panel(label, source)
        return None

    def _editor_response(
        self,
        request,
        form,
        medicine,
        latest,
        *,
        problems=(),
        conflict=None,
        merged=None,
        can_save=True,
        copied_from=None,
        label_panel=None,
    ):
        text = form["source_text"].value() or ""
        form.fields["source_text"].widget.preview_url = reverse("markdownx_markdownify") + (
            f"?{urlencode({'medicine': medicine.slug})}" if medicine else "?new=1"
        )
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": _("Edit %(medicine)s") % {"medicine": medicine}
            if medicine
            else _("Add a medicine"),
            "medicine": medicine,
            "latest": latest,
            "form": form,
            "media": form.media + collaboration_editor.MEDIA,
            "readability": measure_readability(text),
            "problems": problems,
            "conflict": conflict,
            **collaboration_editor.editor_context(request, medicine, text, merged=merged),
            "can_save": can_save,
            "can_submit": request.user.has_perm(PERMISSION_SUBMIT),
            "can_publish": request.user.has_perm(PERMISSION_PUBLISH),
            "guide_url": self._url("guide"),
            "copied_from": copied_from,
            "label_panel": label_panel,
            "label_upload_limit": f"{settings.LABEL_UPLOAD_MAX_BYTES / 1_000_000:g}",
            "copy_choices": None if medicine else _copy_choices(),
        }
        return TemplateResponse(request, "admin/monographs/medicine/change_form.html", context)

    # --- history, diff, preview, workflow ------------------------------------

    def versions_view(self, request, object_id):
        medicine = self._medicine(request, object_id)
        self._require(request, PERMISSION_VIEW_VERSIONS)
        # The texts are only read for the two versions compared.
        versions = list(
            medicine.versions.select_related("author").defer("source_text").order_by("-number")
        )
        form = DiffForm(request.GET or None, versions=versions)
        diff = old = new = compared = None
        if form.is_bound and form.is_valid():
            old, new = form.cleaned_data["old"], form.cleaned_data["new"]
        elif not form.is_bound and len(versions) > 1:
            old, new = versions[1], versions[0]
            form = DiffForm(initial={"old": old.number, "new": new.number}, versions=versions)
        if old and new:
            texts = dict(
                medicine.versions.filter(pk__in=[old.pk, new.pk]).values_list("pk", "source_text")
            )
            diff = editing.diff_texts(texts[old.pk], texts[new.pk])
            compared = comparing.compare_rendered(texts[old.pk], texts[new.pk])
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": _("Versions of %(medicine)s") % {"medicine": medicine},
            "medicine": medicine,
            "versions": versions,
            "diff_form": form,
            "diff": diff,
            "compared": compared,
            "old": old,
            "new": new,
            "can_save": self._can_save(request, medicine),
            "can_submit": request.user.has_perm(PERMISSION_SUBMIT),
            "can_publish": request.user.has_perm(PERMISSION_PUBLISH),
        }
        return TemplateResponse(request, "admin/monographs/medicine/versions.html", context)

    def preview_view(self, request, object_id, number):
        """Any version, drafts included, exactly as its public page would show it."""
        medicine = self._medicine(request, object_id)
        self._require(request, PERMISSION_VIEW_VERSIONS)
        version = get_object_or_404(medicine.versions, number=number)
        return views.render_preview(request, version)

    @method_decorator(require_POST)
    def submit_view(self, request, object_id, number):
        medicine = self._medicine(request, object_id)
        self._require(request, PERMISSION_SUBMIT)
        version = get_object_or_404(medicine.versions, number=number)
        try:
            editing.submit_for_review(version, user=request.user)
        except editing.WorkflowError as error:
            messages.error(request, str(error))
        else:
            self.log_change(request, medicine, f"Sent version {number} for review.")
            messages.success(
                request,
                _("Version %(number)s is now in review; a reviewer can publish it.")
                % {"number": number},
            )
        return HttpResponseRedirect(self._url("versions", medicine))

    def publish_view(self, request, object_id, number):
        medicine = self._medicine(request, object_id)
        self._require(request, PERMISSION_PUBLISH)
        version = get_object_or_404(medicine.versions, number=number)
        problems = []
        # Every number of the text looked up in its source documents (issue #15: 2).
        number_audit = audit.audit_version(version)
        if request.method == "POST":
            form = PublishForm(request.POST)
            ask_to_confirm_numbers(form, number_audit)
            if form.is_valid() and numbers_confirmed(form, number_audit):
                fields = {name: form.cleaned_data[name] for name in PublishForm.base_fields}
                try:
                    editing.publish(version, user=request.user, **fields)
                except editing.WorkflowError as error:
                    form.add_error(None, str(error))
                except MonographError as error:
                    problems = error.problems
                else:
                    self.log_change(request, medicine, f"Published version {number}.")
                    messages.success(
                        request,
                        _(
                            "Version %(number)s is published. The page, the search results and "
                            "the leaflets now show it."
                        )
                        % {"number": number},
                    )
                    return HttpResponseRedirect(self._url("versions", medicine))
        else:
            form = PublishForm(initial=PublishForm.initial_for())
            ask_to_confirm_numbers(form, number_audit)
        current = medicine.published_version
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": _("Publish %(medicine)s version %(number)s")
            % {"medicine": medicine, "number": number},
            "medicine": medicine,
            "version": version,
            "current": current,
            "form": form,
            "problems": problems,
            "audit": number_audit,
            "diff": editing.diff_texts(current.source_text, version.source_text)
            if current and current.pk != version.pk
            else None,
        }
        return TemplateResponse(request, "admin/monographs/medicine/publish.html", context)

    @method_decorator(require_POST)
    def revert_view(self, request, object_id, number):
        medicine = self._medicine(request, object_id)
        self._require(request, PERMISSION_SAVE)
        version = get_object_or_404(medicine.versions, number=number)
        try:
            new = editing.revert(version, user=request.user)
        except editing.NothingChanged:
            messages.info(request, _("That is already the text of the latest version."))
        except (editing.EditConflict, MonographError) as error:
            messages.error(request, str(error))
        else:
            self.log_change(
                request, medicine, f"Reverted to version {number} as draft version {new.number}."
            )
            messages.success(
                request,
                _(
                    "Draft version %(new)s has the text of version %(old)s. Check it, then send "
                    "it for review."
                )
                % {"new": new.number, "old": number},
            )
        return HttpResponseRedirect(self._url("versions", medicine))

    def review_due_view(self, request):
        self._require(request, "monographs.view_medicine")
        today = timezone.localdate()
        rows = []
        for medicine in editing.medicines_due_for_review(today):
            days = (medicine.published_version.next_review - today).days
            rows.append(
                {
                    "medicine": medicine,
                    "version": medicine.published_version,
                    "overdue_days": max(0, -days),
                    "due_in_days": max(0, days),
                }
            )
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": _("Medicines due for review"),
            "rows": rows,
            "within_days": editing.REVIEW_DUE_WITHIN_DAYS,
        }
        return TemplateResponse(request, "admin/monographs/medicine/review_due.html", context)

    # --- helpers --------------------------------------------------------------

    def _medicine(self, request, object_id) -> models.Medicine:
        medicine = self.get_object(request, unquote(object_id))
        if medicine is None:
            raise Http404("No such medicine.")
        return medicine

    @staticmethod
    def _require(request, permission: str) -> None:
        if not request.user.has_perm(permission):
            raise PermissionDenied

    def _can_save(self, request, medicine) -> bool:
        return self.has_change_permission(request, medicine) and request.user.has_perm(
            PERMISSION_SAVE
        )

    def _url(self, view: str, medicine: models.Medicine | None = None) -> str:
        return reverse(
            f"admin:{self.opts.app_label}_{self.opts.model_name}_{view}",
            args=[medicine.pk] if medicine else [],
        )


@admin.register(models.Version)
class VersionAdmin(admin.ModelAdmin):
    """Every version of every medicine, read-only: the queue of what is in review."""

    list_display = (
        "medicine_versions",
        "number",
        "status",
        "origin",
        "author",
        "created_at",
        "summary",
    )
    list_filter = ("status", "origin")
    search_fields = ("medicine__slug", "name", "change_summary")
    list_select_related = ("medicine", "author")
    list_display_links = None

    @admin.display(description=gettext_lazy("medicine"), ordering="medicine__slug")
    def medicine_versions(self, version):
        address = reverse("admin:monographs_medicine_versions", args=[version.medicine_id])
        return format_html('<a href="{}">{}</a>', address, version.medicine.slug)

    @admin.display(description=gettext_lazy("change summary"))
    def summary(self, version):
        return version.change_summary[:120]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


def new_medicine_text(copied_from: models.Version | None = None) -> str:
    """Where "Add a medicine" starts: a copy of `copied_from` with its slug and name to
    fill in, or the template with every section (each [FILL IN] refused on saving)."""
    if copied_from is None:
        return render_to_string("admin/monographs/medicine/new_monograph.md")
    return set_front_matter_fields(
        copied_from.source_text,
        slug="FILL-IN-the-address-name-lower-case-with-hyphens",
        name=f"[FILL IN: the name patients know; copied from {copied_from.name}]",
        change_summary="First version.",
    )


def _copy_choices() -> list[tuple[str, str]]:
    """Every medicine with a version, by name, for "copy an existing medicine"."""
    latest = models.Version.objects.filter(medicine=OuterRef("pk")).order_by("-number")
    rows = (
        models.Medicine.objects.annotate(latest_name=Subquery(latest.values("name")[:1]))
        .exclude(latest_name=None)
        .order_by("latest_name", "slug")
        .values_list("slug", "latest_name")
    )
    return list(rows)


def _merge_notice(saved) -> str:
    """What a merged save took from each side, for the editor who saved."""
    merged = saved.merge
    theirs = "; ".join(merged.theirs_parts) or _("nothing")
    mine = "; ".join(merged.mine_parts) or _("nothing")
    return _(
        "Version %(theirs)s was saved by %(who)s while you were editing. Your text was merged "
        "with it: their changes kept in %(their_parts)s; your changes added in %(my_parts)s. "
        "Compare version %(theirs)s with version %(number)s under “Versions and changes” to "
        "check the result."
    ) % {
        "theirs": saved.merged_with.number,
        "who": saved.merged_with.author or _("a content file"),
        "their_parts": theirs,
        "my_parts": mine,
        "number": saved.version.number,
    }


@require_POST
def markdownify(request: HttpRequest) -> HttpResponse:
    """The editor's live preview: what the typed text would look like, and whether it parses.

    Staff with a monographs permission only; anyone else gets a 403 and no HTML.
    Below a status line saying whether the whole text is a valid monograph, a
    text that parses is shown with the public page's own includes (the safety
    box, the emergency and usual-dose boxes, quick facts, every section with its
    urgent-help box), built by live_preview.page_context without saving; a text
    that does not is shown as its Markdown after the fields at the top, rendered
    by rendering.render_markdown (the MARKDOWNX_MARKDOWNIFY_FUNCTION).
    """
    user = request.user
    if not (user.is_active and user.is_staff and user.has_module_perms("monographs")):
        raise PermissionDenied
    text = request.POST.get("content", "").replace("\r\n", "\n")
    if len(text.encode("utf-8")) > MAX_FILE_BYTES:
        return HttpResponse(
            _("The text is too long to preview."), status=413, content_type="text/plain"
        )
    # The editor's page says what the text is saved as (forms.MarkdownEditorWidget):
    # a medicine's next version, or a new medicine, whose slug must be free.
    medicine = None
    if "medicine" in request.GET:
        medicine = get_object_or_404(models.Medicine, slug=request.GET["medicine"])
        problems, document = editing.check_and_parse(text, medicine=medicine)
    elif "new" in request.GET:
        problems, document = editing.check_and_parse(text)
    else:
        try:
            document = parse_monograph(text, path="preview")
        except MonographError as error:
            problems, document = error.problems, None
        else:
            problems = []
    context = {
        "problems": problems[:PREVIEW_PROBLEMS],
        "more_problems": max(0, len(problems) - PREVIEW_PROBLEMS),
        "problem_count": len(problems),
        "readability": measure_readability(text),
    }
    if document is not None:
        # The page as the public will see it, from the public page's own includes.
        context.update(live_preview.page_context(document, medicine))
    else:
        body, _lines = markdown_body(text)
        context["body_html"] = render_markdown(body)
    return render(request, "admin/monographs/includes/live_preview.html", context)
