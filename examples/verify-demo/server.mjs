// The Verify 2FA demo site (scripts/run.sh starts it): a shop on its own origin
// (http://localhost:8090) whose sign-up and sign-in end with keycadence's Verify window, as an
// integrator would build it: the back end makes the data attributes and validates the code with
// keycadence's VerifyClient, the page carries the documented snippet. E-mails come from the
// server's development outbox (--email-outbox), shown at /outbox.
//
// Environment: KC_SERVER (the keycadence server, http://127.0.0.1:8080), KC_DEMO_APP (a JSON file
// with clientId, applicationId, secret of an application for domain localhost), KC_OUTBOX (the
// outbox folder), PORT (8090). No dependencies beyond the repository.

import { createServer } from 'node:http';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';

import { VerifyClient } from '../../pkg/verify-client.js';

const serverUrl = process.env.KC_SERVER ?? 'http://127.0.0.1:8080';
const app = JSON.parse(readFileSync(process.env.KC_DEMO_APP ?? 'data/verify-demo.json', 'utf8'));
const outbox = process.env.KC_OUTBOX ?? 'data/outbox';
const port = Number(process.env.PORT ?? 8090);
const verify = new VerifyClient({ ...app, serverUrl });

/** Signed-in sessions: cookie value → e-mail address (memory only: a demo). */
const sessions = new Map();

const esc = (s) => String(s).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

function page(title, body) {
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>${esc(title)}</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>
  body { font: 16px/1.5 system-ui, sans-serif; max-width: 40rem; margin: 2rem auto; padding: 0 1rem; color: #1b1f24; }
  nav a { margin-right: 1rem; } input { font: inherit; padding: .4rem; } button { font: inherit; padding: .4rem 1rem; }
  pre { background: #f2f5f9; padding: .8rem; white-space: pre-wrap; } .mail { border-top: 1px solid #ccd; padding-top: .5rem; }
</style></head><body><nav><a href="/">Demo shop</a><a href="/outbox">Outbox (e-mails)</a></nav>${body}</body></html>`;
}

function user(request) {
  const cookie = (request.headers.cookie ?? '').match(/(?:^|;\s*)demo=([0-9a-f]+)/);
  return cookie ? sessions.get(cookie[1]) : undefined;
}

function home(request) {
  const email = user(request);
  if (email) {
    return page('Signed in', `<h1>Signed in</h1><p>You are signed in as <b>${esc(email)}</b>, verified by keycadence.</p>
<form method="post" action="/signout"><button>Sign out</button></form>`);
  }
  return page('Demo shop', `<h1>Demo shop</h1>
<p>Sign up with an e-mail address, then sign in again: the second factor is how you type.
The first time, the code is e-mailed: read it in the <a href="/outbox">outbox</a>.</p>
<form method="post" action="/verify"><label>E-mail <input name="email" type="email" required autocomplete="email"></label>
<button name="mode" value="signup">Sign up</button> <button name="mode" value="signin">Sign in</button></form>`);
}

function verifyPage(email, mode) {
  const attrs = verify.getDataAttributes({ email });
  return page('Verify', `<h1>${mode === 'signup' ? 'Sign up' : 'Sign in'}: verify it is you</h1>
<p>${esc(email)}</p>
<button class="typingDNA-verify" data-typingdna-client-id="${esc(attrs.clientId)}"
  data-typingdna-application-id="${esc(attrs.applicationId)}" data-typingdna-payload="${esc(attrs.payload)}"
  data-typingdna-callback-fn="onVerified">Verify with typing</button>
<p id="result" role="status"></p>
<form id="finish" method="post" action="/finish" hidden><input name="email" value="${esc(email)}"><input name="otp"></form>
<script src="/demo.js"></script>
<script src="${esc(serverUrl)}/verify-2fa/typingdna-verify.js"></script>`);
}

// The page's callback: the code goes to the back end, which validates it.
const DEMO_JS = `function onVerified(result) {
  if (result.success === 1) {
    const form = document.getElementById('finish');
    form.otp.value = result.otp;
    form.submit();
  } else {
    document.getElementById('result').textContent = 'Not verified: ' + result.error;
  }
}`;

function outboxPage() {
  let files = [];
  try {
    files = readdirSync(outbox).filter((f) => f.endsWith('.eml')).sort().reverse().slice(0, 20);
  } catch {
    // no mail yet
  }
  const mails = files.map((f) => {
    const text = readFileSync(join(outbox, f), 'utf8');
    const [head, ...body] = text.split('\r\n\r\n');
    const header = (name) => (head.match(new RegExp(`^${name}: (.*)$`, 'mi')) ?? [])[1] ?? '';
    let content = body.join('\r\n\r\n');
    if (/quoted-printable/i.test(header('Content-Transfer-Encoding'))) {
      content = content.replace(/=\r?\n/g, '').replace(/=([0-9A-F]{2})/g, (_, hex) => String.fromCharCode(parseInt(hex, 16)));
    }
    return `<div class="mail"><b>${esc(header('Subject'))}</b> to ${esc(header('To'))} <small>${esc(header('Date'))}</small>
<pre>${esc(content.trim())}</pre></div>`;
  });
  return page('Outbox', `<h1>Outbox</h1><p>E-mails the keycadence server wrote to <code>${esc(outbox)}</code>
(its development outbox) instead of sending them, newest first.</p>${mails.join('') || '<p>No e-mails yet.</p>'}`);
}

async function form(request) {
  let body = '';
  for await (const chunk of request) body += chunk;
  return new URLSearchParams(body);
}

const site = createServer(async (request, response) => {
  const send = (status, html, headers = {}) =>
    response.writeHead(status, { 'content-type': 'text/html; charset=utf-8', ...headers }).end(html);
  const path = new URL(request.url, 'http://localhost').pathname;
  try {
    if (request.method === 'GET' && path === '/') return send(200, home(request));
    if (request.method === 'GET' && path === '/outbox') return send(200, outboxPage());
    if (request.method === 'GET' && path === '/demo.js') {
      return response.writeHead(200, { 'content-type': 'text/javascript' }).end(DEMO_JS);
    }
    if (request.method === 'POST' && path === '/verify') {
      const fields = await form(request);
      return send(200, verifyPage(fields.get('email').trim(), fields.get('mode')));
    }
    if (request.method === 'POST' && path === '/finish') {
      const fields = await form(request);
      const email = fields.get('email');
      const checked = await verify.validateOTP({ email }, fields.get('otp'));
      if (checked.code !== 19) {
        return send(401, page('Not verified', `<h1>Not verified</h1><p>${esc(checked.message)}</p><p><a href="/">Back</a></p>`));
      }
      const id = randomBytes(16).toString('hex');
      sessions.set(id, email);
      return send(303, '', { location: '/', 'set-cookie': `demo=${id}; HttpOnly; SameSite=Lax; Path=/` });
    }
    if (request.method === 'POST' && path === '/signout') {
      const cookie = (request.headers.cookie ?? '').match(/(?:^|;\s*)demo=([0-9a-f]+)/);
      if (cookie) sessions.delete(cookie[1]);
      return send(303, '', { location: '/', 'set-cookie': 'demo=; Max-Age=0; Path=/' });
    }
    send(404, page('Not found', '<h1>Not found</h1>'));
  } catch (error) {
    console.error(error);
    send(500, page('Error', '<h1>Something went wrong</h1>'));
  }
});
site.listen(port, '127.0.0.1', () => {
  const { port: bound } = site.address();
  console.log(`Verify demo: http://localhost:${bound}/ (e-mails: http://localhost:${bound}/outbox)`);
});
