// The Verify 2FA window in headless Chromium against the real keycadence-server, from an
// integrator's page on another origin (http://localhost:<port>, the application's registered
// domain; the server is http://127.0.0.1:<port>). The integrator's back end is keycadence's
// VerifyClient (getDataAttributes for the page, validateOTP for the code the page receives):
// TypingDNA's official Node client on npm (typingdnaclient 1.1.1) has only the Authentication
// API methods, no Verify ones. Rhythms come from two real typists of the Aalto data (see
// support/real-typist.js); codes are read from a real SMTP server (aiosmtpd).
//
// Needs the built package (npm run build: the window loads pkg/keycadence.js) and the server
// binary (KC_SERVER_BIN, else $CARGO_TARGET_DIR/debug/keycadence-server). Screenshots of every
// step go to $KC_SCREENSHOTS when it is set.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { createServer } from 'node:http';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { chromium } from 'playwright-core';

import { ROOT } from './support/session.js';
import { RealTypist } from './support/real-typist.js';
import { spawnServer, startSmtpSink } from '../otp/support.js';
import { VerifyClient } from '../../pkg/verify-client.js';
import { codeIn, nextView, openPopup, submitCode, typeShown, views } from './support/verify-window.js';

const OWNER = 1002;
const OTHER = 1005;
const ENROLMENT_TEXTS = 3; // the policy's default

const bin =
  process.env.KC_SERVER_BIN ?? join(process.env.CARGO_TARGET_DIR ?? join(ROOT, 'target'), 'debug', 'keycadence-server');
const shots = process.env.KC_SCREENSHOTS;

let work;
let smtp;
let server;
let browser;
let shop; // the integrator: its page server and back end
let timings = {};

function serverEnv() {
  const env = { ...process.env };
  for (const name of ['KEYCADENCE_AT_REST_KEY', 'KEYCADENCE_OTP_PEPPER', 'KEYCADENCE_DATA_DIR']) delete env[name];
  return env;
}

function cli(db, ...args) {
  return execFileSync(bin, ['--database-url', db, ...args], {
    env: serverEnv(),
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'ignore'],
  });
}

const field = (text, name) => text.match(new RegExp(`^${name}:\\s*(\\S+)`, 'm'))[1];

function createApp(db, domain) {
  const app = cli(db, 'apps', 'create', '--domain', domain, '--email-from', 'Shop <codes@shop.example.com>');
  const credentials = {
    clientId: field(app, 'clientId'),
    applicationId: field(app, 'applicationId'),
    secret: field(app, 'secret'),
  };
  cli(db, 'signin', 'enable', credentials.applicationId, '--tenant', 'shop');
  return credentials;
}

const esc = (s) => String(s).replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c]);

/**
 * The integrator's site: `/page?email=&flow=&element=button|iframe&compact=on&method=GET`
 * renders the documented snippet with fresh data attributes from its back end.
 */
async function startShop(clients) {
  const http = createServer((request, response) => {
    const url = new URL(request.url, 'http://localhost');
    const q = (name, fallback) => url.searchParams.get(name) ?? fallback;
    const client = clients[q('app', 'main')];
    const attrs = client.getDataAttributes({ email: q('email'), flow: q('flow', 'standard') });
    const data =
      `class="typingDNA-verify" data-typingdna-client-id="${esc(attrs.clientId)}" ` +
      `data-typingdna-application-id="${esc(attrs.applicationId)}" data-typingdna-payload="${esc(attrs.payload)}" ` +
      `data-typingdna-callback-fn="onVerified" data-typingdna-method="${esc(q('method', 'POST'))}"` +
      (q('compact') ? ' data-typingdna-compact="on"' : '');
    const element = q('element', 'button') === 'iframe' ? `<iframe ${data}></iframe>` : `<button ${data}>Verify with typing</button>`;
    const html = `<!doctype html><html><head><meta charset="utf-8"><title>Shop</title></head><body>
<h1>Shop: confirm it is you</h1>${element}
<script>
  window.results = [];
  window.messages = [];
  function onVerified(payload) { window.results.push(payload); }
  window.addEventListener('message', (e) => {
    if (e.data && e.data.action) window.messages.push({ origin: e.origin, data: e.data });
  });
</script>
<script src="${server.url}/verify-2fa/typingdna-verify.js"></script>
</body></html>`;
    response.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end(html);
  });
  await new Promise((ready) => http.listen(0, '127.0.0.1', ready));
  return { port: http.address().port, close: () => new Promise((done) => http.close(done)) };
}

before(async () => {
  work = mkdtempSync(join(tmpdir(), 'kc-verify-window-'));
  smtp = await startSmtpSink(work);
  const db = `sqlite:${join(work, 'verify.db')}`;
  cli(db, 'keys', 'create', '--tenant', 'shop');
  const main = createApp(db, 'localhost');
  // The same site on a plain-http host name: not a secure context.
  const plain = createApp(db, 'shop.test');
  const { child, url } = await spawnServer(bin, db, serverEnv(), [
    '--smtp-host', '127.0.0.1', '--smtp-port', String(smtp.port), '--smtp-tls', 'off',
    '--recorder-script', join(ROOT, 'pkg', 'keycadence.js'),
  ]);
  server = { child, url, windowMicros: 0, windowRequests: 0 };
  // The server's own time for the window's requests (its JSON request log).
  createInterface({ input: child.stderr }).on('line', (line) => {
    try {
      const fields = JSON.parse(line).fields ?? {};
      if (String(fields.route ?? '').startsWith('/verify-2fa/') && fields.latency_us !== undefined) {
        server.windowMicros += Number(fields.latency_us);
        server.windowRequests += 1;
      }
    } catch {
      // not a JSON line
    }
  });
  const client = (c) => new VerifyClient({ ...c, serverUrl: url });
  shop = await startShop({ main: client(main), plain: client(plain) });
  shop.backEnd = client(main);
  browser = await chromium.launch({
    executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium',
    headless: true,
    args: [
      '--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking',
      '--disable-component-update', '--disable-sync',
      // Two more host names for the integrator's page server: an unregistered one and a
      // registered plain-http one.
      '--host-resolver-rules=MAP evil.test 127.0.0.1, MAP shop.test 127.0.0.1',
    ],
  });
  if (shots) mkdirSync(shots, { recursive: true });
});

after(async () => {
  await browser?.close();
  await shop?.close();
  server?.child.kill();
  smtp?.stop();
  if (work) rmSync(work, { recursive: true, force: true });
  console.log(`verify window timings (ms): ${JSON.stringify(timings)}`);
});

async function shot(page, name) {
  if (shots) await page.screenshot({ path: join(shots, `${name}.png`) });
}

/** Opens the integrator's page (`host` localhost unless said) in a fresh context. */
async function openShop(query, { host = 'localhost', userAgent } = {}) {
  const context = await browser.newContext(userAgent ? { userAgent } : {});
  const page = await context.newPage();
  const errors = [];
  page.on('pageerror', (e) => errors.push(e));
  await page.goto(`http://${host}:${shop.port}/page?${new URLSearchParams(query)}`);
  return { page, context, errors };
}

/** The window's frame inside the integrator's page, once it has loaded. */
async function windowFrame(page) {
  for (let i = 0; i < 300; i += 1) {
    const frame = page.frames().find((f) => f.url().includes('/verify-2fa/window'));
    if (frame) {
      await frame.waitForSelector('#kc-window[data-views], #kc-window[data-error]', { state: 'attached' });
      return frame;
    }
    await page.waitForTimeout(20);
  }
  throw new Error('the window did not load in the iframe');
}

async function enterCode(frame, email, count) {
  await submitCode(frame, codeIn(await smtp.waitFor(email, count)));
}

async function received(page) {
  await page.waitForFunction(() => window.results.length > 0 || window.messages.length > 0);
  await page.waitForTimeout(100);
  return page.evaluate(() => ({ results: window.results, messages: window.messages }));
}

const user = `buyer-${process.pid}@example.com`;
const owner = new RealTypist(ROOT, OWNER, 1);
const other = new RealTypist(ROOT, OTHER, 2);

test('first enrolment: e-mail code, then three texts; the page receives a code that validates once', async () => {
  const { page, errors } = await openShop({ email: user });
  const serverBefore = server.windowMicros;
  const { popup, openedIn } = await openPopup(page);
  timings.clickToTypable = Math.round(openedIn);
  await shot(popup, '01-enrol-first-text');
  assert.match(await popup.textContent('#kc-progress'), /Text 1 of 3/);
  assert.equal(await popup.isVisible('#kc-recording'), true, 'a visible sign that typing is recorded');
  // Pasting is refused, with the reason shown.
  await popup.evaluate(() => {
    const data = new DataTransfer();
    data.setData('text/plain', 'pasted');
    document.getElementById('kc-typing').dispatchEvent(new ClipboardEvent('paste', { clipboardData: data, bubbles: true, cancelable: true }));
  });
  assert.equal(await popup.isVisible('#kc-paste'), true);
  assert.equal(await popup.inputValue('#kc-typing'), '');
  const t = performance.now();
  for (let i = 1; i <= ENROLMENT_TEXTS; i += 1) {
    await typeShown(popup, owner);
    if (i === 2) await shot(popup, '02-enrol-third-text');
  }
  await shot(popup, '03-enrol-code');
  assert.match(await popup.textContent('#kc-code-intro'), /b\*\*\*@example\.com/);
  await enterCode(popup, user, 1);
  timings.enrolmentFlow = Math.round(performance.now() - t);
  await shot(popup, '04-enrol-done');
  const got = await received(page);
  assert.equal(got.results.length, 1, 'the callback ran once');
  assert.equal(got.results[0].success, 1);
  assert.match(got.results[0].otp, /^\d{6}$/);
  assert.deepEqual(got.messages.map((m) => [m.origin, m.data.action]), [[server.url, 'sendOtp']]);
  timings.enrolmentServer = Math.round((server.windowMicros - serverBefore) / 1000);
  const first = await shop.backEnd.validateOTP({ email: user }, got.results[0].otp);
  assert.equal(first.code, 19, JSON.stringify(first));
  const again = await shop.backEnd.validateOTP({ email: user }, got.results[0].otp);
  assert.equal(again.success, 0, 'a window code validates once');
  assert.deepEqual(errors, []);
  await page.context().close();
});

test('verification: the enrolled typist passes with one text', async () => {
  const { page, errors } = await openShop({ email: user });
  const serverBefore = server.windowMicros;
  const { popup, openedIn } = await openPopup(page);
  timings.clickToTypableEnrolled = Math.round(openedIn);
  assert.equal(await popup.textContent('#kc-progress'), '', 'no enrolment progress');
  await shot(popup, '05-verify-text');
  const t = performance.now();
  await typeShown(popup, owner);
  if (await popup.isVisible('#kc-type')) {
    // About one genuine text in ten is refused at the default policy; the second attempt is
    // what the user would do.
    assert.match(await popup.textContent('#kc-status'), /did not match/);
    await typeShown(popup, owner);
  }
  timings.verificationFlow = Math.round(performance.now() - t);
  const got = await received(page);
  assert.equal(got.results[0]?.success, 1, JSON.stringify(got));
  timings.verificationServer = Math.round((server.windowMicros - serverBefore) / 1000);
  const valid = await shop.backEnd.validateOTP({ email: user }, got.results[0].otp);
  assert.equal(valid.code, 19);
  assert.equal(smtp.messagesTo(user).length, 1, 'no code was e-mailed: typing sufficed');
  assert.deepEqual(errors, []);
  await page.context().close();
});

test('another typist fails twice, then the e-mailed code completes in the same window', async () => {
  const { page } = await openShop({ email: user });
  const { popup } = await openPopup(page);
  await typeShown(popup, other);
  assert.equal(await popup.isVisible('#kc-type'), true, 'a second attempt is offered');
  assert.match(await popup.textContent('#kc-status'), /did not match/);
  await shot(popup, '06-fail-first');
  await typeShown(popup, other);
  assert.equal(await popup.isVisible('#kc-code'), true, 'after the allowed attempts: the code');
  assert.match(await popup.textContent('#kc-status'), /sent you a code instead/);
  await shot(popup, '07-fallback-code');
  // A wrong code first: the window says so and stays.
  await popup.fill('#kc-code-input', '000000');
  const before = await views(popup);
  await popup.click('#kc-submit-code');
  await nextView(popup, before);
  assert.match(await popup.textContent('#kc-status'), /not right/);
  await enterCode(popup, user, 2);
  const got = await received(page);
  assert.equal(got.results[0]?.success, 1, JSON.stringify(got));
  assert.equal((await shop.backEnd.validateOTP({ email: user }, got.results[0].otp)).code, 19);
  await page.context().close();
});

test('a mobile browser goes straight to a code', async () => {
  const iphone = 'Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 Mobile/15E148';
  const { page } = await openShop({ email: user }, { userAgent: iphone });
  const { popup } = await openPopup(page);
  assert.equal(await popup.isVisible('#kc-code'), true);
  assert.equal(await popup.isVisible('#kc-type'), false);
  assert.match(await popup.textContent('#kc-window'), /use a code instead of typing/);
  await shot(popup, '08-mobile-code');
  await enterCode(popup, user, 3);
  const got = await received(page);
  assert.equal(got.results[0]?.success, 1);
  await page.context().close();
});

test('show_otp: the window shows the code with a copy button and hands nothing to the page', async () => {
  const { page } = await openShop({ email: user, flow: 'show_otp', method: 'GET' });
  const { popup } = await openPopup(page);
  assert.match(popup.url(), /\/verify-2fa\/window\?/, 'GET puts the fields in the URL');
  await typeShown(popup, owner);
  if (await popup.isVisible('#kc-type')) await typeShown(popup, owner);
  assert.equal(await popup.isVisible('#kc-otp'), true);
  assert.equal(await popup.isVisible('#kc-copy'), true);
  const otp = (await popup.textContent('#kc-otp')).trim();
  assert.match(otp, /^\d{6}$/);
  await shot(popup, '09-show-otp');
  await page.waitForTimeout(300);
  assert.deepEqual(await page.evaluate(() => [window.results, window.messages]), [[], []]);
  assert.equal((await shop.backEnd.validateOTP({ email: user }, otp)).code, 19);
  await page.context().close();
});

test('compact iframe (POST): 300 x 188, typing passes, callback and message delivered', async () => {
  const { page } = await openShop({ email: user, element: 'iframe', compact: 'on' });
  const size = await page.$eval('iframe', (f) => [f.offsetWidth, f.offsetHeight]);
  assert.deepEqual(size, [300, 188]);
  const inner = await windowFrame(page);
  await shot(page, '10-compact-iframe');
  await typeShown(inner, owner, page);
  if (await inner.isVisible('#kc-type')) await typeShown(inner, owner, page);
  const got = await received(page);
  assert.equal(got.results[0]?.success, 1, JSON.stringify(got));
  assert.deepEqual(got.messages.map((m) => m.data.action), ['sendOtp']);
  await shot(page, '11-compact-done');
  await page.context().close();
});

test('standard iframe with GET: 468 x 598', async () => {
  const { page } = await openShop({ email: user, element: 'iframe', method: 'GET' });
  const size = await page.$eval('iframe', (f) => [f.offsetWidth, f.offsetHeight]);
  assert.deepEqual(size, [468, 598]);
  const inner = await windowFrame(page);
  assert.match(inner.url(), /payload=v2\./);
  await shot(page, '12-iframe-get');
  await page.context().close();
});

test('a replayed payload is refused, and the page hears the documented error', async () => {
  const { page } = await openShop({ email: user });
  const first = await openPopup(page);
  await first.popup.close();
  // The same button (same payload) again.
  const { popup } = await openPopup(page);
  assert.equal(await popup.isVisible('#kc-error'), true);
  assert.match(await popup.textContent('#kc-error-text'), /already used/);
  await shot(popup, '13-replayed');
  const got = await received(page);
  assert.deepEqual(got.results, [{ success: 0, error: await popup.textContent('#kc-error-text'), code: 124 }]);
  await page.context().close();
});

test('an unregistered origin receives nothing and the window says why', async () => {
  const { page } = await openShop({ email: user }, { host: 'evil.test' });
  const { popup } = await openPopup(page);
  assert.equal(await popup.isVisible('#kc-error'), true);
  assert.match(await popup.textContent('#kc-error-text'), /evil\.test.*not the registered site.*localhost/);
  await shot(popup, '14-unregistered-origin');
  await page.waitForTimeout(500);
  assert.deepEqual(await page.evaluate(() => [window.results, window.messages]), [[], []]);
  // Embedding from there is refused by the browser (frame-ancestors).
  const framed = await openShop({ email: user, element: 'iframe' }, { host: 'evil.test' });
  await framed.page.waitForTimeout(800);
  const inner = framed.page.frames().find((f) => f !== framed.page.mainFrame());
  const shown = await inner.evaluate(() => document.getElementById('kc-window') !== null).catch(() => false);
  assert.equal(shown, false, 'the window does not render inside an unregistered page');
  await page.context().close();
  await framed.context.close();
});

test('a plain-http registered page gets the message but not the callback', async () => {
  const { page } = await openShop({ email: user, app: 'plain' }, { host: 'shop.test' });
  assert.equal(await page.evaluate(() => window.isSecureContext), false);
  // The first window opens (the page hears nothing until there is a result); the same
  // button again reuses the payload, and the refusal is the result the page hears.
  const { popup } = await openPopup(page);
  await popup.close();
  const again = await openPopup(page);
  await again.popup.waitForSelector('#kc-error', { state: 'visible' });
  await page.waitForFunction(() => window.messages.length > 0);
  const got = await page.evaluate(() => ({ results: window.results, messages: window.messages }));
  assert.deepEqual(got.results, [], 'no callback outside a secure context');
  assert.equal(got.messages[0].data.action, 'onError');
  await page.context().close();
});
