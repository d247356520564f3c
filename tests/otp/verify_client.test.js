// VerifyClient (pkg/verify-client.js) against the real keycadence-server: the spec's payload
// vectors, data attributes, codes sent by e-mail (to a real SMTP server) and SMS (to a
// recording gateway) and validated, protocol 1.0 clients, and the errors a misconfigured
// integration sees. Run by scripts/test.d/otp.sh (KC_SERVER_BIN names the server binary).

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import {
  VerifyClient,
  deriveKey,
  deriveKeyV2,
  encryptPayload,
  decryptPayload,
  openPayloadV2,
} from '../../pkg/verify-client.js';
import { startSmtpSink, startSmsGateway, startServer } from './support.js';

let mailDir;
let smtp;
let sms;
let server;

before(async () => {
  mailDir = mkdtempSync(join(tmpdir(), 'kc-mail-'));
  smtp = await startSmtpSink(mailDir);
  sms = await startSmsGateway();
  server = await startServer({ smtpPort: smtp.port, smsBase: sms.base });
});

after(() => {
  server?.stop();
  sms?.stop();
  smtp?.stop();
  rmSync(mailDir, { recursive: true, force: true });
});

function client(overrides = {}) {
  return new VerifyClient({ ...server.app, serverUrl: server.url, ...overrides });
}

/** A client of the application that allows TypingDNA's protocol 1.x payloads. */
function legacyClient(overrides = {}) {
  return new VerifyClient({ ...server.legacyApp, serverUrl: server.url, version: 1.1, ...overrides });
}

let users = 0;
function uniqueEmail(tag) {
  users += 1;
  return `${tag}-${process.pid}-${users}@example.com`;
}

function codeIn(message) {
  const body = message.split('\r\n\r\n').slice(1).join('\r\n\r\n');
  const match = body.match(/\b(\d{6})\b/);
  assert.ok(match, `no code in ${body}`);
  return match[1];
}

test('the payload format matches the published Verify payload vectors', () => {
  const iv = Buffer.from('000102030405060708090a0b0c0d0e0f', 'hex');
  const plaintext = '{"email":"alice@example.com","ts":1700000000000}';
  const pbkdf2 = deriveKey('s3cr3t', 'app456', 1.1);
  const scrypt = deriveKey('s3cr3t', 'app456', 1.0);
  assert.equal(
    pbkdf2.toString('hex'),
    '3de287cc8f4511d3e5245b619476bcb5e6be40191acc9ea14bd6207a36f161b2',
  );
  assert.equal(
    scrypt.toString('hex'),
    'd73b75bf8a9c41e9b217b6ba60f8ee4bb4b154e4b847d3287c1517c608df5d65',
  );
  assert.equal(
    encryptPayload(pbkdf2, plaintext, iv),
    '57a48b053ac10c21cfa321840cf32e64ea060569942cd5cada4bad300639d5728d8a8852b410acdbd96ed8ff622f48eebcfcc20b286869b8cccd61b229ec9207' +
      '000102030405060708090a0b0c0d0e0f',
  );
  assert.equal(
    encryptPayload(scrypt, plaintext, iv),
    '31899ac689ace3bfe5b6932c6506d4f63cffd568484c268f1c27e911eadec1dd0584e78fe2987688c452158caa1d552de4378dd2c2225961679df5fbe19641e2' +
      '000102030405060708090a0b0c0d0e0f',
  );
  assert.equal(decryptPayload(pbkdf2, encryptPayload(pbkdf2, plaintext).toUpperCase()), plaintext);
});

test('data attributes carry the ids and a 2.0 window payload with language, flow, ts and jti', () => {
  const verify = client();
  const before = Date.now();
  const attributes = verify.getDataAttributes({ email: 'alice@example.com', flow: 'show_otp' });
  assert.deepEqual(Object.keys(attributes).sort(), ['applicationId', 'clientId', 'payload']);
  assert.equal(attributes.clientId, server.app.clientId);
  assert.equal(attributes.applicationId, server.app.applicationId);
  assert.match(attributes.payload, /^v2\.[A-Za-z0-9_-]+$/);
  const key = deriveKeyV2(server.app.secret, server.app.applicationId);
  const { applicationId } = server.app;
  assert.throws(() => openPayloadV2(key, applicationId, 'backend', attributes.payload));
  const fields = openPayloadV2(key, applicationId, 'window', attributes.payload);
  assert.equal(fields.purpose, 'window');
  assert.match(fields.jti, /^[0-9a-f]{32}$/);
  assert.equal(fields.email, 'alice@example.com');
  assert.equal(fields.language, 'en');
  assert.equal(fields.flow, 'show_otp');
  assert.ok(fields.ts >= before && fields.ts <= Date.now());
  assert.equal('phoneNumber' in fields, false, 'absent identifiers are left out');
  // Two payloads of the same fields differ (fresh IV).
  assert.notEqual(verify.getDataAttributes({ email: 'a@b.co' }).payload, verify.getDataAttributes({ email: 'a@b.co' }).payload);
});

test('a code sent by e-mail validates once', async () => {
  const verify = client();
  const email = uniqueEmail('alice');
  const sent = await verify.sendOTP({ email });
  assert.equal(sent.code, 9, JSON.stringify(sent));
  assert.equal(sent.success, 1);
  assert.equal('otp' in sent, false, 'the answer never carries the code');
  const mail = await smtp.waitFor(email);
  assert.match(mail, /shop\.example\.com/);

  const wrong = codeIn(mail) === '123456' ? '654321' : '123456';
  const refused = await verify.validateOTP({ email }, wrong);
  assert.equal(refused.code, 10);
  assert.equal(refused.success, 0);
  const matched = await verify.validateOTP({ email }, codeIn(mail));
  assert.equal(matched.code, 19, JSON.stringify(matched));
  assert.equal(matched.success, 1);
  assert.equal((await verify.validateOTP({ email }, codeIn(mail))).code, 10, 'single use');
});

test('a code sent by SMS goes to the gateway and validates as a number', async () => {
  const verify = client();
  const user = { phoneNumber: '0722 000 222', countryCode: '40' };
  const sent = await verify.sendOTP(user);
  assert.equal(sent.code, 9, JSON.stringify(sent));
  const request = sms.requests.at(-1);
  assert.equal(request.path, '/2010-04-01/Accounts/AC0123456789/Messages.json');
  assert.equal(
    request.authorization,
    'Basic ' + Buffer.from('AC0123456789:sms-token').toString('base64'),
  );
  assert.equal(request.form.To, '+40722000222');
  assert.equal(request.form.From, '+15550001111');
  assert.equal('otp' in sent, false);
  const code = request.form.Body.match(/\b(\d{6})\b/)[1];
  const matched = await verify.validateOTP({ phoneNumber: '+40722000222' }, Number(code));
  assert.equal(matched.code, 19, JSON.stringify(matched));
});

test('protocol 1.1 and 1.0 (scrypt) clients work where the application allows them', async () => {
  for (const version of [1.1, 1.0]) {
    const verify = legacyClient({ version });
    const email = uniqueEmail(`legacy-${version}`);
    const sent = await verify.sendOTP({ email });
    assert.equal(sent.code, 9, JSON.stringify(sent));
    assert.equal('otp' in sent, false);
    const code = codeIn(await smtp.waitFor(email));
    assert.equal((await verify.validateOTP({ email }, code)).code, 19);
  }
  // The default application refuses them (124), whatever the version.
  const refused = await client({ version: 1.1 }).sendOTP({ email: uniqueEmail('refused') });
  assert.equal(refused.code, 124, JSON.stringify(refused));
});

test('misconfigured clients get the documented codes', async () => {
  const email = uniqueEmail('errors');
  const wrongSecret = await client({ secret: 'not-the-secret' }).sendOTP({ email });
  assert.equal(wrongSecret.code, 124, JSON.stringify(wrongSecret));
  assert.equal(wrongSecret.status, 400);
  const unknownApp = await client({ applicationId: 'f'.repeat(32) }).sendOTP({ email });
  assert.equal(unknownApp.code, 106);
  const otherClient = await client({ clientId: 'e'.repeat(32) }).validateOTP({ email }, '123456');
  assert.equal(otherClient.code, 105);
  const badAddress = await client().sendOTP({ email: 'not-an-address' });
  assert.equal(badAddress.code, 111);
  assert.equal(smtp.messagesTo(email).length, 0);
});

test('bad arguments are refused before any request', async () => {
  assert.throws(() => new VerifyClient({ ...server.app }), /serverUrl is required/);
  assert.throws(() => client({ serverUrl: 'ftp://x' }), /http:\/\/ or https:\/\//);
  assert.throws(() => client({ secret: '' }), /secret is required/);
  assert.throws(() => client({ version: 3 }), /version is '2.0'/);
  await assert.rejects(client().sendOTP({}), /give email, phoneNumber or id/);
  // A server that is not there: the promise rejects.
  await assert.rejects(client({ serverUrl: 'http://127.0.0.1:9', timeoutMs: 2000 }).sendOTP({ email: 'a@b.co' }));
});
