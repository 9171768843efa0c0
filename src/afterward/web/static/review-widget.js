// Inside the reviews widget's iframe: tell the page that frames it how tall the
// widget is, so review-embed.js can size the iframe. Nothing else; the widget
// works without it (the iframe then keeps the height the snippet gave it).
(function () {
  "use strict";
  if (window.parent === window) { return; }
  var last = 0;
  function tell() {
    var height = Math.ceil(document.documentElement.scrollHeight);
    if (height !== last) {
      last = height;
      window.parent.postMessage({ afterwardReviews: { height: height, href: location.href } }, "*");
    }
  }
  window.addEventListener("load", tell);
  window.addEventListener("resize", tell);
  if (window.ResizeObserver) { new ResizeObserver(tell).observe(document.body); }
})();
