/*
 * Links into a monograph page open what they point to.
 *
 * A link to an id inside a closed <details> (an FAQ answer, a collapsed
 * section) would land on a question with its answer hidden: a search result
 * for "can I drink alcohol" must show the answer. On load, on every change of
 * the address's #fragment (links, the back and forward buttons) and on a
 * click of a link to the fragment already in the address, every <details>
 * holding the target (and the target itself, if it is one) is opened and the
 * target scrolled into view. Without this script the page still works: the
 * reader opens the question by hand.
 *
 * No inline scripts or styles: the Content-Security-Policy forbids them.
 */
(function () {
  "use strict";

  function targetOf(hash) {
    if (!hash || hash.length < 2) {
      return null;
    }
    var id;
    try {
      id = decodeURIComponent(hash.slice(1));
    } catch (error) {
      id = hash.slice(1);
    }
    return document.getElementById(id);
  }

  function openAndShow(hash) {
    var target = targetOf(hash);
    if (!target) {
      return;
    }
    var opened = false;
    for (var node = target; node; node = node.parentElement) {
      if (node.tagName === "DETAILS" && !node.open) {
        node.open = true;
        opened = true;
      }
    }
    // The browser scrolled before the <details> opened (or could not scroll
    // into a closed one): scroll again now that the target is laid out.
    if (opened || document.readyState !== "complete") {
      target.scrollIntoView({ block: "start" });
    }
  }

  function onClick(event) {
    var link = event.target.closest ? event.target.closest("a[href]") : null;
    if (!link || link.origin !== location.origin || link.pathname !== location.pathname) {
      return;
    }
    if (link.search !== location.search) {
      return;
    }
    // Open before the browser follows the link, so it scrolls to a visible target.
    openAndShow(link.hash);
  }

  document.addEventListener("click", onClick);
  window.addEventListener("hashchange", function () {
    openAndShow(location.hash);
  });
  // Back and forward between fragments of one page.
  window.addEventListener("popstate", function () {
    openAndShow(location.hash);
  });
  openAndShow(location.hash);
})();
