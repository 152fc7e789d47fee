// Payload Inspector pages: draw Bokeh documents, copy permalinks, toggle choosers.
// No inline scripts: every page element says what it needs through data- attributes.
(function () {
  "use strict";

  function showError(el, message) {
    el.innerHTML = "";
    var p = document.createElement("p");
    p.className = "error-inline";
    p.textContent = message;  // text, never HTML
    el.appendChild(p);
  }

  function draw(el) {
    var url = el.getAttribute("data-item-url");
    fetch(url, {headers: {"Accept": "application/json"}})
      .then(function (response) {
        return response.json().then(function (body) { return {ok: response.ok, body: body}; });
      })
      .then(function (result) {
        if (!result.ok) {
          var e = result.body && result.body.errors && result.body.errors[0];
          showError(el, e ? e.title + ": " + e.detail : "The plot could not be drawn.");
          return;
        }
        el.innerHTML = "";
        return Bokeh.embed.embed_item(result.body, el.id).then(function () {
          el.setAttribute("data-drawn", "true");
        });
      })
      .catch(function (err) { showError(el, "The plot could not be drawn: " + err); });
  }

  document.querySelectorAll("[data-item-url]").forEach(draw);

  var copy = document.getElementById("copy-permalink");
  if (copy) {
    copy.addEventListener("click", function () {
      var input = document.getElementById("permalink");
      input.select();
      var done = function () { copy.textContent = "Copied"; };
      if (navigator.clipboard) { navigator.clipboard.writeText(input.value).then(done, done); }
      else { document.execCommand("copy"); done(); }
    });
  }

  // Comparison choosers: B is either another IOV of this tag or an IOV of another tag.
  // Switching B to another tag compares the same time in both tags: B's IOV
  // falls back to "same as A" instead of keeping a run picked for this tag.
  document.querySelectorAll("input[data-toggle=tag2]").forEach(function (radio) {
    radio.addEventListener("change", function () {
      var select = document.querySelector("select[name=tag2]");
      var iov2 = document.querySelector("input[name=iov2]");
      select.disabled = radio.value !== "tag";
      if (radio.value === "tag" && iov2) {
        iov2.value = "";
        iov2.placeholder = "same as A";
      } else if (iov2) {
        iov2.placeholder = "required";
      }
    });
  });
  // Drop empty fields and the chooser mode so every URL stays a readable permalink.
  document.querySelectorAll("form[method=get]").forEach(function (form) {
    form.addEventListener("submit", function () {
      form.querySelectorAll("input, select").forEach(function (field) {
        if (field.name === "mode" || (field.value === "" && field.name !== "tag")) {
          field.disabled = true;
        }
      });
    });
  });
})();
