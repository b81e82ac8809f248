"""gunicorn's settings for one production app server of druginfo (bin/serve-production).

gunicorn reads this file itself (``gunicorn -c gunicorn.conf.py``, or from the
working directory). Everything that differs between machines comes from the
environment, and a value that cannot be parsed stops start-up:

- ``GUNICORN_BIND``: address to listen on, default ``127.0.0.1:8000`` (the load
  balancer or reverse proxy in front connects there);
- ``GUNICORN_WORKERS``: worker processes, default 2 x CPU cores + 1. Pages are
  rendered once and cached and search is a short query, so a request is mostly
  CPU in Python: each worker runs one request at a time;
- ``GUNICORN_THREADS``: requests one worker runs at once, default 1. Workers
  are gthread workers so that connections are kept alive between requests
  (sync workers close every connection after one response: under load that
  churns thousands of connections a second through TIME_WAIT, and about one
  request in a hundred waited most of a second for its connection; see
  bench/README.md, "pages.py"). More than one thread per worker made the
  cached page slower on this CPU-bound site (the threads share one GIL);
- ``GUNICORN_TIMEOUT``: seconds a request may run before its worker is
  restarted, default 60 (the first request for a missing PDF leaflet renders
  it, which takes a few seconds);
- ``GUNICORN_ACCESS_LOG``: ``true`` to write an access log to standard output.
  Off by default: what patients search for is health information. When on,
  it records the path without the query string and without the referrer.
"""

import os

_TRUE_WORDS = {"true", "1", "yes", "on"}
_FALSE_WORDS = {"false", "0", "no", "off"}


def _env_int(name: str, default: int, minimum: int = 1) -> int:
    raw = os.environ.get(name, "").strip()
    if not raw:
        return default
    try:
        value = int(raw)
    except ValueError:
        raise SystemExit(f"gunicorn.conf.py: {name}={raw!r} is not a whole number") from None
    if value < minimum:
        raise SystemExit(f"gunicorn.conf.py: {name}={value} must be at least {minimum}")
    return value


def _env_bool(name: str, default: bool) -> bool:
    raw = os.environ.get(name, "").strip().lower()
    if not raw:
        return default
    if raw in _TRUE_WORDS | _FALSE_WORDS:
        return raw in _TRUE_WORDS
    raise SystemExit(f"gunicorn.conf.py: {name}={raw!r} is not a yes/no value")


wsgi_app = "druginfo.wsgi:application"
bind = [os.environ.get("GUNICORN_BIND", "").strip() or "127.0.0.1:8000"]
workers = _env_int("GUNICORN_WORKERS", 2 * (os.cpu_count() or 1) + 1)
# gthread, not sync: it keeps connections open between requests (keepalive).
worker_class = "gthread"
threads = _env_int("GUNICORN_THREADS", 1)

timeout = _env_int("GUNICORN_TIMEOUT", 60)
# On SIGTERM (a deploy, or the balancer draining this server) requests in
# progress get this long to finish.
graceful_timeout = 30
# Connections from the load balancer or proxy are kept open between requests
# for this many idle seconds (gthread workers honour it; sync workers did not).
keepalive = 5
# Workers are replaced now and then, staggered, so no slow leak can build up.
# Rarely: a new worker takes about a second to start Django, and the requests
# on the old one's kept-alive connections wait for that. At 5,000 requests a
# worker under load restarted every few seconds, putting 0.7-1 s in the p99.
max_requests = 100_000
max_requests_jitter = 10_000
# The heartbeat file in memory, not on a disk that may stall.
# (only gunicorn's own heartbeat lives there: no data, so a shared folder is fine).
if os.path.isdir("/dev/shm"):  # noqa: S108
    worker_tmp_dir = "/dev/shm"  # noqa: S108

errorlog = "-"
loglevel = "warning"
if _env_bool("GUNICORN_ACCESS_LOG", False):
    accesslog = "-"
    # %(U)s is the path without the query string (?q=... holds search terms);
    # no referrer either, as it can hold a search address too.
    access_log_format = '%(h)s %(t)s "%(m)s %(U)s" %(s)s %(B)s %(M)sms'
else:
    accesslog = None
