# SPDX-License-Identifier: GPL-2.0-or-later
"""Looking inside what the engine produces: JPEG pixels, MP4 streams, glTF binaries.

JPEG decoding and MP4 probing use Debian's ffmpeg/ffprobe (a test package in scripts/deps.sh);
pixel statistics use numpy. glTF binaries are parsed here (the GLB container is small).
"""

from __future__ import annotations

import json
import shutil
import struct
import subprocess
from dataclasses import dataclass
from typing import Any

import numpy

from support.jpeg import jpeg_size


def _tool(name: str) -> str:
    found = shutil.which(name)
    if found is None:
        raise RuntimeError(f"{name} is not installed (scripts/deps.sh test installs ffmpeg)")
    return found


def jpeg_pixels(data: bytes) -> numpy.ndarray:
    """Decode a JPEG to an (height, width, 3) uint8 RGB array."""
    width, height = jpeg_size(data)
    decoded = subprocess.run([_tool("ffmpeg"), "-v", "error", "-f", "image2pipe", "-c:v", "mjpeg", "-i", "-",
                              "-f", "rawvideo", "-pix_fmt", "rgb24", "-"],
                             input=data, stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=60, check=True)
    return numpy.frombuffer(decoded.stdout, dtype=numpy.uint8).reshape(height, width, 3)


@dataclass(frozen=True)
class PixelStats:
    mean_rgb: tuple[float, float, float]

    def distance(self, other: "PixelStats") -> float:
        return max(abs(a - b) for a, b in zip(self.mean_rgb, other.mean_rgb))

    def __str__(self) -> str:
        return "mean RGB (" + ", ".join(f"{value:.1f}" for value in self.mean_rgb) + ")"


def pixel_stats(jpeg: bytes) -> PixelStats:
    pixels = jpeg_pixels(jpeg).astype(numpy.float64)
    mean = pixels.reshape(-1, 3).mean(axis=0)
    return PixelStats((float(mean[0]), float(mean[1]), float(mean[2])))


def probe_video(path: str) -> dict[str, Any]:
    """ffprobe's view of the first video stream and the container: codec, size, frame count, format."""
    probed = subprocess.run([_tool("ffprobe"), "-v", "error", "-count_frames", "-select_streams", "v:0",
                             "-show_entries", "stream=codec_name,width,height,nb_read_frames:format=format_name",
                             "-of", "json", path], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            timeout=60, check=True)
    parsed = json.loads(probed.stdout)
    stream = parsed["streams"][0]
    return {"codec": stream["codec_name"], "width": stream["width"], "height": stream["height"],
            "frames": int(stream["nb_read_frames"]), "format": parsed["format"]["format_name"]}


def parse_glb(data: bytes) -> dict[str, Any]:
    """Check the GLB container (glTF 2.0 binary) and return its JSON chunk; raises ValueError."""
    if len(data) < 20:
        raise ValueError(f"{len(data)} bytes is too short for a GLB")
    magic, version, length = struct.unpack_from("<4sII", data)
    if magic != b"glTF" or version != 2:
        raise ValueError(f"not a glTF 2.0 binary: magic {magic!r}, version {version}")
    if length != len(data):
        raise ValueError(f"GLB header says {length} bytes, the file has {len(data)}")
    chunk_length, chunk_type = struct.unpack_from("<II", data, 12)
    if chunk_type != 0x4E4F534A:  # "JSON"
        raise ValueError(f"the first GLB chunk is not JSON (type {chunk_type:#x})")
    document = json.loads(data[20:20 + chunk_length])
    if document.get("asset", {}).get("version") != "2.0":
        raise ValueError(f"asset.version is {document.get('asset')}")
    offset = 20 + chunk_length
    if offset < len(data):
        binary_length, binary_type = struct.unpack_from("<II", data, offset)
        if binary_type != 0x004E4942 or offset + 8 + binary_length > len(data):  # "BIN\0"
            raise ValueError("the second GLB chunk is not a well-formed BIN chunk")
    return document
