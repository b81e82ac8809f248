// "My medicines": keep the chosen medicines in this browser (localStorage) and
// in the page's address, so a reload, a bookmark or a later visit finds them.
// The page works without this script as a plain GET form.
(function () {
  "use strict";
  var KEY = "druginfo:my-medicines";
  var form = document.getElementById("my-medicines-form");
  if (!form) {
    return;
  }
  var boxes = form.querySelectorAll('input[type="checkbox"][name="m"]');

  function chosen() {
    var slugs = [];
    boxes.forEach(function (box) {
      if (box.checked) {
        slugs.push(box.value);
      }
    });
    return slugs;
  }

  function save() {
    var slugs = chosen();
    try {
      window.localStorage.setItem(KEY, JSON.stringify(slugs));
    } catch (error) {
      // Storage refused (private mode, full): the address still keeps the choice.
    }
    var params = new URLSearchParams(window.location.search);
    params.delete("m");
    slugs.forEach(function (slug) {
      params.append("m", slug);
    });
    var query = params.toString();
    window.history.replaceState(null, "", window.location.pathname + (query ? "?" + query : ""));
  }

  function saved() {
    try {
      var value = JSON.parse(window.localStorage.getItem(KEY) || "[]");
      return Array.isArray(value) ? value : [];
    } catch (error) {
      return [];
    }
  }

  var inAddress = new URLSearchParams(window.location.search).getAll("m");
  if (inAddress.length === 0) {
    var remembered = saved();
    if (remembered.length > 0) {
      boxes.forEach(function (box) {
        box.checked = remembered.indexOf(box.value) !== -1;
      });
      // Show the remembered list with its interactions and print link.
      if (chosen().length > 0) {
        form.submit();
        return;
      }
    }
  } else {
    save();
  }
  boxes.forEach(function (box) {
    box.addEventListener("change", save);
  });
})();
