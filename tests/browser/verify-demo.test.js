// The Verify 2FA demo site of scripts/run.sh (examples/verify-demo) in headless Chromium, set
// up as run.sh sets it up but on free ports: the server with its development e-mail outbox, an
// application for localhost bound to the demo tenant, the demo site on its own origin. A person
// signs up (the code read on the demo's /outbox page), enrols by typing, signs out, signs in by
// typing, signs out, and another typist's attempt falls back to the e-mailed code. Rhythms from
// two real typists of the Aalto data (support/real-typist.js). Screenshots of every step go to
// $KC_SCREENSHOTS when it is set.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';

import { launch } from './support/browser.js';
import { ROOT } from './support/session.js';
import { RealTypist } from './support/real-typist.js';
import { spawnServer } from '../otp/support.js';
import { codeIn, openPopup, submitCode, typeShown } from './support/verify-window.js';

const bin =
  process.env.KC_SERVER_BIN ?? join(process.env.CARGO_TARGET_DIR ?? join(ROOT, 'target'), 'debug', 'keycadence-server');
const shots = process.env.KC_SCREENSHOTS;

let work;
let server;
let demo;
let browser;

function serverEnv() {
  const env = { ...process.env };
  for (const name of ['KEYCADENCE_AT_REST_KEY', 'KEYCADENCE_OTP_PEPPER', 'KEYCADENCE_DATA_DIR']) delete env[name];
  return env;
}

before(async () => {
  work = mkdtempSync(join(tmpdir(), 'kc-verify-demo-'));
  const db = `sqlite:${join(work, 'demo.db')}`;
  const cli = (...args) =>
    execFileSync(bin, ['--database-url', db, ...args], { env: serverEnv(), encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
  const field = (text, name) => text.match(new RegExp(`^${name}:\\s*(\\S+)`, 'm'))[1];
  cli('keys', 'create', '--tenant', 'demo');
  const created = cli('apps', 'create', '--domain', 'localhost', '--email-from', 'Demo shop <codes@demo.example>');
  const app = { clientId: field(created, 'clientId'), applicationId: field(created, 'applicationId'), secret: field(created, 'secret') };
  writeFileSync(join(work, 'verify-demo.json'), JSON.stringify(app));
  cli('signin', 'enable', app.applicationId, '--tenant', 'demo');
  const outbox = join(work, 'outbox');
  server = await spawnServer(bin, db, serverEnv(), [
    '--email-outbox', outbox, '--recorder-script', join(ROOT, 'pkg', 'keycadence.js'),
  ]);
  const child = spawn('node', [join(ROOT, 'examples', 'verify-demo', 'server.mjs')], {
    env: { ...process.env, KC_SERVER: server.url, KC_DEMO_APP: join(work, 'verify-demo.json'), KC_OUTBOX: outbox, PORT: '0' },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const url = await new Promise((resolve, reject) => {
    child.once('exit', (code) => reject(new Error(`the demo exited (${code})`)));
    createInterface({ input: child.stdout }).on('line', (line) => {
      const found = line.match(/(http:\/\/localhost:\d+)\//);
      if (found) resolve(found[1]);
    });
  });
  demo = { child, url };
  browser = await launch();
  if (shots) mkdirSync(shots, { recursive: true });
});

after(async () => {
  await browser?.close();
  demo?.child.kill();
  server?.child.kill();
  if (work) rmSync(work, { recursive: true, force: true });
});

async function shot(page, name) {
  if (shots) await page.screenshot({ path: join(shots, `demo-${name}.png`), fullPage: true });
}

/** The newest code on the demo's outbox page, and how many mails it lists. */
async function outboxCode(context) {
  const page = await context.newPage();
  await page.goto(`${demo.url}/outbox`);
  const mails = await page.$$eval('.mail pre', (all) => all.map((p) => p.textContent));
  await shot(page, 'outbox');
  await page.close();
  return { code: codeIn(`head\n\n${mails[0]}`), count: mails.length };
}

async function start(page, email, mode) {
  await page.goto(demo.url);
  await page.fill('input[name=email]', email);
  await page.click(`button[value=${mode}]`);
  await page.waitForSelector('button.typingDNA-verify');
}

async function signedInAs(page, email) {
  await page.waitForURL(`${demo.url}/`);
  await page.waitForSelector('text=You are signed in as');
  assert.equal(await page.textContent('b'), email);
}

test('sign up by e-mail code and typing, sign in by typing, another typist falls back to the code', async () => {
  const owner = new RealTypist(ROOT, 1002, 3);
  const other = new RealTypist(ROOT, 1005, 4);
  const email = `demo-${process.pid}@example.com`;
  const context = await browser.newContext();
  const page = await context.newPage();
  const errors = [];
  page.on('pageerror', (e) => errors.push(e));

  // Sign up: the window sends a code to the outbox, the three texts are typed, the code ends it.
  await start(page, email, 'signup');
  await shot(page, 'signup');
  let { popup } = await openPopup(page);
  for (let i = 0; i < 3; i += 1) await typeShown(popup, owner);
  const mail = await outboxCode(context);
  assert.equal(mail.count, 1);
  await shot(popup, 'signup-code');
  await submitCode(popup, mail.code);
  await signedInAs(page, email);
  await shot(page, 'signed-in');
  await page.click('text=Sign out');
  await page.waitForSelector('button[value=signin]');

  // Sign in by typing: no e-mail.
  await start(page, email, 'signin');
  ({ popup } = await openPopup(page));
  await typeShown(popup, owner);
  if (await popup.isVisible('#kc-type')) await typeShown(popup, owner);
  await signedInAs(page, email);
  assert.equal((await outboxCode(context)).count, 1, 'typing sufficed: no new e-mail');
  await page.click('text=Sign out');

  // Someone else with the address: two failed texts, then the code from the outbox.
  await start(page, email, 'signin');
  ({ popup } = await openPopup(page));
  await typeShown(popup, other);
  await typeShown(popup, other);
  assert.equal(await popup.isVisible('#kc-code'), true, 'the fallback code');
  await shot(popup, 'fallback');
  const fallback = await outboxCode(context);
  assert.equal(fallback.count, 2);
  await submitCode(popup, fallback.code);
  await signedInAs(page, email);
  assert.deepEqual(errors, []);
  await context.close();
});
