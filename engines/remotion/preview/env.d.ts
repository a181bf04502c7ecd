// SPDX-License-Identifier: Apache-2.0
// The project's entry point, resolved by the preview server's plugin (src/preview_server.ts).
declare module 'virtual:atelier-project-entry';
