// SPDX-License-Identifier: Apache-2.0
import { decode_frame } from '../protocol/frame_header';
import { FrameStats } from './frame_stats';

export interface FrameInfo {
  seq: number;
  width: number;
  height: number;
  codec: string;
}

/// Decodes binary frames with createImageBitmap and draws them letterboxed on a canvas. At most
/// one decode runs at a time; frames arriving meanwhile replace each other, so a slow machine
/// shows fewer frames instead of falling behind.
export class FrameRenderer {
  readonly stats = new FrameStats();
  info: FrameInfo | undefined;
  private decoding = false;
  private waiting: ArrayBuffer | null = null;
  private bitmap: ImageBitmap | null = null;
  private disposed = false;

  constructor(
    private readonly canvas: HTMLCanvasElement,
    private readonly on_frame: (info: FrameInfo) => void,
  ) {}

  push(buffer: ArrayBuffer): void {
    if (this.decoding) {
      this.waiting = buffer;
      return;
    }
    void this.decode(buffer);
  }

  private async decode(buffer: ArrayBuffer): Promise<void> {
    const result = decode_frame(buffer);
    if (!result.ok) {
      console.warn(`viewport: ${result.reason}`);
      return;
    }
    const { header, image, mimeType } = result.frame;
    if (!this.stats.accept(header.seq)) return;
    this.decoding = true;
    try {
      const bitmap = await createImageBitmap(new Blob([image as Uint8Array<ArrayBuffer>], { type: mimeType }));
      if (this.disposed) {
        bitmap.close();
        return;
      }
      this.bitmap?.close();
      this.bitmap = bitmap;
      this.stats.record(performance.now());
      this.info = { seq: header.seq, width: header.width, height: header.height, codec: header.codec };
      this.draw();
      this.on_frame(this.info);
    } catch (error) {
      console.warn('viewport: cannot decode frame', error);
    } finally {
      this.decoding = false;
      const next = this.waiting;
      this.waiting = null;
      if (next && !this.disposed) void this.decode(next);
    }
  }

  /// Redraws the current frame, e.g. after the canvas was resized.
  draw(): void {
    const canvas = this.canvas;
    const ratio = window.devicePixelRatio || 1;
    const width = Math.max(1, Math.round(canvas.clientWidth * ratio));
    const height = Math.max(1, Math.round(canvas.clientHeight * ratio));
    if (canvas.width !== width || canvas.height !== height) {
      canvas.width = width;
      canvas.height = height;
    }
    const context = canvas.getContext('2d');
    if (!context) return;
    context.fillStyle = '#08090c';
    context.fillRect(0, 0, width, height);
    const bitmap = this.bitmap;
    if (!bitmap) return;
    const scale = Math.min(width / bitmap.width, height / bitmap.height);
    const w = bitmap.width * scale;
    const h = bitmap.height * scale;
    context.imageSmoothingQuality = 'high';
    context.drawImage(bitmap, (width - w) / 2, (height - h) / 2, w, h);
  }

  /// Drops the picture and the frame counters: another engine (a new session) draws from now on,
  /// and until it does, the old engine's picture would be a lie.
  clear(): void {
    this.bitmap?.close();
    this.bitmap = null;
    this.waiting = null;
    this.info = undefined;
    this.stats.reset();
    this.draw();
  }

  /// A small JPEG of the current frame, for the projects list.
  thumbnail(width = 320): string | undefined {
    const bitmap = this.bitmap;
    if (!bitmap) return undefined;
    const canvas = document.createElement('canvas');
    canvas.width = width;
    canvas.height = Math.round((width * 9) / 16);
    const context = canvas.getContext('2d');
    if (!context) return undefined;
    const scale = Math.max(canvas.width / bitmap.width, canvas.height / bitmap.height);
    const w = bitmap.width * scale;
    const h = bitmap.height * scale;
    context.drawImage(bitmap, (canvas.width - w) / 2, (canvas.height - h) / 2, w, h);
    return canvas.toDataURL('image/jpeg', 0.7);
  }

  dispose(): void {
    this.disposed = true;
    this.bitmap?.close();
    this.bitmap = null;
  }
}
