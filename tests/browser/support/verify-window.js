// Driving keycadence's Verify window (crates/server/src/verify_window) from Playwright: the
// window marks each answer it shows with data-views, so a test waits for the next one.

import assert from 'node:assert/strict';

/** The six-digit code in an e-mail's body. */
export function codeIn(message) {
  const body = message.split(/\r?\n\r?\n/).slice(1).join('\n\n');
  return body.match(/\b(\d{6})\b/)[1];
}

export async function views(frame) {
  return Number((await frame.getAttribute('#kc-window', 'data-views')) ?? 0);
}

export async function nextView(frame, before) {
  await frame.waitForFunction((n) => Number(document.getElementById('kc-window').getAttribute('data-views')) > n, before);
}

/** Types the shown text as `typist` and submits it; resolves after the window's answer. */
export async function typeShown(frame, typist, page = frame) {
  assert.equal(await frame.isVisible('#kc-type'), true, 'the typing step is shown');
  const text = (await frame.textContent('#kc-text')).trim();
  assert.match(text, /^[a-z]+( [a-z]+){3}$/, 'about four lower-case words');
  await frame.click('#kc-typing');
  await typist.type(page, text);
  const before = await views(frame);
  await frame.click('#kc-submit-text');
  await nextView(frame, before);
  return text;
}

/** Enters `code` in the window's code step; resolves after the window's answer. */
export async function submitCode(frame, code) {
  assert.equal(await frame.isVisible('#kc-code'), true, 'the code step is shown');
  await frame.fill('#kc-code-input', code);
  const before = await views(frame);
  await frame.click('#kc-submit-code');
  await nextView(frame, before);
}

/** Clicks the page's Verify button and waits for the pop-up's first step. */
export async function openPopup(page) {
  const started = performance.now();
  const [popup] = await Promise.all([page.waitForEvent('popup'), page.click('button.typingDNA-verify')]);
  await popup.waitForSelector('#kc-window[data-views], #kc-window[data-error]', { state: 'attached' });
  return { popup, openedIn: performance.now() - started };
}
