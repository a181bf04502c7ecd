// SPDX-License-Identifier: Apache-2.0
// The page @remotion/renderer renders from (src/render_server.ts serves it as its serveUrl): the
// project's entry point and Remotion's render entry, as the webpack bundle of @remotion/bundler
// holds them, but compiled per module by Vite, so that a new or changed project renders without
// waiting for a bundle. The page's globals (window.remotion_*, process.env) are set by the HTML
// before this module runs.

// The project registers its root (registerRoot); the render entry waits for it and installs what
// the renderer calls: getStaticCompositions, remotion_calculateComposition, remotion_setBundleMode.
import 'virtual:atelier-project-entry';
import '@remotion/studio/renderEntry';
