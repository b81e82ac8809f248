/* Line numbers beside the editor's text (issue #17: 3). A static file: the CSP
   allows no inline script.
   The gutter (.editor-gutter, in the widget's template, aria-hidden) holds one
   number for each line of the text. A long line wraps in the textarea, so each
   number is given the height its line takes there, measured on a hidden copy of
   the text as wide as the textarea's; the gutter scrolls with the textarea.
   Screen readers have the bar's "Line N of M" (outline.js) instead. */
(function () {
  "use strict";

  var COPIED = [
    "boxSizing", "fontFamily", "fontSize", "fontWeight", "lineHeight", "letterSpacing",
    "tabSize", "wordSpacing", "textTransform"
  ];

  function ready(callback) {
    if (document.readyState !== "loading") {
      callback();
    } else {
      document.addEventListener("DOMContentLoaded", callback);
    }
  }

  function px(value) {
    return parseFloat(value) || 0;
  }

  function attach(editor, gutter) {
    var mirror = document.createElement("div");
    mirror.setAttribute("aria-hidden", "true");
    mirror.className = "editor-gutter__mirror";
    document.body.appendChild(mirror);
    var drawnKey = "";
    var pending = false;

    /* The height each line of the text takes in the textarea, wrapped lines included. */
    function lineHeights(lines) {
      var style = window.getComputedStyle(editor);
      COPIED.forEach(function (name) {
        mirror.style[name] = style[name];
      });
      // The width the text wraps at: the textarea's inside, less its scroll bar.
      var width = editor.clientWidth - px(style.paddingLeft) - px(style.paddingRight);
      mirror.style.boxSizing = "content-box";
      mirror.style.width = Math.max(1, width) + "px";
      while (mirror.firstChild) {
        mirror.removeChild(mirror.firstChild);
      }
      var fragment = document.createDocumentFragment();
      lines.forEach(function (line) {
        var row = document.createElement("div");
        row.textContent = line === "" ? "\u200b" : line;
        fragment.appendChild(row);
      });
      mirror.appendChild(fragment);
      return Array.prototype.map.call(mirror.children, function (row) {
        return row.getBoundingClientRect().height;
      });
    }

    function draw() {
      pending = false;
      var lines = editor.value.split("\n");
      var style = window.getComputedStyle(editor);
      var heights = lineHeights(lines);
      var key = heights.join(",") + "|" + style.paddingTop + "|" + editor.clientHeight;
      if (key !== drawnKey) {
        drawnKey = key;
        var fragment = document.createDocumentFragment();
        heights.forEach(function (height, index) {
          var number = document.createElement("div");
          number.className = "editor-gutter__line";
          number.textContent = String(index + 1);
          number.style.height = height + "px";
          fragment.appendChild(number);
        });
        // Room below the last number, so the gutter scrolls as far as the text.
        var end = document.createElement("div");
        end.className = "editor-gutter__end";
        end.style.height = editor.clientHeight + "px";
        fragment.appendChild(end);
        while (gutter.firstChild) {
          gutter.removeChild(gutter.firstChild);
        }
        gutter.appendChild(fragment);
        gutter.style.paddingTop = px(style.paddingTop) + px(style.borderTopWidth) + "px";
        gutter.style.height = editor.offsetHeight + "px";
        gutter.style.lineHeight = style.lineHeight;
        gutter.style.fontSize = style.fontSize;
      }
      gutter.hidden = false;
      follow();
    }

    function schedule() {
      if (!pending) {
        pending = true;
        window.requestAnimationFrame(draw);
      }
    }

    function follow() {
      gutter.scrollTop = editor.scrollTop;
    }

    editor.addEventListener("input", schedule);
    editor.addEventListener("scroll", follow, { passive: true });
    window.addEventListener("resize", schedule);
    if (window.ResizeObserver) {
      new ResizeObserver(schedule).observe(editor);
    }
    draw();
  }

  ready(function () {
    Array.prototype.forEach.call(document.querySelectorAll(".editor-lines"), function (frame) {
      var editor = frame.querySelector("textarea");
      var gutter = frame.querySelector(".editor-gutter");
      if (editor && gutter) {
        attach(editor, gutter);
      }
    });
  });
})();
