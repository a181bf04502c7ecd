import { FakeHub, makeProject, startEngine } from './dist/tests/support/fake_hub.js';
const hub = new FakeHub();
const project = makeProject('dbg-');
const url = await hub.listen();
const t0 = Date.now();
const engine = startEngine(url, project, process.argv[2] ?? 'pool-1');
await hub.until(() => hub.hello, 'hello', 60000); const t1 = Date.now();
await hub.until(() => hub.notification('tools/update'), 'tools', 60000); const t2 = Date.now();
if (process.argv[2]) await hub.until(() => hub.notification('preview/ready'), 'ready', 60000);
const t3 = Date.now();
console.log('hello', t1 - t0, 'tools', t2 - t0, 'preview', t3 - t0);
let s = Date.now(); await hub.call('remotion__list_compositions'); console.log('first list', Date.now() - s);
for (let i = 0; i < 4; i++) { s = Date.now(); await hub.call('remotion__render_still', { frame: 30 }); console.log('still', Date.now() - s); }
s = Date.now(); const r = await hub.call('remotion__render_video', {}); console.log('video', Date.now() - s, r.data.seconds);
await hub.request('engine/shutdown', {});
await engine.exited; await hub.close();
