"""Checks that a PNG is a real picture: signature, IHDR size, and not blank."""

from __future__ import annotations

import io
import struct

from PIL import Image

SIGNATURE = b"\x89PNG\r\n\x1a\n"


def png_size(data: bytes) -> tuple[int, int]:
    """Width and height from the IHDR chunk (which must come first)."""
    assert data[:8] == SIGNATURE, f"not a PNG: {data[:16]!r}"
    length, kind = struct.unpack(">I4s", data[8:16])
    assert kind == b"IHDR" and length == 13
    width, height = struct.unpack(">II", data[16:24])
    return width, height


def assert_real_png(data: bytes, width: int, height: int) -> None:
    """A ``width`` x ``height`` PNG with a drawing on it (many colours, mostly not white)."""
    assert png_size(data) == (width, height)
    image = Image.open(io.BytesIO(data)).convert("RGB")
    colours = image.getcolors(maxcolors=1 << 20) or []
    assert len(colours) > 16, f"only {len(colours)} colours: a blank picture"
    white = sum(count for count, rgb in colours if rgb == (255, 255, 255))
    assert white < 0.97 * width * height, "almost entirely white: nothing was drawn"
