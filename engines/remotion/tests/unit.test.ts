// SPDX-License-Identifier: Apache-2.0
// Units without a browser or a hub: path confinement, the file tools' rules, tsc output parsing,
// the source fingerprint, the manifests' shape.

import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { editFile, listFiles, readFile, writeFile } from '../src/file_tools.js';
import { isSessionId } from '../src/engine.js';
import { Access, resolveInside } from '../src/paths.js';
import { sourceFingerprint } from '../src/renderer.js';
import { RpcError } from '../src/rpc_error.js';
import { parseTscOutput } from '../src/typecheck.js';
import { engineDir } from './support/paths.js';

function refuses(work: () => unknown, pattern: RegExp): void {
  assert.throws(work, (error: unknown) => error instanceof RpcError && error.code === -32000 && pattern.test(error.message));
}

describe('paths', () => {
  let root = '';
  let outside = '';
  before(() => {
    root = fs.mkdtempSync(path.join(os.tmpdir(), 'paths-root-'));
    outside = fs.mkdtempSync(path.join(os.tmpdir(), 'paths-outside-'));
    fs.mkdirSync(path.join(root, 'src'));
    fs.symlinkSync(outside, path.join(root, 'out-link'));
    fs.symlinkSync(path.join(root, 'src'), path.join(root, 'in-link'));
    fs.mkdirSync(path.join(outside, 'modules', 'pkg'), { recursive: true });
    fs.writeFileSync(path.join(outside, 'modules', 'pkg', 'index.d.ts'), 'export {}');
    fs.symlinkSync(path.join(outside, 'modules'), path.join(root, 'node_modules'));
  });
  after(() => {
    fs.rmSync(root, { recursive: true, force: true });
    fs.rmSync(outside, { recursive: true, force: true });
  });

  it('resolves plain relative paths inside the tree, existing or not', () => {
    const real = fs.realpathSync(root);
    assert.equal(resolveInside(root, 'src/Root.tsx', Access.Write), path.join(real, 'src', 'Root.tsx'));
    assert.equal(resolveInside(root, './src/new/deep.ts', Access.Write), path.join(real, 'src', 'new', 'deep.ts'));
  });

  it('refuses empty, absolute and dot-dot paths', () => {
    refuses(() => resolveInside(root, '', Access.Read), /must not be empty/);
    refuses(() => resolveInside(root, '/etc/passwd', Access.Read), /not absolute/);
    refuses(() => resolveInside(root, '../x', Access.Read), /".." is not allowed/);
    refuses(() => resolveInside(root, 'src/../../x', Access.Write), /".." is not allowed/);
    refuses(() => resolveInside(root, 'src\\..\\..\\x', Access.Write), /".." is not allowed/);
  });

  it('refuses a symlink that leads out, and allows one that stays inside', () => {
    refuses(() => resolveInside(root, 'out-link/file', Access.Read), /outside the project/);
    refuses(() => resolveInside(root, 'out-link/new/file', Access.Write), /outside the project/);
    assert.equal(resolveInside(root, 'in-link/a.ts', Access.Write), path.join(fs.realpathSync(root), 'in-link', 'a.ts'));
  });

  it('never writes into node_modules or .git, but may read the shared modules', () => {
    refuses(() => resolveInside(root, 'node_modules/pkg/index.d.ts', Access.Write), /node_modules/);
    refuses(() => resolveInside(root, 'src/node_modules/x.js', Access.Write), /node_modules/);
    refuses(() => resolveInside(root, '.git/config', Access.Write), /\.git/);
    const read = resolveInside(root, 'node_modules/pkg/index.d.ts', Access.Read, path.join(outside, 'modules'));
    assert.equal(read, fs.realpathSync(path.join(outside, 'modules', 'pkg', 'index.d.ts')));
    refuses(() => resolveInside(root, 'node_modules/pkg/index.d.ts', Access.Read), /outside the project/);
  });
});

describe('file tools', () => {
  let root = '';
  const context = () => ({ workdir: root, sharedModules: path.join(root, 'node_modules') });
  before(() => {
    root = fs.mkdtempSync(path.join(os.tmpdir(), 'files-'));
  });
  after(() => fs.rmSync(root, { recursive: true, force: true }));

  it('writes, reads by line range and lists', () => {
    writeFile(context(), { path: 'src/a.ts', content: 'one\ntwo\nthree\n' });
    const part = readFile(context(), { path: 'src/a.ts', start_line: 2, end_line: 3 });
    assert.deepEqual(part.data, { path: 'src/a.ts', start_line: 2, end_line: 3, total_lines: 3, text: 'two\nthree' });
    refuses(() => readFile(context(), { path: 'src/a.ts', start_line: 9 }), /has 3 lines/);
    refuses(() => readFile(context(), { path: 'src/none.ts' }), /does not exist/);
    const listed = listFiles(context(), {}).data as { files: Array<{ path: string }> };
    assert.deepEqual(listed.files.map((f) => f.path), ['src/a.ts']);
  });

  it('edits exactly one match and names the count otherwise', () => {
    writeFile(context(), { path: 'b.txt', content: 'x y x' });
    refuses(() => editFile(context(), { path: 'b.txt', old_text: 'x', new_text: 'z' }), /matches 2 times/);
    refuses(() => editFile(context(), { path: 'b.txt', old_text: 'q', new_text: 'z' }), /0 matches/);
    refuses(() => editFile(context(), { path: 'b.txt', old_text: '', new_text: 'z' }), /must not be empty/);
    editFile(context(), { path: 'b.txt', old_text: 'y', new_text: '$&' });
    assert.equal(fs.readFileSync(path.join(root, 'b.txt'), 'utf8'), 'x $& x', 'replacement text is literal');
  });
});

describe('tsc output', () => {
  it('parses file, line, column, code and continuation lines', () => {
    const output = [
      "src/Root.tsx(12,7): error TS2322: Type 'string' is not assignable to type 'number'.",
      "  The expected type comes from property 'durationInFrames'.",
      'src/Intro.tsx(3,1): error TS1005: \';\' expected.',
      "error TS5058: The specified path does not exist: 'tsconfig.json'.",
    ].join('\n');
    const diagnostics = parseTscOutput(output);
    assert.equal(diagnostics.length, 3);
    assert.deepEqual(
      { ...diagnostics[0], message: diagnostics[0].message.split('\n')[0] },
      { file: 'src/Root.tsx', line: 12, column: 7, code: 'TS2322', message: "Type 'string' is not assignable to type 'number'." },
    );
    assert.match(diagnostics[0].message, /expected type comes from/);
    assert.equal(diagnostics[1].line, 3);
    assert.equal(diagnostics[2].file, '');
  });
});

describe('the engine', () => {
  it('removes the scratch folders of engines that are gone, not of live ones', async () => {
    const { removeStaleScratch } = await import('../src/engine.js');
    const gone = fs.mkdtempSync(path.join(os.tmpdir(), 'atelier-remotion-999999999-'));
    const live = fs.mkdtempSync(path.join(os.tmpdir(), `atelier-remotion-${process.pid}-`));
    try {
      removeStaleScratch();
      assert.ok(!fs.existsSync(gone), 'the dead engine\'s folder is removed');
      assert.ok(fs.existsSync(live), 'a live engine\'s folder stays');
    } finally {
      fs.rmSync(gone, { recursive: true, force: true });
      fs.rmSync(live, { recursive: true, force: true });
    }
  });

  it('treats pool owners as no session', () => {
    assert.equal(isSessionId(''), false);
    assert.equal(isSessionId('pool-1234'), false);
    assert.equal(isSessionId('0b6f5c1e-1111-2222-3333-444455556666'), true);
  });

  it('changes the source fingerprint when a file changes, not when renders/ does', () => {
    const root = fs.mkdtempSync(path.join(os.tmpdir(), 'fingerprint-'));
    try {
      fs.mkdirSync(path.join(root, 'src'));
      fs.writeFileSync(path.join(root, 'src', 'a.ts'), 'a');
      const first = sourceFingerprint(root);
      fs.mkdirSync(path.join(root, 'renders'));
      fs.writeFileSync(path.join(root, 'renders', 'x.mp4'), 'x');
      assert.equal(sourceFingerprint(root), first);
      fs.writeFileSync(path.join(root, 'src', 'a.ts'), 'ab');
      assert.notEqual(sourceFingerprint(root), first);
    } finally {
      fs.rmSync(root, { recursive: true, force: true });
    }
  });

  it('changes the source fingerprint when only the content changes (same size, same mtime)', () => {
    const root = fs.mkdtempSync(path.join(os.tmpdir(), 'fingerprint-'));
    try {
      const file = path.join(root, 'a.ts');
      fs.writeFileSync(file, 'red');
      const { atime, mtime } = fs.statSync(file);
      const first = sourceFingerprint(root);
      fs.writeFileSync(file, 'tan');
      fs.utimesSync(file, atime, mtime);
      assert.notEqual(sourceFingerprint(root), first);
      fs.writeFileSync(file, 'red');
      assert.equal(sourceFingerprint(root), first, 'the same content is the same fingerprint, whatever the mtime');
    } finally {
      fs.rmSync(root, { recursive: true, force: true });
    }
  });

  it('ships manifests whose tools have names, descriptions and known parameter types', () => {
    const known = new Set(['string', 'integer', 'float', 'boolean', 'enum', 'vector3', 'color', 'object_name', 'material_name', 'collection_name', 'file_path', 'dict']);
    const directory = path.join(engineDir, 'manifests');
    const ids = new Set<string>();
    for (const name of fs.readdirSync(directory)) {
      const manifest = JSON.parse(fs.readFileSync(path.join(directory, name), 'utf8'));
      assert.ok(manifest.addon_info.id && manifest.addon_info.name, name);
      assert.ok(!ids.has(manifest.addon_info.id), `duplicate addon id in ${name}`);
      ids.add(manifest.addon_info.id);
      for (const tool of manifest.ai_integration.tools) {
        assert.match(tool.name, /^[A-Za-z0-9_-]{1,64}$/);
        assert.ok(tool.description, tool.name);
        for (const parameter of tool.parameters ?? []) {
          assert.ok(known.has(parameter.type), `${tool.name}.${parameter.name}: ${parameter.type}`);
        }
      }
    }
    assert.deepEqual([...ids].sort(), ['files', 'remotion']);
  });

  it('pins every Remotion package of the engine and the template to one version', () => {
    for (const file of ['package.json', 'template/package.json']) {
      const pkg = JSON.parse(fs.readFileSync(path.join(engineDir, file), 'utf8'));
      const all = { ...pkg.dependencies, ...pkg.devDependencies } as Record<string, string>;
      const remotion = Object.entries(all).filter(([name]) => name === 'remotion' || name.startsWith('@remotion/'));
      assert.ok(remotion.length > 0, file);
      for (const [name, version] of remotion) {
        assert.equal(version, '4.0.529', `${file}: ${name}`);
      }
    }
  });
});
