/// Binary viewport frames (DESIGN §4): a 16-byte little-endian header, then the encoded image.
///
///   offset 0  uint32 magic     FRAME_MAGIC ("ATVF" as bytes)
///   offset 4  uint32 seq       increases by one per frame of a session
///   offset 8  uint16 width
///   offset 10 uint16 height
///   offset 12 uint16 codec     1 = JPEG, 2 = WebP
///   offset 14 uint16 reserved
///   offset 16 image bytes

export const FRAME_HEADER_SIZE = 16;
/// The bytes "ATVF" read as a little-endian uint32.
export const FRAME_MAGIC = 0x46565441;

export type FrameCodec = 'jpeg' | 'webp';

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
};

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
  const codec_id = view.getUint16(12, true);
  const codec = CODECS[codec_id];
  if (!codec) {
    return { ok: false, reason: `unknown frame codec ${codec_id}` };
  }
  if (buffer.byteLength === FRAME_HEADER_SIZE) {
    return { ok: false, reason: 'frame has no image bytes' };
  }
  return {
    ok: true,
    frame: {
      header: {
        seq: view.getUint32(4, true),
        width: view.getUint16(8, true),
        height: view.getUint16(10, true),
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
  view.setUint16(12, header.codec === 'jpeg' ? 1 : 2, true);
  view.setUint16(14, 0, true);
  new Uint8Array(buffer, FRAME_HEADER_SIZE).set(image);
  return buffer;
}
