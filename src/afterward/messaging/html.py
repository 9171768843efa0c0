"""Email HTML: MJML to HTML (mjml-python), CSS inlined (css-inline, never fetching
remote stylesheets), a text version derived from HTML, and open/click tracking."""

from __future__ import annotations

import html as html_lib
import re
from collections.abc import Callable
from html.parser import HTMLParser

import css_inline
import mjml

_INLINER = css_inline.CSSInliner(load_remote_stylesheets=False, keep_style_tags=True)
# An http(s) URL in double quotes after `=`; whether the attribute is an href is checked
# for each match (the literal start keeps the scan fast: IGNORECASE on href="..." made
# it 75 µs for a 10 KB email, this 11 µs).
_QUOTED_URL = re.compile(r'="(https?://[^"]+)"')
_BLOCKS = frozenset({"p", "div", "br", "tr", "h1", "h2", "h3", "h4", "li", "table", "section"})
# A start tag in serialized HTML, where every attribute value is in double quotes
# (html5ever's serializer, which css-inline uses, writes them so, " inside as &quot;).
_START_TAG = re.compile(r'<[a-zA-Z][^>"]*(?:"[^"]*"[^>"]*)*>')


class MjmlError(ValueError):
    pass


def mjml_to_html(source: str) -> str:
    return inline_styles(render_mjml(source))


def render_mjml(source: str) -> str:
    try:
        return str(mjml.mjml2html(source, disable_comments=True, fonts={}))
    except ValueError as exc:
        raise MjmlError(f"MJML: {exc}") from exc


def inline_styles(html: str) -> str:
    """The styles of <style> also on each element they apply to, for the clients that
    drop <style> (media queries stay there: keep_style_tags), start tags folded."""
    return fold_tags(str(_INLINER.inline(html)))


def fold_tags(html: str) -> str:
    """Serialized HTML with a line break before a start tag's first attribute and
    after each quoted value: the same document (HTML reads any whitespace between
    attributes alike), in lines that SMTP carries as they are. The inliner writes the
    body as one line of ~9 KB, over SMTP's 998 bytes, which made every email
    quoted-printable (~0.1 ms a message, and a third larger). Text is not touched."""
    return _START_TAG.sub(_fold_tag, html)


def _fold_tag(match: re.Match[str]) -> str:
    return match.group(0).replace(" ", "\n", 1).replace('" ', '"\n')


def add_tracking(html: str, *, open_url: str | None,
                 click_url: Callable[[str], str] | None, keep: frozenset[str] = frozenset()
                 ) -> str:
    """Point http(s) links through the click redirect (except those in `keep`, such
    as the unsubscribe link) and add the open pixel at the end of the body."""
    if click_url is not None:
        def rewrite(match: re.Match[str]) -> str:
            at = match.start()
            if match.string[max(0, at - 4):at].lower() != "href":
                return match.group(0)
            target = html_lib.unescape(match.group(1))
            if target in keep:
                return match.group(0)
            return f'="{html_lib.escape(click_url(target), quote=True)}"'

        html = _QUOTED_URL.sub(rewrite, html)
    if open_url is not None:
        pixel = (f'<img src="{html_lib.escape(open_url, quote=True)}" width="1" height="1" '
                 'alt="" style="display:block;border:0;width:1px;height:1px;">')
        head, tag, tail = html.rpartition("</body>")
        html = f"{head}{pixel}{tag}{tail}" if tag else html + pixel
    return html


def html_to_text(html: str) -> str:
    parser = _TextParser()
    parser.feed(html)
    parser.close()
    lines = (" ".join(line.split()) for line in "".join(parser.parts).splitlines())
    text = "\n".join(lines)
    return re.sub(r"\n{3,}", "\n\n", text).strip() + "\n"


class _TextParser(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._skip = 0
        self._href: list[str | None] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in ("style", "script", "head", "title"):
            self._skip += 1
        if tag in _BLOCKS:
            self.parts.append("\n")
        if tag == "a":
            self._href.append(dict(attrs).get("href"))

    def handle_endtag(self, tag: str) -> None:
        if tag in ("style", "script", "head", "title"):
            self._skip = max(0, self._skip - 1)
        if tag == "a" and self._href:
            href = self._href.pop()
            if href and href.startswith(("http://", "https://")):
                self.parts.append(f" ({href})")
        if tag in _BLOCKS:
            self.parts.append("\n")

    def handle_data(self, data: str) -> None:
        if not self._skip:
            self.parts.append(data)
