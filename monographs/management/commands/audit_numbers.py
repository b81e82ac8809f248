"""manage.py audit_numbers [SLUG ...]: every number of the monographs in CONTENT_DIR
looked up in their source documents (monographs.labels.audit)."""

import time

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from monographs.labels import audit


class Command(BaseCommand):
    help = (
        "Check every number with a unit or a dosing word in the monographs of CONTENT_DIR "
        "(all, or the SLUGs given) against each monograph's source documents. Lists each "
        "number not found with its file, line and text, and each accepted number with its "
        "reason; exits with status 1 when any number is unexplained."
    )

    def add_arguments(self, parser):
        parser.add_argument("slugs", nargs="*", metavar="SLUG", help="only these medicines")

    def handle(self, *args, slugs, verbosity, **options):
        started = time.perf_counter()
        content_dir = settings.CONTENT_DIR
        if slugs:
            paths = [content_dir / f"{slug}.md" for slug in slugs]
            missing = [path.name for path in paths if not path.is_file()]
            if missing:
                raise CommandError(f"no such monograph in {content_dir}: {', '.join(missing)}")
        else:
            paths = sorted(content_dir.glob("*.md"))
        total = unexplained = failing = 0
        for done, path in enumerate(paths, start=1):
            try:
                report = audit.audit_file(path, content_dir)
            except (OSError, UnicodeDecodeError) as error:
                self.stdout.write(f"{path}: cannot be read ({error}); its numbers were not checked")
                failing += 1
                continue
            for problem in report.problems:
                self.stdout.write(f"{path}: source document {problem}")
            for finding in report.unexplained:
                self.stdout.write(str(finding))
            for acceptance in report.acceptances:
                note = f" ({acceptance.note})" if acceptance.note else ""
                self.stdout.write(
                    f"{path}: accepted {acceptance.number!r}: {acceptance.reason}{note}"
                )
            prefix = f"[{done}/{len(paths)}] " if verbosity >= 1 and len(paths) > 1 else ""
            self.stdout.write(prefix + report.summary())
            total += report.total
            unexplained += len(report.unexplained)
            failing += not report.ok
        seconds = time.perf_counter() - started
        line = (
            f"audit_numbers: {len(paths)} monographs, {total} numbers, "
            f"{unexplained} not found in the sources in {seconds:.1f} s"
        )
        if failing:
            raise CommandError(line)
        self.stdout.write(line)
