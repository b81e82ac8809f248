"""manage.py complete_publishes: finish what publishes left undone (followups.py)."""

from django.core.management.base import BaseCommand, CommandError

from monographs import followups, search


class Command(BaseCommand):
    help = (
        "Complete the work that publishes left for after their commit (search index, "
        "leaflets) and a killed process never did, and remove the files a killed index "
        "writer left. Run at start-up (bin/run-site, bin/serve-production) or by a timer."
    )

    def handle(self, *args, verbosity, **options):
        removed = search.remove_leftover_files()
        if removed and verbosity >= 1:
            self.stdout.write(
                f"complete_publishes: removed {len(removed)} files a killed index writer left"
            )

        def progress(row, outcome):
            if verbosity >= 1:
                self.stdout.write(f"complete_publishes: {row}: {outcome}")

        report = followups.complete_followups(progress=progress)
        waiting = followups.backlog().pending
        self.stdout.write(f"complete_publishes: {report.summary()}, {waiting} still pending")
        if report.failed:
            raise CommandError(
                "some publish follow-ups failed (see the log); they are tried again later"
            )
