// SPDX-License-Identifier: Apache-2.0
import type { Envelope } from '../protocol/messages';
import type { ProtocolClient } from '../protocol/protocol_client';

/// Which way the live viewport reaches this tab: video from the hub's WebRTC helper, or JPEG frames
/// over the WebSocket (always there, the fallback).
export type ViewportPath = 'webrtc' | 'jpeg';

export interface PathChange {
  path: ViewportPath;
  /// Why JPEG is in use (the helper is not running, the connection failed, no frame came …).
  reason?: string;
  /// The negotiated codec ("H264", "VP8"), when the path is WebRTC.
  codec?: string;
}

export interface WebRtcViewerOptions {
  client: ProtocolClient;
  video: HTMLVideoElement;
  on_change: (change: PathChange) => void;
  /// Falls back to JPEG when no video frame came this long after starting (default 5 s).
  first_frame_timeout_ms?: number;
}

const DEFAULT_FIRST_FRAME_TIMEOUT_MS = 5000;

/// Codecs this browser decodes, in our order of preference (H.264 first: hardware decoders).
export function supported_codecs(): string[] {
  const capabilities = typeof RTCRtpReceiver !== 'undefined' ? RTCRtpReceiver.getCapabilities?.('video') : null;
  if (!capabilities) return [];
  const names = new Set(capabilities.codecs.map((codec) => codec.mimeType.replace(/^video\//i, '').toUpperCase()));
  return ['H264', 'VP8'].filter((codec) => names.has(codec));
}

/// Whether the page asked for JPEG frames only (`?viewport=jpeg`, for comparisons and benchmarks).
export function webrtc_disabled(): boolean {
  return typeof location !== 'undefined' && new URLSearchParams(location.search).get('viewport') === 'jpeg';
}

/// One WebRTC viewer of the session's viewport (docs/viewport.md): `viewport:webrtc_start`, the hub's
/// offer answered here, ICE candidates both ways. Reports the path in use; on `failed`, on the hub's
/// `unavailable`, or when no frame shows within the timeout it stops and reports JPEG, which the
/// hub then sends again.
export class WebRtcViewer {
  private pc: RTCPeerConnection | null = null;
  private off_message: (() => void) | null = null;
  private timer: ReturnType<typeof setTimeout> | null = null;
  private frame_callback: number | null = null;
  private running = false;
  private codec: string | undefined;

  constructor(private readonly options: WebRtcViewerOptions) {}

  start(): void {
    this.stop_quietly();
    const codecs = supported_codecs();
    if (codecs.length === 0 || typeof RTCPeerConnection === 'undefined') {
      this.options.on_change({ path: 'jpeg', reason: 'this browser has no WebRTC video decoder for H.264 or VP8' });
      return;
    }
    this.running = true;
    this.off_message = this.options.client.on_message((message) => this.on_message(message));
    this.options.client.send('viewport:webrtc_start', { codecs }, { queue: false });
    const timeout = this.options.first_frame_timeout_ms ?? DEFAULT_FIRST_FRAME_TIMEOUT_MS;
    this.timer = setTimeout(() => this.fall_back(`no video frame within ${Math.round(timeout / 1000)} s`), timeout);
  }

  /// Stops the video; the hub goes back to JPEG frames for this tab.
  stop(): void {
    if (this.running) this.options.client.send('viewport:webrtc_stop', {}, { queue: false });
    this.stop_quietly();
  }

  private stop_quietly(): void {
    this.running = false;
    this.off_message?.();
    this.off_message = null;
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = null;
    const video = this.options.video;
    if (this.frame_callback !== null && 'cancelVideoFrameCallback' in video) video.cancelVideoFrameCallback(this.frame_callback);
    this.frame_callback = null;
    this.pc?.close();
    this.pc = null;
    video.srcObject = null;
  }

  private fall_back(reason: string): void {
    if (!this.running) return;
    this.stop();
    this.options.on_change({ path: 'jpeg', reason });
  }

  private on_message(message: Envelope): void {
    const payload = (message.payload ?? {}) as Record<string, unknown>;
    switch (message.type) {
      case 'viewport:webrtc_offer':
        void this.answer(String(payload.sdp ?? ''), (payload.ice_servers as RTCIceServer[] | undefined) ?? []).catch((error: unknown) =>
          this.fall_back(`could not answer the offer: ${String(error)}`),
        );
        break;
      case 'viewport:webrtc_ice': {
        const candidate = String(payload.candidate ?? '');
        if (this.pc && candidate) {
          void this.pc.addIceCandidate({ candidate, sdpMLineIndex: Number(payload.sdpMLineIndex ?? 0) }).catch(() => undefined);
        }
        break;
      }
      case 'viewport:webrtc_state': {
        const state = String(payload.state ?? '');
        if (state === 'failed' || state === 'closed' || state === 'unavailable') {
          this.fall_back(String(payload.reason ?? `video ${state}`));
        }
        break;
      }
    }
  }

  private async answer(sdp: string, ice_servers: RTCIceServer[]): Promise<void> {
    const pc = new RTCPeerConnection({ iceServers: ice_servers, bundlePolicy: 'max-bundle' });
    this.pc = pc;
    this.codec = /a=rtpmap:\d+ (H264|VP8)\//i.exec(sdp)?.[1]?.toUpperCase();
    pc.onicecandidate = (event) => {
      if (event.candidate && event.candidate.candidate) {
        this.options.client.send('viewport:webrtc_ice', { candidate: event.candidate.toJSON() }, { queue: false });
      }
    };
    pc.onconnectionstatechange = () => {
      if (pc.connectionState === 'failed') this.fall_back('the video connection failed');
    };
    pc.ontrack = (event) => {
      const video = this.options.video;
      video.srcObject = event.streams[0] ?? new MediaStream([event.track]);
      video.muted = true;
      void video.play().catch(() => undefined);
      const shown = () => {
        if (!this.running) return;
        if (this.timer !== null) clearTimeout(this.timer);
        this.timer = null;
        this.options.on_change({ path: 'webrtc', ...(this.codec ? { codec: this.codec } : {}) });
      };
      if ('requestVideoFrameCallback' in video) {
        this.frame_callback = video.requestVideoFrameCallback(shown);
      } else {
        (video as HTMLVideoElement).addEventListener('loadeddata', shown, { once: true });
      }
    };
    await pc.setRemoteDescription({ type: 'offer', sdp });
    const answer = await pc.createAnswer();
    await pc.setLocalDescription(answer);
    this.options.client.send('viewport:webrtc_answer', { sdp: answer.sdp ?? '' }, { queue: false });
  }
}
