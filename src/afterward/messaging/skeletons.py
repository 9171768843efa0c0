"""An email body's MJML turned into HTML once per template *shape*, not once per message.

MJML and CSS inlining cost about half a millisecond a message, and a burst of order
confirmations differs only in names, numbers and links. So the body is rendered with
every `{{ ... }}` output replaced by a marker (Jinja's `finalize`), which gives the
skeleton: the same for every message that takes the same path through the template
(same `if`s, same number of order lines). The skeleton goes through MJML once; each
message's HTML is the skeleton's HTML with the markers replaced by its own values.

That substitution is exact only where MJML and the inliner copy a value through
untouched, so it is used only when all of this holds, and otherwise the message takes
the ordinary path:
- the template has no construct that reworks rendered output (filter, set or call
  blocks, macros, blocks, includes);
- every marker lands in text or in an href/src/alt/title attribute of the skeleton's
  HTML; a marker anywhere else (a colour in a style, a width) is not a marker at all:
  its value becomes part of the skeleton;
- each value is plain: no character that HTML serializers write in another form
  (& < > " ' and non-breaking space), no control characters, no space at the ends;
- the first message of each skeleton is checked against the ordinary path; if the two
  differ, that skeleton is never used."""

from __future__ import annotations

import re
import threading
from collections.abc import Callable
from functools import lru_cache
from typing import Any

from jinja2 import Template, nodes
from jinja2.sandbox import SandboxedEnvironment
from markupsafe import Markup, escape

from afterward.messaging import jinja_render

# Letters only: MJML and the inliner copy them through in text and URLs alike (they
# escape other characters in an href). A template or value that has them is not marked.
OPEN, CLOSE = "QzkX", "XkzQ"
_MARKER = re.compile(f"{OPEN}(\\d+){CLOSE}")
_REWORKING = (nodes.FilterBlock, nodes.AssignBlock, nodes.Macro, nodes.CallBlock,
              nodes.Block, nodes.Include, nodes.Import, nodes.FromImport, nodes.Extends)
_PLAIN = re.compile(r"[^&<>\"'\u00a0\x00-\x1f\x7f]*")
_SAFE_ATTRIBUTES = frozenset({"href", "src", "alt", "title"})
_CACHE_MAX = 512
_VARIANTS_MAX = 16  # a skeleton whose fixed values change this often is left alone


class _Marking(threading.local):
    values: list[str] | None = None


_marking = _Marking()


# What markupsafe.escape changes; a string without them is its own escaped form.
_ESCAPED = re.compile(r"[&<>\"']")


def _marker(index: int) -> Markup:
    return Markup(f"{OPEN}{index}{CLOSE}")


_MARKERS = [_marker(index) for index in range(64)]


def mark(value: Any) -> Any:
    """Jinja's finalize in the marking environment: record the output, emit a marker.
    Outside a marking render (constants folded at compile time) the value stays.
    (A plain string or int is recorded as it is, what escape() would give, and the
    first markers are made once: ~20 outputs an email made three Markups each.)"""
    values = _marking.values
    if values is None:
        return value
    kind = type(value)
    if kind is str and _ESCAPED.search(value) is None:
        values.append(value)
    elif kind is int:
        values.append(str(value))
    else:
        values.append(str(escape(value)))
    index = len(values) - 1
    return _MARKERS[index] if index < len(_MARKERS) else _marker(index)


@lru_cache(maxsize=256)
def markable(environment: SandboxedEnvironment, text: str) -> bool:
    if OPEN in text or CLOSE in text:
        return False
    try:
        tree = environment.parse(text)
    except Exception:  # the ordinary path reports it
        return False
    return next(tree.find_all(_REWORKING), None) is None


def render_marked(template: Template, context: dict[str, Any]) -> tuple[str, list[str]]:
    """The skeleton and the escaped values its markers stand for."""
    values: list[str] = []
    _marking.values = values
    try:
        return jinja_render.render(template, context), values
    finally:
        _marking.values = None


def substitute(text: str, values: list[str]) -> str:
    return _MARKER.sub(lambda m: values[int(m.group(1))], text)


class Pieces:
    """A text with markers, cut once at its markers: filling it is a join, not a
    regular-expression pass over the whole text (5 µs, not 28, for an email's HTML)."""

    def __init__(self, text: str) -> None:
        parts = _MARKER.split(text)
        self.literals = parts[0::2]
        self.indexes = [int(i) for i in parts[1::2]]

    def fill(self, values: list[str]) -> str:
        literals = self.literals
        out = [literals[0]]
        for index, literal in zip(self.indexes, literals[1:], strict=True):
            out.append(values[index])
            out.append(literal)
        return "".join(out)


class SkeletonCache:
    """Skeleton MJML -> HTML, per process (a dict per kind of entry, cleared when full)."""

    def __init__(self, to_html: Callable[[str], str]) -> None:
        self.to_html = to_html
        self.fixed: dict[str, frozenset[int]] = {}  # skeleton -> markers that are not
        self.html: dict[str, Pieces | None] = {}  # skeleton, fixed filled in -> HTML or None
        self.variants: dict[str, int] = {}  # skeleton -> distinct fixed fillings seen
        self.pieces: dict[str, Pieces] = {}  # skeleton -> cut at its markers
        self.lock = threading.Lock()

    def html_for(self, skeleton: str, values: list[str]) -> str:
        """The HTML of the skeleton with these values (markers substituted)."""
        base = skeleton
        fixed = self.fixed.get(base)
        if fixed is None:
            fixed = self._analyse(base, len(values))
        if len(fixed) == len(values) + 1 or self.variants.get(base, 0) > _VARIANTS_MAX:
            return self.to_html(substitute(base, values))  # not worth it for this one
        if fixed:
            skeleton = self._with_fixed(base, fixed, values)
        if not all(_plain(value) for i, value in enumerate(values) if i not in fixed):
            return self.to_html(substitute(skeleton, values))
        if skeleton in self.html:
            cached = self.html[skeleton]
            if cached is not None:
                return cached.fill(values)
            return self.to_html(substitute(skeleton, values))
        ordinary = self.to_html(substitute(skeleton, values))
        html: Pieces | None
        try:
            html = Pieces(self.to_html(skeleton))
        except Exception:  # MJML refused a marker where it wants a number, say
            html = None
        if html is not None and (any(i >= len(values) for i in html.indexes)
                                 or html.fill(values) != ordinary):
            html = None
        self._keep(self.html, skeleton, html)
        with self.lock:
            self.variants[base] = self.variants.get(base, 0) + 1
        return ordinary

    def _with_fixed(self, base: str, fixed: frozenset[int], values: list[str]) -> str:
        """The skeleton with its fixed markers' values in and the others kept (a join
        of the skeleton's pieces, cut once, rather than a regular-expression pass).
        Every marker in a skeleton is one of its values': a template or value with
        marker text in it is never marked (templates._email_body)."""
        pieces = self.pieces.get(base)
        if pieces is None:
            pieces = Pieces(base)
            self._keep(self.pieces, base, pieces)
        return pieces.fill([value if index in fixed else _marker(index)
                            for index, value in enumerate(values)])

    def _analyse(self, skeleton: str, count: int) -> frozenset[int]:
        try:
            fixed = _unsafe_markers(self.to_html(skeleton), count)
        except Exception:  # never usable: marked as one more marker than there are
            fixed = frozenset(range(count + 1))
        self._keep(self.fixed, skeleton, fixed)
        return fixed

    def _keep(self, table: dict[str, Any], key: str, value: Any) -> None:
        with self.lock:
            if len(table) >= _CACHE_MAX:
                table.clear()
            table[key] = value


def _plain(value: str) -> bool:
    return _PLAIN.fullmatch(value) is not None and value == value.strip()


_ATTRIBUTE_BEFORE = re.compile(r"([A-Za-z_:][-\w:.]*)\s*=\s*\"[^\"]*$")


def _unsafe_markers(html: str, count: int) -> frozenset[int]:
    """Markers that are not each somewhere MJML and the inliner copy text through:
    missing, inside a comment, style or script, or in any attribute but a few."""
    unsafe = set(range(count))
    seen_unsafe: set[int] = set()
    for match in _MARKER.finditer(html):
        index = int(match.group(1))
        if index >= count:
            continue
        unsafe.discard(index)
        if not _safe_position(html, match.start()):
            seen_unsafe.add(index)
    return frozenset(unsafe | seen_unsafe)


def _safe_position(html: str, at: int) -> bool:
    before = html[:at]
    if before.rfind("<!--") > before.rfind("-->"):
        return False
    lowered = before.lower()
    for element in ("style", "script", "title"):
        if lowered.rfind(f"<{element}") > lowered.rfind(f"</{element}"):
            return False
    if before.rfind("<") > before.rfind(">"):  # inside a tag: which attribute?
        attribute = _ATTRIBUTE_BEFORE.search(before[before.rfind("<"):])
        return attribute is not None and attribute.group(1).lower() in _SAFE_ATTRIBUTES
    return True
