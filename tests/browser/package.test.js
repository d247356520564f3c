// `npm pack` gives a package that works when installed into a fresh project: imported as a
// plain ES module in the browser (import map), bundled by Vite, and imported by Node without
// crashing (server-side rendering); its TypeScript declarations type-check a consumer.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { launch } from './support/browser.js';
import { serve } from './support/server.js';
import { ROOT, openPage } from './support/session.js';

const run = promisify(execFile);

let work;
let project;
let packed;
let browser;
before(async () => {
  work = await mkdtemp(join(tmpdir(), 'keycadence-pack-'));
  const { stdout } = await run('npm', ['pack', join(ROOT, 'pkg'), '--json', '--pack-destination', work], { cwd: ROOT });
  [packed] = JSON.parse(stdout);
  project = join(work, 'fresh-project');
  await run('mkdir', ['-p', project]);
  await writeFile(join(project, 'package.json'), JSON.stringify({ name: 'fresh-project', private: true, type: 'module' }));
  await run('npm', ['install', '--offline', '--no-audit', '--no-fund', join(work, packed.filename)], { cwd: project });
  browser = await launch();
});
after(async () => {
  await browser?.close();
  if (work) await rm(work, { recursive: true, force: true });
});

/** The page both projects serve: a field, and the recorder published for the test. */
const BODY = '<body><input id="field"></body>';
const APP = `import TypingDNA from 'keycadence';
window.TypingDNA = TypingDNA;
new TypingDNA();
TypingDNA.ready.then(() => { document.body.dataset.ready = 'true'; });
`;

async function typeAndRead(url) {
  const { page, errors } = await openPage(browser, url);
  await page.waitForSelector('body[data-ready="true"]');
  await page.click('#field');
  await page.keyboard.type('hello', { delay: 25 });
  const result = await page.evaluate(() => ({
    type1: new window.TypingDNA().getTypingPattern({ type: 1, text: 'hello' }),
    textId: window.TypingDNA.getTextId('hello world'),
  }));
  assert.deepEqual(errors, []);
  return result;
}

function assertRecorded({ type1, textId }) {
  assert.equal(textId, 939726232);
  assert.ok(type1, 'a type 1 pattern');
  const rows = type1.split('|').slice(1);
  assert.equal(rows.length, 5, type1);
  assert.ok(rows.every((row) => /^\d+,\d+$/.test(row)), type1);
}

test('the packed package holds the shim, the declarations, the wasm and the licence', () => {
  const files = packed.files.map((f) => f.path).sort();
  assert.deepEqual(files, [
    'LICENSE', 'NOTICE', 'README.md', 'index.d.ts', 'index.js', 'index.js.map',
    'keycadence.js', 'keycadence_wasm_bg.wasm', 'package.json', 'sign-in.d.ts', 'sign-in.js',
    'src/classic.js', 'src/helpers.js', 'src/index.js', 'src/queue.js', 'src/typingdna.js',
    'verify-client.d.ts', 'verify-client.js', 'verify.js', 'visualizer.js',
  ]);
  assert.equal(packed.name, 'keycadence');
});

test('the installed source map holds the text of every source it names', async () => {
  const map = JSON.parse(await readFile(join(project, 'node_modules', 'keycadence', 'index.js.map'), 'utf8'));
  assert.ok(map.sources.length >= 5, map.sources.join(', '));
  assert.equal(map.sourcesContent?.length, map.sources.length);
  map.sources.forEach((source, i) => assert.ok(map.sourcesContent[i]?.length > 0, `no text for ${source}`));
  // The generated glue is among them, though the package ships it only inside index.js.
  assert.ok(map.sources.some((source) => source.endsWith('keycadence_wasm.js')), map.sources.join(', '));
});

test('installed into a fresh project, its VerifyClient imports in Node and encrypts payloads', async () => {
  await writeFile(join(project, 'verify.mjs'), `import { VerifyClient, deriveKey, encryptPayload, decryptPayload } from 'keycadence/verify-client';
const key = deriveKey('secret', 'application', 1.1);
const sealed = encryptPayload(key, JSON.stringify({ email: 'a@example.com' }));
const client = new VerifyClient({ clientId: 'c', applicationId: 'application', secret: 'secret', serverUrl: 'http://127.0.0.1:9' });
console.log(JSON.stringify({ roundTrip: decryptPayload(key, sealed), hasSend: typeof client.sendOTP, verifyScript: import.meta.resolve('keycadence/verify') }));
`);
  const { stdout } = await run(process.execPath, ['verify.mjs'], { cwd: project });
  const out = JSON.parse(stdout.trim().split('\n').pop());
  assert.equal(out.roundTrip, JSON.stringify({ email: 'a@example.com' }));
  assert.equal(out.hasSend, 'function');
  // The Verify window's front-end script is exported too (the file the server serves).
  assert.match(out.verifyScript, /node_modules\/keycadence\/verify\.js$/);
});

test('installed into a fresh project, it works as a plain ES module', async () => {
  await writeFile(join(project, 'plain.html'), `<!doctype html><html><head><meta charset="utf-8">
<link rel="icon" href="data:,">
<script type="importmap">{"imports": {"keycadence": "./node_modules/keycadence/index.js"}}</script>
<script type="module">${APP}</script></head>${BODY}</html>`);
  const server = await serve(project);
  try {
    assertRecorded(await typeAndRead(`${server.url}/plain.html`));
  } finally {
    await server.close();
  }
});

test('installed into a fresh project, keycadence/classic works as a classic script', async () => {
  await writeFile(join(project, 'classic.html'), `<!doctype html><html><head><meta charset="utf-8">
<link rel="icon" href="data:,">
<script src="./node_modules/keycadence/keycadence.js"></script>
<script>new TypingDNA();</script>
</head><body data-ready="true"><input id="field"></body></html>`);
  const server = await serve(project);
  try {
    assertRecorded(await typeAndRead(`${server.url}/classic.html`));
  } finally {
    await server.close();
  }
});

test('installed into a fresh project, it works bundled by Vite', async () => {
  await writeFile(join(project, 'main.js'), APP);
  await writeFile(join(project, 'index.html'), `<!doctype html><html><head><meta charset="utf-8">
<link rel="icon" href="data:,">
<script type="module" src="/main.js"></script></head>${BODY}</html>`);
  await run(join(ROOT, 'node_modules', '.bin', 'vite'), ['build', '--logLevel', 'warn'], { cwd: project });
  const server = await serve(join(project, 'dist'));
  try {
    assertRecorded(await typeAndRead(`${server.url}/index.html`));
  } finally {
    await server.close();
  }
});

test('its TypeScript declarations type-check a consumer, and reject wrong calls', async () => {
  const tsc = join(ROOT, 'node_modules', '.bin', 'tsc');
  const config = { compilerOptions: { strict: true, noEmit: true, module: 'nodenext', moduleResolution: 'nodenext', target: 'es2022', lib: ['es2022', 'dom'] }, files: ['usage.ts'] };
  await writeFile(join(project, 'tsconfig.json'), JSON.stringify(config));
  const usage = `import TypingDNA, { ready } from 'keycadence';
const tdna = new TypingDNA({ clock: 'date', fixQuirks: true });
await ready;
const same: string | null = tdna.getTypingPattern({ type: 1, text: 'hello', textId: '42', targetId: 'f', caseSensitive: true });
const quality: number = TypingDNA.getQuality(tdna.getTypingPattern({ type: 0, length: 160 }) ?? '');
const browser: string = tdna.checkEnvironment().browserType;
const clock: 'event' | 'date' = TypingDNA.clock;
tdna.addTarget('f');
tdna.reset(true);
console.log(same, quality, browser, clock, TypingDNA.createdAt, TypingDNA.isMobile(), tdna.getMouseDiagram());
`;
  await writeFile(join(project, 'usage.ts'), usage);
  await run(tsc, ['-p', project]);
  // A wrong option type and a wrong result type are caught.
  await writeFile(join(project, 'usage.ts'), `${usage}tdna.getTypingPattern({ type: 5 });
const n: number = tdna.getTypingPattern();
`);
  const failed = await run(tsc, ['-p', project]).then(() => null, (error) => error.stdout);
  assert.match(failed ?? '', /TS2322[\s\S]*TS2322/);
});

test('its sign-in declarations type-check a consumer, and reject an unknown strategy', async () => {
  const tsc = join(ROOT, 'node_modules', '.bin', 'tsc');
  const usage = `import { SignIn, SignInError } from 'keycadence/sign-in';
const input = document.createElement('input');
const signIn = new SignIn({ serverUrl: 'https://auth.example.com', id: 'sia_1', token: 't', input });
await signIn.prepareSecondFactor({ strategy: 'typing' });
const text: string | undefined = signIn.secondFactorVerification?.text;
const next = await signIn.attemptSecondFactor({ strategy: 'email_code', code: '123456' });
const done: boolean = next.status === 'complete';
const fallbacks: string[] = next.supportedSecondFactors.map((f) => f.strategy);
try { await signIn.attemptSecondFactor({ strategy: 'typing' }); } catch (e) { if (e instanceof SignInError) console.log(e.code, e.errors[0]?.message); }
console.log(text, done, fallbacks);
`;
  await writeFile(join(project, 'usage.ts'), usage);
  await run(tsc, ['-p', project]);
  await writeFile(join(project, 'usage.ts'), `${usage}await signIn.prepareSecondFactor({ strategy: 'password' });
`);
  const failed = await run(tsc, ['-p', project]).then(() => null, (error) => error.stdout);
  assert.match(failed ?? '', /TS2322/);
});

test('imported by Node, it loads without crashing and reports that it needs a browser', async () => {
  const script = `import TypingDNA, { ready } from 'keycadence';
// Constructed at once, as a page's module would be during server-side rendering.
new TypingDNA();
let outcome = 'resolved';
try { await ready; } catch (error) { outcome = 'rejected'; }
console.log(JSON.stringify({ outcome, same: ready === TypingDNA.ready }));`;
  const { stdout } = await run('node', ['--input-type=module', '-e', script], { cwd: project });
  assert.deepEqual(JSON.parse(stdout), { outcome: 'rejected', same: true });
});

test('constructed outside a page (Node), the classic build throws an Error saying it needs one', async () => {
  const script = `await import('keycadence/classic');
let thrown = null;
try { new globalThis.TypingDNA(); } catch (error) { thrown = { error: error instanceof Error, message: error.message }; }
console.log(JSON.stringify(thrown));`;
  const { stdout } = await run('node', ['--input-type=module', '-e', script], { cwd: project });
  assert.deepEqual(JSON.parse(stdout), { error: true, message: 'keycadence: no window.document: the recorder runs in a page' });
});
