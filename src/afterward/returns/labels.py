"""The return label: a 4x6 inch PDF (288x432 pt) with the RMA number as a Code128
barcode and a QR code, for a drop-off point to scan or a parcel to carry. Carrier
labels (a carrier's own API) are for later, behind their own adapter."""

from __future__ import annotations

from dataclasses import dataclass
from io import BytesIO

from reportlab.graphics import renderPDF
from reportlab.graphics.barcode import code128, qr, qrencoder
from reportlab.graphics.shapes import Drawing
from reportlab.pdfgen import canvas

WIDTH, HEIGHT = 288, 432  # 4 x 6 inches in points
MARGIN = 18


@dataclass(frozen=True)
class LabelFacts:
    number: str
    store_name: str
    order_number: str
    items: list[str]  # "2 x Green tea"
    qr_text: str  # what the QR code carries (the RMA number, or a link to the return)


def render(facts: LabelFacts) -> bytes:
    """The label as PDF bytes; the same facts always give the same bytes."""
    out = BytesIO()
    page = canvas.Canvas(out, pagesize=(WIDTH, HEIGHT), invariant=True)
    page.setTitle(f"Return {facts.number}")
    _heading(page, facts)
    _barcode(page, facts.number)
    _qr(page, facts.qr_text)
    _items(page, facts.items)
    page.showPage()
    page.save()
    return out.getvalue()


def _heading(page: canvas.Canvas, facts: LabelFacts) -> None:
    page.setFont("Helvetica-Bold", 16)
    page.drawString(MARGIN, HEIGHT - MARGIN - 14, "RETURN")
    page.setFont("Helvetica", 10)
    page.drawString(MARGIN, HEIGHT - MARGIN - 30, _fit(facts.store_name, 44))
    page.drawString(MARGIN, HEIGHT - MARGIN - 44, _fit(f"Order {facts.order_number}", 44))


def _barcode(page: canvas.Canvas, number: str) -> None:
    bars = code128.Code128(number, barHeight=54, barWidth=1.2, humanReadable=True)
    x = (WIDTH - bars.width) / 2
    bars.drawOn(page, max(MARGIN / 2, x), HEIGHT - 140)
    page.setFont("Helvetica-Bold", 14)
    page.drawCentredString(WIDTH / 2, HEIGHT - 160, number)


def _qr(page: canvas.Canvas, text: str) -> None:
    widget = qr.QrCodeWidget(text)
    left, bottom, right, top = widget.getBounds()
    size = 150
    drawing = Drawing(size, size, transform=[size / (right - left), 0, 0,
                                             size / (top - bottom), 0, 0])
    drawing.add(widget)
    renderPDF.draw(drawing, page, (WIDTH - size) / 2, HEIGHT - 330)


def _items(page: canvas.Canvas, items: list[str]) -> None:
    page.setFont("Helvetica", 9)
    y = HEIGHT - 350
    for line in items[:5]:
        page.drawString(MARGIN, y, _fit(line, 52))
        y -= 12
    if len(items) > 5:
        page.drawString(MARGIN, y, f"and {len(items) - 5} more")


def _fit(text: str, limit: int) -> str:
    """One line of Helvetica (Latin-1 only: other characters would print as boxes)."""
    plain = text.encode("latin-1", "replace").decode("latin-1")
    return plain if len(plain) <= limit else plain[: limit - 1] + "..."


def qr_svg(text: str) -> str:
    """The QR code of `text` as an SVG drawing (one path, four modules of quiet zone),
    for a page to show beside the label's link: the same code the label prints."""
    code = qrencoder.QRCode(None, qrencoder.QRErrorCorrectLevel.M)
    code.addData(text)
    code.make()
    count = code.getModuleCount()
    dark = "".join(f"M{c + 4} {r + 4}h1v1h-1z" for r in range(count) for c in range(count)
                   if code.isDark(r, c))
    side = count + 8
    return (f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {side} {side}" '
            f'width="160" height="160" aria-hidden="true" shape-rendering="crispEdges">'
            f'<rect width="{side}" height="{side}" fill="#fff"/>'
            f'<path fill="#000" d="{dark}"/></svg>')
