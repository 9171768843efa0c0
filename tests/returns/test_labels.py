"""The label: a 4x6 inch PDF with the RMA number (Code128 and text) and a QR code,
served by its unguessable token once the return is approved."""

from __future__ import annotations

from io import BytesIO

from pypdf import PdfReader

from afterward.returns import labels


def read(pdf: bytes) -> tuple[tuple[float, float], str, int]:
    """The page's size, its text, and how many filled rectangles it draws (bars, modules)."""
    page = PdfReader(BytesIO(pdf)).pages[0]
    content = page.get_contents().get_data().decode("latin-1")
    rectangles = sum(1 for token in content.split() if token == "re")
    return (float(page.mediabox.width), float(page.mediabox.height)), page.extract_text(), \
        rectangles


def bars_and_modules(number: str, qr_text: str) -> int:
    """What reportlab draws for the Code128 of `number` (one rectangle per bar) and the
    QR code of `qr_text` (one per dark module, in runs)."""
    from reportlab.graphics.barcode import code128, qr
    from reportlab.graphics.shapes import Drawing, Rect

    bars = code128.Code128(number, barHeight=54, barWidth=1.2, humanReadable=False)
    bars.validate()
    bars.encode()
    bars.decompose()
    drawn = sum(1 for c in bars.decomposed if c.isupper())
    widget = Drawing(10, 10)
    widget.add(qr.QrCodeWidget(qr_text))
    modules = sum(1 for shape in widget.getContents()[0].draw().getContents()
                  if isinstance(shape, Rect))
    return drawn + modules


def test_the_label_is_four_by_six_inches_with_the_number_the_order_and_the_items():
    pdf = labels.render(labels.LabelFacts(number="R7K2M9QXA", store_name="Acme Tea",
                                          order_number="1001", items=["2 x Green tea"],
                                          qr_text="R7K2M9QXA"))

    size, text, rectangles = read(pdf)

    assert size == (288.0, 432.0)
    assert rectangles == bars_and_modules("R7K2M9QXA", "R7K2M9QXA")
    assert text.splitlines() == ["RETURN", "Acme Tea", "Order 1001", "R7K2M9QXA",
                                 "R7K2M9QXA", "2 x Green tea"]


def test_the_same_facts_give_the_same_bytes():
    facts = labels.LabelFacts(number="R1", store_name="S", order_number="1", items=[],
                              qr_text="R1")

    assert labels.render(facts) == labels.render(facts)


def test_a_long_list_of_items_is_cut_to_five_and_a_count():
    facts = labels.LabelFacts(number="R1", store_name="S", order_number="1",
                              items=[f"1 x Item {n}" for n in range(7)], qr_text="R1")

    text = read(labels.render(facts))[1]

    assert text.splitlines()[-2:] == ["1 x Item 4", "and 2 more"]


def test_the_label_url_serves_the_pdf_of_an_approved_return(shop):
    made = shop.request().json()

    answer = shop.client.get(made["label_url"].removeprefix("http://testserver"))

    assert answer.status_code == 200
    assert answer.headers["content-type"] == "application/pdf"
    size, text, _ = read(answer.content)
    assert size == (288.0, 432.0)
    assert made["number"] in text and "1 x Mug" in text


def test_a_label_is_not_served_before_approval_nor_for_an_unknown_token(shop):
    shop.put_policy(auto_approve=False)
    made = shop.request().json()
    with shop.db.reading() as session:
        from afterward.returns.models import Return
        token = session.get(Return, made["id"]).label_token

    assert shop.client.get(f"/returns/labels/{token}.pdf").status_code == 404
    assert shop.client.get("/returns/labels/" + "x" * 43 + ".pdf").status_code == 404


def test_a_kept_item_has_no_label(shop):
    shop.put_policy(resolutions=["keep"], keep_max_value_minor=500)

    made = shop.request([{"sku": "CUP-1", "quantity": 1, "reason": "changed_mind"}],
                        resolution="keep").json()

    assert (made["status"], made["label_url"]) == ("resolved", None)


def test_the_pages_qr_code_is_the_labels_modules_as_one_svg_path():
    from reportlab.graphics.barcode import qrencoder

    svg = labels.qr_svg("R0ZGYGDM7")

    code = qrencoder.QRCode(None, qrencoder.QRErrorCorrectLevel.M)
    code.addData("R0ZGYGDM7")
    code.make()
    size = code.getModuleCount()
    dark = sum(code.isDark(r, c) for r in range(size) for c in range(size))
    assert svg.startswith(f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {size + 8} '
                          f'{size + 8}"')
    assert svg.count("h1v1h-1z") == dark
    assert "M4 4h1v1h-1z" in svg  # the top-left finder pattern, inside the quiet zone
    assert labels.qr_svg("R0ZGYGDM7") == svg
