/* The dashboard's charts: each <canvas data-chart="ID"> is drawn by Chart.js (vendored)
   from the JSON in <script type="application/json" id="ID">: day labels, this period's
   and the period before's values, and how to write a value (a count, or money in minor
   units). The page's summary and table already hold the same figures as text. */
(function () {
  "use strict";

  var CURRENT = "#1f3a5f";
  var PREVIOUS = "#8a929c";

  function writer(data) {
    if (data.kind === "money") {
      var money = new Intl.NumberFormat(data.locale, {style: "currency", currency: data.currency});
      var unit = Math.pow(10, data.exponent);
      return function (minor) { return money.format(minor / unit); };
    }
    var count = new Intl.NumberFormat(data.locale, {maximumFractionDigits: 0});
    return function (value) { return count.format(value); };
  }

  function line(label, values, colour, dashed) {
    return {
      label: label, data: values, borderColor: colour, backgroundColor: colour,
      borderWidth: 2, borderDash: dashed ? [6, 4] : [], pointRadius: values.length > 31 ? 0 : 2,
      pointHitRadius: 6, tension: 0
    };
  }

  function draw(canvas) {
    var source = document.getElementById(canvas.getAttribute("data-chart"));
    if (!source || typeof Chart === "undefined") { return; }
    var data = JSON.parse(source.textContent);
    var write = writer(data);
    new Chart(canvas, {
      type: "line",
      data: {
        labels: data.labels,
        datasets: [
          line(canvas.getAttribute("data-current-name"), data.current, CURRENT, false),
          line(canvas.getAttribute("data-previous-name"), data.previous, PREVIOUS, true)
        ]
      },
      options: {
        animation: false,
        responsive: true,
        maintainAspectRatio: false,
        locale: data.locale,
        interaction: {mode: "index", intersect: false},
        scales: {
          x: {ticks: {autoSkip: true, maxRotation: 0, autoSkipPadding: 12}},
          y: {beginAtZero: true, ticks: {precision: 0, callback: function (value) { return write(value); }}}
        },
        plugins: {
          legend: {position: "bottom", labels: {boxHeight: 2}},
          tooltip: {
            callbacks: {
              title: function () { return ""; },
              label: function (item) {
                var day = item.datasetIndex === 0 ? data.labels : data.previousLabels;
                return item.dataset.label + ", " + day[item.dataIndex] + ": " + write(item.raw);
              }
            }
          }
        }
      }
    });
  }

  document.querySelectorAll("canvas[data-chart]").forEach(draw);
})();
