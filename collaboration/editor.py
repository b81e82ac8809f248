"""What the medicine editor page shows of editing together, and the assets it loads.

The admin's editor view (monographs/admin.py) adds `editor_context()` to its
template context and `MEDIA` to its media: the overlaps still marked in the
text, who else has the medicine open (recording that this user has), the
editor's own autosaved text when there is one to offer back, and the
addresses and intervals the page's script (collaboration/editor.js) uses.
"""

from __future__ import annotations

from django import forms
from django.urls import reverse
from django.utils import timezone

from monographs.models import Medicine

from . import merge
from .models import AUTOSAVE_SECONDS, PRESENCE_SECONDS, Autosave, Presence

MEDIA = forms.Media(
    css={"all": ["collaboration/editor.css"]},
    js=["collaboration/editor.js"],
)
RESTORE_PARAMETER = "restore"


def describe_presence(medicine: Medicine, user) -> list[dict]:
    """The other editors who have `medicine` open: name, and since when (ISO and HH:MM)."""
    people = []
    for row in Presence.objects.current(medicine).exclude(user=user):
        since = timezone.localtime(row.since).replace(microsecond=0)
        people.append(
            {
                "name": row.user.get_full_name() or row.user.get_username(),
                "since": since.isoformat(),
                "time": since.strftime("%H:%M"),
            }
        )
    return people


def restored_initial(request, medicine: Medicine) -> dict | None:
    """The editor form's first values from the user's autosave, when they chose to restore it."""
    if request.GET.get(RESTORE_PARAMETER) != "autosave":
        return None
    row = Autosave.objects.mine(medicine, request.user)
    if row is None:
        return None
    # Its own base version: a save then merges it with whatever was saved since.
    return {"source_text": row.text, "base_number": row.base_number}


def editor_context(
    request, medicine: Medicine | None, text: str, *, merged: merge.MergeResult | None = None
) -> dict:
    """Template context for the editor page showing `text` (see the module docstring).

    `merged` is the merge that produced `text`, when a save was just merged:
    the page names the parts it took from each side.
    """
    context = {"overlaps": merge.find_overlaps(text), "merged": merged}
    if medicine is None:
        return context
    Presence.objects.beat(medicine, request.user)
    autosave = Autosave.objects.mine(medicine, request.user)
    restoring = request.GET.get(RESTORE_PARAMETER) == "autosave"
    context["collaboration"] = {
        "others": describe_presence(medicine, request.user),
        "presence_url": reverse("collaboration:presence", args=[medicine.pk]),
        "presence_seconds": PRESENCE_SECONDS,
        # Only for those who may save: a look-only page has nothing to keep.
        "autosave_url": reverse("collaboration:autosave", args=[medicine.pk])
        if request.user.has_perm("monographs.add_version")
        else "",
        "autosave_seconds": AUTOSAVE_SECONDS,
        "discard_url": reverse("collaboration:discard_autosave", args=[medicine.pk]),
        "restore_url": f"?{RESTORE_PARAMETER}=autosave",
        # Offered back on opening the editor, when it holds something not shown now
        # (not after a refused save, whose page shows the text just typed).
        "autosave": autosave
        if autosave and request.method == "GET" and (restoring or autosave.text != text)
        else None,
        "restored": bool(autosave) and restoring,
    }
    return context
