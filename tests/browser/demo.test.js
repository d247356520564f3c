// The demo page in desktop Chromium: trusted key events typed into it give the patterns the
// Rust core's replay gives for the same events, and the page shows them.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { ROOT, openDemo, startSession } from './support/session.js';
import { seeded, typeText } from './support/typist.js';
import { callInPage, callLogged, replay, vector } from './support/vector.js';

const PHRASE = 'I am authenticated by the way I type';

/** The calls compared between the page and the replay: every pattern kind and option. */
const CALLS = [
  ['getTypingPattern', [{ type: 0 }]],
  ['getTypingPattern', [{ type: 0, length: 20 }]],
  ['getTypingPattern', [{ type: 0, targetId: 'free' }]],
  ['getTypingPattern', [{ type: 1, text: PHRASE }]],
  ['getTypingPattern', [{ type: 2, text: PHRASE }]],
  ['getTypingPattern', [{ type: 1, text: PHRASE, targetId: 'phrase' }]],
  ['getTypingPattern', [{ type: 2, text: PHRASE, targetId: 'phrase' }]],
  ['getTypingPattern', [{ type: 2, text: PHRASE, targetId: 'phrase', caseSensitive: true }]],
  ['getTypingPattern', [{ type: 1, targetId: 'phrase' }]],
  ['getTypingPattern', [{ type: 2, length: 10 }]],
  ['getTypingPattern', [{ type: 1, text: PHRASE, textId: '0x1F' }]],
  ['getTypingPattern', [{ type: 1, text: 'nothing like it was typed' }]],
  ['getTypingPattern', ['not an object']],
  ['getDiagram', [PHRASE]],
  ['getExtendedDiagram', ['the way I type', 77]],
  ['get', [50]],
  ['getMouseDiagram', []],
  ['getTextId', [PHRASE]],
  ['isMobile', []],
];

let session;
before(async () => {
  session = await startSession();
});
after(() => session?.close());

test('typing into the demo gives the same patterns as the core replaying the same events', async () => {
  const { page, errors } = await openDemo(session);
  const random = seeded(3);
  await page.click('#phrase');
  await typeText(page, 'I am authenticatd\bed by the way I type', random);
  await page.click('#free');
  await typeText(page, 'hello world, 42 keys; quick-brown/fox.', random);

  const inPage = await callInPage(page, CALLS);
  const { file, results } = await replay(await vector(page, 'demo-desktop', CALLS));
  assert.deepEqual(inPage, results, `page and core differ; vector kept in ${file}`);

  // Something was recorded: the phrase is fully matched, the history holds every keystroke.
  const type1 = inPage[5];
  assert.ok(type1, 'a type 1 pattern for the phrase');
  assert.equal(type1.split('|').length, PHRASE.length + 1);
  assert.ok(!/\|\d+,\d+,1(\||$)/.test(type1), 'no character substituted');
  const keystrokes = Number(inPage[0].split(',')[0]);
  assert.ok(keystrokes >= 60, `type 0 over ${keystrokes} keystrokes`);

  // The page shows the same patterns, the text id and the quality.
  await page.waitForFunction((n) => document.getElementById('keystrokes').textContent === String(n), keystrokes);
  const shown = await page.evaluate(() => ({
    type0: document.getElementById('type0').textContent,
    type1: document.getElementById('type1').textContent,
    type2: document.getElementById('type2').textContent,
    textId: document.getElementById('text-id').textContent,
    quality: document.getElementById('quality-meter').value,
  }));
  assert.equal(shown.type0, results[0]);
  assert.equal(shown.type1, results[5]);
  assert.equal(shown.type2, results[6]);
  assert.equal(shown.textId, String(results[17]));
  const quality = await page.evaluate((p) => window.TypingDNA.getQuality(p), results[0]);
  assert.equal(shown.quality, quality);
  assert.ok(quality > 0, 'quality of a 60-key sample');

  await mkdir(join(ROOT, 'out'), { recursive: true });
  await page.screenshot({ path: join(ROOT, 'out', 'demo.png'), fullPage: true });
  assert.deepEqual(errors, []);
});

test('mouse gestures, clicks and stops match the core replay', async () => {
  const { page, errors } = await openDemo(session);
  assert.equal(await callLogged(page, 'startMouse'), true);
  const random = seeded(11);
  for (let gesture = 0; gesture < 3; gesture++) {
    for (let step = 0; step < 8; step++) {
      await page.mouse.move(100 + gesture * 50 + step * 17, 120 + step * (5 + gesture * 9));
      await new Promise((done) => setTimeout(done, 15 + Math.floor(random() * 30)));
    }
    await new Promise((done) => setTimeout(done, 200 + Math.floor(random() * 400)));
    await page.mouse.down();
    await new Promise((done) => setTimeout(done, 60 + Math.floor(random() * 100)));
    await page.mouse.up();
  }
  // A move gesture left to time out (600 ms), then a key event: the replay's core fires
  // time-outs when an event arrives, the page's at the next call.
  for (let step = 0; step < 6; step++) {
    await page.mouse.move(400 - step * 30, 300 - step * 20);
    await new Promise((done) => setTimeout(done, 20));
  }
  await new Promise((done) => setTimeout(done, 700));
  await page.keyboard.press('Shift');

  const calls = [['getMouseDiagram', []], ['getTypingPattern', [{ type: 0 }]]];
  const inPage = await callInPage(page, calls);
  const { file, results } = await replay(await vector(page, 'demo-mouse', calls));
  assert.deepEqual([true, ...inPage], results, `page and core differ; vector kept in ${file}`);
  const rows = inPage[0].split('|').slice(1);
  const kinds = new Set(rows.map((row) => row.split(',')[0]));
  for (const kind of ['1', '3', '4']) assert.ok(kinds.has(kind), `a row of kind ${kind} in ${rows}`);
  assert.deepEqual(errors, []);
});
