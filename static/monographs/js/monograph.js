/*
 * A monograph page: long sections that fold, and links that open what they
 * point to.
 *
 * Each section (but the key takeaways) gets a "Hide" / "Show" button after its
 * heading (aria-expanded); a folded section's body is hidden="until-found", so
 * the browser's find-in-page still reaches it and unfolds it. Without this
 * script every section simply stays open.
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

  var UNTIL_FOUND = "onbeforematch" in document.documentElement;

  function setFolded(body, folded) {
    var button = document.querySelector('[aria-controls="' + body.id + '"]');
    if (folded) {
      body.hidden = UNTIL_FOUND ? "until-found" : true;
    } else {
      body.hidden = false;
      body.removeAttribute("hidden");
    }
    if (button) {
      button.setAttribute("aria-expanded", folded ? "false" : "true");
      button.firstChild.nodeValue = folded ? "Show" : "Hide";
    }
  }

  function makeFoldable(section) {
    var heading = section.querySelector("h2");
    if (!heading || heading.parentNode !== section) {
      return;
    }
    var body = document.createElement("div");
    body.className = "monograph-section__body";
    body.id = section.id + "-body";
    while (heading.nextSibling) {
      body.appendChild(heading.nextSibling);
    }
    var button = document.createElement("button");
    button.type = "button";
    button.className = "section-toggle";
    button.setAttribute("aria-controls", body.id);
    button.setAttribute("aria-expanded", "true");
    button.appendChild(document.createTextNode("Hide"));
    var name = document.createElement("span");
    name.className = "visually-hidden";
    name.textContent = " " + heading.textContent;
    button.appendChild(name);
    button.addEventListener("click", function () {
      setFolded(body, button.getAttribute("aria-expanded") === "true");
    });
    // Find-in-page reached text in a folded section and unfolds it.
    body.addEventListener("beforematch", function () {
      setFolded(body, false);
    });
    section.appendChild(button);
    section.appendChild(body);
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
      if (node.classList && node.classList.contains("monograph-section__body") && node.hidden) {
        setFolded(node, false);
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

  var sections = document.querySelectorAll(".monograph-section:not(.monograph-section--takeaways)");
  for (var i = 0; i < sections.length; i++) {
    makeFoldable(sections[i]);
  }

  document.addEventListener("click", onClick);
  window.addEventListener("hashchange", function () {
    openAndShow(location.hash);
  });
  // Back and forward between fragments of one page. The browser may restore the
  // scroll position it kept for that entry after this runs, and that position
  // was taken while other answers were open: look again once it has.
  window.addEventListener("popstate", function () {
    openAndShow(location.hash);
    window.requestAnimationFrame(function () {
      var target = targetOf(location.hash);
      if (target) {
        var top = target.getBoundingClientRect().top;
        if (top < 0 || top > window.innerHeight - 40) {
          target.scrollIntoView({ block: "start" });
        }
      }
    });
  });
  openAndShow(location.hash);
})();
