"""WSGI entry point, used by gunicorn: ``gunicorn druginfo.wsgi``."""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "druginfo.settings")

application = get_wsgi_application()
