"""load_content and export_content as an editor runs them: summaries, problems, exit codes."""

from __future__ import annotations

import io
import shutil
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from monographs.loading import create_version
from monographs.models import Medicine, Version
from monographs.parsing import parse_monograph
from tests.factories import BACLOFEN, load_example, monograph_text, write_monograph

pytestmark = pytest.mark.django_db

BROKEN = Path(__file__).resolve().parent / "content" / "broken"


def run(command: str, *args, **options) -> tuple[str, str]:
    out, err = io.StringIO(), io.StringIO()
    call_command(command, *args, stdout=out, stderr=err, **options)
    return out.getvalue(), err.getvalue()


def test_load_content_prints_a_one_line_summary():
    out, err = run("load_content", str(BACLOFEN))

    assert out.splitlines()[-1] == "load_content: 1 created, 0 updated, 0 unchanged, 0 refused"
    assert err == ""
    assert Medicine.objects.get().published_version.number == 1


def test_load_content_reads_the_content_folder_by_default(settings):
    shutil.copy(BACLOFEN, settings.CONTENT_DIR)
    write_monograph(settings.CONTENT_DIR, "examplamide", monograph_text())

    out, _ = run("load_content")
    again, _ = run("load_content")

    assert out.splitlines()[-1] == "load_content: 2 created, 0 updated, 0 unchanged, 0 refused"
    assert again.splitlines()[-1] == "load_content: 0 created, 0 updated, 2 unchanged, 0 refused"


def test_load_content_lists_each_file_at_verbosity_2(settings):
    load_example(settings.CONTENT_DIR)

    out, _ = run("load_content", str(BACLOFEN), str(settings.CONTENT_DIR), verbosity=2)

    assert "  created: baclofen" in out
    assert "  unchanged: examplamide" in out


def test_a_broken_file_fails_the_command_with_file_and_line_problems(tmp_path):
    shutil.copy(BACLOFEN, tmp_path)
    broken = shutil.copy(BROKEN / "several-problems.md", tmp_path)
    out, err = io.StringIO(), io.StringIO()

    with pytest.raises(CommandError, match="fix the problems above"):
        call_command("load_content", str(tmp_path), stdout=out, stderr=err)

    lines = err.getvalue().splitlines()
    assert [line.split(": ", 1)[0] for line in lines] == [
        f"{broken}:{line}" for line in (5, 11, 38, 64, 93, 118)
    ]
    assert lines[4].endswith(
        "'Ocasional' is not a frequency band; use one of: Very common, "
        "Common, Uncommon, Rare, Very rare, Not known (or '### When to get "
        "urgent help')"
    )
    assert out.getvalue().splitlines()[-1] == "load_content: 6 problem(s); nothing was written"
    assert not Medicine.objects.exists()


def test_dry_run_reports_what_would_happen_and_writes_nothing():
    out, _ = run("load_content", str(BACLOFEN), "--dry-run")

    assert out.splitlines()[-1] == (
        "load_content (dry run, nothing written): 1 created, 0 updated, 0 unchanged, 0 refused"
    )
    assert not Version.objects.exists()


def test_a_refused_file_fails_the_command_and_force_loads_it(settings):
    path = load_example(settings.CONTENT_DIR)
    admin_text = monograph_text(version=2, change_summary="Edited in the admin.")
    create_version(Medicine.objects.get(), parse_monograph(admin_text, "admin"), origin="admin")
    write_monograph(settings.CONTENT_DIR, "examplamide", monograph_text(version=3))
    out, err = io.StringIO(), io.StringIO()

    with pytest.raises(CommandError, match="refused to protect admin edits"):
        call_command("load_content", str(path), stdout=out, stderr=err)

    assert "refused: examplamide was edited in the admin (version 2)" in err.getvalue()
    assert out.getvalue().splitlines()[-1] == (
        "load_content: 0 created, 0 updated, 0 unchanged, 1 refused"
    )
    forced, _ = run("load_content", str(path), "--force")
    assert forced.splitlines()[-1] == "load_content: 0 created, 1 updated, 0 unchanged, 0 refused"
    assert Medicine.objects.get().latest_version().number == 3


def test_long_loads_show_progress_on_stderr(tmp_path):
    for n in range(50):
        write_monograph(tmp_path, f"examplamide-{n}", monograph_text(slug=f"examplamide-{n}"))

    out, err = run("load_content", str(tmp_path))

    assert "load_content: checked 50 of 50 files" in err
    assert out.splitlines()[-1] == "load_content: 50 created, 0 updated, 0 unchanged, 0 refused"


def test_export_content_writes_each_medicine_to_the_content_folder(settings):
    run("load_content", str(BACLOFEN))

    out, _ = run("export_content")

    exported = settings.CONTENT_DIR / "baclofen.md"
    assert exported.read_bytes() == BACLOFEN.read_bytes()
    assert out.splitlines()[-1] == "export_content: 1 file(s) written"


def test_export_content_of_one_slug_to_another_folder(settings, tmp_path):
    run("load_content", str(BACLOFEN))
    load_example(settings.CONTENT_DIR)
    (settings.CONTENT_DIR / "examplamide.md").unlink()

    out, _ = run("export_content", "--slug", "examplamide", "--to", str(tmp_path / "out"))

    assert [p.name for p in (tmp_path / "out").iterdir()] == ["examplamide.md"]
    assert not (settings.CONTENT_DIR / "examplamide.md").exists()
    assert out.splitlines()[-1] == "export_content: 1 file(s) written"


def test_export_content_of_an_unknown_slug_is_an_error():
    with pytest.raises(CommandError, match="no medicine with slug: nosuchamide"):
        run("export_content", "--slug", "nosuchamide")


# --- issue #20: the dry run and the real load agree; no traceback --------------------


def load_both_ways(*paths: Path) -> list[tuple[str, str]]:
    """The error output of a dry run and of a real load of `paths`; both must fail."""
    outputs = []
    for dry_run in (True, False):
        out, err = io.StringIO(), io.StringIO()
        with pytest.raises(CommandError, match="fix the problems above"):
            call_command("load_content", *map(str, paths), dry_run=dry_run, stdout=out, stderr=err)
        outputs.append((out.getvalue(), err.getvalue()))
    return outputs


def test_the_same_slug_in_two_folders_is_refused_by_the_dry_run_and_the_load(tmp_path):
    first = write_monograph(tmp_path / "a", "examplamide", monograph_text())
    second = write_monograph(tmp_path / "b", "examplamide", monograph_text(version=2))

    (dry, _), (real, err) = load_both_ways(first.parent, second.parent)

    assert (
        err == f"{second}: has the same slug 'examplamide' as {first}; load only one file "
        "for each medicine\n"
    )
    assert dry == real == "load_content: 1 problem(s); nothing was written\n"
    assert not Medicine.objects.exists()


def test_a_file_named_twice_is_refused_by_the_dry_run_and_the_load(tmp_path):
    path = write_monograph(tmp_path, "examplamide", monograph_text())

    (_, dry_err), (_, err) = load_both_ways(path, path)

    assert dry_err == err == f"{path}: is named twice in this load; name it once\n"
    assert not Medicine.objects.exists()


def test_a_version_too_large_for_the_database_is_refused_by_the_dry_run_and_the_load(tmp_path):
    path = write_monograph(tmp_path, "examplamide", monograph_text(version=9223372036854775808))

    (_, dry_err), (_, err) = load_both_ways(path)

    assert (
        dry_err
        == err
        == (f"{path}:16: 'version' 9223372036854775808 is too large; at most 2,147,483,647\n")
    )
    assert not Medicine.objects.exists()


def test_every_broken_file_fails_the_dry_run_and_the_load_alike(tmp_path):
    folder = shutil.copytree(BROKEN, tmp_path / "broken")
    paths = sorted(folder.glob("*.md"))

    (_, dry_err), (_, err) = load_both_ways(*paths)

    assert dry_err == err
    assert {line.split(":", 1)[0] for line in err.splitlines()} == set(map(str, paths))
    assert not Medicine.objects.exists()
