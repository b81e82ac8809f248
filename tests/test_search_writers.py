"""A whoosh rebuild with several writer processes (issue 18: 3) finds what one process finds.

Real writer processes on a real index of 120 generated medicines and baclofen.
What happens when a rebuild or one of its writers is killed is in test_kills.py.
"""

import pytest
from whoosh import index as whoosh_index

from bench.generate import generate_monographs
from monographs import search
from monographs.loading import load_content
from tests.factories import BACLOFEN

QUERIES = (
    "baclofen",
    "fakeprofen 0042",
    "dizziness",
    "can I drink alcohol",
    "what should I do if I took too many tablets by mistake and feel very sleepy",
    "dizzyness",
    "baclofen withdrawal",
)


@pytest.fixture
def medicines(db, settings):
    settings.SEARCH_BACKEND = "whoosh"
    settings.LEAFLETS_RENDER_ON_PUBLISH = False
    generate_monographs(120, settings.CONTENT_DIR)
    (settings.CONTENT_DIR / "baclofen.md").write_text(BACLOFEN.read_text(encoding="utf-8"))
    assert load_content([settings.CONTENT_DIR]).ok


def _answers() -> dict[str, tuple]:
    """What the search page shows for each query: medicines (all pages), parts, suggestion."""
    answers = {}
    for query in QUERIES:
        results = search.search(query, per_page=200)
        answers[query] = (
            results.total,
            results.corrected_from,
            [
                (medicine.slug, tuple(hit.anchor for hit in medicine.hits))
                for medicine in results.medicines
            ],
        )
    return answers


def _segments(settings) -> list[int]:
    ix = whoosh_index.open_dir(str(settings.SEARCH_INDEX_DIR))
    return [segment.doc_count_all() for segment in ix._segments()]


def test_several_writer_processes_index_what_one_process_indexes(medicines, settings):
    settings.SEARCH_WRITER_PROCESSES = 1
    alone = search.rebuild()
    one_process = _answers()
    assert _segments(settings) == [alone.documents]

    settings.SEARCH_WRITER_PROCESSES = 2
    together = search.rebuild()

    assert (
        (together.medicines, together.documents)
        == (alone.medicines, alone.documents)
        == (
            121,
            alone.documents,
        )
    )
    # Two segments, one per writer process, holding every document between them.
    segments = _segments(settings)
    assert len(segments) == 2 and sum(segments) == alone.documents
    # The same medicines, in the same order, with the same parts, for every kind of query.
    assert _answers() == one_process
    assert all(total > 0 for total, _, _ in one_process.values())
    assert one_process["dizzyness"][1] == "dizzyness"


def test_a_small_rebuild_uses_one_writer(medicines, settings):
    settings.SEARCH_WRITER_PROCESSES = 2
    from monographs.models import Medicine

    keep = list(Medicine.objects.order_by("slug").values_list("pk", flat=True)[:50])
    Medicine.objects.exclude(pk__in=keep).update(published_version=None)

    report = search.rebuild()

    assert report.medicines == 50
    assert _segments(settings) == [report.documents]


def test_parts_take_turns_and_keep_the_order_of_the_medicines():
    from monographs.search.whoosh_writers import parts_in_turns

    turns = list(parts_in_turns(list(range(23)), parts=2, batch=5))

    # Part 0 has the first 12, part 1 the last 11, each in order, handed over in turns.
    assert [part for part, _ in turns] == [0, 1, 0, 1, 0, 1]
    assert [item for part, batch in turns if part == 0 for item in batch] == list(range(12))
    assert [item for part, batch in turns if part == 1 for item in batch] == list(range(12, 23))
    assert list(parts_in_turns([], parts=2, batch=5)) == []
    assert list(parts_in_turns([1, 2], parts=4, batch=10)) == [(0, [1]), (1, [2])]
