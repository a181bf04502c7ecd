// SPDX-License-Identifier: Apache-2.0
import {
  AbsoluteFill,
  Img,
  Sequence,
  interpolate,
  spring,
  staticFile,
  useCurrentFrame,
  useVideoConfig,
} from 'remotion';

export type IntroProps = {
  title: string;
  subtitle: string;
  background: string;
};

export const introSchemaDefaults: IntroProps = {
  title: 'Hello from atelier',
  subtitle: 'Made with Remotion',
  background: '#0b1020',
};

const Logo: React.FC = () => {
  const frame = useCurrentFrame();
  const { fps } = useVideoConfig();
  // A spring from 70 % to full size during the first second: the logo is on screen from
  // frame 0, so the first frame of a new project already shows something.
  const scale = spring({ frame, fps, from: 0.7, to: 1, config: { damping: 12 } });
  return (
    <AbsoluteFill style={{ justifyContent: 'center', alignItems: 'center', top: -110 }}>
      <Img src={staticFile('logo.svg')} style={{ width: 220, transform: `scale(${scale})` }} />
    </AbsoluteFill>
  );
};

const Title: React.FC<{ text: string }> = ({ text }) => {
  const frame = useCurrentFrame();
  // Frames here count from the start of the enclosing <Sequence>.
  const opacity = interpolate(frame, [0, 20], [0, 1], { extrapolateRight: 'clamp' });
  const y = interpolate(frame, [0, 20], [40, 0], { extrapolateRight: 'clamp' });
  return (
    <AbsoluteFill style={{ justifyContent: 'center', alignItems: 'center', top: 110 }}>
      <h1
        style={{
          fontFamily: 'sans-serif',
          fontSize: 84,
          color: 'white',
          margin: 0,
          opacity,
          transform: `translateY(${y}px)`,
        }}
      >
        {text}
      </h1>
    </AbsoluteFill>
  );
};

const Subtitle: React.FC<{ text: string }> = ({ text }) => {
  const frame = useCurrentFrame();
  const opacity = interpolate(frame, [0, 15], [0, 1], { extrapolateRight: 'clamp' });
  return (
    <AbsoluteFill style={{ justifyContent: 'center', alignItems: 'center', top: 200 }}>
      <p style={{ fontFamily: 'sans-serif', fontSize: 40, color: '#9fb3ff', margin: 0, opacity }}>{text}</p>
    </AbsoluteFill>
  );
};

export const Intro: React.FC<IntroProps> = ({ title, subtitle, background }) => {
  return (
    <AbsoluteFill style={{ backgroundColor: background }}>
      <Sequence name="Logo" durationInFrames={90}>
        <Logo />
      </Sequence>
      <Sequence name="Title" from={20} durationInFrames={70}>
        <Title text={title} />
      </Sequence>
      <Sequence name="Subtitle" from={45} durationInFrames={45}>
        <Subtitle text={subtitle} />
      </Sequence>
    </AbsoluteFill>
  );
};
