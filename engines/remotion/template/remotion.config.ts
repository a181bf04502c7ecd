// SPDX-License-Identifier: Apache-2.0
// Settings for the Remotion CLI (`npx remotion studio`, `npx remotion render`).
// atelier's engine renders through the Node API and does not read this file.
import { Config } from '@remotion/cli/config';

Config.setVideoImageFormat('jpeg');
Config.setOverwriteOutput(true);
