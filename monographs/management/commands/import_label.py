"""manage.py import_label PATH... [--output DIR] [--replace]"""

import time
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from monographs.labels import NotALabel, read_label
from monographs.labels.drafts import DraftError, write_drafts

LABEL_SUFFIXES = (".xml", ".json")


class Command(BaseCommand):
    help = (
        "Turn official labels (US SPL XML, EU ePI FHIR JSON or XML) into draft monographs: "
        "<DIR>/<slug>.md, with the label kept at <DIR>/sources/<slug>/. A file that is not "
        "a label is named with the reason and nothing is written for it; the others import."
    )

    def add_arguments(self, parser):
        parser.add_argument("paths", nargs="+", help="label files, or folders of them")
        parser.add_argument(
            "--output",
            default=None,
            help="folder for the drafts (default: the CONTENT_DIR setting)",
        )
        parser.add_argument(
            "--replace", action="store_true", help="overwrite drafts that already exist"
        )

    def handle(self, *args, paths, output, replace, verbosity, **options):
        output_dir = Path(output or settings.CONTENT_DIR)
        files = _label_files(paths)
        refused, drafts, times = [], 0, []
        for number, path in enumerate(files, start=1):
            started = time.perf_counter()
            try:
                label = read_label(path)
                written = write_drafts(label, output_dir, replace=replace)
            except (NotALabel, DraftError) as error:
                refused.append(path)
                self.stderr.write(f"{path}: not imported: {error}")
                continue
            elapsed = time.perf_counter() - started
            times.append(elapsed)
            drafts += len(written)
            if verbosity >= 1:
                names = ", ".join(str(target) for target in written)
                self.stdout.write(
                    f"[{number}/{len(files)}] {path} -> {names} "
                    f"({label.format} {label.id}, {_version(label)}; {elapsed * 1000:.0f} ms)"
                )
        average = f"{sum(times) / len(times) * 1000:.0f} ms a label" if times else "no label read"
        self.stdout.write(
            f"import_label: {drafts} draft(s) from {len(times)} label(s), "
            f"{len(refused)} file(s) refused ({average})"
        )
        if refused:
            raise CommandError(f"{len(refused)} file(s) were not labels; see above")


def _version(label) -> str:
    parts = [f"version {label.version}" if label.version else "no version"]
    parts.append(label.date or "no date")
    return ", ".join(parts)


def _label_files(paths: list[str]) -> list[Path]:
    """The files named, and the .xml and .json files of the folders named, in order."""
    files = []
    for name in paths:
        path = Path(name)
        if path.is_dir():
            files.extend(sorted(p for p in path.rglob("*") if p.suffix.lower() in LABEL_SUFFIXES))
        else:
            files.append(path)
    return files
