// SPDX-License-Identifier: Apache-2.0
import { describe, expect, it } from 'vitest';
import { clean_error_text, error_location, split_error } from '../src/preview/error_text';

describe('clean_error_text', () => {
  it('makes project paths relative and drops server paths and preview URLs', () => {
    expect(clean_error_text('Transform failed: /tmp/atelier-x/projects/p1/work/src/Title.tsx:12:5: ERROR: Expected ")"')).toBe(
      'Transform failed: src/Title.tsx:12:5: ERROR: Expected ")"',
    );
    expect(clean_error_text('at Title (http://127.0.0.1:8420/preview/4f2a-91/src/Title.tsx?t=1712:12:7)')).toBe('at Title (src/Title.tsx:12:7)');
    expect(clean_error_text('at f (/srv/shared/node_modules/remotion/dist/index.js:3:1)')).toBe('at f (node_modules/remotion/dist/index.js:3:1)');
    expect(clean_error_text('in /home/someone/private/folder/file.txt')).toBe('in …/folder/file.txt');
    expect(clean_error_text("Cannot find module './Titel'")).toBe("Cannot find module './Titel'");
  });
});

describe('split_error', () => {
  it('keeps the code frame apart as lines', () => {
    const frame = '  11 |   return (\n> 12 |     <h1>{titel</h1>\n     |         ^';
    expect(split_error(`Expected "}" but found "<"\n${frame}\n`)).toEqual({ headline: 'Expected "}" but found "<"', detail: frame });
    expect(split_error('one line')).toEqual({ headline: 'one line' });
    expect(split_error('src/A.tsx: Unexpected token (3:1)\n\n  2 | x\n> 3 | (')).toEqual({ headline: 'src/A.tsx: Unexpected token (3:1)', detail: '  2 | x\n> 3 | (' });
  });
});

describe('error_location', () => {
  it('finds file:line:column and tsc’s file(line,column)', () => {
    expect(error_location('src/Title.tsx:12:5: ERROR')).toEqual({ path: 'src/Title.tsx', line: 12, column: 5 });
    expect(error_location('src/Root.tsx(3,10): error TS2322')).toEqual({ path: 'src/Root.tsx', line: 3, column: 10 });
    expect(error_location('src/Intro.tsx: Unexpected token (83:23)\n\n  81 |')).toEqual({ path: 'src/Intro.tsx', line: 83, column: 23 });
    expect(error_location('no place')).toBeUndefined();
  });
});
