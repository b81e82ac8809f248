"""bench/pages.py reads the report wrk prints: figures in every unit wrk uses.

wrk pads each figure to a fixed width, so a latency in seconds comes with a
trailing space ("1.07s "); the benchmark crashed on exactly the slow runs it
was there to show (issue #20, finding 13).
"""

import pytest

from bench.pages import read_wrk_report

# Printed by wrk 4.1.0 (Debian 12) against gunicorn on this machine, one second in its tail.
SLOW_RUN = """\
Running 5s test @ http://127.0.0.1:18932/medicines/baclofen/
  1 threads and 4 connections
  Thread Stats   Avg      Stdev     Max   +/- Stdev
    Latency   107.93ms  266.52ms   1.16s    87.54%
    Req/Sec     2.88k     0.95k    4.15k    72.50%
  Latency Distribution
     50%    1.41ms
     75%    2.58ms
     90%  529.72ms
     99%    1.07s\x20
  11489 requests in 5.00s, 701.74MB read
Requests/sec:   2297.67
Transfer/sec:    140.32MB
"""


def test_a_latency_in_seconds_with_wrks_trailing_space_is_read():
    report = read_wrk_report(SLOW_RUN)

    assert report == {"rps": 2297.67, "p50": 1.41, "p99": pytest.approx(1070.0)}


def test_latencies_in_microseconds_are_read_as_milliseconds():
    fast = SLOW_RUN.replace("     50%    1.41ms", "     50%  812.00us").replace(
        "     99%    1.07s ", "     99%    4.25ms"
    )

    assert read_wrk_report(fast) == {"rps": 2297.67, "p50": pytest.approx(0.812), "p99": 4.25}


def test_a_report_without_a_latency_distribution_names_what_is_missing():
    without = SLOW_RUN.replace("     99%    1.07s \n", "")

    with pytest.raises(RuntimeError, match="no 99% latency"):
        read_wrk_report(without)
