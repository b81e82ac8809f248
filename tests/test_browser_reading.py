"""Reading on a phone and with large text, in a real Chromium (issue 19).

What a reader notices: links into a page show what they point to, nothing
scrolls sideways at 320 px, at 640×400 (1280×800 at 200 % zoom) or with the
default text size doubled, and the first screens answer the urgent questions.
"""

import json
import re

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.browser

PAGES = [
    "/",
    "/medicines/",
    "/medicines/baclofen/",
    "/medicines/baclofen/?route=oral",
    "/medicines/baclofen/changes/",
    "/references/",
    "/search/?q=can+I+drink+alcohol",
    "/search/?q=zzzzqqq",
    "/medicines/no-such-medicine/",
]

# The reader's default text size doubled, as a low-vision reader sets it in
# Chrome's settings (Appearance, Font size): 32 px instead of 16 px.
DOUBLED_TEXT_PREFERENCES = {"webkit": {"webprefs": {"default_font_size": 32}}}

SIDEWAYS = """() => {
    const root = document.documentElement;
    return root.scrollWidth - root.clientWidth;
}"""


@pytest.fixture
def large_text_page(browser_type, browser_type_launch_args, tmp_path):
    """A page in a Chromium whose reader doubled the default text size."""
    profile = tmp_path / "profile"
    (profile / "Default").mkdir(parents=True)
    (profile / "Default" / "Preferences").write_text(json.dumps(DOUBLED_TEXT_PREFERENCES))
    context = browser_type.launch_persistent_context(profile, **browser_type_launch_args)
    page = context.pages[0] if context.pages else context.new_page()
    yield page
    context.close()


def _root_font_size(page) -> float:
    return page.evaluate("parseFloat(getComputedStyle(document.documentElement).fontSize)")


@pytest.fixture
def site(baclofen_site):
    return baclofen_site


def _answer_is_shown(page, anchor: str) -> None:
    details = page.locator(f"[id='{anchor}']")
    expect(details).to_have_attribute("open", "")
    expect(details.locator(".faq__answer")).to_be_visible()
    expect(details.locator(".faq__question")).to_be_in_viewport()


def test_faq_links_from_search_results_open_the_answer(site, page):
    page.set_viewport_size({"width": 375, "height": 667})
    page.goto(site + "/search/?q=can+I+drink+alcohol")
    links = page.locator("a[href*='#faqs-']")
    hrefs = [links.nth(i).get_attribute("href") for i in range(links.count())]
    assert hrefs, "no FAQ links in the results"

    for href in hrefs:
        page.goto(site + "/search/?q=can+I+drink+alcohol")
        page.locator(f"a[href='{href}']").first.click()
        page.wait_for_url(re.compile(re.escape(href) + "$"))
        _answer_is_shown(page, href.split("#", 1)[1])


def test_links_within_the_page_and_history_open_the_target(site, page):
    page.set_viewport_size({"width": 1280, "height": 800})  # the contents list every FAQ
    page.goto(site + "/medicines/baclofen/")
    faqs = page.locator("details.faq")
    first, last = faqs.first.get_attribute("id"), faqs.last.get_attribute("id")

    page.locator(f".toc a[href='#{first}']").click()
    _answer_is_shown(page, first)
    page.locator(f".toc a[href='#{last}']").click()
    _answer_is_shown(page, last)

    # Closed again by the reader, then reached with the back and forward buttons.
    page.locator(f"[id='{first}'] summary").click()
    expect(page.locator(f"[id='{first}']")).not_to_have_attribute("open", "")
    page.go_back()
    _answer_is_shown(page, first)
    page.evaluate("id => document.getElementById(id).open = false", last)
    page.go_forward()
    _answer_is_shown(page, last)

    # A link typed or shared: straight to the answer.
    page.goto(site + "/medicines/baclofen/#" + first)
    _answer_is_shown(page, first)


def _sideways_scroll(page, site: str) -> dict[str, int]:
    sideways = {}
    for path in PAGES:
        page.goto(site + path)
        overflow = page.evaluate(SIDEWAYS)
        if overflow > 0:
            sideways[path] = overflow
    return sideways


@pytest.mark.parametrize(("width", "height"), [(320, 640), (640, 400)])
def test_no_page_scrolls_sideways_on_small_or_zoomed_screens(site, page, width, height):
    page.set_viewport_size({"width": width, "height": height})

    assert _sideways_scroll(page, site) == {}


@pytest.mark.parametrize("width", [375, 1280])
def test_no_page_scrolls_sideways_with_doubled_default_text(site, large_text_page, width):
    page = large_text_page
    page.set_viewport_size({"width": width, "height": 800})
    page.goto(site + "/")
    assert _root_font_size(page) == 36  # the site's 112.5 % of the reader's 32 px

    assert _sideways_scroll(page, site) == {}


# Every word that a line breaks inside, sorted by whether it would have fitted
# whole on a line of its box ("avoidable": a layout fault) or is wider than that
# line (left to the browser's hyphenation, `hyphens: auto`, where it has a
# dictionary for the page's language, as phones do; else broken anywhere).
# Words are split after hyphens and dashes, where a line may break. Boxes that
# are hidden or clipped to a pixel (the stacked table's header) are skipped.
BROKEN_WORDS = """selector => {
    const WORD = /[^\\s\\-\\u2010\\u2013\\u2014]+[\\-\\u2010\\u2013\\u2014]?/g;
    const avoidable = [], tooLong = [];
    const seen = new Set();
    const clipped = element => {
        for (; element; element = element.parentElement) {
            const box = element.getBoundingClientRect();
            if (box.width <= 1 || box.height <= 1) return true;
        }
        return false;
    };
    const blockOf = node => {
        let element = node.parentElement;
        while (["inline", "contents"].includes(getComputedStyle(element).display)) {
            element = element.parentElement;
        }
        return element;
    };
    for (const element of document.querySelectorAll(selector)) {
        if (!element.offsetParent || clipped(element)) continue;
        const walker = document.createTreeWalker(element, NodeFilter.SHOW_TEXT);
        for (let node = walker.nextNode(); node; node = walker.nextNode()) {
            if (seen.has(node)) continue;
            seen.add(node);
            for (const match of node.data.matchAll(WORD)) {
                const range = document.createRange();
                range.setStart(node, match.index);
                range.setEnd(node, match.index + match[0].length);
                const rects = [...range.getClientRects()].filter(r => r.width > 0);
                if (new Set(rects.map(r => Math.round(r.top))).size < 2) continue;
                const block = blockOf(node);
                const style = getComputedStyle(block);
                const room = block.clientWidth - parseFloat(style.paddingLeft)
                    - parseFloat(style.paddingRight);
                const width = rects.reduce((sum, r) => sum + r.width, 0);
                const where = `${element.tagName.toLowerCase()}: ${match[0]}`;
                if (width <= room) {
                    avoidable.push(where);
                    continue;
                }
                const size = `${Math.round(width)} px wide, line ${Math.round(room)} px`;
                tooLong.push({word: `${where} (${size})`, hyphens: style.hyphens});
            }
        }
    }
    return {avoidable, tooLong};
}"""


# Unfolds every section and opens every FAQ, so that their text is laid out.
OPEN_EVERYTHING = """() => {
    for (const element of document.querySelectorAll("[hidden='until-found']")) {
        element.hidden = false;
    }
    for (const details of document.querySelectorAll("details")) details.open = true;
}"""

TEXT = "h1, h2, h3, h4, p, li, dt, dd, th, td, summary, a, button, label"
# Text that must never break inside a word: headings and the short labels of links,
# table headers and questions, which the page sizes to fit the screen's width.
HEADINGS = "h1, h2, h3, h4, .toc a, dt, .site-nav a, .faq__question, th, .call-link, button"


def _broken_words(page, site: str, selector: str) -> dict[str, dict]:
    found = {}
    for path in PAGES:
        page.goto(site + path)
        page.evaluate(OPEN_EVERYTHING)
        found[path] = page.evaluate(BROKEN_WORDS, selector)
    return found


@pytest.mark.parametrize("width", [320, 375])
def test_no_word_that_fits_its_line_is_broken_with_doubled_text(site, large_text_page, width):
    """With the reader's text doubled, a 320 px screen holds about 13 letters a
    line: list indents, gutters and buttons shrink so that every word that can fit
    a line is kept whole. Longer words ("benzodiazepines,") are left to the
    browser's hyphenation. This Chromium has no hyphenation dictionaries, so there
    they break anywhere; phones' browsers hyphenate them."""
    page = large_text_page
    page.set_viewport_size({"width": width, "height": 667})
    found = _broken_words(page, site, TEXT)

    assert {path: words["avoidable"] for path, words in found.items() if words["avoidable"]} == {}
    too_long = [entry for words in found.values() for entry in words["tooLong"]]
    assert {entry["hyphens"] for entry in too_long} <= {"auto"}
    assert page.evaluate("document.documentElement.lang").lower().startswith("en")


@pytest.mark.parametrize("width", [320, 375])
def test_headings_keep_their_words_whole_with_doubled_text(site, large_text_page, width):
    """Headings, links of the contents and the menu, table headers, FAQ questions
    and the call button scale with the reader's text but never so far that a word
    breaks (e.g. "Remember" beside its warning sign, "benzodiazepine?")."""
    page = large_text_page
    page.set_viewport_size({"width": width, "height": 667})
    found = _broken_words(page, site, HEADINGS)

    broken = {
        path: words["avoidable"] + [entry["word"] for entry in words["tooLong"]]
        for path, words in found.items()
        if words["avoidable"] or words["tooLong"]
    }
    assert broken == {}


def test_header_search_stays_usable_with_doubled_text(site, large_text_page):
    page = large_text_page
    page.set_viewport_size({"width": 375, "height": 667})
    page.goto(site + "/medicines/baclofen/")
    assert _root_font_size(page) == 36

    box = page.locator("#site-search-q").bounding_box()
    button = page.locator(".site-search button").bounding_box()
    # Wide enough for a medicine name, and the button beside or below it, on screen.
    assert box["width"] >= 200
    assert button["x"] + button["width"] <= 375


SCREEN_OF = """selector => {
    const element = document.querySelector(selector);
    return (element.getBoundingClientRect().top + scrollY) / innerHeight;
}"""


def test_first_three_phone_screens_give_the_usual_dose_and_the_emergency_call(site, page):
    page.set_viewport_size({"width": 375, "height": 667})
    page.goto(site + "/medicines/baclofen/")

    call = page.locator(".urgent-action a[href='tel:999']")
    expect(call).to_have_text("Call 999 for an ambulance")
    dose = page.locator(".usual-dose dd").first
    expect(dose).to_contain_text("30–80 mg a day")
    assert page.evaluate(SCREEN_OF, ".urgent-action a[href^='tel:']") < 3
    assert page.evaluate(SCREEN_OF, ".usual-dose dd") < 3
    box = call.bounding_box()
    assert box["height"] >= 44 and box["width"] >= 44


def test_route_choice_is_kept_in_the_address_and_on_paper(site, page):
    page.set_viewport_size({"width": 375, "height": 667})
    page.goto(site + "/medicines/baclofen/")
    everything = page.evaluate("document.documentElement.scrollHeight")

    page.get_by_role("link", name="I take it by mouth (tablets)").click()
    page.wait_for_url(re.compile(r"\?route=oral$"))
    expect(page.locator("#dosage-adults-tablets")).to_be_visible()
    expect(page.locator("#dosage-adults-pump-into-the-spine-intrathecal")).to_have_count(0)
    assert page.evaluate("document.documentElement.scrollHeight") < everything

    page.emulate_media(media="print")
    expect(page.locator(".route-choice__list")).to_be_hidden()
    expect(page.locator(".route-choice__status")).to_be_visible()
    expect(page.locator("#dosage-adults-pump-into-the-spine-intrathecal")).to_have_count(0)
    expect(page.locator(".urgent-action")).to_be_visible()


def test_long_sections_fold_and_links_unfold_them(site, page):
    page.set_viewport_size({"width": 375, "height": 667})
    page.goto(site + "/medicines/baclofen/")
    toggle = page.locator("#interactions > .section-toggle")
    expect(toggle).to_have_accessible_name("Hide Interactions")
    expect(toggle).to_have_attribute("aria-expanded", "true")
    everything = page.evaluate("document.documentElement.scrollHeight")

    toggle.click()
    expect(page.locator("#interactions-major-interactions")).to_be_hidden()
    expect(toggle).to_have_attribute("aria-expanded", "false")
    expect(toggle).to_have_accessible_name("Show Interactions")
    assert page.evaluate("document.documentElement.scrollHeight") < everything

    # A link to a heading in the folded section unfolds it.
    page.evaluate("location.hash = 'interactions-alcohol'")
    expect(page.locator("#interactions-alcohol")).to_be_in_viewport()
    expect(toggle).to_have_attribute("aria-expanded", "true")

    # On paper, folded sections are printed all the same.
    page.get_by_role("button", name="Hide Storage").click()
    page.emulate_media(media="print")
    expect(page.locator("#storage .quick-answer")).to_be_visible()
    expect(page.locator(".section-toggle").first).to_be_hidden()


def test_phone_contents_are_a_short_menu_and_every_section_leads_back(site, page):
    page.set_viewport_size({"width": 375, "height": 667})
    page.goto(site + "/medicines/baclofen/")

    visible = page.locator(".toc a:visible")
    assert visible.count() == 13  # twelve sections and "About this information"
    backs = page.locator(".back-to-contents a")
    assert backs.count() == 12
    backs.last.click()
    expect(page.locator("#toc-title")).to_be_in_viewport()
    page.get_by_role("link", name="Back to the top of the page").click()
    expect(page.locator("h1")).to_be_in_viewport()
