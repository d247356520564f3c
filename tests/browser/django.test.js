// The Django example (examples/django) end to end on keycadence: its own SQLite, a keycadence
// server serving the classic recorder script, a real SMTP server for the e-mailed link. A user
// registers and enrols by typing the phrase three times with one real typist's rhythm, logs out,
// logs in and passes the typing check; typed with another typist's rhythm the check fails and
// the e-mailed link (read from the SMTP server's messages) completes the sign-in.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { launch } from './support/browser.js';
import { ROOT } from './support/session.js';
import { aaltoTypist, typeLike } from './support/typists.js';

const PHRASE = 'I am authenticated by the way I type';
// Two Aalto participants (../shared/data/aalto-dev): the user, and someone else at the keyboard.
const USER = 1002;
const OTHER = 1005;
const SHOTS = process.env.KEYCADENCE_SCREENSHOTS;

const run = promisify(execFile);
const children = [];
let work;
let serverBin;
let database;
let apiUrl;
let browser;
let site;
let mailDir;

async function freePort() {
  const server = createServer();
  await new Promise((ready) => server.listen(0, '127.0.0.1', ready));
  const { port } = server.address();
  await new Promise((done) => server.close(done));
  return port;
}

/** Starts a process that lives until the tests end; its output is kept for failure messages. */
function start(command, args, options) {
  const child = spawn(command, args, { stdio: ['pipe', 'pipe', 'pipe'], ...options });
  child.log = '';
  child.stdout.on('data', (d) => { child.log += d; });
  child.stderr.on('data', (d) => { child.log += d; });
  children.push(child);
  return child;
}

async function waitFor(url, child) {
  for (let i = 0; i < 600; i++) {
    if (child.exitCode !== null) throw new Error(`${url}: the process exited:\n${child.log}`);
    try {
      const response = await fetch(url);
      if (response.status < 500) return;
    } catch {}
    await new Promise((done) => setTimeout(done, 100));
  }
  throw new Error(`${url} did not answer:\n${child.log}`);
}

before(async () => {
  work = await mkdtemp(join(tmpdir(), 'keycadence-django-'));
  const env = { ...process.env };
  await run('cargo', ['build', '-q', '--release', '-p', 'keycadence-server'], { cwd: ROOT });
  const target = process.env.CARGO_TARGET_DIR ?? join(ROOT, 'target');
  const server = join(target, 'release', 'keycadence-server');
  serverBin = server;
  database = `sqlite:${join(work, 'keycadence.db')}`;
  const { stdout } = await run(server, ['--database-url', database, 'keys', 'create']);
  const apiKey = stdout.match(/apiKey:\s*(\S+)/)[1];
  const apiSecret = stdout.match(/apiSecret:\s*(\S+)/)[1];

  const apiPort = await freePort();
  const api = start(server, ['--database-url', database, 'serve', '--listen', `127.0.0.1:${apiPort}`,
    '--recorder-script', join(ROOT, 'pkg', 'keycadence.js')], { env });
  await waitFor(`http://127.0.0.1:${apiPort}/healthz`, api);
  apiUrl = `http://127.0.0.1:${apiPort}`;

  mailDir = join(work, 'mail');
  const sink = start('python3', [join(ROOT, 'tests', 'otp', 'smtp_sink.py'), mailDir]);
  const smtpPort = await new Promise((resolve, reject) => {
    sink.stdout.on('data', () => {
      const port = sink.log.match(/PORT (\d+)/);
      if (port) resolve(Number(port[1]));
    });
    sink.on('exit', () => reject(new Error(`SMTP sink exited:\n${sink.log}`)));
  });

  const port = await freePort();
  site = `http://127.0.0.1:${port}`;
  const django = start('bash', [join(ROOT, 'examples', 'django', 'run.sh')], {
    env: {
      ...env,
      PORT: String(port),
      EXAMPLE_DB: join(work, 'django.sqlite3'),
      KEYCADENCE_URL: `http://127.0.0.1:${apiPort}`,
      TYPINGDNA_API_KEY: apiKey,
      TYPINGDNA_API_SECRET: apiSecret,
      EMAIL_PORT: String(smtpPort),
      PYTHONDONTWRITEBYTECODE: '1',
    },
  });
  await waitFor(`${site}/login`, django);
  browser = await launch();
});

after(async () => {
  await browser?.close();
  for (const child of children) {
    child.stdin.end();
    child.kill('SIGTERM');
  }
  if (work) await rm(work, { recursive: true, force: true });
});

test('keycadence-server serves the classic script at /scripts/keycadence.js only when configured', async () => {
  const served = await fetch(`${apiUrl}/scripts/keycadence.js`);
  assert.equal(served.status, 200);
  assert.match(served.headers.get('content-type'), /^text\/javascript/);
  // gzipped for a browser that accepts it (fetch asks for it, and unpacks it).
  assert.equal(served.headers.get('content-encoding'), 'gzip');
  assert.deepEqual(Buffer.from(await served.arrayBuffer()), await readFile(join(ROOT, 'pkg', 'keycadence.js')));
  const verifyScript = await fetch(`${apiUrl}/verify-2fa/typingdna-verify.js`);
  assert.equal(verifyScript.status, 200);
  assert.equal(verifyScript.headers.get('content-encoding'), 'gzip');
  assert.deepEqual(Buffer.from(await verifyScript.arrayBuffer()), await readFile(join(ROOT, 'pkg', 'verify.js')));

  const port = await freePort();
  const plain = start(serverBin, ['--database-url', database, 'serve', '--listen', `127.0.0.1:${port}`]);
  await waitFor(`http://127.0.0.1:${port}/healthz`, plain);
  assert.equal((await fetch(`http://127.0.0.1:${port}/scripts/keycadence.js`)).status, 404);
});

async function screenshot(page, name) {
  if (SHOTS) await page.screenshot({ path: join(SHOTS, `django-${name}.png`), fullPage: true });
}

/** Types the phrase into the page's field with `typist`'s rhythm and presses the button. */
async function typePhrase(page, typist, attempt) {
  await page.click('#auth-text');
  await typeLike(page, typist, PHRASE, attempt);
  await page.click('#start');
}

async function logIn(page, username, password) {
  await page.goto(`${site}/login`);
  await page.fill('#username', username);
  await page.fill('#password', password);
  await Promise.all([page.waitForURL(`${site}/verify`), page.click('#login')]);
}

test('register, enrol three times, log out, log in: typing passes; another typist fails and the e-mailed link signs in', async () => {
  const [user, other] = await Promise.all([aaltoTypist(USER), aaltoTypist(OTHER)]);
  const context = await browser.newContext();
  const page = await context.newPage();
  const errors = [];
  page.on('pageerror', (error) => errors.push(error));

  // Register, then enrol: three patterns, sent together to /auto.
  await page.goto(`${site}/register`);
  await screenshot(page, 'register');
  await page.fill('#username', 'alice');
  await page.fill('#email', 'alice@example.test');
  await page.fill('#password', 'correct horse battery');
  await Promise.all([page.waitForURL(`${site}/enroll`), page.click('#register')]);
  for (let attempt = 0; attempt < 2; attempt++) {
    await typePhrase(page, user, attempt);
    await page.waitForFunction((n) => document.getElementById('progress').textContent.includes(`${n} of 3`), attempt + 1);
  }
  await screenshot(page, 'enroll');
  await typePhrase(page, user, 2);
  await page.waitForURL(`${site}/all-videos`);
  assert.match(await page.textContent('body'), /successfully registered/);
  await screenshot(page, 'videos');

  // The videos need the second factor: after logging in, the typing check.
  await page.click('#logout');
  await page.goto(`${site}/all-videos`);
  assert.equal(page.url(), `${site}/login`);
  await logIn(page, 'alice', 'correct horse battery');
  await page.goto(`${site}/all-videos`);
  assert.equal(page.url(), `${site}/verify`, 'no videos before the second factor');
  await screenshot(page, 'verify');
  await Promise.all([page.waitForNavigation(), typePhrase(page, user, 3)]);
  assert.equal(page.url(), `${site}/all-videos`, await page.innerText('.card'));
  assert.match(await page.textContent('#videos-title'), /alice/);

  // Someone else, with the password but not the typing: refused, then the e-mailed link.
  await page.click('#logout');
  await logIn(page, 'alice', 'correct horse battery');
  await typePhrase(page, other, 0);
  await page.waitForURL(`${site}/verify`);
  await page.waitForLoadState();
  assert.match(await page.textContent('body'), /You failed the TypingDNA verification check/);
  await screenshot(page, 'verify-failed');
  await page.click('#email-fallback');
  await Promise.all([page.waitForSelector('#sent'), page.click('#send-link')]);
  await screenshot(page, 'email-sent');
  let mail = [];
  for (let i = 0; i < 100 && mail.length === 0; i++) {
    mail = (await readdir(mailDir)).filter((name) => name.endsWith('.eml'));
    if (mail.length === 0) await new Promise((done) => setTimeout(done, 100));
  }
  assert.equal(mail.length, 1, 'one message at the SMTP server');
  const message = await readFile(join(mailDir, mail[0]), 'utf8');
  assert.match(message, /^X-Envelope-To: alice@example\.test/);
  const link = message.match(/http:\/\/\S+\/activate\/\S+\/\S+\//)[0];
  await page.goto(link);
  assert.equal(page.url(), `${site}/all-videos`);
  // The link signs in once.
  await page.click('#logout');
  await page.goto(link);
  assert.match(await page.textContent('#confirm-message'), /invalid/);
  assert.deepEqual(errors, []);
  await context.close();
});
