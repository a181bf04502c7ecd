// SPDX-License-Identifier: Apache-2.0
/// Restoring a version. The hub checks the restored files out into every live session of the
/// project and has its engine open them (`project/open`), so the engine's next save cannot write
/// the old scene over the restore: the session, its engine process and the tabs stay, and the
/// scene line and the viewport follow the engine. Only when no session is live does the app start
/// one, whose engine then loads the restored files. The restore is a new version either way.
export interface RestoreSteps {
  /// POST …/versions/{rev}/restore.
  restore(rev: string): Promise<unknown>;
  /// Whether a session is live (ready, busy or reconnecting) for this tab.
  live(): boolean;
  /// Starts a session for the project.
  start_session(): void;
}

export async function restore_with_session(rev: string, steps: RestoreSteps): Promise<void> {
  await steps.restore(rev);
  if (!steps.live()) {
    steps.start_session();
  }
}
