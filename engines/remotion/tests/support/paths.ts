// SPDX-License-Identifier: Apache-2.0
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** engines/remotion (this file is compiled to dist/tests/support/paths.js). */
export const engineDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
