// The TypingDNA-compatible shim: the singleton, the loading promise, the static helpers and
// the reference's argument handling, in Chromium.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { openPage, startSession } from './support/session.js';

let session;
let page;
let errors;
before(async () => {
  session = await startSession();
  ({ page, errors } = await openPage(session.browser, `${session.server.url}/tests/browser/pages/shim.html`));
  await page.evaluate(() => window.TypingDNA.ready);
});
after(() => session?.close());

test('a recorder constructed before the wasm loaded starts at its construction time', async () => {
  const early = await page.evaluate(() => ({
    call: window.early.call,
    before: window.early.before,
    createdAt: window.TypingDNA.createdAt,
    same: new window.TypingDNA() === window.early.tdna && window.TypingDNA.instance === window.early.tdna,
    initialized: window.TypingDNA.initialized,
  }));
  assert.match(early.call, /await TypingDNA\.ready/);
  assert.ok(Math.abs(early.createdAt - early.before) <= 20, `created at ${early.createdAt}, constructed at ${early.before}`);
  assert.equal(early.same, true, 'new TypingDNA() returns the first instance');
  assert.equal(early.initialized, true);

  await page.click('#field');
  await page.keyboard.type('hello', { delay: 30 });
  const type1 = await page.evaluate(() => new window.TypingDNA().getTypingPattern({ type: 1, text: 'hello' }));
  assert.equal(type1.split('|').length, 6, type1);
  assert.deepEqual(errors, []);
});

test('a pattern page code asks for while the recorder reads the page leaves the outer pattern its own', async () => {
  await page.click('#field');
  await page.keyboard.type('frame', { delay: 30 });
  const results = await page.evaluate(() => {
    const tdna = new window.TypingDNA();
    const own = () => tdna.getTypingPattern({ type: 1, text: 'frame' });
    const expected = own();
    // `screen.width` is read for every pattern; this getter asks, once, for a type 2 pattern of
    // a text of 2.4 million characters, whose copy grows the module's memory.
    let inner;
    Object.defineProperty(screen, 'width', {
      configurable: true,
      get() {
        delete screen.width;
        inner = tdna.getTypingPattern({ type: 2, text: 'frame '.repeat(400000) });
        return screen.width;
      },
    });
    return { outer: own(), expected, inner, after: own() };
  });
  assert.equal(results.inner, null, 'the long text was not typed');
  assert.equal(results.outer, results.expected);
  assert.equal(results.after, results.expected);
  assert.deepEqual(errors, []);
});

test('static helpers and argument handling follow the reference', async () => {
  const results = await page.evaluate(() => {
    const T = window.TypingDNA;
    const tdna = new T();
    const outcome = (f) => {
      try {
        return { value: f() };
      } catch (error) {
        return { error: error.constructor.name };
      }
    };
    const type0 = (counts) => [...Array(11).fill(0), ...counts].join(',');
    return {
      textIds: [T.getTextId('hello world'), tdna.getTextId('Hello World'), T.getTextId('Ärger ß ǅ 😀'), T.getTextId(12345), T.getTextId()],
      quality: [T.getQuality(type0([...Array(10).fill(9), ...Array(34).fill(0)])), tdna.getQuality(type0(Array(44).fill(5)))],
      qualityOfNumber: outcome(() => T.getQuality(5)),
      lengths: [T.getLength('0,3.2,0,1,16,5,0|1,2|3,4'), T.getLength('5,100,x'), T.getLength(5), T.getLength('')],
      validity: T.checkMobileValidity('10,' + Array(10).fill(0).join(',') + ',' + Array(44).fill(1).join(',')),
      isMobile: [T.isMobile(), tdna.isMobile()],
      nullOptions: outcome(() => tdna.getTypingPattern(null)),
      // Options are property reads, in the reference's order: getters and inherited ones count,
      // and a getter's exception leaves the recorder working.
      throwingGetter: outcome(() => tdna.getTypingPattern({ type: 1, get text() { throw new RangeError('page code'); } })),
      afterThrow: tdna.getTypingPattern().split(',').length,
      inherited: tdna.getTypingPattern(Object.create({ type: 1, text: 'zzzz' })),
      getterOrder: (() => {
        const read = [];
        const options = {};
        for (const name of ['extended', 'caseSensitive', 'targetId', 'length', 'textId', 'text', 'type']) {
          Object.defineProperty(options, name, { get: () => { read.push(name); } });
        }
        tdna.getTypingPattern(options);
        return read;
      })(),
      noOptions: tdna.getTypingPattern().split(',').length,
      stringType: tdna.getTypingPattern({ type: '1' }) === tdna.getTypingPattern(),
      untyped: tdna.getTypingPattern({ type: 1, text: 'zzzz' }),
      legacy: [tdna.getDiagram('hello') === tdna.getTypingPattern({ type: 1, text: 'hello', caseSensitive: false }),
        tdna.getExtendedDiagram('hello') === tdna.getTypingPattern({ type: 2, text: 'hello', caseSensitive: false }),
        tdna.get(3) === tdna.getTypingPattern({ type: 0, length: 3 })],
      noOps: [tdna.startDiagram(), tdna.stopDiagram()],
      flags: [tdna.stop(), tdna.start(), tdna.stopMouse(), tdna.startMouse(), T.stop(), T.start()],
      resets: [tdna.reset(1), T.resetMouse(true), tdna.addTarget('field'), tdna.removeTarget('field')],
      environment: tdna.checkEnvironment(),
      constants: [T.version, T.flags],
    };
  });
  assert.deepEqual(results.textIds, [939726232, 939726232, 1369300276, 0, 0]);
  assert.deepEqual(results.quality, [0.4216370213557839, 0]);
  assert.deepEqual(results.qualityOfNumber, { error: 'TypeError' });
  assert.deepEqual(results.lengths, [16, 5, 0, 0]);
  assert.equal(results.validity, 4.4);
  assert.deepEqual(results.isMobile, [0, 0]);
  assert.deepEqual(results.nullOptions, { error: 'TypeError' });
  assert.deepEqual(results.throwingGetter, { error: 'RangeError' });
  assert.equal(results.afterThrow, 360);
  assert.equal(results.inherited, null, 'an inherited text that was not typed: null');
  assert.deepEqual(results.getterOrder, ['type', 'text', 'textId', 'length', 'targetId', 'caseSensitive', 'extended']);
  assert.equal(results.noOptions, 360);
  assert.equal(results.stringType, true);
  assert.equal(results.untyped, null);
  assert.deepEqual(results.legacy, [true, true, true]);
  assert.deepEqual(results.noOps, [undefined, undefined]);
  assert.deepEqual(results.flags, [false, true, false, true, false, true]);
  assert.deepEqual(results.resets, [undefined, undefined, undefined, undefined]);
  // Chromium has `window.chrome.loadTimes` and `window.CSS`: blink; no sensors off mobile.
  assert.deepEqual(results.environment, {
    browserType: 'blink', isMobile: false, hasMotionSensors: false, needsPermissionForMotionSensors: false,
  });
  assert.deepEqual(results.constants, [3.2, 0]);
  assert.deepEqual(errors, []);
});

test('addTarget and removeTarget decide which fields are recorded', async () => {
  const keystrokes = () => page.evaluate(() => Number(new window.TypingDNA().getTypingPattern({ type: 0, length: 2000 }).split(',')[0]));
  await page.evaluate(() => new window.TypingDNA().reset());
  // A key pressed on the page's body between changes: the target check caches its last answer
  // until an event comes from another element (quirk Q1).
  const elsewhereThenField = async () => {
    await page.evaluate(() => document.activeElement.blur());
    await page.keyboard.press('x');
    await page.click('#field');
    await page.keyboard.type('abc', { delay: 30 });
  };
  await page.evaluate(() => new window.TypingDNA().addTarget('elsewhere'));
  await elsewhereThenField();
  const whileElsewhere = await keystrokes();
  await page.evaluate(() => new window.TypingDNA().removeTarget('elsewhere'));
  await elsewhereThenField();
  assert.equal(whileElsewhere, 0, 'a field that is not a target is not recorded');
  assert.ok(await keystrokes() >= 3, 'with no target left every field is');
  assert.deepEqual(errors, []);
});

test('reset(all) clears the mouse gestures only for a strict true', async () => {
  const rows = await page.evaluate(async () => {
    const tdna = new window.TypingDNA();
    const count = () => tdna.getMouseDiagram().split('|').slice(1).filter(Boolean).length;
    tdna.startMouse();
    const counts = [];
    for (const all of [1, true]) {
      // A click: a click row (and a stop row if the mouse moved shortly before).
      document.dispatchEvent(new MouseEvent('mousedown', { bubbles: true, button: 0 }));
      document.dispatchEvent(new MouseEvent('mouseup', { bubbles: true, button: 0 }));
      const before = count();
      tdna.reset(all);
      counts.push([before, count()]);
    }
    return counts;
  });
  const [[beforeOne, afterOne], [beforeTrue, afterTrue]] = rows;
  assert.ok(beforeOne > 0 && afterOne === beforeOne, `reset(1) keeps the gestures: ${rows}`);
  assert.ok(beforeTrue > beforeOne && afterTrue === 0, `reset(true) clears them: ${rows}`);
});

test('keys typed before the wasm loaded are recorded, with the times they were typed', async () => {
  // The module arrives only after the typing: the queue holds the keys until then.
  const { page: slow, errors: slowErrors } = await openPage(
    session.browser,
    `${session.server.url}/tests/browser/pages/shim.html`,
    {},
    (context) => context.route('**/*.wasm', async (route) => {
      await new Promise((resolve) => setTimeout(resolve, 1500));
      await route.continue();
    }),
  );
  const loaded = () => slow.evaluate(() => {
    try {
      window.TypingDNA.getTextId('x');
      return true;
    } catch {
      return false;
    }
  });
  await slow.click('#field');
  await slow.keyboard.type('hello', { delay: 40 });
  assert.equal(await loaded(), false, 'typed before the module loaded');
  await slow.evaluate(() => window.TypingDNA.ready);
  const type2 = await slow.evaluate(() => new window.TypingDNA().getTypingPattern({ type: 2, text: 'hello' }));
  const rows = type2.split('|').slice(1).map((row) => row.split(',').map(Number));
  // Every character typed (no substitute rows), each a real keystroke: its seek time spans the
  // 40 ms between keys, which only the events' own timestamps give once consumed later.
  assert.deepEqual(rows.map((row) => row.length), [4, 4, 4, 4, 4], type2);
  assert.deepEqual(rows.map((row) => row[0]), [104, 101, 108, 108, 111]);
  assert.ok(rows.slice(1).every(([, seek]) => seek >= 30), type2);
  assert.deepEqual(slowErrors, []);
  await slow.context().close();
});

test('a module that fails to load leaves no listeners behind', async () => {
  const { page: broken } = await openPage(
    session.browser,
    `${session.server.url}/tests/browser/pages/shim.html`,
    {},
    (context) => context.route('**/*.wasm', (route) => route.fulfill({ status: 404 })),
  );
  const outcome = await broken.evaluate(() => window.TypingDNA.ready.then(() => 'resolved', () => 'rejected'));
  assert.equal(outcome, 'rejected');
  // The page constructed its recorder before the load failed; its listeners are gone.
  const cdp = await broken.context().newCDPSession(broken);
  const { result } = await cdp.send('Runtime.evaluate', { expression: 'document' });
  const { listeners } = await cdp.send('DOMDebugger.getEventListeners', { objectId: result.objectId });
  assert.deepEqual(listeners.map((listener) => listener.type), []);
  await broken.context().close();
});

// Last: it leaves the shared page's recorder deaf.
test('removeEventListeners stops the recording for good', async () => {
  const keystrokes = () => page.evaluate(() => Number(new window.TypingDNA().getTypingPattern({ type: 0, length: 2000 }).split(',')[0]));
  await page.click('#field');
  await page.keyboard.type('ab', { delay: 30 });
  const before = await keystrokes();
  await page.evaluate(() => new window.TypingDNA().removeEventListeners());
  await page.keyboard.type('cde', { delay: 30 });
  await page.evaluate(() => new window.TypingDNA().start());
  await page.keyboard.type('fg', { delay: 30 });
  assert.ok(before >= 2, `recorded before: ${before}`);
  assert.equal(await keystrokes(), before, 'nothing recorded after removeEventListeners, start() included');
  assert.deepEqual(errors, []);
});
