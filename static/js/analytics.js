/* The analytics dashboards (issue 7). Draws every <canvas data-analytics-chart="ID"> from the JSON in
   <script id="ID" type="application/json">: {type: "bar"|"line"|"doughnut", labels: [...],
   datasets: [{label, values}]}; values arrive as exact decimal strings or integers. No inline scripts:
   the data travels as JSON, the code is static. Each chart's table (the accessible alternative) is on
   the page next to it. A drawn canvas gets data-drawn="true".
   The filter bar: typing a date switches the period to "Custom dates" (a preset would win otherwise). */
(function () {
  "use strict";
  var palette = ["#14406b", "#146c43", "#9a3b00", "#6f42c1", "#0a58ca", "#58151c", "#6c4a00", "#3d5a80"];

  function number(value) {
    var parsed = typeof value === "number" ? value : parseFloat(value);
    return isFinite(parsed) ? parsed : null;
  }

  function datasetOf(set, index, type, count) {
    var colour = palette[index % palette.length];
    var out = { label: set.label || "", data: (set.values || []).map(number) };
    if (type === "doughnut") {
      out.backgroundColor = Array.from({ length: count }, function (_, i) { return palette[i % palette.length]; });
    } else if (type === "line") {
      out.borderColor = colour;
      out.backgroundColor = colour;
      out.tension = 0.2;
      out.fill = false;
    } else {
      out.backgroundColor = colour;
    }
    return out;
  }

  function draw(canvas) {
    var source = document.getElementById(canvas.dataset.analyticsChart);
    if (!source) { return; }
    var spec = JSON.parse(source.textContent);
    var type = ["bar", "line", "doughnut"].indexOf(spec.type) >= 0 ? spec.type : "bar";
    var labels = spec.labels || [];
    var datasets = (spec.datasets || []).map(function (set, index) {
      return datasetOf(set, index, type, labels.length);
    });
    var options = {
      responsive: true,
      maintainAspectRatio: false,
      animation: false,
      plugins: { legend: { display: type === "doughnut" || datasets.length > 1, position: "bottom" } }
    };
    if (type !== "doughnut") {
      options.scales = { y: { beginAtZero: true, ticks: { precision: 0 } } };
    }
    new Chart(canvas, { type: type, data: { labels: labels, datasets: datasets }, options: options });
    canvas.dataset.drawn = "true";
  }

  if (typeof Chart !== "undefined") {
    document.querySelectorAll("canvas[data-analytics-chart]").forEach(draw);
  }

  document.querySelectorAll("form[data-analytics-filters]").forEach(function (form) {
    var period = form.querySelector("select[name=period]");
    if (!period) { return; }
    form.querySelectorAll("input[type=date]").forEach(function (input) {
      input.addEventListener("change", function () {
        if (input.value) { period.value = "custom"; }
      });
    });
  });
})();
