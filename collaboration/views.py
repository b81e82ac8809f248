"""What the medicine editor page calls while it is open: presence, autosave, discard.

Each answers editorial staff only (403 for anyone else), takes a POST with
the CSRF token (the page sends it with fetch and with navigator.sendBeacon),
and is never cached. Autosaves are private: each request reads and writes
only the requesting user's own row.
"""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import HttpResponseRedirect, JsonResponse
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from monographs.models import Medicine
from monographs.parsing import MAX_FILE_BYTES

from .editor import describe_presence
from .models import Autosave, Presence

PERMISSION_VIEW = "monographs.view_medicine"
PERMISSION_SAVE = "monographs.add_version"


@never_cache
@require_POST
def presence(request, medicine_id: int):
    """A heartbeat from the editor page: who else has this medicine open (JSON).

    With `leaving=1` (the page's beacon when it is closed) the user's row goes.
    """
    medicine = _medicine(request, medicine_id, PERMISSION_VIEW)
    if request.POST.get("leaving") == "1":
        Presence.objects.leave(medicine, request.user)
        return JsonResponse({"others": []})
    Presence.objects.beat(medicine, request.user)
    return JsonResponse({"others": describe_presence(medicine, request.user)})


@never_cache
@require_POST
def autosave(request, medicine_id: int):
    """Keep the editor's unsaved text privately (never a version); JSON with the time."""
    medicine = _medicine(request, medicine_id, PERMISSION_SAVE)
    text = request.POST.get("source_text", "").replace("\r\n", "\n").replace("\r", "\n")
    try:
        base_number = int(request.POST.get("base_number", ""))
    except ValueError:
        return JsonResponse({"error": "base_number must be a version number"}, status=400)
    if base_number < 0:
        return JsonResponse({"error": "base_number must be a version number"}, status=400)
    if len(text.encode("utf-8")) > MAX_FILE_BYTES:
        return JsonResponse({"error": "the text is too long to keep"}, status=413)
    row = Autosave.objects.store(medicine, request.user, text=text, base_number=base_number)
    saved_at = timezone.localtime(row.saved_at)
    return JsonResponse({"saved_at": saved_at.isoformat(), "time": saved_at.strftime("%H:%M")})


@require_POST
def discard_autosave(request, medicine_id: int):
    """Forget the editor's autosaved text of the medicine, then back to the editor."""
    medicine = _medicine(request, medicine_id, PERMISSION_SAVE)
    Autosave.objects.discard(medicine, request.user)
    messages.info(request, _("Your autosaved text was discarded."))
    return HttpResponseRedirect(reverse("admin:monographs_medicine_change", args=[medicine.pk]))


def _medicine(request, medicine_id: int, permission: str) -> Medicine:
    user = request.user
    if not (user.is_active and user.is_staff and user.has_perm(permission)):
        raise PermissionDenied
    return get_object_or_404(Medicine, pk=medicine_id)
