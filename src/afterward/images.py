"""A shopper's photo (a return's, a review's), made safe to keep: its type sniffed
from the bytes (JPEG, PNG or WebP; never the file name or the declared type), its
size capped, its pixels capped before anything is decoded (a decompression bomb is
refused, not unpacked), turned upright and re-encoded, so EXIF, GPS and every other
piece of metadata are gone.

Pure: bytes in, bytes out, no database. Refusals are PhotoError with a code."""

from __future__ import annotations

import hashlib
import io
import warnings
from dataclasses import dataclass

from PIL import Image, ImageOps, UnidentifiedImageError

MAX_BYTES = 8 * 1024 * 1024  # one photo, as uploaded
MAX_PIXELS = 40_000_000  # as declared by its header (a 40 MP phone photo)
MAX_SIDE = 2048  # the longest side kept
TYPES = {"JPEG": "image/jpeg", "PNG": "image/png", "WEBP": "image/webp"}
EXTENSIONS = {"image/jpeg": "jpg", "image/png": "png", "image/webp": "webp"}


class PhotoError(ValueError):
    """`photo_too_large`, `photo_not_an_image` or `photo_too_many_pixels`."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code


@dataclass(frozen=True)
class CleanPhoto:
    content_type: str
    data: bytes
    width: int
    height: int
    sha256: str


def sniff(data: bytes) -> str | None:
    """The image format the bytes begin with (Pillow's name), or None."""
    if data.startswith(b"\xff\xd8\xff"):
        return "JPEG"
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "PNG"
    if len(data) >= 12 and data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "WEBP"
    return None


def clean(data: bytes) -> CleanPhoto:
    """The photo re-encoded without metadata, at most MAX_SIDE pixels a side."""
    if len(data) > MAX_BYTES:
        raise PhotoError("photo_too_large", f"a photo may be at most {MAX_BYTES} bytes")
    kind = sniff(data)
    if kind is None:
        raise PhotoError("photo_not_an_image", "a photo must be a JPEG, PNG or WebP image")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data), formats=[kind]) as image:
                if image.width * image.height > MAX_PIXELS:
                    raise PhotoError("photo_too_many_pixels", "a photo may have at most "
                                     f"{MAX_PIXELS} pixels")
                out = _reencoded(image, kind)
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        raise PhotoError("photo_too_many_pixels",
                         f"a photo may have at most {MAX_PIXELS} pixels") from exc
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError) as exc:
        if isinstance(exc, PhotoError):
            raise
        raise PhotoError("photo_not_an_image", "the photo could not be read") from exc
    return out


def _reencoded(image: Image.Image, kind: str) -> CleanPhoto:
    image.seek(0)  # an animated image: its first frame
    upright = ImageOps.exif_transpose(image)  # the orientation, before EXIF goes
    upright.thumbnail((MAX_SIDE, MAX_SIDE))
    mode = "RGB" if kind == "JPEG" else ("RGBA" if upright.mode in ("RGBA", "LA", "P", "PA")
                                          else "RGB")
    pixels = Image.new(mode, upright.size)
    pixels.paste(upright.convert(mode))  # a new image: no info, no EXIF, no ICC, no text
    buffer = io.BytesIO()
    if kind == "JPEG":
        pixels.save(buffer, "JPEG", quality=85, optimize=True)
    elif kind == "PNG":
        pixels.save(buffer, "PNG", optimize=True)
    else:
        pixels.save(buffer, "WEBP", quality=85)
    raw = buffer.getvalue()
    return CleanPhoto(TYPES[kind], raw, pixels.width, pixels.height,
                      hashlib.sha256(raw).hexdigest())
