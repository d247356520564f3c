// Writes N `/otp/validate` bodies, one per line, each for a different user, with protocol 2.0
// payloads made by the npm VerifyClient's own functions (HKDF key, AES-256-GCM, a jti each,
// fresh ts). Each payload is accepted once, so a body file serves one pass over its users.
// Usage: node make_bodies.mjs CLIENT_ID APPLICATION_ID SECRET N CODE [USERS] > bodies
// (body i is for user i modulo USERS, N by default).
import { deriveKeyV2, sealPayloadV2 } from '../../../pkg/verify-client.js';

const [clientId, applicationId, secret, count, code, users = count] = process.argv.slice(2);
const key = deriveKeyV2(secret, applicationId);
const ts = Date.now();
const lines = [];
for (let i = 0; i < Number(count); i += 1) {
  const payload = sealPayloadV2(key, applicationId, 'backend', { email: `load-${i % Number(users)}@example.com`, ts });
  lines.push(JSON.stringify({ clientId, applicationId, payload, version: '2.0', code }));
}
process.stdout.write(lines.join('\n') + '\n');
