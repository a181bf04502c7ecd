// SPDX-License-Identifier: Apache-2.0
/// Frames per second over the last second and the age of the newest frame, for the overlay.
export class FrameStats {
  private times: number[] = [];
  private last_seq: number | undefined;
  dropped = 0;

  /// Returns false for a frame older than the one shown (a late frame after a newer one).
  accept(seq: number): boolean {
    // A much smaller seq means the engine restarted and counts again from zero.
    if (this.last_seq !== undefined && seq <= this.last_seq && this.last_seq - seq < 1000) {
      this.dropped += 1;
      return false;
    }
    this.last_seq = seq;
    return true;
  }

  /// Forgets everything: the next frame is accepted whatever its seq (a new engine counts from 1).
  reset(): void {
    this.times = [];
    this.last_seq = undefined;
  }

  record(now: number): void {
    this.times.push(now);
    const cutoff = now - 1000;
    while (this.times.length > 0 && this.times[0]! < cutoff) this.times.shift();
  }

  fps(now: number): number {
    const cutoff = now - 1000;
    return this.times.filter((t) => t >= cutoff).length;
  }

  age_ms(now: number): number | undefined {
    const last = this.times[this.times.length - 1];
    return last === undefined ? undefined : now - last;
  }
}
