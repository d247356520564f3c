// keycadence/visualizer (pkg/visualizer.js): marked fields lose autocomplete and paste and show
// that typing is recorded; unmarked fields are left alone; the recorder still gets every key.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { openPage, startSession } from './support/session.js';

let session;
before(async () => {
  session = await startSession();
});
after(() => session?.close());

test('marked fields: no autocomplete, no paste or drop, a visible recording indicator that follows the keys', async () => {
  const { page, errors } = await openPage(session.browser, `${session.server.url}/tests/browser/pages/visualizer.html`);
  const attributes = await page.evaluate(() => ['marked', 'plain'].map((id) => {
    const field = document.getElementById(id);
    const paste = new ClipboardEvent('paste', { bubbles: true, cancelable: true, clipboardData: new DataTransfer() });
    field.dispatchEvent(paste);
    const drop = new DragEvent('drop', { bubbles: true, cancelable: true });
    field.dispatchEvent(drop);
    return [field.getAttribute('autocomplete'), field.getAttribute('spellcheck'), paste.defaultPrevented, drop.defaultPrevented];
  }));
  assert.deepEqual(attributes, [['off', 'false', true, true], [null, null, false, false]]);

  const indicator = page.locator('.kc-vis');
  assert.equal(await indicator.count(), 1, 'one indicator, on the marked field');
  await page.click('#marked');
  await page.keyboard.type('hello', { delay: 20 });
  assert.equal(await indicator.getAttribute('data-keys'), '5');
  assert.equal(await page.evaluate(() => document.querySelector('.kc-vis').classList.contains('kc-on')), true, 'lit while the field has focus');
  // Inside the field's box, so it reads as part of it.
  const [box, field] = await Promise.all([indicator.boundingBox(), page.locator('#marked').boundingBox()]);
  assert.ok(box.x >= field.x && box.x + box.width <= field.x + field.width + 1, JSON.stringify({ box, field }));
  assert.ok(box.y >= field.y && box.y + box.height <= field.y + field.height + 1, JSON.stringify({ box, field }));
  // And the recorder saw every key.
  const type1 = await page.evaluate(() => new TypingDNA().getTypingPattern({ type: 1, text: 'hello' }));
  assert.ok(type1, 'a type 1 pattern of the typed text');
  if (process.env.KEYCADENCE_SCREENSHOTS) await page.screenshot({ path: `${process.env.KEYCADENCE_SCREENSHOTS}/visualizer.png` });
  assert.deepEqual(errors, []);
});
