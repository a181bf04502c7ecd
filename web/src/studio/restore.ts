/// Restoring a version while an engine is live. The engine holds the scene in memory, and its next
/// save (after any mutating command, or when the session ends) would commit that scene on top of
/// the restore and silently undo it. So: end the session first (the hub saves and commits what
/// the engine has, then stops it), restore, then start a new session, whose engine loads the
/// restored files. The restore is a new version either way; nothing is lost.
export interface RestoreSteps {
  /// Ends the live session; resolves once it has ended (or there was none).
  end_session(): Promise<void>;
  /// POST …/versions/{rev}/restore.
  restore(rev: string): Promise<unknown>;
  /// Starts a fresh session for the project.
  start_session(): void;
}

export async function restore_with_session(rev: string, steps: RestoreSteps): Promise<void> {
  try {
    await steps.end_session();
  } catch {
    // The session did not confirm its end (dropped connection, engine already gone): the restore
    // is still right, and the new session below replaces whatever is left.
  }
  try {
    await steps.restore(rev);
  } finally {
    // Also after a failed restore: the old session is gone, the user needs an engine either way.
    steps.start_session();
  }
}
