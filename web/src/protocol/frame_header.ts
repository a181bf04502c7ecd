// SPDX-License-Identifier: Apache-2.0
/// Binary viewport frames (DESIGN §4): a 16-byte little-endian header, then the encoded image.
///
///   offset 0  u8[4]  magic     "AVF1" (atelier viewport frame, layout 1)
///   offset 4  uint32 seq       increases per frame of a producer; wraps at 2^32
///   offset 8  uint16 width
///   offset 10 uint16 height
///   offset 12 u8     codec     1 = JPEG, 2 = WebP, 3 = PNG
///   offset 13 u8[3]  reserved  (0; ignored when read)
///   offset 16 image bytes
///
/// This is the layout of the hub's src/protocol/frame_header.h. Reading the codec as one byte keeps
/// it compatible with the brief's "uint16 codec, uint16 reserved" wording, whose high byte is 0.

export const FRAME_HEADER_SIZE = 16;
/// The bytes "AVF1" read as a little-endian uint32.
export const FRAME_MAGIC = 0x31465641;

export type FrameCodec = 'jpeg' | 'webp' | 'png';

export interface FrameHeader {
  seq: number;
  width: number;
  height: number;
  codec: FrameCodec;
}

export interface DecodedFrame {
  header: FrameHeader;
  /// The image bytes (a view into the received buffer, no copy).
  image: Uint8Array;
  mimeType: string;
}

export type FrameDecodeResult = { ok: true; frame: DecodedFrame } | { ok: false; reason: string };

const CODECS: Record<number, { codec: FrameCodec; mimeType: string }> = {
  1: { codec: 'jpeg', mimeType: 'image/jpeg' },
  2: { codec: 'webp', mimeType: 'image/webp' },
  3: { codec: 'png', mimeType: 'image/png' },
};

const CODEC_IDS: Record<FrameCodec, number> = { jpeg: 1, webp: 2, png: 3 };

/// Decodes one binary WebSocket message. Never throws: a malformed frame is reported and dropped
/// by the caller so one bad frame cannot break the viewport.
export function decode_frame(buffer: ArrayBuffer): FrameDecodeResult {
  if (buffer.byteLength < FRAME_HEADER_SIZE) {
    return { ok: false, reason: `frame of ${buffer.byteLength} bytes is shorter than its header` };
  }
  const view = new DataView(buffer);
  const magic = view.getUint32(0, true);
  if (magic !== FRAME_MAGIC) {
    return { ok: false, reason: `bad frame magic 0x${magic.toString(16).padStart(8, '0')}` };
  }
  const codec_id = view.getUint8(12);
  const codec = CODECS[codec_id];
  if (!codec) {
    return { ok: false, reason: `unknown frame codec ${codec_id}` };
  }
  if (buffer.byteLength === FRAME_HEADER_SIZE) {
    return { ok: false, reason: 'frame has no image bytes' };
  }
  const width = view.getUint16(8, true);
  const height = view.getUint16(10, true);
  if (width === 0 || height === 0) {
    return { ok: false, reason: `frame of ${width}×${height} pixels` };
  }
  return {
    ok: true,
    frame: {
      header: {
        seq: view.getUint32(4, true),
        width,
        height,
        codec: codec.codec,
      },
      image: new Uint8Array(buffer, FRAME_HEADER_SIZE),
      mimeType: codec.mimeType,
    },
  };
}

/// Builds a frame; used by tests and by anything that fakes an engine in the browser.
export function encode_frame(header: FrameHeader, image: Uint8Array): ArrayBuffer {
  const buffer = new ArrayBuffer(FRAME_HEADER_SIZE + image.byteLength);
  const view = new DataView(buffer);
  view.setUint32(0, FRAME_MAGIC, true);
  view.setUint32(4, header.seq, true);
  view.setUint16(8, header.width, true);
  view.setUint16(10, header.height, true);
  view.setUint8(12, CODEC_IDS[header.codec]);
  new Uint8Array(buffer, FRAME_HEADER_SIZE).set(image);
  return buffer;
}
