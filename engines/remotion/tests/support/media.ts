// SPDX-License-Identifier: Apache-2.0
// Facts about rendered files: PNG dimensions from the header and pixels, MP4 frame counts from ffprobe.

import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import zlib from 'node:zlib';

export function pngSize(bytes: Buffer): { width: number; height: number } {
  const signature = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
  if (bytes.length < 24 || !bytes.subarray(0, 8).equals(signature) || bytes.toString('ascii', 12, 16) !== 'IHDR') {
    throw new Error('not a PNG file');
  }
  return { width: bytes.readUInt32BE(16), height: bytes.readUInt32BE(20) };
}

export type VideoFacts = { frames: number; width: number; height: number; codec: string };

export function probeVideo(file: string): VideoFacts {
  if (!fs.existsSync(file)) {
    throw new Error(`${file} does not exist`);
  }
  const output = execFileSync(
    'ffprobe',
    ['-v', 'error', '-count_frames', '-select_streams', 'v:0', '-show_entries', 'stream=nb_read_frames,width,height,codec_name', '-of', 'json', file],
    { encoding: 'utf8' },
  );
  const stream = (JSON.parse(output) as { streams: Array<Record<string, string | number>> }).streams[0];
  return { frames: Number(stream.nb_read_frames), width: Number(stream.width), height: Number(stream.height), codec: String(stream.codec_name) };
}

export type Pixels = { width: number; height: number; at: (x: number, y: number) => [number, number, number] };

/** The pixels of an 8-bit RGB or RGBA, non-interlaced PNG (what chromium's screenshots are). */
export function pngPixels(bytes: Buffer): Pixels {
  const { width, height } = pngSize(bytes);
  const bitDepth = bytes[24];
  const colorType = bytes[25];
  const interlace = bytes[28];
  if (bitDepth !== 8 || (colorType !== 2 && colorType !== 6) || interlace !== 0) {
    throw new Error(`unsupported PNG: bit depth ${bitDepth}, colour type ${colorType}, interlace ${interlace}`);
  }
  const channels = colorType === 6 ? 4 : 3;
  const chunks: Buffer[] = [];
  for (let offset = 8; offset < bytes.length; ) {
    const length = bytes.readUInt32BE(offset);
    const type = bytes.toString('ascii', offset + 4, offset + 8);
    if (type === 'IDAT') {
      chunks.push(bytes.subarray(offset + 8, offset + 8 + length));
    }
    offset += 12 + length;
  }
  const raw = zlib.inflateSync(Buffer.concat(chunks));
  const stride = width * channels;
  const data = Buffer.alloc(stride * height);
  for (let y = 0; y < height; y++) {
    const filter = raw[y * (stride + 1)];
    const line = raw.subarray(y * (stride + 1) + 1, (y + 1) * (stride + 1));
    for (let i = 0; i < stride; i++) {
      const left = i >= channels ? data[y * stride + i - channels] : 0;
      const up = y > 0 ? data[(y - 1) * stride + i] : 0;
      const upLeft = y > 0 && i >= channels ? data[(y - 1) * stride + i - channels] : 0;
      let predictor = 0;
      if (filter === 1) {
        predictor = left;
      } else if (filter === 2) {
        predictor = up;
      } else if (filter === 3) {
        predictor = (left + up) >> 1;
      } else if (filter === 4) {
        const estimate = left + up - upLeft;
        const [a, b, c] = [Math.abs(estimate - left), Math.abs(estimate - up), Math.abs(estimate - upLeft)];
        predictor = a <= b && a <= c ? left : b <= c ? up : upLeft;
      }
      data[y * stride + i] = (line[i] + predictor) & 0xff;
    }
  }
  return {
    width,
    height,
    at: (x, y) => {
      const offset = y * stride + x * channels;
      return [data[offset], data[offset + 1], data[offset + 2]];
    },
  };
}

/** The share of pixels that differ from the top-left one (the background) by more than a little. */
export function shareNotBackground(pixels: Pixels): number {
  const background = pixels.at(0, 0);
  let differing = 0;
  for (let y = 0; y < pixels.height; y += 2) {
    for (let x = 0; x < pixels.width; x += 2) {
      const [r, g, b] = pixels.at(x, y);
      if (Math.abs(r - background[0]) + Math.abs(g - background[1]) + Math.abs(b - background[2]) > 24) {
        differing++;
      }
    }
  }
  return differing / (Math.ceil(pixels.height / 2) * Math.ceil(pixels.width / 2));
}
