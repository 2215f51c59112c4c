"""QR codes as PNG or SVG, from the ``qrcode`` library: for sign-up posters, check-in screens and calendar feeds."""

from __future__ import annotations

import io
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import qrcode


def _code(data: str) -> qrcode.QRCode:
    import qrcode  # imported at the first QR code, not at start-up (a worker's memory and start)
    from qrcode.constants import ERROR_CORRECT_M

    code = qrcode.QRCode(error_correction=ERROR_CORRECT_M, box_size=10, border=4)
    code.add_data(data)
    code.make(fit=True)
    return code


def qr_png(data: str, box_size: int = 10) -> bytes:
    import qrcode.image.pure

    code = _code(data)
    code.box_size = box_size
    buffer = io.BytesIO()
    # pypng's pure-Python writer: no Pillow (and no C build) needed on a county server.
    code.make_image(image_factory=qrcode.image.pure.PyPNGImage).save(buffer)
    return buffer.getvalue()


def qr_svg(data: str) -> bytes:
    import qrcode.image.svg

    image = _code(data).make_image(image_factory=qrcode.image.svg.SvgPathImage)
    buffer = io.BytesIO()
    image.save(buffer)
    return buffer.getvalue()
