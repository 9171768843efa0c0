"""How a page sits on a phone, measured in the browser: whether it is wider than the
screen (and what sticks out past its right edge), which pieces of text are drawn over
other text, and which boxes their content spills out of (how text comes to overlap
its neighbours). Used by test_phone_width.py; checked itself in test_phone_measure.py."""

from __future__ import annotations

from typing import Any

MEASURE = """() => {
  const width = window.innerWidth;
  const name = el => el.tagName.toLowerCase() + (el.id ? "#" + el.id : "") +
    (el.classList.length ? "." + [...el.classList].join(".") : "");
  const ancestors = function* (el) {
    for (let e = el.parentElement; e; e = e.parentElement) yield e;
  };
  const style = el => getComputedStyle(el);
  const visibleOverflow = el => style(el).overflowX === "visible"
                                && style(el).overflowY === "visible";

  // Not drawn where a reader sees it: clipped to nothing (visually hidden), the skip
  // link until it has the focus, the content of a closed <details>.
  const cut = el => [el, ...ancestors(el)].some(e => style(e).clip !== "auto"
                                                  || style(e).clipPath !== "none");
  const hidden = el => el.closest(".skip-link, details:not([open]) > :not(summary)") || cut(el);
  // Inside a box that scrolls or clips: its own overflow is that box's business.
  const contained = el => [...ancestors(el)].some(e => !visibleOverflow(e));

  const sticking = [...document.querySelectorAll("body *")]
    .filter(el => el.getBoundingClientRect().right > width + 0.5 && !hidden(el) && !contained(el))
    .map(name);

  const pieces = [];
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    const el = node.parentElement;
    if (!node.textContent.trim() || !el || hidden(el) || el.closest("textarea, option, script")) {
      continue;
    }
    const range = document.createRange();
    range.selectNodeContents(node);
    for (const r of range.getClientRects()) {
      const text = node.textContent.trim().slice(0, 40);
      if (r.width > 1 && r.height > 1) pieces.push({r, el, text});
    }
  }
  const overlaps = [];
  for (let i = 0; i < pieces.length; i++) {
    for (let j = i + 1; j < pieces.length; j++) {
      const a = pieces[i], b = pieces[j];
      if (a.el === b.el) continue;
      const x = Math.min(a.r.right, b.r.right) - Math.max(a.r.left, b.r.left);
      const y = Math.min(a.r.bottom, b.r.bottom) - Math.max(a.r.top, b.r.top);
      if (x > 2 && y > 2) overlaps.push(JSON.stringify(a.text) + " / " + JSON.stringify(b.text));
    }
  }

  const spills = [...document.querySelectorAll("body *")].filter(el => {
    const display = style(el).display;
    if (display.startsWith("inline") || display === "contents") return false;
    if (!visibleOverflow(el)) return false;
    if (el.matches("select, input, textarea, option") || hidden(el) || contained(el)) return false;
    return el.clientHeight > 0 && (el.scrollHeight > el.clientHeight + 2
                                   || el.scrollWidth > el.clientWidth + 2);
  }).map(el => `${name(el)} ${el.scrollWidth}x${el.scrollHeight}`
               + ` in ${el.clientWidth}x${el.clientHeight}`);

  return {scrollWidth: document.documentElement.scrollWidth, width,
          sticking: [...new Set(sticking)].slice(0, 8), overlaps: overlaps.slice(0, 8),
          spills: spills.slice(0, 12)};
}"""


def problems_on(page: Any) -> list[str]:
    """What is wrong with the page as the browser shows it now; [] when nothing."""
    found = page.evaluate(MEASURE)
    problems = []
    if found["scrollWidth"] > found["width"]:
        problems.append(f"{found['scrollWidth']} px wide, sticking out: {found['sticking']}")
    if found["overlaps"]:
        problems.append(f"text over text: {found['overlaps']}")
    if found["spills"]:
        problems.append(f"text out of its box: {found['spills']}")
    return problems
