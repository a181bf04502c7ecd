// SPDX-License-Identifier: Apache-2.0
// The entry point Remotion bundles: it registers the root component that lists the compositions.
import { registerRoot } from 'remotion';
import { RemotionRoot } from './Root';

registerRoot(RemotionRoot);
