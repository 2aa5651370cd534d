// One report chart (report/offline.py fills in the $-placeholders). It draws the layout that
// fits the column (desktop or phone, again when the width changes), opens tooltips on tap as
// well as on hover, and points the image links at data: URIs made in the page, so that they
// work from the single offline file.
(function () {
  var wide = $wide, narrow = $narrow, opt = $options, needs = $needs;
  var el = document.getElementById("$id-view");
  var links = document.getElementById("$id-downloads");
  var shown = null, view = null, svgUri = null, timer = null;
  function spec(which) {
    if (which === "wide") { return wide; }
    // The phone layout's datasets that are the desktop's rows: a copy, as Vega adds to rows.
    var rows = {};
    wide.data.forEach(function (d) { rows[d.name] = d.values; });
    narrow.data.forEach(function (d) {
      if (d.values === "@wide") { d.values = JSON.parse(JSON.stringify(rows[d.name])); }
    });
    return narrow;
  }
  function link(kind) {
    return links && links.querySelector('a[data-kind="' + kind + '"]');
  }
  function pick() {
    return narrow && el.clientWidth < needs ? "narrow" : "wide";
  }
  function draw() {
    var which = pick();
    if (which === shown) { return; }
    shown = which;
    var img = el.querySelector("img");
    if (img) { svgUri = img.src; }
    vegaEmbed(el, spec(which), opt).then(function (result) {
      if (view) { view.finalize(); }
      view = result.view;
      var old = el.querySelector("img");
      if (old) { old.remove(); }
      var svg = el.querySelector("svg");
      if (svg) { svg.style.maxWidth = "100%"; svg.style.height = "auto"; }
      if (svgUri && link("svg")) { link("svg").href = svgUri; }
      var tip = view.tooltip();
      view.addEventListener("click", function (event, item) {
        tip(null, event, item, item ? item.tooltip : undefined);
      });
    }).catch(function (e) { console.error("chart failed to draw: " + e); });
  }
  var png = link("png");
  if (png) {
    png.addEventListener("click", function (event) {
      if (!view || png.href.indexOf("data:") === 0) { return; }
      event.preventDefault();
      view.toImageURL("png", 2).then(function (url) { png.href = url; png.click(); });
    });
  }
  window.addEventListener("resize", function () {
    clearTimeout(timer);
    timer = setTimeout(function () { if (window.vegaEmbed) { draw(); } }, 150);
  });
  if (window.vegaEmbed) { draw(); }
  else { window.addEventListener("load", function () { if (window.vegaEmbed) { draw(); } }); }
})();
