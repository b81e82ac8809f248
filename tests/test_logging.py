"""Log lines: one logfmt line per record, whatever the message holds."""

import logging
import sys

from django.conf import settings


def _format(record):
    formatter = settings.LOGGING["formatters"]["logfmt"]["()"]()
    return formatter.format(record)


def _record(message, *args, exc_info=None, **extra):
    record = logging.LogRecord(
        "django.request", logging.WARNING, __file__, 1, message, args, exc_info
    )
    record.__dict__.update(extra)
    return record


def test_record_becomes_key_value_pairs_with_time_level_logger_and_message():
    line = _format(_record("Not Found: %s", "/nowhere/", status_code=404))

    assert line.startswith("time=")
    assert " level=warning logger=django.request " in line
    assert 'message="Not Found: /nowhere/"' in line
    assert line.endswith("status=404")


def test_traceback_and_quotes_stay_on_one_line():
    try:
        raise ValueError('bad "value"\nsecond line')
    except ValueError:
        exc_info = sys.exc_info()

    line = _format(_record("Internal Server Error: /", exc_info=exc_info))

    assert "\n" not in line
    assert "exc=" in line
    assert '\\"value\\"' in line


def test_request_attached_to_record_is_not_written():
    line = _format(_record("Forbidden: /admin/", request="SECRET-COOKIE-VALUE", status_code=403))
    assert "SECRET-COOKIE-VALUE" not in line
