// The classic-script build (pkg/keycadence.js) on a page written for typingdna.js: one
// `<script src>`, no module code, the recorder used in the next script. And no keystroke lost
// at load in either build: keys typed from the first milliseconds after construction reach the
// pattern, also when the ES module build's wasm arrives late.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { openPage, startSession } from './support/session.js';
import { seeded, typeText } from './support/typist.js';
import { callInPage, logEvents, replay, vector } from './support/vector.js';

const TEXT = 'the quick brown fox jumps over the lazy dog';

let session;
before(async () => {
  session = await startSession();
});
after(() => session?.close());

const classicUrl = (query = '') => `${session.server.url}/tests/browser/pages/classic.html${query}`;

/** Every pattern kind and option compared between the page and the core's replay. */
const CALLS = [
  ['getTypingPattern', [{ type: 0 }]],
  ['getTypingPattern', [{ type: 0, length: 30 }]],
  ['getTypingPattern', [{ type: 1, text: TEXT }]],
  ['getTypingPattern', [{ type: 2, text: TEXT }]],
  ['getTypingPattern', [{ type: 1, text: 'THE QUICK brown', caseSensitive: true }]],
  // ASCII texts are case-mapped in the module, others by the browser: one missing "ß", whose
  // upper case "SS" shifts the alternatives of the characters after it.
  ['getTypingPattern', [{ type: 2, text: 'The quick ßrown fox jumps over the lazy dog' }]],
  ['getTypingPattern', [{ type: 2, text: TEXT, targetId: 'field' }]],
  ['getQuality', ['0,1,2']],
  // The static helpers are plain JavaScript in the package, the core's in Rust.
  ['getQuality', [`160,3.1,0,0,0,0,0,0,0,0,0,${[9, 0, 3, 12, 5, 0, 7, 1, 30, 2, 4, 6].join(',')},${'1,'.repeat(31)}x`]],
  ['getLength', ['0,3.2,0,1,16,5,0|1,2|3,4']],
  ['getLength', ['  12 ,1']],
  ['getTextId', ['Ärger ß ǅ 😀 İ ΣΑΣ']],
  // The deprecated methods are getTypingPattern calls in the package, their own functions in
  // the core.
  ['get', [30]],
  ['getDiagram', [TEXT]],
  ['getExtendedDiagram', ['THE QUICK brown', '77']],
];

test('one script tag defines TypingDNA, usable in the next script without awaiting anything', async (t) => {
  const requests = [];
  const { page, errors } = await openPage(session.browser, classicUrl(), {}, (context) => {
    context.on('request', (request) => requests.push(new URL(request.url()).pathname));
  });
  const state = await page.evaluate(() => ({
    atOnce: window.atOnce,
    usable: window.usableAt - window.tagAt,
    global: typeof window.TypingDNA,
    version: window.TypingDNA.version,
    module: document.querySelectorAll('script[type=module]').length,
  }));
  t.diagnostic(`classic script tag to a usable recorder: ${state.usable.toFixed(1)} ms (download, compile, instantiate)`);
  assert.deepEqual(state.atOnce, { textId: 939726232, type0: 'string', type1: null, initialized: true, same: true });
  assert.equal(state.global, 'function');
  assert.equal(state.version, 3.2);
  assert.equal(state.module, 0);
  // Nothing but the page and the one script: the module is inside it.
  assert.deepEqual(requests, ['/tests/browser/pages/classic.html', '/pkg/keycadence.js']);
  assert.deepEqual(errors, []);
});

for (const clock of ['event', 'date']) {
  test(`typed keys give type 0/1/2 patterns synchronously, equal to the core's replay (clock '${clock}')`, async () => {
    const { page, errors } = await openPage(session.browser, classicUrl(clock === 'date' ? '?clock=date' : ''), {}, logEvents);
    assert.equal(await page.evaluate(() => window.TypingDNA.clock), clock);
    await page.click('#field');
    await typeText(page, 'The quick brown fox jumps over the lazy dog', seeded(clock === 'date' ? 21 : 22));
    const inPage = await callInPage(page, CALLS);
    assert.match(inPage[2], /^\d+,\d/, 'a type 1 pattern');
    assert.equal(inPage[3].split('|').length, TEXT.length + 1, 'a type 2 row per character');
    if (clock === 'event') {
      // The log holds each event's own timestamp: the event clock's times exactly.
      const { file, results } = await replay(await vector(page, 'classic-typed', CALLS));
      assert.deepEqual(inPage, results, `page and core differ; vector kept in ${file}`);
    }
    assert.deepEqual(errors, []);
  });
}

/**
 * Key events dispatched by a script in the page, with `Date.now()` replaced by a clock the test
 * sets before each event: with clock 'date' the recorder reads exactly the times the test
 * chose, as the reference would, so its patterns can be compared with the core's replay of the
 * same events string for string.
 */
test("clock 'date' with scripted events and times gives the reference's strings (core replay)", async () => {
  const { page, errors } = await openPage(session.browser, classicUrl('?clock=date'), {}, (context) => context.addInitScript(() => {
    window.__now = 1_700_000_000_000;
    Date.now = () => window.__now;
    window.__keycadenceLog = []; // (the events are built below, not logged)
  }));
  const text = 'Hello there, General Kenobi';
  const ops = await page.evaluate((text) => {
    const field = document.getElementById('field');
    const ops = [];
    const random = (() => {
      let a = 7;
      return () => ((a = (a * 16807) % 2147483647) / 2147483647);
    })();
    const fire = (type, c, shiftKey) => {
      const upper = c.toUpperCase();
      const keyCode = c === ' ' ? 32 : c === ',' ? 188 : upper.charCodeAt(0);
      const charCode = type === 'keypress' ? c.charCodeAt(0) : 0;
      window.__now += type === 'keydown' ? 40 + Math.floor(random() * 140) : type === 'keyup' ? 30 + Math.floor(random() * 90) : 0;
      if (type === 'keypress') field.value += c;
      field.dispatchEvent(new KeyboardEvent(type, { bubbles: true, key: c, keyCode, charCode, which: keyCode, shiftKey }));
      ops.push({
        op: 'key', type, t: window.__now, target: 'field', keyCode, charCode, shiftKey,
        value: field.value, selectionStart: field.selectionStart,
      });
    };
    for (const c of text) {
      const shiftKey = c !== c.toLowerCase();
      fire('keydown', c, shiftKey);
      fire('keypress', c, shiftKey);
      fire('keyup', c, shiftKey);
    }
    return ops;
  }, text);
  const calls = [
    ['getTypingPattern', [{ type: 0 }]],
    ['getTypingPattern', [{ type: 1, text }]],
    ['getTypingPattern', [{ type: 2, text }]],
    ['getTypingPattern', [{ type: 1, text: 'hello there', caseSensitive: false }]],
  ];
  const inPage = await callInPage(page, calls);
  assert.equal(inPage[2].split('|').length, text.length + 1, inPage[2]);
  const v = await vector(page, 'classic-date-scripted', calls);
  v.ops = [v.ops[0], ...ops, ...v.ops.slice(1).filter((op) => op.op === 'call')];
  const { file, results } = await replay(v);
  assert.deepEqual(inPage, results, `page and core differ; vector kept in ${file}`);
  assert.deepEqual(errors, []);
});

/**
 * Sends `text` through the DevTools protocol from the moment `ready()` holds, without waiting
 * for the page between keys (8 ms apart), and returns how many keys were sent and the type 2
 * pattern's rows once the recorder answers.
 */
async function typeAtLoad(page, text, whenConstructed) {
  const cdp = await page.context().newCDPSession(page);
  await page.waitForFunction(whenConstructed, null, { polling: 1 });
  const sent = [];
  for (const c of text) {
    const key = { key: c, code: c === ' ' ? 'Space' : `Key${c.toUpperCase()}`, windowsVirtualKeyCode: c.toUpperCase().charCodeAt(0) };
    sent.push(cdp.send('Input.dispatchKeyEvent', { type: 'keyDown', text: c, ...key }));
    sent.push(cdp.send('Input.dispatchKeyEvent', { type: 'keyUp', ...key }));
    await new Promise((done) => setTimeout(done, 8));
  }
  await Promise.all(sent);
  return sent.length / 2;
}

async function rowsAfterLoad(page, text) {
  await page.evaluate(() => window.TypingDNA.ready);
  const type2 = await page.evaluate((text) => new window.TypingDNA().getTypingPattern({ type: 2, text, targetId: 'field' }), text);
  return type2.split('|').slice(1).map((row) => row.split(',').map(Number));
}

test('no key lost at load: ES module build with the wasm arriving 1.5 s late', async (t) => {
  let wasmServed = 0;
  const { page, errors } = await openPage(session.browser, 'about:blank', {}, (context) => context.route('**/*.wasm', async (route) => {
    await new Promise((resolve) => setTimeout(resolve, 1500));
    wasmServed = Date.now();
    await route.continue();
  }));
  await page.goto(`${session.server.url}/tests/browser/pages/early.html`, { waitUntil: 'commit' });
  const sent = await typeAtLoad(page, TEXT, () => window.constructedAt !== undefined);
  const typedBy = Date.now();
  assert.equal(wasmServed, 0, 'every key was sent before the wasm was served');
  const rows = await rowsAfterLoad(page, TEXT);
  const lost = sent - rows.filter((row) => row.length === 4).length;
  t.diagnostic(`ES module build, wasm 1.5 s late: ${sent} keys sent, ${lost} lost; typing ended ${wasmServed - typedBy} ms before the wasm arrived`);
  assert.deepEqual(rows.map(([c]) => String.fromCharCode(c)).join(''), TEXT);
  assert.equal(lost, 0);
  assert.deepEqual(errors, []);
});

test('no key lost at load: classic build, keys from the first milliseconds after the tag', async (t) => {
  const { page, errors } = await openPage(session.browser, 'about:blank');
  await page.goto(classicUrl(), { waitUntil: 'commit' });
  const sent = await typeAtLoad(page, TEXT, () => window.usableAt !== undefined);
  const rows = await rowsAfterLoad(page, TEXT);
  const lost = sent - rows.filter((row) => row.length === 4).length;
  t.diagnostic(`classic build: ${sent} keys sent from the moment the recorder existed, ${lost} lost`);
  assert.deepEqual(rows.map(([c]) => String.fromCharCode(c)).join(''), TEXT);
  assert.equal(lost, 0);
  assert.deepEqual(errors, []);
});
