"""The benchmark's synthetic monographs: valid, fake, baclofen-sized and the same every time."""

from __future__ import annotations

from bench.generate import generate_monographs, synthetic_name, synthetic_slug
from monographs.parsing import parse_file


def test_generated_monographs_are_valid_and_clearly_fake(tmp_path):
    paths = generate_monographs(3, tmp_path)

    documents = [parse_file(path) for path in paths]

    assert [d.name for d in documents] == [
        "Fakebababaprofen 0000",
        "Fakedebabaolol 0001",
        "Fakekibabacillin 0002",
    ]
    assert [path.name for path in paths] == [
        "fakebababaprofen-0000.md",
        "fakedebabaolol-0001.md",
        "fakekibabacillin-0002.md",
    ]
    for document in documents:
        assert len(document.sections) == 12
        assert len(document.interactions) == 6
        assert len(document.minor_interactions) == 4
        assert len(document.references) == 10
        assert {effect.band for effect in document.side_effects} == {
            "very_common",
            "common",
            "uncommon",
            "rare",
            "not_known",
        }
        assert all(ref.doi.startswith("10.5555/fake.") for ref in document.references[1:])


def test_generated_monographs_are_about_baclofens_size(tmp_path):
    sizes = [path.stat().st_size for path in generate_monographs(20, tmp_path)]

    assert min(sizes) >= 30_000
    assert max(sizes) <= 45_000


def test_the_same_seed_gives_the_same_files_and_another_seed_other_words(tmp_path):
    first = generate_monographs(2, tmp_path / "a")
    again = generate_monographs(2, tmp_path / "b")
    other = generate_monographs(2, tmp_path / "c", seed=1)

    assert [p.read_bytes() for p in first] == [p.read_bytes() for p in again]
    assert [p.name for p in other] == [p.name for p in first]
    assert [p.read_bytes() for p in other] != [p.read_bytes() for p in first]


def test_the_vocabulary_varies_between_monographs(tmp_path):
    documents = [parse_file(path) for path in generate_monographs(10, tmp_path)]

    assert len({d.brands for d in documents}) == 10
    assert len({tuple(e.text for e in d.side_effects) for d in documents}) == 10


def test_names_and_slugs_follow_the_index():
    assert synthetic_name(42) == "Fakenodebasartan 0042"
    assert synthetic_slug(42) == "fakenodebasartan-0042"
    assert synthetic_slug(12) == "fakebebabaprofen-0012"


def test_every_name_of_ten_thousand_has_a_first_word_of_its_own():
    assert len({synthetic_name(index).split()[0] for index in range(10_000)}) == 10_000
