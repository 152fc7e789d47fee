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
        return Bokeh.embed.embed_item(result.body, el.id)
          .then(function () { return fillDetectorMap(Bokeh.documents[Bokeh.documents.length - 1]); })
          .then(function () { el.setAttribute("data-drawn", "true"); });
      })
      .catch(function (err) { showError(el, "The plot could not be drawn: " + err); });
  }

  function bytes(b64) {
    var text = atob(b64);
    var out = new Uint8Array(text.length);
    for (var i = 0; i < text.length; i++) { out[i] = text.charCodeAt(i); }
    return out;
  }

  function dequantise(codes, lo, hi) {
    var out = new Float32Array(codes.length);
    var step = (hi - lo) / 65534;
    for (var i = 0; i < codes.length; i++) { out[i] = lo + codes[i] * step; }
    return out;
  }

  // Detector maps carry only quantised values and the URL of their layout; the
  // layout (polygons, ids, names) is fetched once and cached by the browser.
  function fillDetectorMap(doc) {
    var source = doc && doc.get_model_by_name("detector_map");
    if (!source) { return Promise.resolve(); }
    var meta = source.tags[0];
    return fetch(meta.geometry_url).then(function (r) { return r.json(); }).then(function (g) {
      var n = g.count;
      var counts = g.counts_dtype === "uint8" ? bytes(g.counts) : new Uint16Array(bytes(g.counts).buffer);
      var x = dequantise(new Uint16Array(bytes(g.x).buffer), g.x_range[0], g.x_range[1]);
      var y = dequantise(new Uint16Array(bytes(g.y).buffer), g.y_range[0], g.y_range[1]);
      var ids = new Uint32Array(bytes(g.ids).buffer);
      var codes = new Uint16Array(bytes(meta.codes).buffer);
      var xs = new Array(n), ys = new Array(n), value = new Float64Array(n), id = new Array(n);
      var step = (meta.hi - meta.lo) / 65534, start = 0;
      for (var i = 0; i < n; i++) {
        xs[i] = x.subarray(start, start + counts[i]);
        ys[i] = y.subarray(start, start + counts[i]);
        start += counts[i];
        value[i] = codes[i] === 65535 ? NaN : meta.lo + codes[i] * step;
        id[i] = ids[i];
      }
      source.data = {xs: xs, ys: ys, id: id, name: g.names, value: value};
    });
  }

  // A heavy plot is computed by a background job: show its progress, then draw it.
  function watchJob(el) {
    var bar = el.querySelector("progress");
    var count = el.querySelector(".job-count");
    function poll(url) {
      fetch(url, {cache: "no-store", headers: {"Accept": "application/vnd.api+json"}})
        .then(function (response) {
          return response.json().then(function (body) { return {ok: response.ok, body: body}; });
        })
        .then(function (result) {
          if (!result.ok) {
            var e = result.body && result.body.errors && result.body.errors[0];
            showError(el, e ? e.title + ": " + e.detail : "The plot job could not be followed.");
            return;
          }
          var job = result.body.data.attributes;
          var p = job.progress;
          bar.max = Math.max(p.total, 1);
          bar.value = p.done;
          count.textContent = p.done + " / " + p.total + " payloads";
          el.setAttribute("data-job-status", job.status);
          if (job.status === "done") { draw(el); return; }
          if (job.status === "failed") {
            var err = job.error;
            showError(el, err.title + ": " + err.detail + (err.payload ? " (payload " + err.payload + ")" : ""));
            return;
          }
          setTimeout(function () { poll(result.body.data.links.self); }, 500);
        })
        .catch(function (err) { showError(el, "The plot job could not be followed: " + err); });
    }
    poll(el.getAttribute("data-job-url"));
  }

  document.querySelectorAll("[data-item-url]").forEach(function (el) {
    if (el.hasAttribute("data-job-url")) { watchJob(el); } else { draw(el); }
  });

  // Without a configured [web] public_url the server writes the permalink as a path
  // (it never trusts the Host header): make it absolute from the address the browser shows.
  var permalink = document.getElementById("permalink");
  if (permalink && permalink.value.charAt(0) === "/") {
    permalink.value = new URL(permalink.value, window.location.href).href;
  }

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
