# SPDX-License-Identifier: GPL-2.0-or-later
"""The binary viewport frame header."""

from __future__ import annotations

import struct
import unittest

from support import paths  # noqa: F401
from atelier_router.frame import (CODEC_JPEG, CODEC_WEBP, FRAME_MAGIC, HEADER_SIZE, FrameFormatError,
                                  decode_frame, encode_frame)


class FrameHeaderTest(unittest.TestCase):
    def test_header_is_16_little_endian_bytes(self) -> None:
        data = encode_frame(7, 640, 360, CODEC_JPEG, b"\xff\xd8payload")
        self.assertEqual(HEADER_SIZE, 16)
        self.assertEqual(data[:4], b"AVF1")
        self.assertEqual(struct.unpack("<4sIHHHH", data[:16]), (b"AVF1", 7, 640, 360, 1, 0))
        self.assertEqual(data[12:16], b"\x01\x00\x00\x00")  # = u8 codec + three zero bytes
        self.assertEqual(data[16:], b"\xff\xd8payload")

    def test_round_trip(self) -> None:
        header, payload = decode_frame(encode_frame(2**32 + 5, 1920, 1080, CODEC_WEBP, b"RIFF"))
        self.assertEqual((header.seq, header.width, header.height, header.codec), (5, 1920, 1080, CODEC_WEBP))
        self.assertEqual(payload, b"RIFF")

    def test_bad_magic_is_rejected(self) -> None:
        data = bytearray(encode_frame(1, 2, 2, CODEC_JPEG, b""))
        data[0] ^= 0xFF
        with self.assertRaisesRegex(FrameFormatError, "magic"):
            decode_frame(bytes(data))

    def test_short_frame_is_rejected(self) -> None:
        with self.assertRaisesRegex(FrameFormatError, "shorter"):
            decode_frame(b"AVF1")

    def test_unknown_codec_and_oversize_are_refused_when_encoding(self) -> None:
        with self.assertRaises(ValueError):
            encode_frame(1, 10, 10, 9, b"")
        with self.assertRaises(ValueError):
            encode_frame(1, 70000, 10, CODEC_JPEG, b"")

    def test_magic_constant(self) -> None:
        self.assertEqual(FRAME_MAGIC, bytes([0x41, 0x56, 0x46, 0x31]))


if __name__ == "__main__":
    unittest.main()
