// The mobile handler sets, in Chromium emulating phones: iOS-style (keyup-to-keyup seeks),
// Android Chrome (keyCode 229, characters read from the field) and Android Firefox (`input`
// instead of `keyup`), with device motion. The page's patterns must equal the core's replay.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { openDemo, startSession } from './support/session.js';
import { seeded, typeText } from './support/typist.js';
import { callInPage, replay, vector } from './support/vector.js';

const IPHONE = 'Mozilla/5.0 (iPhone; CPU iPhone OS 17_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.1 Mobile/15E148 Safari/604.1';
const PIXEL_CHROME = 'Mozilla/5.0 (Linux; Android 13; Pixel 7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/119.0.0.0 Mobile Safari/537.36';
const PIXEL_FIREFOX = 'Mozilla/5.0 (Android 13; Mobile; rv:120.0) Gecko/120.0 Firefox/120.0';
const PHONE = { isMobile: true, hasTouch: true, viewport: { width: 390, height: 844 }, deviceScaleFactor: 3 };

const TEXT = 'Sent from my phone 42';
const CALLS = [
  ['getTypingPattern', [{ type: 0 }]],
  ['getTypingPattern', [{ type: 1, text: TEXT }]],
  ['getTypingPattern', [{ type: 2, text: TEXT, targetId: 'phrase' }]],
  ['getTypingPattern', [{ type: 1, targetId: 'phrase' }]],
  ['getTypingPattern', [{ type: 2 }]],
  ['isMobile', []],
];

let session;
before(async () => {
  session = await startSession();
});
after(() => session?.close());

const sleep = (ms) => new Promise((done) => setTimeout(done, ms));

/**
 * Device-motion samples, as a phone sends them: dispatched on `window` by the page (Chromium
 * has no real sensor here).
 */
async function shake(page, samples, random) {
  for (let i = 0; i < samples; i++) {
    const acc = [random() * 2 - 1, random() * 2 - 1, 9.81 + random() - 0.5];
    const rot = [random() * 20 - 10, random() * 20 - 10, random() * 20 - 10];
    await page.evaluate(([acc, rot]) => {
      const event = new DeviceMotionEvent('devicemotion', {
        accelerationIncludingGravity: { x: acc[0], y: acc[1], z: acc[2] },
        rotationRate: { alpha: rot[0], beta: rot[1], gamma: rot[2] },
        interval: 16,
      });
      window.dispatchEvent(event);
    }, [acc, rot]);
    await sleep(12);
  }
}

async function compareWithReplay(page, name, errors) {
  const inPage = await callInPage(page, CALLS);
  const { file, results } = await replay(await vector(page, name, CALLS));
  assert.deepEqual(inPage, results, `page and core differ; vector kept in ${file}`);
  assert.equal(inPage.at(-1), 1, 'isMobile');
  assert.deepEqual(errors, []);
  return inPage;
}

test('iPhone: mobile handlers, keyup-to-keyup seeks, motion-derived presses', async () => {
  const { page, errors } = await openDemo(session, '', { ...PHONE, userAgent: IPHONE });
  await page.click('#phrase');
  const random = seeded(7);
  for (const word of TEXT.split(/(?<= )/)) {
    await shake(page, 4, random);
    await typeText(page, word, random);
  }
  const [type0, type1] = await compareWithReplay(page, 'mobile-iphone', errors);
  assert.ok(type1.includes('#'), 'type 1 carries the motion trailer');
  assert.equal(type0.split(',')[319], '1', 'type 0 marks a mobile pattern');
  // Chromium's objects under an iPhone's user agent: blink, with DeviceMotionEvent (whose
  // `requestPermission`, as iOS 13+ Safari's, recent Chromium has too).
  assert.deepEqual(await page.evaluate(() => [
    new window.TypingDNA().checkEnvironment(), typeof DeviceMotionEvent.requestPermission == 'function',
  ]), [{ browserType: 'blink', isMobile: true, hasMotionSensors: true, needsPermissionForMotionSensors: true }, true]);
});

test('Android Chrome: keyCode 229, the character read from the field', async () => {
  const { page, errors } = await openDemo(session, '', { ...PHONE, userAgent: PIXEL_CHROME });
  await page.click('#phrase');
  const cdp = await page.context().newCDPSession(page);
  const random = seeded(13);
  // A soft keyboard: every key is keyCode 229 around an inserted text; one deletion.
  for (const c of 'Sent from my phonw\be 42') {
    await sleep(40 + Math.floor(random() * 120));
    if (c === '\b') {
      await page.keyboard.press('Backspace');
      continue;
    }
    const ime = { windowsVirtualKeyCode: 229, nativeVirtualKeyCode: 229, key: 'Unidentified' };
    await cdp.send('Input.dispatchKeyEvent', { type: 'rawKeyDown', ...ime });
    await cdp.send('Input.insertText', { text: c });
    await sleep(30 + Math.floor(random() * 80));
    await cdp.send('Input.dispatchKeyEvent', { type: 'keyUp', ...ime });
  }
  const [type0, , type2] = await compareWithReplay(page, 'mobile-android-chrome', errors);
  assert.ok(type2, 'a type 2 pattern');
  assert.ok(Number(type0.split(',')[0]) >= TEXT.length, 'every key recorded');
});

test('Android Firefox: input events instead of keyup', async () => {
  const { page, errors } = await openDemo(session, '', { ...PHONE, userAgent: PIXEL_FIREFOX });
  await page.click('#phrase');
  await typeText(page, TEXT.toLowerCase(), seeded(17));
  const [, , type2] = await compareWithReplay(page, 'mobile-android-firefox', errors);
  assert.ok(type2, 'a type 2 pattern');
});
