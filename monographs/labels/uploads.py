"""Labels uploaded in the admin ("New medicine from a label"), and the label panel
shown beside the editor.

`keep_upload(file)` reads an uploaded file as a label (NotALabel / DraftError /
UploadTooLarge say why not, with nothing kept), keeps it in the media store
(the default storage, shared by every app server) at
`sources/<slug>/<file name>`, the path the draft's `source_documents` names,
and returns that path and the draft. `open_source_document(path)` reads such a
path back, from the content folder (labels imported with import_label) or
from the media store. `panel(label)` is what the editor's side panel shows.
"""

from __future__ import annotations

import dataclasses
import re
from pathlib import Path, PurePosixPath

from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.utils.text import get_valid_filename

from .drafts import Draft, DraftError, build_drafts
from .reading import Label, NotALabel, read_label, read_label_bytes

SOURCE_PATH_RE = re.compile(r"^sources/[a-z0-9-]+/[A-Za-z0-9._-]+$")
LABEL_SUFFIXES = (".xml", ".json")
# Where each key's text goes in our format, as the editor's outline names it.
SECTION_NAMES = {
    "uses": "What it is and what it is used for",
    "who-should-not": "Before you take it: Who should not take it",
    "warnings": "Before you take it: Warnings and precautions",
    "pregnancy": "Before you take it: Pregnancy and breastfeeding",
    "driving": "Before you take it: Driving and using machines",
    "interactions": "Interactions",
    "dosage": "Dosage",
    "missed-dose": "Dosage (a missed dose)",
    "overdose": "Overdose",
    "stopping": "Stopping",
    "side-effects": "Side effects",
    "storage": "Storage",
    "contents": "Contents and generic availability",
}


class UploadTooLarge(Exception):
    """The uploaded file is larger than LABEL_UPLOAD_MAX_BYTES."""


@dataclasses.dataclass(frozen=True)
class KeptLabel:
    path: str  # sources/<slug>/<file name>, in the media store
    label: Label
    drafts: list[Draft]


def keep_upload(upload) -> KeptLabel:
    """Check the uploaded file, keep it, and make its drafts; nothing kept if it fails."""
    limit = settings.LABEL_UPLOAD_MAX_BYTES
    if upload.size > limit:
        raise UploadTooLarge(
            f"the file is {upload.size / 1_000_000:.1f} MB; a label uploaded here may be at "
            f"most {limit / 1_000_000:.1f} MB (import a larger one with manage.py import_label)"
        )
    name = get_valid_filename(PurePosixPath(upload.name or "label").name) or "label"
    if not name.lower().endswith(LABEL_SUFFIXES):
        name += ".xml" if upload.read(1)[:1] == b"<" else ".json"
        upload.seek(0)
    raw = upload.read()
    label = read_label_bytes(raw, Path(name))
    drafts = build_drafts(label, name)
    slug = drafts[0].slug
    stored = default_storage.save(f"sources/{slug}/{name}", ContentFile(raw))
    stored_name = PurePosixPath(stored).name
    if stored_name != name:
        # The store chose another name (one was taken): the draft must cite that one.
        label = dataclasses.replace(label, path=Path(stored_name))
        drafts = build_drafts(label, stored_name)
    return KeptLabel(stored, label, drafts)


def open_source_document(path: str) -> Label | None:
    """The label at `path` (sources/<slug>/<file>) in the content folder or the media
    store; None if there is none there or it is not a label."""
    if not SOURCE_PATH_RE.match(path or "") or not path.lower().endswith(LABEL_SUFFIXES):
        return None
    try:
        in_content = Path(settings.CONTENT_DIR) / path
        if in_content.is_file():
            return read_label(in_content)
        if default_storage.exists(path):
            with default_storage.open(path, "rb") as file:
                raw = file.read(settings.LABEL_UPLOAD_MAX_BYTES + 1)
            if len(raw) > settings.LABEL_UPLOAD_MAX_BYTES:
                return None
            return read_label_bytes(raw, Path(PurePosixPath(path).name))
    except (NotALabel, OSError):
        return None
    return None


def panel(label: Label, path: str) -> dict:
    """The side panel: the label's citation, then its sections, patient parts first,
    each with the section of ours it belongs to and its text as paragraphs and lists."""
    sections = []
    for section in label.sections:
        pieces: list[dict] = []
        for block in section.blocks:
            if block.kind == "item":
                if not pieces or pieces[-1]["kind"] != "list":
                    pieces.append({"kind": "list", "items": []})
                pieces[-1]["items"].append(block.text)
            else:
                pieces.append({"kind": block.kind, "text": block.text})
        sections.append(
            {
                "heading": section.heading or section.code,
                "ours": SECTION_NAMES.get(section.key or "", ""),
                "patient": section.patient,
                "pieces": pieces,
            }
        )
    sections.sort(key=lambda s: (not s["ours"], not s["patient"]))
    return {
        "title": label.title,
        "citation": label.citation(),
        "language": label.language,
        "path": path,
        "sections": sections,
    }


__all__ = [
    "DraftError",
    "build_drafts",
    "KeptLabel",
    "NotALabel",
    "UploadTooLarge",
    "keep_upload",
    "open_source_document",
    "panel",
]
