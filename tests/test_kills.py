"""Processes killed with SIGKILL leave nothing behind: real subprocesses, really killed.

A load_content killed while its pool works takes its worker processes with it,
and a rebuild_index killed midway leaves no temporary index files after the
next run, or after the next start (complete_publishes).
"""

import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

from bench.generate import generate_monographs

ROOT = Path(__file__).resolve().parent.parent


def _env(tmp_path: Path) -> dict[str, str]:
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("DJANGO_", "DATABASE_", "CACHE_URL", "SEARCH_", "CONTENT_"))
    }
    env.update(
        {
            "DJANGO_SETTINGS_MODULE": "druginfo.settings",
            "DJANGO_VAR_DIR": str(tmp_path / "var"),
            "CONTENT_DIR": str(tmp_path / "content"),
            "SEARCH_BACKEND": "whoosh",
            "SEARCH_WRITER_PROCESSES": "2",
            "PYTHONDONTWRITEBYTECODE": "1",
        }
    )
    return env


def _manage(env: dict[str, str], *args: str) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def _children(pid: int) -> set[int]:
    """Process ids whose parent is pid, read from /proc."""
    children = set()
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            # The command name in parentheses may hold spaces: split after it.
            fields = stat.rsplit(")", 1)[1].split()
            if int(fields[1]) == pid:
                children.add(int(entry.name))
    return children


def _alive(pid: int) -> bool:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] != "Z"


def _wait_for(condition, seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.05)
    return condition()


def test_a_killed_load_takes_its_pool_workers_with_it(tmp_path):
    env = _env(tmp_path)
    generate_monographs(400, tmp_path / "content")
    subprocess.run(
        [sys.executable, "manage.py", "migrate", "--no-input"],
        cwd=ROOT,
        env=env,
        check=True,
        capture_output=True,
    )
    load = _manage(env, "load_content")
    try:
        assert _wait_for(lambda: len(_children(load.pid)) >= 2, 60), "no pool workers started"
        workers = _children(load.pid)
        load.send_signal(signal.SIGKILL)
        load.wait()

        assert _wait_for(lambda: not any(_alive(pid) for pid in workers), 5), (
            f"pool workers still running 5 s after their load was killed: {sorted(workers)}"
        )
    finally:
        load.kill()
        for pid in _children(load.pid) | locals().get("workers", set()):
            if _alive(pid):
                os.kill(pid, signal.SIGKILL)


def _index_leftovers(index_dir: Path) -> list[str]:
    """Files a killed writer left: whoosh's temporary folder, and segment files no
    table of contents names."""
    from whoosh import index as whoosh_index

    ix = whoosh_index.open_dir(str(index_dir))
    segments = {segment.segment_id() for segment in ix._segments()}
    return sorted(
        name
        for name in os.listdir(index_dir)
        if (index_dir / name).is_dir()
        or re.match(r"MAIN_[0-9a-z]+\.", name)
        and name.split(".", 1)[0] not in segments
    )


def _indexed(tmp_path: Path) -> tuple[dict[str, str], Path]:
    """A content folder of 400 medicines, loaded and indexed: the environment, the index."""
    env = _env(tmp_path)
    index_dir = tmp_path / "var" / "search-index"
    generate_monographs(400, tmp_path / "content")
    for command in (["migrate", "--no-input"], ["load_content"], ["rebuild_index"]):
        subprocess.run(
            [sys.executable, "manage.py", *command],
            cwd=ROOT,
            env=env,
            check=True,
            capture_output=True,
        )
    return env, index_dir


def _killed_rebuild(tmp_path: Path) -> tuple[dict[str, str], Path]:
    """A content folder of 400 medicines, loaded and indexed, then a rebuild killed midway."""
    env, index_dir = _indexed(tmp_path)
    assert _index_leftovers(index_dir) == []
    rebuild = _manage(env, "rebuild_index")
    writers: set[int] = set()
    try:
        assert _wait_for(lambda: len(_children(rebuild.pid)) >= 2, 60), "no writer processes"
        writers = _children(rebuild.pid)
        time.sleep(1)
    finally:
        rebuild.send_signal(signal.SIGKILL)
        rebuild.wait()
    try:
        # Its writer processes die with it: none is left waiting for work.
        assert _wait_for(lambda: not any(_alive(pid) for pid in writers), 5), (
            f"index writer processes still running 5 s after their rebuild was killed: {writers}"
        )
    finally:
        for pid in writers:
            if _alive(pid):
                os.kill(pid, signal.SIGKILL)
    assert _index_leftovers(index_dir), "the killed rebuild left nothing to clean"
    return env, index_dir


def test_a_rebuild_whose_writer_process_dies_fails_and_changes_nothing(tmp_path):
    from whoosh import index as whoosh_index

    env, index_dir = _indexed(tmp_path)
    before = whoosh_index.open_dir(str(index_dir))
    generation, documents = before.latest_generation(), before.doc_count_all()

    rebuild = subprocess.Popen(
        [sys.executable, "manage.py", "rebuild_index"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert _wait_for(lambda: len(_children(rebuild.pid)) >= 2, 60), "no writer processes"
        writers = _children(rebuild.pid)
        time.sleep(1)
        os.kill(min(writers), signal.SIGKILL)
        _, stderr = rebuild.communicate(timeout=60)
    finally:
        rebuild.kill()

    # The rebuild stops with one clear line instead of committing an index without
    # that writer's medicines, and stops its other writer.
    assert rebuild.returncode == 1
    assert "a search index writer process failed" in stderr
    assert "the old index still answers" in stderr
    assert "Traceback" not in stderr
    assert _wait_for(lambda: not any(_alive(pid) for pid in writers), 5)
    after = whoosh_index.open_dir(str(index_dir))
    assert (after.latest_generation(), after.doc_count_all()) == (generation, documents)


def test_the_next_rebuild_removes_what_a_killed_rebuild_left(tmp_path):
    # whoosh does this itself: every commit deletes the segment files its table
    # of contents does not name, and every writer removes MAIN.tmp when it
    # finishes. Both run under the write lock, so a running rebuild's files are
    # never touched. This pins that behaviour of the pinned whoosh release.
    env, index_dir = _killed_rebuild(tmp_path)

    subprocess.run(
        [sys.executable, "manage.py", "rebuild_index"],
        cwd=ROOT,
        env=env,
        check=True,
        capture_output=True,
    )

    assert _index_leftovers(index_dir) == []


def test_complete_publishes_at_start_removes_what_a_killed_rebuild_left(tmp_path):
    # bin/run-site and bin/serve-production run it at start: the leftovers go
    # then, not only at the next full rebuild, and the index still answers.
    env, index_dir = _killed_rebuild(tmp_path)

    done = subprocess.run(
        [sys.executable, "manage.py", "complete_publishes"],
        cwd=ROOT,
        env=env,
        check=True,
        capture_output=True,
        text=True,
    )

    assert _index_leftovers(index_dir) == []
    assert "files a killed index writer left" in done.stdout
    from whoosh import index as whoosh_index

    with whoosh_index.open_dir(str(index_dir)).searcher() as searcher:
        assert searcher.doc_count() > 0
