"""Load monograph documents into the database as versions, in one transaction.

`load_content` reads files, checks them all (parsing, version numbers and the
editor-conflict rule) and only then writes: a changed file becomes a new
version, an unchanged file is left alone, and a published file becomes the
version the public sees. `create_version` is the single place that projects a
parsed Monograph into rows; the admin uses it too. Once the transaction has
committed, `versions_published` is sent. What must follow a publish (the
search index, the leaflets) is recorded in the same transaction and done right
after the commit (followups.py), or by whoever comes next if this process dies
first.
"""

from __future__ import annotations

import collections
import contextlib
import dataclasses
import gc
import hashlib
import operator
import os
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

from django.conf import settings
from django.db import DatabaseError, connections, reset_queries, router, transaction
from django.db.models import CharField, IntegerField, OuterRef, Subquery, TextField
from django.dispatch import Signal
from django.utils import timezone

from . import models
from .parsing import Monograph, MonographError, Problem, parse_bytes
from .processes import die_with_parent
from .rendering import (
    html_to_text,
    render_inline_with_text,
    render_markdown,
    render_tokens,
    tokens_text,
)

# Sent after the transaction that published versions has committed, with
# `versions`: the Version objects that became current.
versions_published = Signal()

# Parsing and rendering are the slow part of a large load: from this many
# changed files on, worker processes do them while this process writes.
PARALLEL_THRESHOLD = 200
# Files handed to a worker at a time, and how many such tasks may wait at once:
# bounded, so memory stays flat however many files there are.
TASK_SIZE = 20
TASKS_IN_FLIGHT_PER_WORKER = 4
# Medicines written per round of bulk inserts; rows per INSERT statement.
WRITE_BATCH = 100
BATCH_SIZE = 500
# SQLite's page cache (KiB) while a large load writes: its default 2 MB made
# the inserts of a 10,000-file load (a 1.4 GB database) 7% slower overall.
SQLITE_LOAD_CACHE_KIB = 32 * 1024


@dataclasses.dataclass
class LoadReport:
    created: list[str] = dataclasses.field(default_factory=list)
    updated: list[str] = dataclasses.field(default_factory=list)
    unchanged: list[str] = dataclasses.field(default_factory=list)
    refused: list[Problem] = dataclasses.field(default_factory=list)
    problems: list[Problem] = dataclasses.field(default_factory=list)
    published: list[str] = dataclasses.field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems and not self.refused

    def summary(self) -> str:
        return (
            f"{len(self.created)} created, {len(self.updated)} updated, "
            f"{len(self.unchanged)} unchanged, {len(self.refused)} refused"
        )


@dataclasses.dataclass(frozen=True)
class _File:
    path: Path
    sha256: str
    display: str

    @property
    def slug(self) -> str:
        return self.path.stem


@dataclasses.dataclass
class _Prepared:
    """A parsed file ready to write: its version fields and projected rows (or its problems)."""

    file: _File
    fields: dict | None = None
    rows: dict | None = None
    version_line: int = 1
    problems: list[Problem] = dataclasses.field(default_factory=list)


class _NothingWritten(Exception):
    """Raised inside the load transaction to roll back everything it wrote."""


def find_content_files(paths: Iterable[str | Path]) -> list[Path]:
    """Expand folders to the `*.md` files in them (sorted); keep files as given."""
    found: list[Path] = []
    for path in map(Path, paths):
        if path.is_dir():
            found.extend(sorted(path.glob("*.md")))
        else:
            found.append(path)
    return found


def load_content(
    paths: Sequence[str | Path],
    *,
    dry_run: bool = False,
    force: bool = False,
    progress: Callable[[int, int], None] | None = None,
) -> LoadReport:
    """Check every file in `paths`, then load the changed ones as new versions.

    Nothing is written when any file has a problem, when a file would overwrite
    admin work (unless `force`), or when `dry_run` is set; the report says what
    happened or would have happened.

    Changed files are parsed in order (in worker processes for large loads) and
    written in batches inside one transaction as they come, so memory does not
    grow with the number of files; a problem found later rolls the whole
    transaction back, and every file is still checked so all problems are listed.
    """
    report = LoadReport()
    files = _read_files(find_content_files(paths), report)
    known = _known_state([f.slug for f in files])

    changed: list[_File] = []
    for file in files:
        state = known.get(file.slug)
        if state and state["latest_sha"] == file.sha256:
            report.unchanged.append(file.slug)
        else:
            changed.append(file)

    published: list[int] = []  # pks only: thousands of full versions would fill memory
    try:
        with _write_cache(len(changed)), transaction.atomic():
            _compress_quickly()
            batch: list[_Prepared] = []
            for prepared in _prepare_all(changed, progress, len(report.unchanged), len(files)):
                if not _accept(prepared, known.get(prepared.file.slug), force, report):
                    continue
                if dry_run or report.problems or report.refused:
                    continue  # keep checking the rest, but write no more
                batch.append(prepared)
                if len(batch) >= WRITE_BATCH:
                    published += _write(batch, report)
                    batch = []
                    if settings.DEBUG:
                        # DEBUG keeps every SQL statement with its values: for
                        # bulk inserts of whole monographs that is gigabytes.
                        reset_queries()
            if report.problems or report.refused or dry_run:
                raise _NothingWritten
            published += _write(batch, report)
            if published:
                # Imported here: followups imports search, which imports this module.
                from . import followups

                # In this transaction: a process killed after the commit leaves it behind.
                followup = followups.record_publish(published)
                transaction.on_commit(lambda: _after_commit(followup, published))
    except _NothingWritten:
        report.published.clear()
    return report


@contextlib.contextmanager
def _write_cache(changed: int) -> Iterator[None]:
    """On SQLite, a larger page cache for the length of a large load."""
    connection = connections[router.db_for_write(models.Version)]
    if connection.vendor != "sqlite" or changed < PARALLEL_THRESHOLD:
        yield
        return
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA cache_size")
        (before,) = cursor.fetchone()
        cursor.execute(f"PRAGMA cache_size = -{int(SQLITE_LOAD_CACHE_KIB)}")
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            cursor.execute(f"PRAGMA cache_size = {int(before)}")


def _compress_quickly() -> None:
    """On PostgreSQL, compress the long texts this load writes with lz4, not pglz.

    Each version's source and HTML are compressed as they are stored; with lz4
    the server spent about 9 CPU seconds less on 10,000 monographs (a 64 s load
    took 60 s) for a slightly larger database (949 MB instead of 891 MB). For
    this transaction only; a server built without lz4 keeps pglz.
    """
    connection = connections[router.db_for_write(models.Version)]
    if connection.vendor != "postgresql":
        return
    with contextlib.suppress(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET LOCAL default_toast_compression = 'lz4'")


def _accept(prepared: _Prepared, state: dict | None, force: bool, report: LoadReport) -> bool:
    """Whether a parsed file may become a new version; records why not in `report`."""
    file = prepared.file
    if prepared.problems:
        report.problems.extend(prepared.problems)
        return False
    if state is None:
        report.created.append(file.slug)
        return True
    number = prepared.fields["number"]
    if number <= state["latest_number"]:
        report.problems.append(
            Problem(
                file.display,
                prepared.version_line,
                f"version {number} is not higher than version "
                f"{state['latest_number']} already loaded; a changed file needs a higher "
                f"version (use {state['latest_number'] + 1})",
            )
        )
        return False
    if state["admin_number"] > state["file_synced_number"] and not force:
        report.refused.append(
            Problem(
                file.display,
                0,
                f"refused: {file.slug} was edited in the admin (version "
                f"{state['admin_number']}) after this file was last loaded or exported. "
                f"Nothing was overwritten. Run `manage.py export_content --slug {file.slug}` "
                "to write the admin version to the file, merge your changes into it with a "
                "higher version number and load again; or load with --force to add this "
                "file as a newer version (the admin version stays in the history).",
            )
        )
        return False
    report.updated.append(file.slug)
    return True


def _read_files(paths: list[Path], report: LoadReport) -> list[_File]:
    """Hash each file; the bytes are read again when it is parsed, so none are kept.

    A slug met twice (two folders, or one file named twice) is a problem naming
    both paths: one load makes at most one version of each medicine.
    """
    files = []
    first_path: dict[str, str] = {}
    for path in paths:
        display = _display(path)
        if path.suffix != ".md":
            report.problems.append(Problem(display, 0, "is not a Markdown (.md) file"))
            continue
        if path.stem in first_path:
            first = first_path[path.stem]
            report.problems.append(
                Problem(
                    display,
                    0,
                    "is named twice in this load; name it once"
                    if first == display
                    else f"has the same slug '{path.stem}' as {first}; load only one file "
                    "for each medicine",
                )
            )
            continue
        first_path[path.stem] = display
        try:
            sha256 = hashlib.sha256(path.read_bytes()).hexdigest()
        except OSError as exc:
            report.problems.append(Problem(display, 0, f"cannot be read: {exc.strerror}"))
            continue
        files.append(_File(path, sha256, display))
    return files


def _display(path: Path) -> str:
    try:
        return str(path.resolve().relative_to(Path.cwd()))
    except ValueError:
        return str(path)


def _known_state(slugs: list[str]) -> dict[str, dict]:
    """What the database knows of each medicine: its latest version and admin work."""
    latest = models.Version.objects.filter(medicine=OuterRef("pk")).order_by("-number")
    admin = latest.filter(origin=models.Version.Origin.ADMIN)
    state = {}
    for chunk_start in range(0, len(slugs), 900):  # SQLite's parameter limit
        rows = (
            models.Medicine.objects.filter(slug__in=slugs[chunk_start : chunk_start + 900])
            .annotate(
                latest_sha=Subquery(latest.values("sha256")[:1]),
                latest_number=Subquery(latest.values("number")[:1]),
                admin_number=Subquery(admin.values("number")[:1]),
            )
            .values("slug", "latest_sha", "latest_number", "admin_number", "file_synced_number")
        )
        for row in rows:
            row["latest_number"] = row["latest_number"] or 0
            row["admin_number"] = row["admin_number"] or 0
            state[row["slug"]] = row
    return state


def _prepare(file: _File) -> _Prepared:
    """Read, parse and render one file. Pure: runs in worker processes for large loads."""
    try:
        raw = file.path.read_bytes()
    except OSError as exc:
        return _Prepared(
            file, problems=[Problem(file.display, 0, f"cannot be read: {exc.strerror}")]
        )
    try:
        document = parse_bytes(raw, file.display, expected_slug=file.slug)
    except MonographError as error:
        return _Prepared(file, problems=error.problems)
    return _Prepared(
        file,
        fields=_version_fields(document),
        rows=project_rows(document),
        version_line=document.field_lines.get("version", 1),
    )


def _prepare_chunk(files: list[_File]) -> list[_Prepared]:
    # Parsing makes some 1,500 token objects a file and no reference cycles;
    # with the cycle collector on, its full passes over them took a fifth of
    # the workers' time.
    gc.disable()
    try:
        return [_prepare(file) for file in files]
    finally:
        gc.enable()


def _prepare_all(changed: list[_File], progress, done: int, total: int) -> Iterator[_Prepared]:
    """Yield each changed file prepared, in order, reporting progress as it goes."""
    if progress:
        progress(done, total)
    workers = os.cpu_count() or 1
    if len(changed) < PARALLEL_THRESHOLD or workers < 2:
        outcomes: Iterable[_Prepared] = map(_prepare, changed)
    else:
        outcomes = _prepare_in_workers(changed, workers)
    for index, prepared in enumerate(outcomes, start=1):
        yield prepared
        if progress and (index % 100 == 0 or index == len(changed)):
            progress(done + index, total)


def _prepare_in_workers(changed: list[_File], workers: int) -> Iterator[_Prepared]:
    """Prepare files in a process pool, keeping only a few tasks queued at a time."""
    chunks = [changed[i : i + TASK_SIZE] for i in range(0, len(changed), TASK_SIZE)]
    limit = workers * TASKS_IN_FLIGHT_PER_WORKER
    # Objects that exist now (Django, the app) are left out of the cycle
    # collector's passes, here and in the forked workers, which then also do
    # not copy the pages those objects live on.
    gc.freeze()
    try:
        with ProcessPoolExecutor(
            max_workers=workers, initializer=die_with_parent, initargs=(os.getpid(),)
        ) as pool:
            pending: collections.deque = collections.deque()
            for chunk in chunks:
                pending.append(pool.submit(_prepare_chunk, chunk))
                if len(pending) >= limit:
                    yield from pending.popleft().result()
            while pending:
                yield from pending.popleft().result()
    finally:
        gc.unfreeze()


def _write(batch: list[_Prepared], report: LoadReport) -> list[int]:
    """Store a batch of prepared files as new versions; return the pks of the published ones."""
    if not batch:
        return []
    now = timezone.now()
    slugs = [prepared.file.slug for prepared in batch]
    existing = {
        medicine.slug: medicine
        for medicine in models.Medicine.objects.filter(slug__in=slugs).only(
            "pk", "slug", "published_version", "file_synced_number"
        )
    }
    new = [models.Medicine(slug=slug) for slug in slugs if slug not in existing]
    for medicine in models.Medicine.objects.bulk_create(new):
        existing[medicine.slug] = medicine
    versions = [
        _version_for(existing[p.file.slug], p.fields, p.file.display, now, None) for p in batch
    ]
    _insert_versions(versions)
    _create_rows([(version, p.rows) for version, p in zip(versions, batch, strict=True)])
    published = []
    for version in versions:
        medicine = existing[version.medicine.slug]
        medicine.file_synced_number = version.number
        if version.status == models.Version.Status.PUBLISHED:
            medicine.published_version = version
            published.append(version.pk)
            report.published.append(medicine.slug)
    _update_medicines([existing[slug] for slug in slugs])
    return published


def _insert_versions(versions: list[models.Version]) -> None:
    """Store new versions and give each its pk: bulk_create, or on PostgreSQL one COPY.

    bulk_create quotes each version's 40 KB source and HTML into the text of
    its INSERT, which the server then parses again; COPY sends them as they
    are. Each value goes through its field as bulk_create would (pre_save:
    created_at; get_db_prep_save: JSON).
    """
    connection = connections[router.db_for_write(models.Version)]
    if connection.vendor != "postgresql":
        models.Version.objects.bulk_create(versions, batch_size=BATCH_SIZE)
        return
    fields = [f for f in models.Version._meta.concrete_fields if not f.primary_key]
    rows = [
        [field.get_db_prep_save(field.pre_save(version, True), connection) for field in fields]
        for version in versions
    ]
    with connection.cursor() as cursor:
        _copy_rows(cursor.cursor, models.Version._meta.db_table, [f.column for f in fields], rows)
    # A medicine has one version of each number: read the new pks back by both.
    pks = {
        (medicine_id, number): pk
        for pk, medicine_id, number in models.Version.objects.filter(
            medicine_id__in=[version.medicine_id for version in versions]
        ).values_list("pk", "medicine_id", "number")
    }
    for version in versions:
        version.pk = pks[version.medicine_id, version.number]
        version._state.adding = False
        version._state.db = connection.alias


def _update_medicines(medicines: list[models.Medicine]) -> None:
    """Save each medicine's file_synced_number and published_version.

    One UPDATE run for them all: bulk_update builds a CASE expression per field
    and batch, which took a sixth of a large load's writing.
    """
    connection = connections[router.db_for_write(models.Medicine)]
    quote = connection.ops.quote_name
    meta = models.Medicine._meta
    synced = meta.get_field("file_synced_number").column
    published = meta.get_field("published_version").column
    # Only quoted table and column names from the model go into the SQL text.
    sql = (
        f"UPDATE {quote(meta.db_table)} SET {quote(synced)} = %s, {quote(published)} = %s "  # noqa: S608
        f"WHERE {quote(meta.pk.column)} = %s"
    )
    with connection.cursor() as cursor:
        cursor.executemany(
            sql,
            [(m.file_synced_number, m.published_version_id, m.pk) for m in medicines],
        )


def _after_commit(followup: models.PublishFollowUp, pks: list[int]) -> None:
    """Re-index and render what the load published (followups.py), then send the signal."""
    from . import followups

    followups.complete_after_commit(followup)
    _send_published(pks)


def _send_published(pks: list[int]) -> None:
    """Send versions_published with the versions just published, fetched afresh.

    Their Markdown source is left out (deferred): receivers index and render
    from the projected rows, and ten thousand sources would not fit in memory.
    """
    versions: list[models.Version] = []
    for start in range(0, len(pks), 900):  # SQLite's parameter limit
        versions += (
            models.Version.objects.filter(pk__in=pks[start : start + 900])
            .select_related("medicine")
            .defer("source_text")
            .order_by("pk")
        )
    versions_published.send(sender=models.Version, versions=versions)


def create_version(
    medicine: models.Medicine,
    document: Monograph,
    *,
    origin: str,
    author=None,
    status: str | None = None,
) -> models.Version:
    """Store `document` as a new version of `medicine` with all its projected rows.

    Used by the admin; the caller owns the transaction and any publishing.
    """
    version = _version_for(
        medicine, _version_fields(document), "", timezone.now(), author, origin=origin
    )
    if status is not None:
        version.status = status
        version.published_at = version.published_at if status == "published" else None
    version.save()
    _create_rows([(version, project_rows(document))])
    return version


def _version_fields(document: Monograph) -> dict:
    """The Version fields a document sets (everything but medicine, origin and times)."""
    return {
        "number": document.version,
        "language": document.language,
        "source_text": document.source_text,
        "sha256": document.sha256,
        "status": models.Version.Status.PUBLISHED
        if document.status == "published"
        else models.Version.Status.DRAFT,
        "change_summary": document.change_summary,
        "name": document.name,
        "generic_name": document.generic_name,
        "atc_code": document.atc_code,
        "drug_class": document.drug_class,
        "prescription_status": document.prescription_status,
        "forms": list(document.forms),
        "routes": list(document.routes),
        "strengths": list(document.strengths),
        "brands": list(document.brands),
        "synonyms": list(document.synonyms),
        "conditions": list(document.conditions),
        "authors": list(document.authors),
        "reviewers": list(document.reviewers),
        "sources": [dataclasses.asdict(source) for source in document.sources],
        "classes": list(document.classes),
        "source_documents": list(document.source_documents),
        "accepted_numbers": [dataclasses.asdict(item) for item in document.accepted_numbers],
        "last_reviewed": document.last_reviewed,
        "next_review": document.next_review,
    }


def _version_for(medicine, fields: dict, path, now, author, origin="file"):
    is_published = fields["status"] == models.Version.Status.PUBLISHED
    return models.Version(
        medicine=medicine,
        origin=origin,
        origin_path=path,
        author=author,
        published_at=now if is_published else None,
        **fields,
    )


def project_rows(document: Monograph) -> dict[str, list[dict]]:
    """The rows a document projects to, as field dicts, with all HTML rendered.

    Pure (no database): it runs in worker processes during large loads. Each
    piece of Markdown is rendered once; its plain text is read from the parsed
    tokens where there are some, else from that HTML.
    """

    def block(text: str, tokens=()) -> tuple[str, str]:
        if tokens:
            # The text straight from the tokens: no second sanitiser pass.
            return str(render_tokens(tokens)), tokens_text(tokens)
        html = render_markdown(text)
        return str(html), html_to_text(html)

    def inline(text: str) -> tuple[str, str]:
        html, plain = render_inline_with_text(text)
        return str(html), plain

    def inline_row(text: str) -> dict:
        html, plain = inline(text)
        return {"html": html, "text": plain}

    sections = []
    for position, section in enumerate(document.sections):
        quick_html, quick_text = inline(section.quick_answer)
        intro_html, intro_text = block(section.intro, section.intro_tokens)
        blocks = []
        for index, part in enumerate(section.blocks):
            if part.kind == "prose":
                html, text = block(part.markdown, part.tokens)
            else:
                # Structured blocks are shown from their rows; only their text is kept.
                html, text = (
                    "",
                    tokens_text(part.tokens) or html_to_text(render_markdown(part.markdown)),
                )
            blocks.append(
                {
                    "position": index,
                    "title": part.title,
                    "anchor": part.anchor,
                    "kind": part.kind,
                    "html": html,
                    "text": text,
                }
            )
        sections.append(
            {
                "position": position,
                "key": section.key,
                "title": section.title,
                "anchor": section.anchor,
                "quick_answer_html": quick_html,
                "quick_answer_text": quick_text,
                "intro_html": intro_html,
                "intro_text": intro_text,
                "blocks": blocks,
            }
        )
    alerts = [
        {"kind": "safety", "position": i, **inline_row(text)}
        for i, text in enumerate(document.safety_warnings)
    ] + [
        {"kind": "urgent", "position": i, **inline_row(text)}
        for i, text in enumerate(document.urgent_help)
    ]
    interactions = []
    for i, item in enumerate(document.interactions):
        effect_html, effect_text = inline(item.effect)
        action_html, action_text = inline(item.action)
        interactions.append(
            {
                "severity": "major",
                "position": i,
                "medicine": item.medicine,
                "examples": list(item.examples),
                "effect_html": effect_html,
                "effect_text": effect_text,
                "action_html": action_html,
                "action_text": action_text,
            }
        )
    for i, item in enumerate(document.minor_interactions):
        effect_html, effect_text = inline(item.text)
        interactions.append(
            {
                "severity": "minor",
                "position": i,
                "medicine": item.medicine,
                "examples": list(item.examples),
                "effect_html": effect_html,
                "effect_text": effect_text,
            }
        )
    dosing = []
    for i, entry in enumerate(document.dosing):
        row = {"position": i, "title": entry.title, "anchor": entry.anchor}
        texts = []
        for field in ("population", "route"):
            row[field] = inline(getattr(entry, field))[1]
            texts.append(row[field])
        for field in ("starting_dose", "titration", "maintenance", "maximum"):
            row[f"{field}_html"], text = inline(getattr(entry, field))
            texts.append(text)
        row["notes_html"], notes_text = block(entry.notes)
        texts.append(notes_text)
        row["text"] = " ".join(text for text in texts if text)
        dosing.append(row)
    names = [("name", document.name), ("generic", document.generic_name)]
    names += [("brand", brand) for brand in document.brands]
    names += [("synonym", synonym) for synonym in document.synonyms]
    seen = set()
    name_rows = []
    for kind, value in names:
        normalized = normalize_name(value)
        if normalized and (kind, normalized) not in seen:
            seen.add((kind, normalized))
            name_rows.append({"kind": kind, "value": value, "normalized": normalized})
    faqs = []
    for i, faq in enumerate(document.faqs):
        answer_html, answer_text = block(faq.answer, faq.tokens)
        faqs.append(
            {
                "position": i,
                "question": faq.question,
                "anchor": faq.anchor,
                "answer_html": answer_html,
                "answer_text": answer_text,
            }
        )
    return {
        "sections": sections,
        "alerts": alerts,
        "takeaways": [
            {"position": i, **inline_row(text)} for i, text in enumerate(document.takeaways)
        ],
        "interactions": interactions,
        "dosing": dosing,
        "side_effects": [
            {"band": effect.band, "position": i, **inline_row(effect.text)}
            for i, effect in enumerate(document.side_effects)
        ],
        "faqs": faqs,
        "references": [
            {
                "number": ref.number,
                "text": ref.text,
                "key": reference_key(ref.text),
                "authors": ref.authors,
                "title": ref.title,
                "container": ref.container,
                "year": ref.year,
                "doi": ref.doi,
                "url": ref.url,
            }
            for ref in document.references
        ],
        "names": name_rows,
    }


def normalize_name(value: str) -> str:
    return " ".join(value.casefold().split())


def reference_key(text: str) -> str:
    """The same citation, however it is spaced or capitalised, has the same key."""
    return hashlib.sha256(" ".join(text.casefold().split()).encode()).hexdigest()


_ROW_MODELS = {
    "alerts": models.Alert,
    "takeaways": models.Takeaway,
    "interactions": models.Interaction,
    "dosing": models.DosingEntry,
    "side_effects": models.SideEffect,
    "faqs": models.Faq,
    "references": models.Reference,
    "names": models.Name,
}


def _create_rows(pairs: list[tuple[models.Version, dict]]) -> None:
    """Bulk-create the projected rows of several versions at once."""
    _insert_rows(
        models.Section,
        "version",
        [
            (version.pk, {k: v for k, v in data.items() if k != "blocks"})
            for version, rows in pairs
            for data in rows["sections"]
        ],
    )
    # A version's sections are told apart by their key: read their ids back.
    section_ids = {
        (version_id, key): pk
        for pk, version_id, key in models.Section.objects.filter(
            version__in=[version.pk for version, _ in pairs]
        ).values_list("pk", "version_id", "key")
    }
    _insert_rows(
        models.Block,
        "section",
        [
            (section_ids[version.pk, data["key"]], block)
            for version, rows in pairs
            for data in rows["sections"]
            for block in data["blocks"]
        ],
    )
    for name, model in _ROW_MODELS.items():
        _insert_rows(
            model, "version", [(version.pk, row) for version, rows in pairs for row in rows[name]]
        )


# Values of these fields go to the database driver as project_rows made them.
_PASSED_AS_IS = (CharField, TextField, IntegerField)


def _insert_rows(model, parent: str, rows: list[tuple[int, dict]]) -> None:
    """INSERT rows straight from project_rows' dicts, each with its parent's pk.

    bulk_create builds a model instance per row and prepares each value through
    its field; for the hundred-odd rows of every monograph that was a third of
    a large load. Here each column is prepared through its field only when the
    field needs it (JSON), and a missing value takes the field's default.
    """
    if not rows:
        return
    connection = connections[router.db_for_write(model)]
    parent_field = model._meta.get_field(parent)
    fields = [f for f in model._meta.concrete_fields if not f.primary_key and f is not parent_field]
    # Model(**row) would refuse a misspelt key and save() would run pre_save;
    # here a wrong key must fail as loudly, and no field may need pre_save.
    names = {field.name for field in fields}
    required = {f.name for f in fields if not (f.has_default() or f.blank or f.null)}
    if any(getattr(f, "auto_now", False) or getattr(f, "auto_now_add", False) for f in fields):
        raise TypeError(f"{model.__name__} has a field set on save; use bulk_create for it")
    keys = [field.name for field in fields]
    # Rows that name every field (nearly all) are read in one C-level call.
    read_row = operator.itemgetter(*keys) if len(keys) > 1 else lambda row: (row[keys[0]],)
    params = []
    for parent_pk, row in rows:
        if row.keys() == names:
            params.append([parent_pk, *read_row(row)])
            continue
        if not required <= row.keys() <= names:
            raise ValueError(
                f"{model.__name__} row with fields {sorted(row)}: unknown "
                f"{sorted(row.keys() - names)}, missing {sorted(required - row.keys())}"
            )
        params.append(
            [
                parent_pk,
                *(
                    row[key] if key in row else field.get_default()
                    for key, field in zip(keys, fields, strict=True)
                ),
            ]
        )
    for column, field in enumerate(fields, start=1):
        if not isinstance(field, _PASSED_AS_IS):
            for values in params:
                values[column] = field.get_db_prep_save(values[column], connection)
    columns = [parent_field, *fields]
    # Only quoted table and column names from the models go into the SQL text;
    # every value is a parameter.
    sql = "INSERT INTO {} ({}) VALUES ({})".format(  # noqa: S608
        connection.ops.quote_name(model._meta.db_table),
        ", ".join(connection.ops.quote_name(field.column) for field in columns),
        ", ".join(["%s"] * len(columns)),
    )
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            _copy_rows(cursor.cursor, model._meta.db_table, [f.column for f in columns], params)
        else:
            cursor.executemany(sql, params)


def _copy_rows(cursor, table: str, columns: list[str], rows: list[list]) -> None:
    """PostgreSQL: the rows in one COPY rather than an INSERT statement each."""
    from psycopg import sql

    statement = sql.SQL("COPY {} ({}) FROM STDIN").format(
        sql.Identifier(table), sql.SQL(", ").join(map(sql.Identifier, columns))
    )
    with cursor.copy(statement) as copy:
        for row in rows:
            copy.write_row(row)


def export_content(directory: Path, slugs: Sequence[str] | None = None) -> list[Path]:
    """Write each medicine's latest version back to `directory/<slug>.md`.

    Marks the file as in step with that version, so that loading it again is a
    no-op and later file changes are not taken for a conflict.
    """
    directory.mkdir(parents=True, exist_ok=True)
    medicines = models.Medicine.objects.order_by("slug")
    if slugs:
        medicines = medicines.filter(slug__in=slugs)
    written = []
    for medicine in medicines:
        version = medicine.latest_version()
        if version is None:
            continue
        path = directory / f"{medicine.slug}.md"
        path.write_bytes(version.source_text.encode("utf-8"))
        medicine.file_synced_number = version.number
        medicine.save(update_fields=["file_synced_number"])
        written.append(path)
    return written
