// Facts about rendered files: PNG dimensions from the header, MP4 frame counts from ffprobe.

import { execFileSync } from 'node:child_process';
import fs from 'node:fs';

export function pngSize(bytes: Buffer): { width: number; height: number } {
  const signature = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
  if (bytes.length < 24 || !bytes.subarray(0, 8).equals(signature) || bytes.toString('ascii', 12, 16) !== 'IHDR') {
    throw new Error('not a PNG file');
  }
  return { width: bytes.readUInt32BE(16), height: bytes.readUInt32BE(20) };
}

export type VideoFacts = { frames: number; width: number; height: number; codec: string };

export function probeVideo(file: string): VideoFacts {
  if (!fs.existsSync(file)) {
    throw new Error(`${file} does not exist`);
  }
  const output = execFileSync(
    'ffprobe',
    ['-v', 'error', '-count_frames', '-select_streams', 'v:0', '-show_entries', 'stream=nb_read_frames,width,height,codec_name', '-of', 'json', file],
    { encoding: 'utf8' },
  );
  const stream = (JSON.parse(output) as { streams: Array<Record<string, string | number>> }).streams[0];
  return { frames: Number(stream.nb_read_frames), width: Number(stream.width), height: Number(stream.height), codec: String(stream.codec_name) };
}
