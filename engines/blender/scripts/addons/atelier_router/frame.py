# SPDX-License-Identifier: GPL-2.0-or-later
"""The binary viewport frame: a 16-byte header followed by the encoded image.

This is the one place that defines the header; the hub and the browser read the
same layout (DESIGN §4, engines/blender/README.md). All fields little-endian:

    offset size field
    0      4    magic     the ASCII bytes "AVF1" (41 56 46 31)
    4      4    seq       uint32, increases by one per frame, wraps at 2**32
    8      2    width     uint16 pixels
    10     2    height    uint16 pixels
    12     2    codec     uint16 1 = JPEG, 2 = WebP (equivalently: u8 codec + 3 zero bytes)
    14     2    reserved  uint16 0
    16     ...  payload   the JPEG or WebP file bytes
"""

from __future__ import annotations

import struct
from dataclasses import dataclass

FRAME_MAGIC = b"AVF1"
HEADER = struct.Struct("<4sIHHHH")
HEADER_SIZE = HEADER.size  # 16

CODEC_JPEG = 1
CODEC_WEBP = 2
CODEC_MIME = {CODEC_JPEG: "image/jpeg", CODEC_WEBP: "image/webp"}


@dataclass(frozen=True)
class FrameHeader:
    seq: int
    width: int
    height: int
    codec: int


class FrameFormatError(ValueError):
    """A binary message that is not a valid viewport frame."""


def encode_frame(seq: int, width: int, height: int, codec: int, payload: bytes) -> bytes:
    """Prefix ``payload`` with the frame header."""
    if codec not in CODEC_MIME:
        raise ValueError(f"unknown codec {codec}")
    if not (0 < width <= 0xFFFF and 0 < height <= 0xFFFF):
        raise ValueError(f"frame size {width}x{height} does not fit the header")
    return HEADER.pack(FRAME_MAGIC, seq & 0xFFFFFFFF, width, height, codec, 0) + payload


def decode_frame(data: bytes) -> tuple[FrameHeader, bytes]:
    """Split a binary message into its header and payload."""
    if len(data) < HEADER_SIZE:
        raise FrameFormatError(f"frame of {len(data)} bytes is shorter than the {HEADER_SIZE}-byte header")
    magic, seq, width, height, codec, _reserved = HEADER.unpack_from(data)
    if magic != FRAME_MAGIC:
        raise FrameFormatError(f"bad frame magic {magic!r}, expected {FRAME_MAGIC!r}")
    if codec not in CODEC_MIME:
        raise FrameFormatError(f"unknown frame codec {codec}")
    return FrameHeader(seq, width, height, codec), bytes(data[HEADER_SIZE:])
