/*
 * Suggestions as you type in the header search box.
 *
 * Progressive enhancement of a plain GET form: without this script (or
 * without fetch) the form simply submits to the search page. With it, the
 * input becomes an ARIA 1.2 combobox with a listbox popup:
 *   - role="combobox", aria-expanded, aria-controls and aria-activedescendant
 *     on the input; focus never leaves the input;
 *   - ArrowDown / ArrowUp move through the suggestions (and open the list),
 *     Enter goes to the highlighted medicine, Escape closes the list, Tab
 *     moves on as usual;
 *   - a polite live region says how many suggestions there are.
 * Suggestions come from the small JSON endpoint named in the form's
 * data-suggest-url, fetched after a short pause in typing. No inline styles
 * or scripts: the Content-Security-Policy forbids them.
 */
(function () {
  "use strict";

  var DEBOUNCE_MS = 150;
  var MIN_CHARS = 2;

  var form = document.querySelector("form[data-suggest-url]");
  if (!form || !window.fetch) {
    return;
  }
  var input = form.querySelector('input[name="q"]');
  if (!input || !input.id) {
    return;
  }
  var endpoint = form.getAttribute("data-suggest-url");

  var listbox = document.createElement("ul");
  listbox.id = input.id + "-listbox";
  listbox.className = "site-search__listbox";
  listbox.setAttribute("role", "listbox");
  listbox.setAttribute("aria-label", "Suggested medicines");
  listbox.hidden = true;

  var status = document.createElement("div");
  status.className = "site-search__status";
  status.setAttribute("role", "status");
  status.setAttribute("aria-live", "polite");

  form.appendChild(listbox);
  form.appendChild(status);

  input.setAttribute("role", "combobox");
  input.setAttribute("aria-autocomplete", "list");
  input.setAttribute("aria-expanded", "false");
  input.setAttribute("aria-controls", listbox.id);

  var suggestions = [];
  var active = -1;
  var timer = null;
  var controller = null;
  var lastQuery = "";

  function options() {
    return listbox.querySelectorAll('[role="option"]');
  }

  function isOpen() {
    return !listbox.hidden;
  }

  function open() {
    if (!suggestions.length) {
      return;
    }
    listbox.hidden = false;
    input.setAttribute("aria-expanded", "true");
  }

  function close() {
    listbox.hidden = true;
    input.setAttribute("aria-expanded", "false");
    setActive(-1);
  }

  function setActive(index) {
    var items = options();
    active = index;
    for (var i = 0; i < items.length; i += 1) {
      var selected = i === index;
      items[i].setAttribute("aria-selected", selected ? "true" : "false");
      items[i].classList.toggle("is-active", selected);
    }
    if (index >= 0 && items[index]) {
      input.setAttribute("aria-activedescendant", items[index].id);
      items[index].scrollIntoView({ block: "nearest" });
    } else {
      input.removeAttribute("aria-activedescendant");
    }
  }

  function announce(count) {
    if (count === 0) {
      status.textContent = "No suggestions.";
    } else if (count === 1) {
      status.textContent = "1 suggestion. Use the down arrow key to choose it.";
    } else {
      status.textContent =
        count + " suggestions. Use the up and down arrow keys to choose one.";
    }
  }

  function render(items) {
    suggestions = items;
    listbox.textContent = "";
    items.forEach(function (item, index) {
      var option = document.createElement("li");
      option.id = listbox.id + "-option-" + index;
      option.className = "site-search__option";
      option.setAttribute("role", "option");
      option.setAttribute("aria-selected", "false");
      var label = document.createElement("span");
      label.className = "site-search__option-label";
      label.textContent = item.label;
      option.appendChild(label);
      if (item.detail) {
        var detail = document.createElement("span");
        detail.className = "site-search__option-detail";
        detail.textContent = " (" + item.detail + ")";
        option.appendChild(detail);
      }
      option.addEventListener("mousedown", function (event) {
        // Keep focus in the input; the click below does the choosing.
        event.preventDefault();
      });
      option.addEventListener("click", function () {
        choose(index);
      });
      listbox.appendChild(option);
    });
    active = -1;
    input.removeAttribute("aria-activedescendant");
    if (items.length) {
      open();
    } else {
      close();
    }
    announce(items.length);
  }

  function choose(index) {
    var item = suggestions[index];
    if (!item) {
      return;
    }
    input.value = item.label;
    close();
    window.location.assign(item.url);
  }

  function fetchSuggestions(query) {
    if (controller) {
      controller.abort();
    }
    controller = new AbortController();
    var url = endpoint + "?q=" + encodeURIComponent(query);
    window
      .fetch(url, {
        headers: { Accept: "application/json" },
        credentials: "same-origin",
        signal: controller.signal,
      })
      .then(function (response) {
        if (!response.ok) {
          throw new Error("suggestions unavailable");
        }
        return response.json();
      })
      .then(function (data) {
        // A slow answer to an earlier query must not replace a newer one.
        if (query !== input.value.trim()) {
          return;
        }
        render(Array.isArray(data.suggestions) ? data.suggestions : []);
      })
      .catch(function () {
        // Suggestions are a convenience: on any failure the form still works.
      });
  }

  input.addEventListener("input", function () {
    var query = input.value.trim();
    window.clearTimeout(timer);
    if (query.length < MIN_CHARS) {
      lastQuery = "";
      suggestions = [];
      listbox.textContent = "";
      status.textContent = "";
      close();
      return;
    }
    if (query === lastQuery) {
      return;
    }
    timer = window.setTimeout(function () {
      lastQuery = query;
      fetchSuggestions(query);
    }, DEBOUNCE_MS);
  });

  input.addEventListener("keydown", function (event) {
    var count = suggestions.length;
    switch (event.key) {
      case "ArrowDown":
        if (!count) {
          return;
        }
        event.preventDefault();
        if (!isOpen()) {
          open();
          if (event.altKey) {
            return;
          }
        }
        setActive(active + 1 >= count ? 0 : active + 1);
        break;
      case "ArrowUp":
        if (!count) {
          return;
        }
        event.preventDefault();
        if (!isOpen()) {
          open();
        }
        setActive(active <= 0 ? count - 1 : active - 1);
        break;
      case "Enter":
        if (isOpen() && active >= 0) {
          event.preventDefault();
          choose(active);
        }
        break;
      case "Escape":
        if (isOpen()) {
          event.preventDefault();
          close();
        }
        break;
      default:
        break;
    }
  });

  input.addEventListener("blur", function () {
    close();
  });
})();
