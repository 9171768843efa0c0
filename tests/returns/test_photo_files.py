"""A shopper's photo is sniffed from its bytes, capped in size and pixels, and comes
back re-encoded without EXIF or GPS; anything else is refused with its code."""

from __future__ import annotations

import io
import struct
import zipfile
import zlib

import pytest
from PIL import Image

from afterward.returns.photo_files import MAX_BYTES, MAX_SIDE, PhotoError, clean, sniff

GPS_IFD = 0x8825


def jpeg_with_gps(size: tuple[int, int] = (64, 48)) -> bytes:
    image = Image.new("RGB", size, (200, 30, 30))
    exif = Image.Exif()
    exif[0x010F] = "PhoneMaker"  # Make
    exif[0x0112] = 1  # Orientation
    exif.get_ifd(GPS_IFD).update({1: "N", 2: (52.0, 31.0, 12.0), 3: "E", 4: (13.0, 24.0, 0.0)})
    out = io.BytesIO()
    image.save(out, "JPEG", exif=exif)
    return out.getvalue()


def png(size: tuple[int, int] = (40, 30), mode: str = "RGB") -> bytes:
    out = io.BytesIO()
    Image.new(mode, size, "white").save(out, "PNG")
    return out.getvalue()


def png_claiming(width: int, height: int) -> bytes:
    """A small PNG whose header says it is width x height pixels (a decompression bomb:
    a few bytes that would unpack to gigabytes)."""
    raw = bytearray(png((1, 1)))
    ihdr = struct.pack(">II", width, height) + bytes(raw[24:29])
    raw[16:29] = ihdr
    raw[29:33] = struct.pack(">I", zlib.crc32(b"IHDR" + ihdr))
    return bytes(raw)


def test_a_jpeg_with_exif_gps_comes_back_without_any_metadata():
    original = jpeg_with_gps()
    assert Image.open(io.BytesIO(original)).getexif().get_ifd(GPS_IFD)  # it had GPS

    photo = clean(original)

    again = Image.open(io.BytesIO(photo.data))
    assert (photo.content_type, photo.width, photo.height) == ("image/jpeg", 64, 48)
    assert again.format == "JPEG"
    assert dict(again.getexif()) == {}
    assert "exif" not in again.info
    assert b"PhoneMaker" not in photo.data and b"Exif" not in photo.data
    assert len(photo.sha256) == 64


def test_a_png_named_like_a_jpeg_is_kept_as_a_png():
    photo = clean(png())

    assert (photo.content_type, photo.width, photo.height) == ("image/png", 40, 30)
    assert Image.open(io.BytesIO(photo.data)).format == "PNG"


def test_a_webp_is_kept_as_a_webp():
    out = io.BytesIO()
    Image.new("RGB", (10, 12), "blue").save(out, "WEBP")

    assert clean(out.getvalue()).content_type == "image/webp"


def test_a_large_photo_is_scaled_down_to_its_longest_side():
    photo = clean(png((MAX_SIDE * 2, 100)))

    assert (photo.width, photo.height) == (MAX_SIDE, 50)


def test_the_type_comes_from_the_bytes_only():
    assert sniff(png()) == "PNG"
    assert sniff(jpeg_with_gps()) == "JPEG"
    assert sniff(b"GIF89a....") is None
    assert sniff(b"") is None


def zip_file() -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("photo.jpg", "not really")
    return out.getvalue()


@pytest.mark.parametrize(("data", "code"), [
    (b"Hello, this is a text file.\n", "photo_not_an_image"),
    (zip_file(), "photo_not_an_image"),
    (b"\xff\xd8\xff" + b"\x00" * 100, "photo_not_an_image"),  # a JPEG's start, then junk
    (b"\x89PNG\r\n\x1a\n" + b"\x00" * 50, "photo_not_an_image"),
    (png_claiming(50_000, 50_000), "photo_too_many_pixels"),
    (png_claiming(7_000, 7_000), "photo_too_many_pixels"),
], ids=["text", "zip", "broken jpeg", "broken png", "bomb", "over the pixel cap"])
def test_what_is_not_a_safe_image_is_refused_with_its_code(data, code):
    with pytest.raises(PhotoError) as refused:
        clean(data)

    assert refused.value.code == code


def test_a_photo_over_eight_megabytes_is_refused_before_it_is_read():
    nine_mb = png() + b"\x00" * (9 * 1024 * 1024)
    assert len(nine_mb) > MAX_BYTES

    with pytest.raises(PhotoError) as refused:
        clean(nine_mb)

    assert refused.value.code == "photo_too_large"
