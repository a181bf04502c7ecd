// SPDX-License-Identifier: Apache-2.0
import { describe, expect, it } from 'vitest';
import { decode_frame, encode_frame, FRAME_HEADER_SIZE, FRAME_MAGIC } from '../src/protocol/frame_header';

describe('decode_frame', () => {
  it('reads a little-endian header and returns the image bytes without copying', () => {
    const buffer = new ArrayBuffer(20);
    const view = new DataView(buffer);
    view.setUint32(0, FRAME_MAGIC, true);
    view.setUint32(4, 0x01020304, true);
    view.setUint16(8, 640, true);
    view.setUint16(10, 360, true);
    view.setUint16(12, 1, true);
    new Uint8Array(buffer, 16).set([0xff, 0xd8, 0xff, 0xe0]);
    const result = decode_frame(buffer);
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    expect(result.frame.header).toEqual({ seq: 0x01020304, width: 640, height: 360, codec: 'jpeg' });
    expect(result.frame.mimeType).toBe('image/jpeg');
    expect(Array.from(result.frame.image)).toEqual([0xff, 0xd8, 0xff, 0xe0]);
    expect(result.frame.image.buffer).toBe(buffer);
  });

  it('uses the bytes "AVF1" as magic and one byte for the codec, like the hub', () => {
    const bytes = new Uint8Array(encode_frame({ seq: 1, width: 1, height: 1, codec: 'webp' }, new Uint8Array([1])));
    expect(String.fromCharCode(...bytes.slice(0, 4))).toBe('AVF1');
    expect(Array.from(bytes.slice(12, 16))).toEqual([2, 0, 0, 0]);
  });

  it('reads PNG frames and ignores the reserved bytes', () => {
    const buffer = encode_frame({ seq: 3, width: 4, height: 4, codec: 'png' }, new Uint8Array([0x89]));
    new Uint8Array(buffer).set([7, 7, 7], 13);
    const result = decode_frame(buffer);
    expect(result.ok && result.frame.header.codec).toBe('png');
    expect(result.ok && result.frame.mimeType).toBe('image/png');
  });

  it('rejects a frame with a zero dimension', () => {
    const buffer = encode_frame({ seq: 1, width: 0, height: 4, codec: 'jpeg' }, new Uint8Array([1]));
    expect(decode_frame(buffer)).toEqual({ ok: false, reason: 'frame of 0×4 pixels' });
  });

  it('round-trips WebP frames', () => {
    const buffer = encode_frame({ seq: 7, width: 1920, height: 1080, codec: 'webp' }, new Uint8Array([1, 2, 3]));
    const result = decode_frame(buffer);
    expect(result.ok && result.frame.header).toEqual({ seq: 7, width: 1920, height: 1080, codec: 'webp' });
    expect(result.ok && result.frame.mimeType).toBe('image/webp');
  });

  it('rejects a buffer shorter than the header', () => {
    const result = decode_frame(new ArrayBuffer(FRAME_HEADER_SIZE - 1));
    expect(result).toEqual({ ok: false, reason: expect.stringContaining('shorter') });
  });

  it('rejects a wrong magic', () => {
    const buffer = encode_frame({ seq: 1, width: 2, height: 2, codec: 'jpeg' }, new Uint8Array([1]));
    new DataView(buffer).setUint32(0, 0xdeadbeef, true);
    expect(decode_frame(buffer)).toEqual({ ok: false, reason: 'bad frame magic 0xdeadbeef' });
  });

  it('rejects an unknown codec', () => {
    const buffer = encode_frame({ seq: 1, width: 2, height: 2, codec: 'jpeg' }, new Uint8Array([1]));
    new DataView(buffer).setUint8(12, 9);
    expect(decode_frame(buffer)).toEqual({ ok: false, reason: 'unknown frame codec 9' });
  });

  it('rejects a header with no image', () => {
    const buffer = encode_frame({ seq: 1, width: 2, height: 2, codec: 'jpeg' }, new Uint8Array([]));
    expect(decode_frame(buffer).ok).toBe(false);
  });
});
