"""An email as the bytes SMTP carries: headers, then a text part, and an HTML part
beside it (multipart/alternative) when there is one; CRLF line ends throughout.

A header that is plain (ASCII, no line break, short) is written as it is; any other
goes through the email package's header registry, which encodes and folds it as
RFC 5322 and 2047 say (the display name of an address encoded, the address not). A
part is 7bit when it is ASCII, 8bit UTF-8 when the server takes 8BITMIME (RFC 6152),
and quoted-printable otherwise, or when a line is longer than SMTP's 998 bytes."""

from __future__ import annotations

import binascii
import random
import threading
from email.policy import SMTP
from email.utils import format_datetime

from afterward.messaging.channels import Outgoing
from afterward.storage.types import utcnow

# "==" never occurs in quoted-printable text, and a 7bit or 8bit part is one without
# BOUNDARY_MARK, so a boundary cannot occur in a part and its random part need not be
# secret (secrets asks the kernel, ~5 µs a message).
BOUNDARY_MARK = "==aw-"
_MARK_BYTES = BOUNDARY_MARK.encode()
# RFC 5321 4.5.3.1.6: at most 998 characters on a line, before its CRLF.
MAX_LINE = 998
_PLAIN_HEADER_MAX = 900


def mime_bytes(message: Outgoing, *, eight_bit: bool = False) -> bytes:
    """The message as SMTP DATA (before dot-stuffing). `eight_bit`: the server takes
    8BITMIME, so a part that is not ASCII may go as 8bit."""
    head = "".join(header_line(name, value) for name, value in _headers(message))
    text = part("plain", message.text or "", eight_bit)
    if not message.html:
        return f"{head}MIME-Version: 1.0\r\n".encode() + text
    boundary = f"{BOUNDARY_MARK}{random.getrandbits(64):016x}=="
    mark = f"--{boundary}\r\n".encode()
    return b"".join((
        f"{head}MIME-Version: 1.0\r\n"
        f'Content-Type: multipart/alternative; boundary="{boundary}"\r\n\r\n'.encode(),
        mark, text, b"\r\n", mark, part("html", message.html, eight_bit), b"\r\n",
        f"--{boundary}--\r\n".encode()))


def _headers(message: Outgoing) -> list[tuple[str, str]]:
    # A subject cannot carry a line break; a template that renders one must not
    # inject headers.
    headers = [("From", message.sender or ""), ("To", message.recipient),
               ("Subject", " ".join((message.subject or "").split())),
               ("Date", _date_header())]
    if message.message_id_header:
        headers.append(("Message-ID", message.message_id_header))
    if message.reply_to:
        headers.append(("Reply-To", message.reply_to))
    return headers + list(message.headers.items())


def header_line(name: str, value: str) -> str:
    """`Name: value` and its CRLF, encoded and folded when it is not plain."""
    if "\r" in value or "\n" in value:
        raise ValueError(f"the {name} header has a line break")
    if value.isascii() and len(value) <= _PLAIN_HEADER_MAX:
        return f"{name}: {value}\r\n"
    return str(SMTP.header_factory(name, value).fold(policy=SMTP))


_date = threading.local()


def _date_header() -> str:
    """The Date header for now, written once a second per thread (email.utils's
    format_datetime cost ~4% of the send step)."""
    now = utcnow()
    second = int(now.timestamp())
    if getattr(_date, "second", None) != second:
        _date.second, _date.text = second, format_datetime(now.replace(microsecond=0))
    return str(_date.text)


def part(subtype: str, content: str, eight_bit: bool = False) -> bytes:
    """A text part as it is, when SMTP carries its lines unchanged: 7bit when it is
    ASCII (a rendered email often is), 8bit UTF-8 when the server takes 8BITMIME (one
    with a price in euros, or a name with an accent); else quoted-printable, which
    costs ~0.1 ms per 10 KB."""
    if not content.endswith("\n"):
        content += "\n"
    if "\r" in content:  # a search is ~1 µs; the copy a replace makes, ~11 µs per 10 KB
        content = content.replace("\r\n", "\n")
    body = content.encode()
    plain = body.isascii()
    if (plain or eight_bit) and b"\r" not in body and b"\x00" not in body and \
            _MARK_BYTES not in body and lines_fit(body):
        encoding = "7bit" if plain else "8bit"
    else:
        encoding, body = "quoted-printable", binascii.b2a_qp(body, istext=True)
    return (f"Content-Type: text/{subtype}; charset=\"utf-8\"\r\n"
            f"Content-Transfer-Encoding: {encoding}\r\n\r\n").encode() + \
        body.replace(b"\n", b"\r\n")


# A line of MAX_LINE + 1 bytes or more covers a whole aligned block of this size
# (2 * _BLOCK - 1 <= MAX_LINE + 1).
_BLOCK = (MAX_LINE + 2) // 2


def lines_fit(body: bytes) -> bool:
    """No line of `body` is longer than MAX_LINE bytes. When every aligned block of
    _BLOCK bytes holds a line break, no line can be (a search per block: ~3 µs for
    10 KB, where measuring every line took ~25 µs); only otherwise are lines measured."""
    find = body.find
    for start in range(0, len(body), _BLOCK):
        if find(b"\n", start, start + _BLOCK) < 0:
            return max(map(len, body.split(b"\n"))) <= MAX_LINE
    return True
