/* Draws every <canvas data-chart="ID"> from the JSON in <script id="ID" type="application/json">
   ({type, label, labels, values}). No inline scripts: the data travels as JSON, the code is static. */
(function () {
  "use strict";
  if (typeof Chart === "undefined") { return; }
  var palette = ["#14406b", "#146c43", "#9a3b00", "#6f42c1", "#0a58ca", "#58151c"];
  document.querySelectorAll("canvas[data-chart]").forEach(function (canvas) {
    var source = document.getElementById(canvas.dataset.chart);
    if (!source) { return; }
    var spec = JSON.parse(source.textContent);
    new Chart(canvas, {
      type: spec.type || "bar",
      data: {
        labels: spec.labels,
        datasets: [{ label: spec.label, data: spec.values, backgroundColor: palette }]
      },
      options: {
        responsive: true,
        maintainAspectRatio: false,
        plugins: { legend: { display: false } },
        scales: { y: { beginAtZero: true, ticks: { precision: 0 } } }
      }
    });
  });
})();
