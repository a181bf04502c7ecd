// SPDX-License-Identifier: Apache-2.0
import { Composition } from 'remotion';
import { Intro, introSchemaDefaults } from './Intro';

// Every <Composition> here is a video that can be previewed and rendered.
export const RemotionRoot: React.FC = () => {
  return (
    <>
      <Composition
        id="Intro"
        component={Intro}
        durationInFrames={90}
        fps={30}
        width={1280}
        height={720}
        defaultProps={introSchemaDefaults}
      />
    </>
  );
};
