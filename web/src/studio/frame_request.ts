// SPDX-License-Identifier: Apache-2.0
import type { ViewportCameraPayload } from '../protocol/messages';

/// The camera message that makes an engine draw its current view once, for a tab that re-attached
/// (the hub does not replay the last frame). A camera the user moved is kept (a zero orbit); one
/// they never touched stays the engine's automatic framing (`reset`): a zero orbit would switch
/// that framing off in the Blender engine.
export function frame_request(user_moved_camera: boolean): ViewportCameraPayload {
  return user_moved_camera ? { action: 'orbit', dx: 0, dy: 0, delta: 0 } : { action: 'reset', dx: 0, dy: 0, delta: 0 };
}
