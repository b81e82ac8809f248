"""manage.py export_content [--slug S ...] [--to DIR]"""

from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from monographs.loading import export_content
from monographs.models import Medicine


class Command(BaseCommand):
    help = "Write the latest version of each medicine back to its content file."

    def add_arguments(self, parser):
        parser.add_argument("--slug", action="append", help="only this medicine (repeatable)")
        parser.add_argument("--to", help="folder to write to (default: the CONTENT_DIR setting)")

    def handle(self, *args, slug, to, **options):
        if slug:
            unknown = set(slug) - set(
                Medicine.objects.filter(slug__in=slug).values_list("slug", flat=True)
            )
            if unknown:
                raise CommandError(f"no medicine with slug: {', '.join(sorted(unknown))}")
        written = export_content(Path(to or settings.CONTENT_DIR), slug)
        for path in written:
            self.stdout.write(f"  wrote {path}")
        self.stdout.write(f"export_content: {len(written)} file(s) written")
