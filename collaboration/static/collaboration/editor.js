/* Editing together on the medicine editor page (collaboration/editor.py). A
   static file: the CSP allows no inline script.
   - Presence: every data-presence-seconds the page tells the server this
     editor is still here and shows who else is ("Also editing: ..."); when
     the page is left, a beacon says so.
   - Autosave: every data-autosave-seconds, and when the page is hidden or
     left (navigator.sendBeacon), changed text is kept privately on the
     server, never as a version. A form submit is not autosaved: the save
     itself clears the autosave. */
(function () {
  "use strict";

  function ready(callback) {
    if (document.readyState !== "loading") {
      callback();
    } else {
      document.addEventListener("DOMContentLoaded", callback);
    }
  }

  ready(function () {
    var box = document.getElementById("collaboration");
    var form = document.getElementById("monograph-form");
    if (!box || !form) {
      return;
    }
    var editor = form.querySelector("textarea[name=source_text]");
    var base = form.querySelector("input[name=base_number]");
    var token = form.querySelector("input[name=csrfmiddlewaretoken]");
    if (!editor || !base || !token) {
      return;
    }

    function formData(fields) {
      var data = new FormData();
      data.append("csrfmiddlewaretoken", token.value);
      Object.keys(fields).forEach(function (name) {
        data.append(name, fields[name]);
      });
      return data;
    }

    function post(url, fields) {
      return fetch(url, {
        method: "POST",
        body: formData(fields),
        credentials: "same-origin",
        headers: { "X-CSRFToken": token.value },
      }).then(function (response) {
        if (!response.ok) {
          throw new Error("HTTP " + response.status);
        }
        return response.json();
      });
    }

    function beacon(url, fields) {
      return Boolean(navigator.sendBeacon) && navigator.sendBeacon(url, formData(fields));
    }

    // --- presence ---------------------------------------------------------
    var presenceUrl = box.getAttribute("data-presence-url");
    var presence = box.querySelector(".editor-presence");
    var shown = null;

    function showOthers(others) {
      var key = JSON.stringify(others);
      if (key === shown) {
        return; // unchanged: do not make screen readers announce it again
      }
      shown = key;
      presence.textContent = "";
      if (!others.length) {
        presence.textContent = presence.getAttribute("data-nobody");
        return;
      }
      var label = document.createElement("strong");
      label.textContent = presence.getAttribute("data-also");
      presence.appendChild(label);
      presence.appendChild(document.createTextNode(" "));
      others.forEach(function (other, index) {
        var person = document.createElement("span");
        person.className = "editor-presence__person";
        var time = document.createElement("time");
        time.setAttribute("datetime", other.since);
        time.textContent = other.time;
        person.appendChild(
          document.createTextNode(other.name + " (" + presence.getAttribute("data-since") + " ")
        );
        person.appendChild(time);
        person.appendChild(document.createTextNode(")"));
        if (index > 0) {
          presence.appendChild(document.createTextNode(", "));
        }
        presence.appendChild(person);
      });
    }

    window.setInterval(function () {
      post(presenceUrl, {})
        .then(function (answer) {
          showOthers(answer.others);
        })
        .catch(function () {
          // A missed heartbeat is harmless: the next one tries again.
        });
    }, 1000 * Number(box.getAttribute("data-presence-seconds") || 15));

    // --- autosave ---------------------------------------------------------
    var autosaveUrl = box.getAttribute("data-autosave-url");
    var status = box.querySelector(".editor-autosave__status");
    // Text shown after a refused save or a merge is not saved anywhere yet.
    var kept = form.getAttribute("data-unsaved") === "true" ? null : editor.value;
    var submitting = false;
    form.addEventListener("submit", function () {
      submitting = true;
    });

    function autosave(leaving) {
      var text = editor.value;
      if (!autosaveUrl || submitting || text === kept) {
        return;
      }
      var fields = { source_text: text, base_number: base.value };
      if (leaving) {
        if (beacon(autosaveUrl, fields)) {
          kept = text;
        }
        return;
      }
      post(autosaveUrl, fields)
        .then(function (answer) {
          kept = text;
          status.textContent = status.getAttribute("data-saved") + " " + answer.time + ".";
        })
        .catch(function () {
          // Tried again at the next interval or when the page is left.
        });
    }

    window.setInterval(function () {
      autosave(false);
    }, 1000 * Number(box.getAttribute("data-autosave-seconds") || 30));
    document.addEventListener("visibilitychange", function () {
      if (document.visibilityState === "hidden") {
        autosave(true);
      }
    });
    window.addEventListener("pagehide", function () {
      autosave(true);
      if (!submitting) {
        beacon(presenceUrl, { leaving: "1" });
      }
    });
  });
})();
