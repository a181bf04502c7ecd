// SPDX-License-Identifier: Apache-2.0
import type { CameraAction, ViewportCameraPayload } from './messages';

export interface FrameScheduler {
  request(callback: () => void): unknown;
  cancel(handle: unknown): void;
}

export const animation_frame_scheduler: FrameScheduler = {
  request: (callback) => requestAnimationFrame(() => callback()),
  cancel: (handle) => cancelAnimationFrame(handle as number),
};

const ORDER: CameraAction[] = ['orbit', 'pan', 'zoom'];

/// Sums pointer and wheel moves and sends them at most once per animation frame per action, so a
/// 1000 Hz mouse does not flood the hub (or Blender) with camera messages.
export class CameraCoalescer {
  private readonly totals = new Map<CameraAction, ViewportCameraPayload>();
  private scheduled: unknown = null;

  constructor(
    private readonly send: (payload: ViewportCameraPayload) => void,
    private readonly scheduler: FrameScheduler = animation_frame_scheduler,
  ) {}

  add(action: CameraAction, dx: number, dy: number, delta = 0): void {
    const total = this.totals.get(action) ?? { action, dx: 0, dy: 0, delta: 0 };
    total.dx += dx;
    total.dy += dy;
    total.delta += delta;
    this.totals.set(action, total);
    if (this.scheduled === null) {
      this.scheduled = this.scheduler.request(() => this.flush());
    }
  }

  flush(): void {
    this.scheduled = null;
    for (const action of ORDER) {
      const total = this.totals.get(action);
      if (total && (total.dx !== 0 || total.dy !== 0 || total.delta !== 0)) {
        this.send(total);
      }
    }
    this.totals.clear();
  }

  dispose(): void {
    if (this.scheduled !== null) this.scheduler.cancel(this.scheduled);
    this.scheduled = null;
    this.totals.clear();
  }
}
