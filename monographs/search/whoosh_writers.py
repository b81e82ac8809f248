"""The writers that fill the whoosh index: one process, or several for a rebuild.

A full rebuild of 10,000 medicines (700,000 documents) is almost all pure-Python
work in whoosh: cutting words, then sorting and writing postings. One process
does it in about 9 minutes; ``ParallelWriter`` spreads the documents over
several writer processes, each writing a segment of its own, and commits their
segments together in one table of contents (no merge afterwards: merging would
do the posting work a second time in one process).

Whoosh's own ``MpWriter`` does this, but its writer processes outlive a killed
rebuild (they wait for work forever) and it quietly drops a segment whose process
died. Here the writer processes die with the process that started them, a
failed or killed writer process fails the rebuild (nothing is committed: the old
index stays), and a cancelled rebuild stops its writer processes.
"""

from __future__ import annotations

import multiprocessing
import os
import pickle
import queue
from collections.abc import Iterator

from whoosh.util import random_name
from whoosh.writing import SegmentWriter

from ..processes import die_with_parent
from .base import IndexWriteFailed

# Medicines in one turn of a part (parts_in_turns), and the most documents handed
# to a writer process at a time (one medicine has about 70).
TURN_MEDICINES = 10
BATCH_DOCUMENTS = 1_000
# Seconds between checks that every writer process is still alive.
POLL_SECONDS = 0.5


class SegmentWriterWithKnownColumns(SegmentWriter):
    """whoosh's SegmentWriter, minus a file-system check per posting.

    Writing the postings looks up each posting's field length; for a field that
    keeps no lengths (the KEYWORD fields) whoosh asks the file system whether
    the column file exists, once per posting: 175,000 ``stat`` calls for 200
    medicines, about 8 % of a profiled rebuild. The answer cannot change once the
    segment's per-document files are closed, so it is remembered.
    """

    def per_document_reader(self):
        reader = super().per_document_reader()
        known: dict[str, bool] = {}
        has_column = reader.has_column

        def remembered(fieldname):
            if fieldname not in known:
                known[fieldname] = has_column(fieldname)
            return known[fieldname]

        reader.has_column = remembered
        return reader


class _WriterProcess(multiprocessing.Process):
    """One writer process: indexes the batches of its part into a segment of its own."""

    def __init__(self, ix, part: int, jobs, results, limitmb: int):
        super().__init__(name=f"search-index-writer-{part}", daemon=True)
        self.storage, self.indexname = ix.storage, ix.indexname
        self.part, self.jobs, self.results, self.limitmb = part, jobs, results, limitmb
        self.parent_pid = os.getpid()

    def run(self):
        die_with_parent(self.parent_pid)
        ix = self.storage.open_index(self.indexname)
        writer = SegmentWriterWithKnownColumns(ix, _lk=False, limitmb=self.limitmb)
        temporary = writer.temp_storage()
        # die_with_parent ends this process if the parent dies while it waits here.
        while (job := self.jobs.get()) is not None:
            filename, count = job
            with temporary.open_file(filename).raw_file() as handle:
                for _ in range(count):
                    # Written by the parent, in the index's own temporary folder.
                    writer.add_document(**pickle.load(handle))  # noqa: S301
            temporary.delete_file(filename)
        self.results.put((self.part, writer._finalize_segment()))


class ParallelWriter(SegmentWriter):
    """Several writer processes, each its own segment, committed together or not at all.

    The documents are split into ``procs`` parts of consecutive medicines; the
    caller says which part the documents it adds belong to (``select_part``) and
    feeds the parts in short turns, so that every process has work. Part k's
    segment comes k-th in the table of contents: the documents keep the order one writer
    would give them, and searches answer exactly as from one writer's index.
    """

    def __init__(self, ix, procs: int, limitmb: int):
        # This process holds the lock and commits; its own segment stays empty.
        super().__init__(ix, limitmb=16)
        # Each writer process holds at most its share of the memory limit in postings.
        self.share = max(16, limitmb // procs)
        self.procs = procs
        self.part = 0
        self.buffers: list[list[dict]] = [[] for _ in range(procs)]
        self.jobs = [multiprocessing.Queue(4) for _ in range(procs)]
        self.results = multiprocessing.Queue()
        self.tasks: list[_WriterProcess] = []

    def select_part(self, part: int) -> None:
        """The documents added from now on belong to ``part``; hand over the last part's."""
        if part != self.part and self.buffers[self.part]:
            self._hand_over(self.part)
        self.part = part

    def add_document(self, **fields):
        buffer = self.buffers[self.part]
        buffer.append(fields)
        if len(buffer) >= BATCH_DOCUMENTS:
            self._hand_over(self.part)

    def delete_by_term(self, fieldname, text, searcher=None):
        raise NotImplementedError("a parallel writer only builds an index anew")

    def _hand_over(self, part: int) -> None:
        """Hand part's buffered documents to its writer process, through a file."""
        if not self.tasks:
            for number in range(self.procs):
                task = _WriterProcess(self, number, self.jobs[number], self.results, self.share)
                task.start()
                self.tasks.append(task)
        filename = f"{random_name()}.doclist"
        with self.temp_storage().create_file(filename).raw_file() as handle:
            for fields in self.buffers[part]:
                pickle.dump(fields, handle, pickle.HIGHEST_PROTOCOL)
        self._put(part, (filename, len(self.buffers[part])))
        self.buffers[part] = []

    def _put(self, part: int, job) -> None:
        # The queues are short: wait for room, but not for a writer that has died.
        while True:
            self._check_tasks()
            try:
                self.jobs[part].put(job, timeout=POLL_SECONDS)
                return
            except queue.Full:
                continue

    def _check_tasks(self) -> None:
        for task in self.tasks:
            if task.exitcode not in (None, 0):
                raise IndexWriteFailed(
                    f"a search index writer process failed (exit status {task.exitcode})"
                )

    def cancel(self):
        for task in self.tasks:
            if task.is_alive():
                task.terminate()
        for task in self.tasks:
            task.join(5)
        super().cancel()

    def commit(self, mergetype=None, optimize=None, merge=None):
        try:
            for part in range(self.procs):
                if self.buffers[part]:
                    self._hand_over(part)
            for part in range(len(self.tasks)):
                self._put(part, None)
            segments = self._merge_segments(mergetype, optimize, merge)
            # Read the results before joining: a process waits until its result is read.
            results = []
            while len(results) < len(self.tasks):
                try:
                    results.append(self.results.get(timeout=POLL_SECONDS))
                except queue.Empty:
                    self._check_tasks()
                    # A process puts its result before it exits.
                    if not any(task.is_alive() for task in self.tasks) and self.results.empty():
                        raise IndexWriteFailed(
                            "a search index writer process ended without its segment"
                        ) from None
            for task in self.tasks:
                task.join()
            self._check_tasks()
        except BaseException:
            self.cancel()
            raise
        segments += [segment for _, segment in sorted(results) if segment.doc_count_all()]
        self._close_segment()
        self._commit_toc(segments)
        self._finish()


def parts_in_turns(items: list, parts: int, batch: int) -> Iterator[tuple[int, list]]:
    """``(part, batch)`` pairs: ``items`` cut into ``parts`` runs of consecutive
    items, each run in batches of ``batch``, the runs taking turns."""
    if not items:
        return
    size = -(-len(items) // parts)
    runs = [items[start : start + size] for start in range(0, len(items), size)]
    for offset in range(0, size, batch):
        for part, run in enumerate(runs):
            if run[offset : offset + batch]:
                yield part, run[offset : offset + batch]
