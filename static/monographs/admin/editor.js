/* Small helpers for the admin's Markdown editor. A static file: the CSP allows
   no inline script.
   ("line N" links beside the editor are outline.js's: it puts the cursor on
   that line inside the editor's own scrolling box.)
   - Leaving the page with unsaved text asks first: nothing typed is lost by a
     stray click.
   - Files dropped or pasted into the editor are refused, with a note: image
     upload is switched off, and markdownx would otherwise post them. */
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
    var form = document.getElementById("monograph-form");
    var editor = form && form.querySelector("textarea.markdownx-editor");
    if (!editor) {
      return;
    }

    var opened = editor.value;
    var unsaved = form.getAttribute("data-unsaved") === "true";
    var submitting = false;
    form.addEventListener("submit", function () {
      submitting = true;
    });
    window.addEventListener("beforeunload", function (event) {
      if (!submitting && (unsaved || editor.value !== opened)) {
        event.preventDefault();
        event.returnValue = "";
      }
    });

    var note = document.createElement("p");
    note.className = "editor-upload-note";
    note.setAttribute("role", "status");
    editor.parentNode.appendChild(note);
    ["drop", "paste"].forEach(function (type) {
      editor.parentNode.addEventListener(
        type,
        function (event) {
          var data = event.dataTransfer || event.clipboardData;
          if (data && data.files && data.files.length) {
            // Keep markdownx from uploading; a paste that also carries text
            // (copied from a word processor) still pastes the text.
            event.stopPropagation();
            if (type === "drop" || !data.getData("text/plain")) {
              event.preventDefault();
              note.textContent = "Images and files cannot be added to a monograph; write Markdown text only.";
            }
          }
        },
        true
      );
    });
  });
})();
