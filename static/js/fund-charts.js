/* Draws every <canvas data-grouped-chart="ID"> as grouped bars from the JSON in
   <script id="ID" type="application/json"> ({labels, currency, datasets: [{label, values}]}), e.g.
   allocated against paid money per partner. No inline scripts: the data travels as JSON, the code is
   static. The page's table holds the same figures (the accessible alternative). */
(function () {
  "use strict";
  if (typeof Chart === "undefined") { return; }
  var palette = ["#14406b", "#146c43", "#9a3b00", "#6f42c1"];
  document.querySelectorAll("canvas[data-grouped-chart]").forEach(function (canvas) {
    var source = document.getElementById(canvas.dataset.groupedChart);
    if (!source) { return; }
    var spec = JSON.parse(source.textContent);
    var money = new Intl.NumberFormat(document.documentElement.lang || "en", {
      minimumFractionDigits: 0, maximumFractionDigits: 2
    });
    new Chart(canvas, {
      type: "bar",
      data: {
        labels: spec.labels,
        datasets: spec.datasets.map(function (set, index) {
          return { label: set.label, data: set.values, backgroundColor: palette[index % palette.length] };
        })
      },
      options: {
        responsive: true,
        maintainAspectRatio: false,
        plugins: {
          legend: { display: true, position: "bottom" },
          tooltip: {
            callbacks: {
              label: function (item) {
                return item.dataset.label + ": " + money.format(item.parsed.y) + " " + (spec.currency || "");
              }
            }
          }
        },
        scales: { y: { beginAtZero: true, ticks: { callback: function (value) { return money.format(value); } } } }
      }
    });
  });
})();
