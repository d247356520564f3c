// Test support for the VerifyClient suite: starts a real SMTP server (smtp_sink.py, aiosmtpd),
// a recording stand-in for the SMS gateway, and keycadence-server itself (the binary named by
// KC_SERVER_BIN) on a fresh SQLite database, and creates an application with the binary's
// `apps create`.

import { spawn, execFileSync } from 'node:child_process';
import { createServer } from 'node:http';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createInterface } from 'node:readline';

const HERE = dirname(fileURLToPath(import.meta.url));

/** Resolves with the first line of `child`'s `stream` that `match` accepts (its result). */
function waitForLine(child, stream, match, what) {
  return new Promise((resolve, reject) => {
    const lines = createInterface({ input: child[stream] });
    const seen = [];
    const onExit = (code) =>
      reject(new Error(`${what} exited (${code}) before it was ready:\n${seen.join('\n')}`));
    child.once('exit', onExit);
    lines.on('line', (line) => {
      seen.push(line);
      const found = match(line);
      if (found !== undefined) {
        child.off('exit', onExit);
        lines.removeAllListeners('line');
        lines.on('line', () => {}); // keep draining
        resolve(found);
      }
    });
  });
}

export async function startSmtpSink(dir) {
  const child = spawn('python3', [join(HERE, 'smtp_sink.py'), dir], {
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  const port = await waitForLine(
    child,
    'stdout',
    (line) => (line.startsWith('PORT ') ? Number(line.slice(5)) : undefined),
    'the SMTP sink (is aiosmtpd installed? run scripts/bootstrap.d/otp.sh)',
  );
  return {
    port,
    stop: () => child.kill(),
    /** The raw messages received for `recipient`, oldest first. */
    messagesTo(recipient) {
      return readdirSync(dir)
        .filter((f) => f.endsWith('.eml'))
        .sort()
        .map((f) => readFileSync(join(dir, f), 'utf8'))
        .filter((m) => m.split('\r\n', 1)[0].includes(recipient));
    },
    async waitFor(recipient, count = 1) {
      const deadline = Date.now() + 5000;
      for (;;) {
        const messages = this.messagesTo(recipient);
        if (messages.length >= count) return messages[count - 1];
        if (Date.now() > deadline) {
          throw new Error(`${recipient} got ${messages.length} messages, expected ${count}`);
        }
        await new Promise((r) => setTimeout(r, 20));
      }
    },
  };
}

/** An HTTP listener that records requests and answers as Twilio's Messages resource does. */
export async function startSmsGateway() {
  const requests = [];
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (chunk) => (body += chunk));
    req.on('end', () => {
      requests.push({
        method: req.method,
        path: req.url,
        authorization: req.headers.authorization,
        form: Object.fromEntries(new URLSearchParams(body)),
      });
      res.writeHead(201, { 'Content-Type': 'application/json' });
      res.end(JSON.stringify({ sid: 'SM' + '0'.repeat(32), status: 'queued' }));
    });
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    base: `http://127.0.0.1:${server.address().port}`,
    requests,
    stop: () => server.close(),
  };
}

/**
 * Runs `bin serve` on `db` on a free loopback port with `args`; resolves with the process and
 * its URL once it listens.
 */
export async function spawnServer(bin, db, env, args) {
  const child = spawn(
    bin,
    ['--database-url', db, 'serve', '--listen', '127.0.0.1:0', '--log-format', 'json', ...args],
    { env, stdio: ['ignore', 'ignore', 'pipe'] },
  );
  const address = await waitForLine(
    child,
    'stderr',
    (line) => {
      try {
        return JSON.parse(line).fields?.address;
      } catch {
        return undefined;
      }
    },
    'keycadence-server',
  );
  return { child, url: `http://${address}` };
}

/** The binary, a database with two applications, and the server running on it. */
export async function startServer({ smtpPort, smsBase }) {
  const bin = process.env.KC_SERVER_BIN;
  if (!bin) throw new Error('KC_SERVER_BIN must name the keycadence-server binary');
  const dir = mkdtempSync(join(tmpdir(), 'kc-verify-client-'));
  const db = `sqlite:${join(dir, 'verify.db')}`;
  const env = { ...process.env };
  for (const name of ['KEYCADENCE_AT_REST_KEY', 'KEYCADENCE_OTP_PEPPER', 'KEYCADENCE_DATA_DIR']) {
    delete env[name];
  }
  // One application as `apps create` makes it (protocol 2.0 only), one that also accepts
  // TypingDNA's protocol 1.x payloads.
  const createApp = (...flags) => {
    const created = execFileSync(
      bin,
      [
        '--database-url', db, 'apps', 'create', '--domain', 'shop.example.com',
        '--email-from', 'Shop <codes@shop.example.com>',
        '--sms-account-sid', 'AC0123456789', '--sms-auth-token', 'sms-token',
        '--sms-from', '+15550001111', ...flags,
      ],
      { env, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] },
    );
    const field = (name) => created.match(new RegExp(`^${name}:\\s*(\\S+)`, 'm'))[1];
    return {
      clientId: field('clientId'),
      applicationId: field('applicationId'),
      secret: field('secret'),
    };
  };
  const app = createApp();
  const legacyApp = createApp('--legacy-payloads');
  const { child, url } = await spawnServer(bin, db, env, [
    '--smtp-host', '127.0.0.1', '--smtp-port', String(smtpPort), '--smtp-tls', 'off',
    '--sms-base-url', smsBase,
  ]);
  return {
    url,
    app,
    legacyApp,
    stop() {
      child.kill();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
