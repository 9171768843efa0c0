"""Open and click tracking put into an email's HTML."""

from __future__ import annotations

from html.parser import HTMLParser

import mjml
import pytest

from afterward.commerce.models import Store
from afterward.messaging import builtin_templates, templates
from afterward.messaging import html as html_module
from afterward.messaging.context import sample_context
from afterward.messaging.html import add_tracking, fold_tags
from afterward.messaging.templates import TemplateSource


def click(url: str) -> str:
    return f"https://t.example/c?u={url}&s=1"


def test_links_go_through_the_click_redirect_and_the_pixel_ends_the_body():
    html = ('<body><a href="https://shop.example/p/1">Tea</a>'
            '<a HREF="http://shop.example/p/2?a=1&amp;b=2">Mug</a>'
            '<img src="https://cdn.example/tea.png" alt="">'
            '<a data-x="https://shop.example/not-a-link">x</a>'
            '<a href="https://shop.example/prefs">Preferences</a>'
            '<a href="mailto:help@shop.example">Mail us</a></body>')

    tracked = add_tracking(html, open_url="https://t.example/o.gif", click_url=click,
                           keep=frozenset({"https://shop.example/prefs"}))

    assert tracked == (
        '<body><a href="https://t.example/c?u=https://shop.example/p/1&amp;s=1">Tea</a>'
        '<a HREF="https://t.example/c?u=http://shop.example/p/2?a=1&amp;b=2&amp;s=1">Mug</a>'
        '<img src="https://cdn.example/tea.png" alt="">'
        '<a data-x="https://shop.example/not-a-link">x</a>'
        '<a href="https://shop.example/prefs">Preferences</a>'
        '<a href="mailto:help@shop.example">Mail us</a>'
        '<img src="https://t.example/o.gif" width="1" height="1" alt="" '
        'style="display:block;border:0;width:1px;height:1px;"></body>')


def test_without_tracking_the_html_is_unchanged():
    html = '<body><a href="https://shop.example/p/1">Tea</a></body>'

    assert add_tracking(html, open_url=None, click_url=None) == html


class Events(HTMLParser):
    """What a browser builds from the HTML: tags, their attributes, text, comments."""

    def __init__(self, html: str) -> None:
        super().__init__(convert_charrefs=True)
        self.events: list[tuple[object, ...]] = []
        self.feed(html)
        self.close()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.events.append(("start", tag, tuple(attrs)))

    def handle_endtag(self, tag: str) -> None:
        self.events.append(("end", tag))

    def handle_data(self, data: str) -> None:
        self.events.append(("text", data))


def test_folding_puts_attributes_on_lines_of_their_own_and_changes_nothing_else():
    html = ('<table border="0" role="presentation"><tr><td style="a: b; c: d">Say "hi" '
            'x="y" & <b>bold</b> here</td><td nowrap style="e">é</td></tr></table><br />')

    folded = fold_tags(html)

    assert folded == ('<table\nborder="0"\nrole="presentation"><tr><td\nstyle="a: b; c: d">'
                      'Say "hi" x="y" & <b>bold</b> here</td><td\nnowrap style="e">é</td>'
                      '</tr></table><br\n/>')
    assert Events(folded).events == Events(html).events


@pytest.mark.parametrize("key", builtin_templates.KEYS)
def test_every_built_in_email_has_lines_smtp_carries_as_they_are(key):
    store = Store(id=1, name="Acme", currency="EUR", locale="en", timezone="Europe/Berlin",
                  support_email="help@acme.example")
    subject, body, text = builtin_templates.source(key, "email", "en")
    context = sample_context(store, public_url="https://shop.example")

    html = templates.render("email", TemplateSource(subject, body, text), context).html
    # The same body as MJML and the inliner write it, unfolded.
    mjml_body = templates._render_part("body", body, True, context)
    unfolded = str(html_module._INLINER.inline(
        mjml.mjml2html(mjml_body, disable_comments=True, fonts={})))

    assert max(len(line.encode()) for line in unfolded.split("\n")) > 998
    assert max(len(line.encode()) for line in html.split("\n")) <= 998
    assert body_of(html) == body_of(unfolded)


def body_of(html: str) -> list[tuple[object, ...]]:
    """The body's events, text with its runs of white space as one (the head differs
    by a style MJML adds for an image the template may show; white space, where
    the template's tags were)."""
    events = Events(html[html.index("<body"):]).events
    return [("text", " ".join(e[1].split())) if e[0] == "text" else e  # type: ignore[union-attr]
            for e in events if e[0] != "text" or str(e[1]).strip()]
