// SPDX-License-Identifier: Apache-2.0
import { useEffect, useRef, useState, type KeyboardEvent, type PointerEvent } from 'react';
import { CameraCoalescer } from '../protocol/camera_coalescer';
import type { CameraAction, ViewportCameraPayload } from '../protocol/messages';
import type { ProtocolClient } from '../protocol/protocol_client';
import { save_thumbnail } from '../lib/session_store';
import { FrameRenderer, type FrameInfo } from '../studio/frame_renderer';
import { ViewportOverlay } from './viewport_overlay';
import { WebRtcViewer, webrtc_disabled, type PathChange } from '../preview/webrtc';

interface Props {
  project_id: string;
  client: ProtocolClient;
  on_camera: (payload: ViewportCameraPayload) => void;
  /// What to say while there is no picture.
  placeholder?: string;
  /// The session whose engine draws; when it changes, the old picture goes.
  session_id?: string | undefined;
  /// The engine is busy: a frame should come (the overlay marks an old one as late).
  busy?: boolean;
}

const THUMBNAIL_EVERY_MS = 5000;
const KEY_STEP_PX = 24;
/// After falling back to JPEG, WebRTC is tried again this much later (the helper may be back).
const WEBRTC_RETRY_MS = 15_000;

/// Drag = orbit, right-drag or Shift+drag = pan, wheel = zoom; arrows orbit (Shift+arrows pan),
/// + and − zoom when the viewport has focus.
export function Viewport({ project_id, client, on_camera, placeholder = 'Waiting for the first frame…', session_id, busy = false }: Props) {
  const canvas = useRef<HTMLCanvasElement>(null);
  const renderer = useRef<FrameRenderer | null>(null);
  const coalescer = useRef<CameraCoalescer | null>(null);
  const drag = useRef<{ action: CameraAction; x: number; y: number } | null>(null);
  const [info, set_info] = useState<FrameInfo | undefined>(undefined);
  const video = useRef<HTMLVideoElement>(null);
  const [path, set_path] = useState<PathChange>({ path: 'jpeg' });

  // WebRTC video by default once the session is live and the engine has drawn its first frame (a
  // still-launching Blender has nothing to encode, and the viewer would give up after its first-frame
  // timeout); JPEG frames stay the fallback (docs/viewport.md).
  const has_frame = info !== undefined;
  useEffect(() => {
    const element = video.current;
    if (!element || session_id === undefined || !has_frame || webrtc_disabled()) return;
    let retry: ReturnType<typeof setTimeout> | null = null;
    const viewer = new WebRtcViewer({
      client,
      video: element,
      on_change: (change) => {
        set_path(change);
        if (change.path === 'jpeg' && retry === null) {
          retry = setTimeout(() => {
            retry = null;
            viewer.start();
          }, WEBRTC_RETRY_MS);
        }
      },
    });
    viewer.start();
    // After a reconnect the hub sees a new tab: start again once the session is re-attached.
    let reconnected = false;
    const off_state = client.on_state((state) => {
      if (state.kind !== 'open') reconnected = true;
    });
    const off = client.on_message((message) => {
      if (message.type === 'session:ready' && reconnected) {
        reconnected = false;
        viewer.start();
      }
    });
    return () => {
      off();
      off_state();
      if (retry !== null) clearTimeout(retry);
      viewer.stop();
      set_path({ path: 'jpeg' });
    };
  }, [client, session_id, has_frame]);

  // While the video plays, each of its frames is also drawn into the canvas: thumbnails, and tests
  // that sample the canvas, see what the user sees whichever path is live.
  useEffect(() => {
    const element = video.current;
    const target = canvas.current;
    if (path.path !== 'webrtc' || !element || !target) return;
    let handle = 0;
    let active = true;
    const paint = () => {
      if (!active) return;
      const context = target.getContext('2d');
      const width = target.width;
      const height = target.height;
      if (context && element.videoWidth > 0) {
        const scale = Math.min(width / element.videoWidth, height / element.videoHeight);
        const w = element.videoWidth * scale;
        const h = element.videoHeight * scale;
        context.fillStyle = '#08090c';
        context.fillRect(0, 0, width, height);
        context.drawImage(element, (width - w) / 2, (height - h) / 2, w, h);
      }
      handle = element.requestVideoFrameCallback(paint);
    };
    handle = element.requestVideoFrameCallback(paint);
    return () => {
      active = false;
      element.cancelVideoFrameCallback(handle);
    };
  }, [path.path]);

  useEffect(() => {
    const element = canvas.current;
    if (!element) return;
    const frames = new FrameRenderer(element, (frame) => set_info((old) => (old && old.width === frame.width && old.height === frame.height && old.codec === frame.codec ? old : frame)));
    renderer.current = frames;
    const off = client.on_binary((buffer) => frames.push(buffer));
    const resize = new ResizeObserver(() => frames.draw());
    resize.observe(element);
    frames.draw();
    const thumbnails = setInterval(() => {
      const thumbnail = frames.thumbnail();
      if (thumbnail) save_thumbnail(project_id, thumbnail);
    }, THUMBNAIL_EVERY_MS);
    return () => {
      const thumbnail = frames.thumbnail();
      if (thumbnail) save_thumbnail(project_id, thumbnail);
      clearInterval(thumbnails);
      off();
      resize.disconnect();
      frames.dispose();
      renderer.current = null;
    };
  }, [client, project_id]);

  const shown_session = useRef(session_id);
  useEffect(() => {
    if (shown_session.current === session_id) return;
    const first = shown_session.current === undefined;
    shown_session.current = session_id;
    // The first session of the page keeps what it has; a later one is another engine.
    if (first || session_id === undefined) return;
    renderer.current?.clear();
    set_info(undefined);
  }, [session_id]);

  useEffect(() => {
    const camera = new CameraCoalescer(on_camera);
    coalescer.current = camera;
    const element = canvas.current;
    // React's wheel listener is passive; zooming must not scroll the page.
    const on_wheel = (event: WheelEvent) => {
      event.preventDefault();
      const pixels = event.deltaMode === 1 ? event.deltaY * 16 : event.deltaY;
      camera.add('zoom', 0, 0, -pixels / 100);
    };
    element?.addEventListener('wheel', on_wheel, { passive: false });
    return () => {
      element?.removeEventListener('wheel', on_wheel);
      camera.dispose();
      coalescer.current = null;
    };
  }, [on_camera]);

  const on_pointer_down = (event: PointerEvent<HTMLCanvasElement>) => {
    const pan = event.button === 2 || event.button === 1 || event.shiftKey;
    if (event.button !== 0 && !pan) return;
    event.currentTarget.setPointerCapture(event.pointerId);
    event.currentTarget.focus();
    drag.current = { action: pan ? 'pan' : 'orbit', x: event.clientX, y: event.clientY };
  };

  const on_pointer_move = (event: PointerEvent<HTMLCanvasElement>) => {
    const current = drag.current;
    if (!current) return;
    const dx = event.clientX - current.x;
    const dy = event.clientY - current.y;
    current.x = event.clientX;
    current.y = event.clientY;
    if (dx !== 0 || dy !== 0) coalescer.current?.add(current.action, dx, dy);
  };

  const end_drag = () => {
    drag.current = null;
  };

  const on_key_down = (event: KeyboardEvent<HTMLCanvasElement>) => {
    const action: CameraAction = event.shiftKey ? 'pan' : 'orbit';
    const moves: Record<string, [number, number]> = {
      ArrowLeft: [-KEY_STEP_PX, 0],
      ArrowRight: [KEY_STEP_PX, 0],
      ArrowUp: [0, -KEY_STEP_PX],
      ArrowDown: [0, KEY_STEP_PX],
    };
    const move = moves[event.key];
    if (move) {
      event.preventDefault();
      coalescer.current?.add(action, move[0], move[1]);
    } else if (event.key === '+' || event.key === '=') {
      event.preventDefault();
      coalescer.current?.add('zoom', 0, 0, 1);
    } else if (event.key === '-' || event.key === '_') {
      event.preventDefault();
      coalescer.current?.add('zoom', 0, 0, -1);
    } else if (event.key === '0' || event.key === 'Home') {
      event.preventDefault();
      reset_view();
    }
  };

  /// Back to the engine's own framing of the whole scene.
  const reset_view = () => on_camera({ action: 'reset', dx: 0, dy: 0, delta: 0 });

  return (
    <>
      <canvas
        ref={canvas}
        tabIndex={0}
        aria-label="Live viewport. Drag to orbit, right-drag or Shift+drag to pan, wheel to zoom; arrow keys orbit, Shift+arrows pan, plus and minus zoom, 0 resets the view."
        onPointerDown={on_pointer_down}
        onPointerMove={on_pointer_move}
        onPointerUp={end_drag}
        onPointerCancel={end_drag}
        onLostPointerCapture={end_drag}
        onContextMenu={(event) => event.preventDefault()}
        onKeyDown={on_key_down}
      />
      {!info && (
        <div className="viewport-empty">
          <div className="grid-floor" aria-hidden="true" />
          <div>{placeholder}</div>
        </div>
      )}
      <video
        ref={video}
        className="viewport-video"
        muted
        playsInline
        autoPlay
        aria-hidden="true"
        style={{ position: 'absolute', inset: 0, width: '100%', height: '100%', objectFit: 'contain', pointerEvents: 'none', display: path.path === 'webrtc' ? 'block' : 'none' }}
      />
      <span
        className="viewport-path"
        data-path={path.path}
        title={path.reason ?? (path.path === 'webrtc' ? 'WebRTC video from the hub' : 'JPEG frames over the WebSocket')}
        style={{ position: 'absolute', left: 10, bottom: 36, zIndex: 2, fontSize: 11, padding: '1px 6px', borderRadius: 4, background: 'rgba(0,0,0,0.55)', color: path.path === 'webrtc' ? '#8fe388' : '#e8e8e8', pointerEvents: 'none' }}
      >
        {path.path === 'webrtc' ? `WebRTC${path.codec ? ` · ${path.codec}` : ''}` : 'JPEG'}
      </span>
      <ViewportOverlay renderer={renderer} info={info} expecting={busy} />
      {info && (
        <button className="ghost small viewport-reset" onClick={reset_view} title="Frame the whole scene again (key 0)">
          Reset view
        </button>
      )}
      <div className="viewport-help" aria-hidden="true">
        drag orbit · right-drag / ⇧ pan · wheel zoom
      </div>
    </>
  );
}
