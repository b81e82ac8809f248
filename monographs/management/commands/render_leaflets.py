"""manage.py render_leaflets [--force] [--slug SLUG ...]"""

import time

from django.core.management.base import BaseCommand, CommandError

from monographs import followups


class Command(BaseCommand):
    help = (
        "Render and store the PDF leaflets (every variant) of every published version, "
        "superseded ones included. Leaflets already stored are kept unless --force. "
        "Clears the leaflet work that publishes left pending."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--force", action="store_true", help="render again the leaflets already stored"
        )
        parser.add_argument(
            "--slug", action="append", dest="slugs", help="only this medicine (repeatable)"
        )

    def handle(self, *args, force, slugs, verbosity, **options):
        started = time.perf_counter()

        def progress(done, total, name, outcome):
            if verbosity >= 1:
                self.stdout.write(f"[{done}/{total}] {name}: {outcome}")

        report = followups.render_leaflets(force=force, slugs=slugs, progress=progress)
        seconds = time.perf_counter() - started
        self.stdout.write(
            f"render_leaflets: {len(report.rendered)} rendered, "
            f"{len(report.already_stored)} already stored, {len(report.failed)} failed "
            f"in {seconds:.1f} s"
        )
        if report.failed:
            raise CommandError(
                "some leaflets could not be rendered (see the log): " + ", ".join(report.failed)
            )
