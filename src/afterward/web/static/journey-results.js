/* A journey's results against its holdout: each <canvas data-journey-results="ID"
   data-part="conversion|revenuePerCustomer"> is drawn by Chart.js (vendored) from the
   JSON in <script type="application/json" id="ID">: the treated and holdout groups'
   figures and the difference, each interval as a thin bar over its estimate. The page's
   paragraph and table hold the same figures as text. */
(function () {
  "use strict";

  var ESTIMATE = ["#1f3a5f", "#8a929c", "#d9822b"];
  var INTERVAL = "#20252b";

  function writer(data, part) {
    if (part === "conversion") {
      var percent = new Intl.NumberFormat(data.locale, {maximumFractionDigits: 1});
      return function (value, difference) {
        return percent.format(value) + (difference ? " points" : " %");
      };
    }
    var money = new Intl.NumberFormat(data.locale, {style: "currency", currency: data.currency});
    var unit = Math.pow(10, data.exponent);
    return function (minor) { return money.format(minor / unit); };
  }

  function rows(data, part) {
    var figures = data[part];
    var scale = part === "conversion" ? 100 : 1;  // rates in percent, the difference in points
    function point(value) { return value === null ? null : value * scale; }
    function estimate(value) { return value !== null && typeof value === "object" ? value.estimate : value; }
    function interval(value) {
      return value !== null && typeof value === "object" ? [value.low * scale, value.high * scale] : null;
    }
    var order = [figures.treated, figures.holdout, figures.lift];
    return {
      estimates: order.map(function (value) { return point(estimate(value)); }),
      intervals: order.map(interval)
    };
  }

  function draw(canvas) {
    var source = document.getElementById(canvas.getAttribute("data-journey-results"));
    if (!source || typeof Chart === "undefined") { return; }
    var data = JSON.parse(source.textContent);
    var part = canvas.getAttribute("data-part");
    var write = writer(data, part);
    var figures = rows(data, part);
    new Chart(canvas, {
      type: "bar",
      data: {
        labels: ["Treated", "Holdout", "Difference"],
        datasets: [
          {label: part === "conversion" ? "Conversion" : "Revenue per customer",
           data: figures.estimates, backgroundColor: ESTIMATE, grouped: false,
           barPercentage: 0.7},
          {label: "95% interval", data: figures.intervals, backgroundColor: INTERVAL,
           grouped: false, barPercentage: 0.12}
        ]
      },
      options: {
        indexAxis: "y",
        animation: false,
        responsive: true,
        maintainAspectRatio: false,
        locale: data.locale,
        scales: {x: {ticks: {callback: function (value) { return write(value); }}}},
        plugins: {
          legend: {display: false},
          tooltip: {
            callbacks: {
              label: function (item) {
                var raw = item.raw;
                var difference = item.dataIndex === 2;
                if (Array.isArray(raw)) {
                  return "95% interval: " + write(raw[0], difference) + " to " + write(raw[1], difference);
                }
                return item.dataset.label + ": " + write(raw, difference);
              }
            }
          }
        }
      }
    });
  }

  document.querySelectorAll("canvas[data-journey-results]").forEach(draw);
})();
