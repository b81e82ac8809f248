"""manage.py load_content [PATH ...] [--dry-run] [--force]"""

from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from monographs import search
from monographs.loading import load_content
from monographs.printing import leaflets


class Command(BaseCommand):
    help = (
        "Check every monograph file, then load the changed ones as new versions in one "
        "transaction. Writes nothing if any file has a problem."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "paths", nargs="*", help="files or folders (default: the CONTENT_DIR setting)"
        )
        parser.add_argument(
            "--dry-run", action="store_true", help="check and report, but write nothing"
        )
        parser.add_argument(
            "--force",
            action="store_true",
            help="load a changed file even when the medicine was edited in the admin since "
            "(the admin version is kept in the history)",
        )

    def handle(self, *args, paths, dry_run, force, verbosity, **options):
        paths = paths or [Path(settings.CONTENT_DIR)]
        show_progress = verbosity >= 1

        def progress(done, total):
            if show_progress and total >= 50:
                self.stderr.write(f"\rload_content: checked {done:,} of {total:,} files", ending="")
                if done == total:
                    self.stderr.write("")

        report = load_content(paths, dry_run=dry_run, force=force, progress=progress)
        for problem in [*report.problems, *report.refused]:
            self.stderr.write(str(problem))
        if verbosity >= 2:
            for label, slugs in (
                ("created", report.created),
                ("updated", report.updated),
                ("unchanged", report.unchanged),
            ):
                for slug in slugs:
                    self.stdout.write(f"  {label}: {slug}")
        if report.problems:
            self.stdout.write(
                f"load_content: {len(report.problems)} problem(s); nothing was written"
            )
            raise CommandError("fix the problems above and run load_content again")
        prefix = "load_content (dry run, nothing written)" if dry_run else "load_content"
        published = len(report.published)
        if not dry_run and published > search.PUBLISH_REINDEX_LIMIT:
            self.stdout.write(
                f"{published} medicines published at once: run `manage.py rebuild_index` "
                "to bring search up to date (or `manage.py complete_publishes`)"
            )
        if not dry_run and published > leaflets.PUBLISH_RENDER_LIMIT:
            self.stdout.write(
                "their PDF leaflets render on first request, or all at once with "
                "`manage.py render_leaflets`"
            )
        self.stdout.write(f"{prefix}: {report.summary()}")
        if report.refused:
            raise CommandError(
                "some files were refused to protect admin edits; nothing was written"
            )
