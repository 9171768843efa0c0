"""Open and click tracking put into an email's HTML."""

from __future__ import annotations

from afterward.messaging.html import add_tracking


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
