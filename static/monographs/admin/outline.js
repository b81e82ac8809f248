/* The editor's outline, caret line and going to a line (issue #17: 3). A static
   file: the CSP allows no inline script.
   - The outline (#editor-outline) lists the fields block and every ## section
     of the text, as buttons; pressing one (click, Enter or Space) puts
     the caret at the start of that line and scrolls the editor to it.
   - The bar at the bottom (#editor-caret) says which line the caret is on, of
     how many, and in which section.
   - Links with data-line (the problems after a save, the overlaps of a merge)
     go to their line the same way: the editor scrolls inside its own box.
   - The live preview, in its own box too, follows the section the caret is in:
     it scrolls to that section's heading, also after each update. */
(function () {
  "use strict";

  var HEADING = /^(#{2,3}) +(.+?)\s*#*\s*$/;

  function ready(callback) {
    if (document.readyState !== "loading") {
      callback();
    } else {
      document.addEventListener("DOMContentLoaded", callback);
    }
  }

  /* Headings of the text, outside fenced code: [{line, level, text}]. */
  function headings(text) {
    var found = [];
    var fence = "";
    var lines = text.split("\n");
    var inFields = lines.length > 0 && lines[0].trim() === "---";
    if (inFields) {
      found.push({ line: 2, level: 1, text: null });
    }
    for (var i = 1; i < lines.length; i += 1) {
      var line = lines[i];
      if (inFields) {
        if (line.trim() === "---") {
          inFields = false;
        }
        continue;
      }
      var trimmed = line.replace(/^\s+/, "");
      if (fence) {
        if (trimmed.indexOf(fence) === 0) {
          fence = "";
        }
        continue;
      }
      if (trimmed.indexOf("```") === 0 || trimmed.indexOf("~~~") === 0) {
        fence = trimmed.slice(0, 3);
        continue;
      }
      var match = HEADING.exec(line);
      if (match) {
        found.push({ line: i + 1, level: match[1].length, text: match[2] });
      }
    }
    return found;
  }

  function lineStart(text, line) {
    var start = 0;
    for (var i = 1; i < line; i += 1) {
      var next = text.indexOf("\n", start);
      if (next === -1) {
        return text.length;
      }
      start = next + 1;
    }
    return start;
  }

  /* How far down the editor's content the start of `offset` is, wrapped lines
     included: measured on a copy of the textarea's text in a hidden box. */
  function offsetTop(editor, offset) {
    var style = window.getComputedStyle(editor);
    var mirror = document.createElement("div");
    [
      "boxSizing", "width", "paddingTop", "paddingRight", "paddingBottom", "paddingLeft",
      "borderTopWidth", "borderRightWidth", "borderBottomWidth", "borderLeftWidth",
      "fontFamily", "fontSize", "fontWeight", "lineHeight", "letterSpacing", "tabSize",
      "wordSpacing"
    ].forEach(function (name) {
      mirror.style[name] = style[name];
    });
    mirror.style.position = "absolute";
    mirror.style.visibility = "hidden";
    mirror.style.whiteSpace = "pre-wrap";
    mirror.style.overflowWrap = "break-word";
    mirror.style.top = "0";
    mirror.style.left = "-9999px";
    mirror.textContent = editor.value.slice(0, offset);
    var marker = document.createElement("span");
    marker.textContent = "\u200b";
    mirror.appendChild(marker);
    document.body.appendChild(mirror);
    var top = marker.offsetTop - parseFloat(style.paddingTop || "0");
    document.body.removeChild(mirror);
    return top;
  }

  function goToLine(editor, line) {
    var text = editor.value;
    var start = lineStart(text, line);
    var end = text.indexOf("\n", start);
    editor.focus({ preventScroll: true });
    editor.setSelectionRange(start, start);
    var lineHeight = parseFloat(window.getComputedStyle(editor).lineHeight) || 21;
    // The line a little below the editor's top, and the editor itself in view.
    editor.scrollTop = Math.max(0, offsetTop(editor, start) - 2 * lineHeight);
    var box = editor.getBoundingClientRect();
    if (box.top < 0 || box.top > window.innerHeight / 3) {
      editor.scrollIntoView({ block: "start" });
    }
    return end;
  }

  function caretLine(editor) {
    var before = editor.value.slice(0, editor.selectionStart);
    return before.split("\n").length;
  }

  ready(function () {
    var form = document.getElementById("monograph-form");
    var editor = form && form.querySelector("textarea.markdownx-editor");
    var outline = document.getElementById("editor-outline");
    var caret = document.getElementById("editor-caret");
    if (!editor) {
      return;
    }
    var list = outline && outline.querySelector(".editor-outline__list");
    var fieldsLabel = (list && list.getAttribute("data-fields-label")) || "Fields at the top";
    var found = [];
    var drawn = "";

    function drawOutline() {
      if (!list) {
        return;
      }
      found = headings(editor.value);
      var key = JSON.stringify(found);
      if (key === drawn) {
        return;
      }
      drawn = key;
      while (list.firstChild) {
        list.removeChild(list.firstChild);
      }
      found.forEach(function (heading) {
        if (heading.level > 2) {
          return; // the outline lists the sections; their ### parts would crowd it
        }
        var item = document.createElement("li");
        item.className = "editor-outline__item editor-outline__item--" + heading.level;
        var button = document.createElement("button");
        button.type = "button";
        button.className = "editor-outline__button";
        button.setAttribute("data-outline-line", String(heading.line));
        button.textContent = heading.text === null ? fieldsLabel : heading.text;
        item.appendChild(button);
        list.appendChild(item);
      });
      outline.hidden = found.length === 0;
    }

    function sectionOf(line) {
      var name = "";
      found.forEach(function (heading) {
        if (heading.line <= line && heading.level <= 2) {
          name = heading.text === null ? fieldsLabel : heading.text;
        }
      });
      return name;
    }

    /* The page may spell a section's heading in its own case and spacing. */
    function sameHeading(a, b) {
      return a.replace(/\s+/g, " ").trim().toLowerCase() === b.replace(/\s+/g, " ").trim().toLowerCase();
    }

    var preview = document.querySelector(".markdownx-preview");
    var followed = "";

    /* Scroll the preview to the heading of `section`, when the section changed or
       the preview was redrawn. A text that parses is previewed as the public page
       draws it, each section headed by an h2; one that does not, as its body,
       whose headings the renderer draws as h3. */
    function followInPreview(section, force) {
      if (!preview || !section || (section === followed && !force)) {
        return;
      }
      followed = section;
      var target = null;
      var found = preview.querySelectorAll(".monograph-section > h2");
      if (!found.length) {
        found = preview.querySelectorAll("h3");
      }
      Array.prototype.some.call(found, function (heading) {
        if (sameHeading(heading.textContent, section)) {
          target = heading;
          return true;
        }
        return false;
      });
      if (target) {
        var offset = target.getBoundingClientRect().top - preview.getBoundingClientRect().top;
        preview.scrollTop = Math.max(0, preview.scrollTop + offset - 8);
      } else if (section === fieldsLabel) {
        preview.scrollTop = 0;
      }
    }

    if (preview) {
      // A box that scrolls is reached with the keyboard too (Tab, then the arrows).
      preview.setAttribute("tabindex", "0");
      preview.setAttribute("role", "group");
      preview.setAttribute("aria-label", "The live preview's text");
    }
    if (preview && window.MutationObserver) {
      new MutationObserver(function () {
        followInPreview(followed, true);
      }).observe(preview, { childList: true });
    }

    function showCaret() {
      if (!caret) {
        return;
      }
      var line = caretLine(editor);
      // A final newline ends the last line; it does not start another.
      var total = editor.value.replace(/\n$/, "").split("\n").length;
      var section = sectionOf(line);
      caret.textContent =
        "Line " + line + " of " + total + (section ? " \u00b7 in \u201c" + section + "\u201d" : "");
      caret.hidden = false;
      followInPreview(section, false);
    }

    if (list) {
      list.addEventListener("click", function (event) {
        var button = event.target.closest("[data-outline-line]");
        if (button) {
          goToLine(editor, parseInt(button.getAttribute("data-outline-line"), 10));
          showCaret();
        }
      });
    }

    // Links to a line elsewhere on the page (problems, merge overlaps): go there
    // inside the editor's own box.
    document.addEventListener(
      "click",
      function (event) {
        var link = event.target.closest && event.target.closest("a[data-line]");
        if (link) {
          event.preventDefault();
          var line = parseInt(link.getAttribute("data-line"), 10);
          var end = goToLine(editor, line);
          editor.setSelectionRange(lineStart(editor.value, line), end === -1 ? editor.value.length : end);
          showCaret();
        }
      },
      true
    );

    var timer = null;
    editor.addEventListener("input", function () {
      window.clearTimeout(timer);
      timer = window.setTimeout(drawOutline, 300);
      showCaret();
    });
    ["keyup", "click", "focus", "select"].forEach(function (type) {
      editor.addEventListener(type, showCaret);
    });
    drawOutline();
    showCaret();
  });
})();
