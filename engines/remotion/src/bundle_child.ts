// SPDX-License-Identifier: Apache-2.0
// Bundles one Remotion project with webpack in a child process of the engine (renderer.ts forks
// it for each bundle). webpack keeps ~0.5 GiB after a build; a child gives it back when it exits.
// Protocol: one IPC message in ({entryPoint, rootDir, outDir, publicDir}), one out
// ({ok: true, serveUrl} or {ok: false, message, stack}), then the process exits.

import { bundle } from '@remotion/bundler';

export type BundleRequest = { entryPoint: string; rootDir: string; outDir: string; publicDir: string | null };
export type BundleReply = { ok: true; serveUrl: string } | { ok: false; message: string; stack?: string };

function reply(message: BundleReply): void {
  process.send!(message, () => process.exit(0));
}

process.once('message', (request: BundleRequest) => {
  bundle({ ...request, enableCaching: true }).then(
    (serveUrl) => reply({ ok: true, serveUrl }),
    (error: unknown) =>
      reply(
        error instanceof Error
          ? { ok: false, message: error.message, stack: error.stack }
          : { ok: false, message: String(error) },
      ),
  );
});
