// The event clock on a busy main thread: keys sent while the page is blocked 40 ms out of
// every 50 are recorded with the times they were sent (within 1 ms), where the reference's
// Date.now() clock records the times their handlers happened to run.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { openDemo, startSession } from './support/session.js';
import { seeded } from './support/typist.js';
import { callInPage, replay, vector } from './support/vector.js';

const TEXT = 'the quick brown fox jumps over the lazy dog';

let session;
before(async () => {
  session = await startSession();
});
after(() => session?.close());

const sleep = (ms) => new Promise((done) => setTimeout(done, ms));

function keyEvent(type, c, timestamp) {
  const upper = c.toUpperCase();
  const event = {
    type,
    key: c,
    code: c === ' ' ? 'Space' : `Key${upper}`,
    windowsVirtualKeyCode: upper.charCodeAt(0),
    // Seconds since the epoch: the time the browser gives the event.
    timestamp: timestamp / 1000,
  };
  if (type === 'keyDown') event.text = c;
  return event;
}

/**
 * Sends `text` through the DevTools protocol without waiting for the busy page to handle each
 * key (the browser queues them), stamping each event with the wall-clock time it is sent.
 * Returns the send times, `[{c, down, up}]`.
 */
async function sendKeys(page, text, random) {
  const cdp = await page.context().newCDPSession(page);
  const sent = [];
  const pending = [];
  for (const c of text) {
    await sleep(60 + Math.floor(random() * 120));
    const down = Date.now();
    pending.push(cdp.send('Input.dispatchKeyEvent', keyEvent('keyDown', c, down)));
    await sleep(40 + Math.floor(random() * 80));
    const up = Date.now();
    pending.push(cdp.send('Input.dispatchKeyEvent', keyEvent('keyUp', c, up)));
    sent.push({ c, down, up });
  }
  await Promise.all(pending);
  return sent;
}

/** The largest difference between recorded and sent seek and press times, in ms. */
function largestError(type2, sent) {
  const rows = type2.split('|').slice(1).map((row) => row.split(',').map(Number));
  assert.equal(rows.length, sent.length, 'one row per key');
  let worst = 0;
  rows.forEach(([charCode, seek, press], i) => {
    assert.equal(charCode, sent[i].c.charCodeAt(0));
    worst = Math.max(worst, Math.abs(press - (sent[i].up - sent[i].down)));
    // The first seek is measured from construction, which was not "sent".
    if (i > 0) worst = Math.max(worst, Math.abs(seek - (sent[i].down - sent[i - 1].down)));
  });
  return worst;
}

async function typeOnBusyPage(query, seed) {
  const { page, errors } = await openDemo(session, query);
  await page.click('#phrase');
  assert.ok(await page.isChecked('#busy'), 'the page simulates a busy main thread');
  const clock = await page.evaluate(() => window.TypingDNA.clock);
  assert.equal(clock, query.includes('clock=date') ? 'date' : 'event');
  const sent = await sendKeys(page, TEXT, seeded(seed));
  const [type2] = await callInPage(page, [['getTypingPattern', [{ type: 2, text: TEXT, targetId: 'phrase' }]]]);
  assert.deepEqual(errors, []);
  return { page, sent, type2 };
}

test('on a busy main thread the event clock records the times keys were sent, within 1 ms', async (t) => {
  const { page, sent, type2 } = await typeOnBusyPage('?busy', 5);
  const worst = largestError(type2, sent);
  t.diagnostic(`event clock, busy page: largest seek/press error ${worst} ms over ${sent.length} keys`);
  assert.ok(worst <= 1, `largest error ${worst} ms`);

  // And the page's patterns still equal the core's replay of the same events.
  const calls = [['getTypingPattern', [{ type: 2, text: TEXT, targetId: 'phrase' }]], ['getTypingPattern', [{ type: 0 }]]];
  const inPage = await callInPage(page, calls);
  const { file, results } = await replay(await vector(page, 'busy-event-clock', calls));
  assert.deepEqual(inPage, results, `page and core differ; vector kept in ${file}`);
});

test('on the same busy page the Date.now() clock is off by the handler delays', async (t) => {
  // This shows the busy loop really delays the handlers, so the test above could fail.
  const { sent, type2 } = await typeOnBusyPage('?busy&clock=date', 5);
  const worst = largestError(type2, sent);
  t.diagnostic(`Date.now() clock, busy page: largest seek/press error ${worst} ms over ${sent.length} keys`);
  assert.ok(worst > 5, `largest error ${worst} ms`);
});
