"""An email template's MJML is turned into HTML once, its Jinja tags left in; each
message is a Jinja render of that HTML, and reads as the HTML MJML makes of the
rendered template (the same body: elements, attributes, text)."""

from __future__ import annotations

from html.parser import HTMLParser

import pytest

from afterward.commerce.models import Store
from afterward.messaging import builtin_templates, jinja_render, templates
from afterward.messaging.context import sample_context
from afterward.messaging.email_html import compile_email
from afterward.messaging.html import mjml_to_html
from afterward.messaging.templates import TemplateInvalid, TemplateSource

STORE = Store(id=1, name="Acme & Co", brand_primary="#1f3a5f", brand_accent="#e07a1f",
              currency="EUR", timezone="Europe/Berlin", locale="en",
              support_email="help@acme.example")


class _Body(HTMLParser):
    """The body as (start, tag, attributes) / (end, tag) / (text, words) items."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.items: list[tuple[object, ...]] = []
        self.inside = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.inside = self.inside or tag == "body"
        if self.inside:
            self.items.append(("start", tag, tuple(sorted(attrs))))

    def handle_endtag(self, tag: str) -> None:
        if self.inside:
            self.items.append(("end", tag))

    def handle_data(self, data: str) -> None:
        if self.inside and data.split():
            self.items.append(("text", " ".join(data.split())))


def body_of(html: str) -> list[tuple[object, ...]]:
    parser = _Body()
    parser.feed(html)
    parser.close()
    return parser.items


def mjml_of_rendered(body: str, context: dict) -> str:
    return mjml_to_html(jinja_render.render(templates._compiled(body, True), context))


def context_for(first_name: str, *, lines: int, extras: bool) -> dict:
    context = sample_context(STORE, public_url="https://shop.example")
    context["customer"]["first_name"] = first_name
    context["order"]["lines"] = context["order"]["lines"][:lines]
    if not extras:
        context["care"], context["recommendations"] = [], []
        context["store"]["logo_url"] = "https://shop.example/logo.png"
        context["links"]["unsubscribe"] = None
    return context


@pytest.mark.parametrize("key", builtin_templates.KEYS)
@pytest.mark.parametrize("locale", builtin_templates.LOCALES)
def test_a_built_in_email_has_the_body_mjml_makes_of_the_rendered_template(key, locale):
    _, body, _ = builtin_templates.source(key, "email", locale)
    for context in (context_for("Ada", lines=2, extras=True),
                    context_for("O'Brien & <Sons>", lines=1, extras=False),
                    context_for("  Zoë  ", lines=0, extras=True)):
        html = templates.render("email", TemplateSource("Hi", body), context).html

        assert html is not None
        assert body_of(html) == body_of(mjml_of_rendered(body, context))


def test_a_loop_over_table_rows_stays_inside_the_table():
    body = """<mjml><mj-body><mj-section><mj-column><mj-table>
<tr><th>Item</th></tr>{% for line in order.lines %}<tr><td>{{ line.title }}</td></tr>{% endfor %}
</mj-table></mj-column></mj-section></mj-body></mjml>"""

    html = templates.render("email", TemplateSource("Hi", body),
                            context_for("Ada", lines=2, extras=True)).html

    assert html is not None
    table = html[html.index("<th"):html.index("</table>", html.index("<th"))]
    assert "Organic green tea" in table and "Stoneware mug" in table


def test_a_value_is_escaped_where_the_template_puts_it():
    body = """<mjml><mj-body><mj-section><mj-column>
<mj-text>Hi {{ customer.first_name }}</mj-text>
<mj-button href="{{ data.url }}">Go</mj-button></mj-column></mj-section></mj-body></mjml>"""
    context = context_for('<script>alert("x")</script>', lines=1, extras=True)
    context["data"] = {"url": 'https://shop.example/?a=1&b="2"'}

    html = templates.render("email", TemplateSource("Hi", body), context).html

    assert html is not None
    assert "<script>" not in html
    assert "Hi &lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;" in html
    assert 'href="https://shop.example/?a=1&amp;b=&#34;2&#34;"' in html


def test_a_statement_before_the_mjml_element_is_kept():
    compiled = compile_email('{% set who = "Ada" %}\n<mjml><mj-body><mj-section><mj-column>'
                             "<mj-text>Hi {{ who }}</mj-text></mj-column></mj-section>"
                             "</mj-body></mjml>")

    assert compiled.startswith('{% set who = "Ada" %}<!DOCTYPE html>')
    assert "Hi {{ who }}" in compiled


def test_a_value_in_an_attribute_mjml_computes_with_is_refused_at_save_time():
    body = ('<mjml><mj-body><mj-section><mj-column width="{{ data.width }}">'
            "<mj-text>x</mj-text></mj-column></mj-section></mj-body></mjml>")

    with pytest.raises(TemplateInvalid, match=r"\{\{ data.width \}\}"):
        templates.validate("email", TemplateSource("Hi", body),
                           context_for("Ada", lines=1, extras=True))


def test_text_that_looks_like_a_placeholder_is_refused():
    body = ("<mjml><mj-body><mj-section><mj-column><mj-text>QzkX1XkzQ</mj-text>"
            "</mj-column></mj-section></mj-body></mjml>")

    with pytest.raises(TemplateInvalid, match="placeholder"):
        templates.validate("email", TemplateSource("Hi", body),
                           context_for("Ada", lines=1, extras=True))
