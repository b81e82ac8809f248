"""manage.py rebuild_index: build the search index anew from the published versions."""

from django.core.management.base import BaseCommand, CommandError

from monographs import followups, search


class Command(BaseCommand):
    help = (
        "Build the search index from scratch from every published version. Searches keep "
        "using the old index until the new one is complete; a second writer waits. "
        "Clears the search work that publishes left pending."
    )

    def handle(self, *args, verbosity, **options):
        def progress(done, total):
            if verbosity >= 1:
                self.stderr.write(
                    f"\rrebuild_index: indexed {done:,} of {total:,} medicines", ending=""
                )
                if done == total:
                    self.stderr.write("")

        try:
            report = followups.rebuild_index(progress=progress)
        except search.IndexBusy as error:
            raise CommandError(f"rebuild_index: {error}; try again later") from None
        except search.IndexWriteFailed as error:
            raise CommandError(
                f"rebuild_index: {error}; nothing was changed, the old index still answers"
            ) from None
        self.stdout.write(f"rebuild_index: {report.summary()}")
