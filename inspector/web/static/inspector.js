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
          .then(function () {
            var doc = Bokeh.documents[Bokeh.documents.length - 1];
            fitToWidth(el, doc);
            refineOnZoom(el, doc);
            return fillDetectorMap(doc);
          })
          .then(function () { el.setAttribute("data-drawn", "true"); });
      })
      .catch(function (err) { showError(el, "The plot could not be drawn: " + err); });
  }

  // Narrow plots (a phone): a legend inside the plot area would cover a quarter
  // of the data, so it moves below the plot, in as many columns as fit; the x
  // axis asks for one tick per TICK_PX of plot area (at most as many as it asked
  // for) so six-digit run numbers never collide; titles wider than the plot
  // area take a smaller font instead of running off the canvas.  Decided from the
  // width the figure is drawn at, and again when it changes (a phone turned);
  // the document itself (and every export) stays as drawn.
  var NARROW_PX = 600, TICK_PX = 90, LEGEND_COLUMN_PX = 120;

  function plotsOf(doc) {
    return Array.from(doc.all_models).filter(function (m) {
      return m.properties && m.properties.center && m.properties.below;
    });
  }

  function ofType(type) { return function (m) { return m.type === type; }; }
  var isLegend = ofType("Legend"), isTitle = ofType("Title");

  // The plot area's width: the figure's, less its axes and toolbar as last drawn.
  function plotArea(plot, width) {
    return width - Math.max(0, (plot.outer_width || 0) - (plot.inner_width || 0));
  }

  // `original` keeps what a legend was before it moved, to put it back when wide again.
  function fitLegends(plot, width, original) {
    var narrow = width < NARROW_PX;
    var inside = plot.center.filter(isLegend);
    var moved = plot.below.filter(function (m) { return original.has(m); });
    if (narrow && inside.length) {
      inside.forEach(function (legend) {
        original.set(legend, {orientation: legend.orientation, ncols: legend.ncols,
                              location: legend.location, spacing: legend.spacing});
      });
      // One change of both panels: BokehJS then moves the legend's view, never loses it.
      plot.setv({center: plot.center.filter(function (m) { return !isLegend(m); }),
                 below: plot.below.concat(inside)});
      moved = moved.concat(inside);
    } else if (!narrow && moved.length) {
      plot.setv({below: plot.below.filter(function (m) { return moved.indexOf(m) < 0; }),
                 center: plot.center.concat(moved)});
      moved.forEach(function (legend) { legend.setv(original.get(legend)); original.delete(legend); });
      return;
    }
    moved.forEach(function (legend) {
      legend.setv({orientation: "horizontal", location: "top_left", spacing: 12,
                   ncols: Math.max(1, Math.floor(width / LEGEND_COLUMN_PX))});
    });
  }

  function fitTicks(plot, area, original) {
    plot.below.concat(plot.above).forEach(function (axis) {
      var ticker = axis.ticker;
      if (!ticker || ticker.desired_num_ticks === undefined) { return; }
      if (!original.has(ticker)) { original.set(ticker, ticker.desired_num_ticks); }
      ticker.desired_num_ticks = Math.min(original.get(ticker), Math.max(2, Math.floor(area / TICK_PX)));
    });
  }

  // Titles wider than the plot area take a smaller font (down to MIN_TITLE_PX), on
  // one line: BokehJS does not lay a title out again when it gains lines.  A title
  // still too wide at that size (the subtitle: tags, range, snapshot) loses its last
  // " · " parts, then letters, with an ellipsis; the whole text comes back when the
  // plot widens again.
  var MIN_TITLE_PX = 9;
  var measure = document.createElement("canvas").getContext("2d");
  function textWidth(title, text, px) {
    measure.font = [title.text_font_style, px + "px", title.text_font].join(" ");
    return measure.measureText(text).width;
  }

  function shortened(title, text, px, area) {
    var parts = text.split(" · ");
    while (parts.length > 1 && textWidth(title, parts.join(" · "), px) > area) { parts.pop(); }
    var kept = parts.join(" · "), shown = kept;
    while (kept.length > 1 && textWidth(title, shown, px) > area) {
      kept = kept.slice(0, -1);
      shown = kept + "…";
    }
    return shown;
  }

  // Titles follow the width; a title whose text changes (a zoom's caption) is fitted again.
  function fitTitles(plot, area, fitted) {
    [plot.title].concat(plot.above, plot.below).filter(function (m) { return m && isTitle(m); })
      .forEach(function (title) {
        var px = parseFloat(title.text_font_size);
        if (!/px$/.test(title.text_font_size) || !(px > 0)) { return; }
        if (!fitted.has(title)) {
          fitted.set(title, {px: px, full: title.text, shown: title.text});
          title.properties.text.change.connect(function () { fit(title); });
        }
        fitted.get(title).area = area;
        fit(title);
      });
    function fit(title) {
      var want = fitted.get(title);
      if (want.setting) { return; }
      if (title.text !== want.shown) { want.full = title.text; }  // new text from outside
      var full = textWidth(title, want.full, want.px);
      var px = full <= want.area ? want.px : Math.max(MIN_TITLE_PX, want.px * want.area / full);
      var text = shortened(title, want.full, px, want.area);
      var size = px.toFixed(1).replace(/\.0$/, "") + "px";
      want.setting = true;
      try {
        if (size !== title.text_font_size) { title.text_font_size = size; }
        if (text !== title.text) { title.text = text; }
      } finally {
        want.setting = false;
      }
      want.shown = text;
    }
  }

  function fitToWidth(el, doc) {
    var original = new Map(), fitted = new Map(), last = null;
    function fit() {
      var width = el.clientWidth;
      if (width === last) { return; }
      last = width;
      plotsOf(doc).forEach(function (plot) {
        fitLegends(plot, width, original);
        fitTicks(plot, plotArea(plot, width), original);
        fitTitles(plot, plotArea(plot, width), fitted);
      });
    }
    fit();
    if (window.ResizeObserver) { new ResizeObserver(fit).observe(el); }
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
      if (meta.transpose) { var swap = x; x = y; y = swap; }  // a tall layout drawn in landscape
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
      pinModules(source);
    });
  }

  // A click on a module pins it: detid, name and value shown under the map (copyable),
  // with a link to that module's history when a per-module drawer reads this payload.
  function pinModules(source) {
    var panel = document.getElementById("module-details");
    if (!panel) { return; }
    var history = document.getElementById("module-history");
    source.selected.change.connect(function () {
      var i = source.selected.indices[0];
      if (i === undefined) { return; }
      var d = source.data, value = d.value[i];
      var text = Number.isFinite(value) ? String(Number(value.toPrecision(4))) : "no value";
      panel.querySelector("[data-field=id]").textContent = String(d.id[i]);
      panel.querySelector("[data-field=name]").textContent = d.name[i];
      panel.querySelector("[data-field=value]").textContent = text;
      panel.setAttribute("data-detid", String(d.id[i]));
      if (history) { history.href = panel.getAttribute("data-history-url") + d.id[i]; }
      panel.hidden = false;
    });
    var copy = document.getElementById("copy-module");
    copy.addEventListener("click", function () {
      var fields = ["id", "name", "value"].map(function (f) {
        return panel.querySelector("[data-field=" + f + "]").textContent;
      });
      var line = fields.join("\t");
      var done = function () { copy.textContent = "Copied"; panel.setAttribute("data-copied", line); };
      if (navigator.clipboard) { navigator.clipboard.writeText(line).then(done, done); } else { done(); }
    });
  }

  // Tables with class "sortable": a click on a header sorts by that column (again: reversed);
  // data-sort=number columns sort on the cell's data-value (or text) as a number.
  function sortable(table) {
    table.querySelectorAll("thead th").forEach(function (th, col) {
      th.addEventListener("click", function () {
        var numeric = th.getAttribute("data-sort") === "number";
        var down = th.getAttribute("aria-sort") !== "ascending";
        table.querySelectorAll("thead th").forEach(function (h) { h.removeAttribute("aria-sort"); });
        th.setAttribute("aria-sort", down ? "ascending" : "descending");
        var body = table.tBodies[0];
        var rows = Array.prototype.slice.call(body.rows);
        var key = function (row) {
          var cell = row.cells[col];
          var raw = cell.getAttribute("data-value") || cell.textContent.trim();
          return numeric ? Number(raw) : raw.toLowerCase();
        };
        rows.sort(function (a, b) {
          var ka = key(a), kb = key(b);
          var order = ka < kb ? -1 : ka > kb ? 1 : 0;
          return down ? order : -order;
        });
        rows.forEach(function (row) { body.appendChild(row); });
      });
    });
  }
  document.querySelectorAll("table.sortable").forEach(sortable);

  // Histories: zooming or panning asks the server for the values of the range
  // in view (values.json), at the detail it needs, and swaps them into the drawn
  // figure's named sources; no new document.  The page URL and the permalink
  // follow with zoom=, so a shared link opens zoomed.
  var WIRE = {float64: Float64Array, int32: Int32Array, uint8: Uint8Array};
  var SPANS = ["history_iov_spans", "history_bucket_spans"];
  var DEBOUNCE_MS = 60;  // a wheel or a drag moves the range every frame: ask once it rests

  // A column of values.json: text as it is, numbers from base64 (gunzipped if marked).
  function column(wire) {
    if (wire.dtype === "str") { return Promise.resolve(wire.data); }
    var raw = bytes(wire.data);
    var buffer = wire.gzip
      ? new Response(new Blob([raw]).stream().pipeThrough(new DecompressionStream("gzip"))).arrayBuffer()
      : Promise.resolve(raw.buffer);
    return buffer.then(function (b) { return new WIRE[wire.dtype](b); });
  }

  // Every source of a values.json answer, decoded: {name: {column: array}}; a
  // column sent already ({same_as: [source, column]}) is that same array.
  function decodeSources(sources) {
    var pending = [], same = [];
    Object.keys(sources).forEach(function (name) {
      Object.keys(sources[name]).forEach(function (key) {
        var wire = sources[name][key];
        if (wire.same_as) { same.push([name, key, wire.same_as]); return; }
        pending.push(column(wire).then(function (a) { return [name, key, a]; }));
      });
    });
    return Promise.all(pending).then(function (decoded) {
      var out = {};
      Object.keys(sources).forEach(function (name) { out[name] = {}; });
      decoded.forEach(function (d) { out[d[0]][d[1]] = d[2]; });
      same.forEach(function (d) { out[d[0]][d[1]] = out[d[2][0]][d[2][1]]; });
      return out;
    });
  }

  // start,end (in order, even on a flipped axis) rounded to a power of ten below
  // a 100,000th of the span: short links, one per range seen.
  function zoomText(a, b) {
    var start = Math.min(a, b), end = Math.max(a, b);
    var step = Math.pow(10, Math.floor(Math.log10((end - start) / 1e5)));
    var digits = Math.max(0, -Math.round(Math.log10(step)));
    return [start, end].map(function (v) {
      return String(Number((Math.round(v / step) * step).toFixed(digits)));
    }).join(",");
  }

  // href with zoom= set (or dropped), the rest of its query kept as written.
  function withZoom(href, zoom) {
    var u = new URL(href, window.location.href);
    var kept = u.search.replace(/^\?/, "").split("&").filter(function (pair) {
      return pair && pair.split("=")[0] !== "zoom";
    });
    if (zoom) { kept.push("zoom=" + zoom); }
    u.search = kept.length ? "?" + kept.join("&") : "";
    return u.href;
  }

  function swapValues(doc, body, sources) {
    Object.keys(sources).forEach(function (name) {
      var source = doc.get_model_by_name(name);
      if (source) { source.data = sources[name]; }
    });
    doc.get_model_by_name("history_caption").text = body.caption;
    // The picture and the name the save button gives it say the IOVs now in view.
    var subtitle = doc.get_model_by_name("view_subtitle");
    if (subtitle) { subtitle.text = body.subtitle; }
    var save = doc.get_model_by_name("view_save");
    if (save && body.filename) { save.filename = body.filename; }
    SPANS.forEach(function (name) {
      var glyph = doc.get_model_by_name(name).glyph;
      glyph.bottom = {value: body.extent[0]};
      glyph.top = {value: body.extent[1]};
    });
  }

  // The page URL, its permalink and the drawing exports (HTML, PNG) show the range in view.
  function showZoom(zoom) {
    history.replaceState(history.state, "", withZoom(window.location.href, zoom));
    var permalink = document.getElementById("permalink");
    if (permalink) { permalink.value = withZoom(permalink.value, zoom); }
    document.querySelectorAll("a[data-zoomable]").forEach(function (a) {
      a.href = withZoom(a.href, zoom);
    });
  }

  // A failed refinement leaves the drawing as it was and says so beside it ("" clears).
  function refineFailed(el, message) {
    var note = el.parentNode.querySelector(".refine-error");
    if (!message) { if (note) { note.remove(); } return; }
    if (!note) {
      note = document.createElement("p");
      note.className = "error-inline refine-error";
      el.insertAdjacentElement("afterend", note);
    }
    note.textContent = message;  // text, never HTML
  }

  function refineOnZoom(el, doc) {
    var url = el.getAttribute("data-values-url");
    var range = url && doc && doc.get_model_by_name("history_x");
    if (!range) { return; }
    var timer = null, asked = 0, changedAt = 0;
    range.change.connect(function () {
      changedAt = changedAt || performance.now();
      clearTimeout(timer);
      timer = setTimeout(refine, DEBOUNCE_MS);
    });
    function refine() {
      var whole = range.start <= range.reset_start && range.end >= range.reset_end;
      var zoom = whole ? null : zoomText(range.start, range.end);
      var ticket = ++asked, started = changedAt, sent = performance.now(), fetched = 0;
      changedAt = 0;
      fetch(withZoom(url, zoom), {headers: {"Accept": "application/json"}})
        .then(function (response) {
          return response.json().then(function (body) {
            fetched = performance.now();
            return {ok: response.ok, body: body};
          });
        })
        .then(function (result) {
          if (!result.ok) {
            var e = result.body && result.body.errors && result.body.errors[0];
            throw new Error(e ? e.title + ": " + e.detail : "no values");
          }
          return decodeSources(result.body.sources).then(function (sources) {
            return {body: result.body, sources: sources};
          });
        })
        .then(function (refined) {
          if (ticket !== asked) { return; }  // a newer range was asked for meanwhile
          swapValues(doc, refined.body, refined.sources);
          showZoom(zoom);
          refineFailed(el, "");
          // Two frames: the one Bokeh repaints in has passed.
          requestAnimationFrame(function () { requestAnimationFrame(function () {
            // Range change to redraw, and of it the request (server and transfer).
            el.setAttribute("data-refine-ms", (performance.now() - started).toFixed(0));
            el.setAttribute("data-refine-fetch-ms", (fetched - sent).toFixed(0));
            el.setAttribute("data-refined", String(Number(el.getAttribute("data-refined") || 0) + 1));
          }); });
        })
        .catch(function (err) {
          if (ticket === asked) { refineFailed(el, "The zoomed range could not be drawn: " + err); }
        });
    }
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
  // The query a GET form asks for: its filled fields without the chooser mode, so every
  // URL stays a readable permalink.  Built aside, the form itself never changed: Back and
  // Forward (the back-forward cache keeps the page as it was) find every field usable.
  function formQuery(form, submitter) {
    var params = new URLSearchParams();
    new FormData(form, submitter || null).forEach(function (value, name) {
      if (name === "mode" || (value === "" && name !== "tag")) { return; }
      params.append(name, value);
    });
    return params.toString();
  }

  // A refused input is said at the top of the form and marked on its field ("" clears).
  function formFailed(form, message, field) {
    var note = form.querySelector(".form-error");
    form.querySelectorAll("[aria-invalid]").forEach(function (el) { el.removeAttribute("aria-invalid"); });
    if (!note) { return; }
    note.hidden = !message;
    note.textContent = message;  // text, never HTML
    var input = field && form.querySelector("[name='" + CSS.escape(field) + "']");
    if (input) { input.setAttribute("aria-invalid", "true"); input.focus(); }
  }

  // The plot form asks the server (check.json: the very checks of the plot) before it
  // leaves the page: a bad range is said in the form, and the plot drawn stays.
  document.querySelectorAll("form[method=get]").forEach(function (form) {
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      var query = formQuery(form, event.submitter);
      var target = form.action.split("?")[0] + (query ? "?" + query : "");
      var check = form.getAttribute("data-check-url");
      if (!check) { window.location.assign(target); return; }
      fetch(check + "?" + query, {headers: {"Accept": "application/json"}})
        .then(function (response) {
          return response.json().then(function (body) { return {ok: response.ok, body: body}; });
        })
        .then(function (result) {
          if (result.ok) { window.location.assign(target); return; }
          var e = result.body && result.body.errors && result.body.errors[0];
          formFailed(form, e ? e.title + ": " + e.detail : "These inputs make no plot.",
                     e && e.source && e.source.parameter);
        })
        .catch(function () { window.location.assign(target); });  // the page will say what is wrong
    });
    form.addEventListener("input", function (event) { event.target.removeAttribute("aria-invalid"); });
  });

  // "One fill": the range becomes that fill, from its first run to the end of its last.
  document.querySelectorAll("select[data-fill-choice]").forEach(function (select) {
    select.addEventListener("change", function () {
      if (!select.value) { return; }
      var form = select.form;
      form.elements.since.value = select.value;
      form.elements.until.value = select.value;
      form.requestSubmit();
    });
  });
})();
