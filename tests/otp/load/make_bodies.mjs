// Writes N `/otp/validate` bodies, one per line, each for a different user, with payloads made
// by the npm VerifyClient's own functions (PBKDF2 key, AES-256-CBC, fresh ts).
// Usage: node make_bodies.mjs CLIENT_ID APPLICATION_ID SECRET N CODE > bodies
import { deriveKey, encryptPayload } from '../../../pkg/verify-client.js';

const [clientId, applicationId, secret, count, code] = process.argv.slice(2);
const key = deriveKey(secret, applicationId, 1.1);
const ts = Date.now();
const lines = [];
for (let i = 0; i < Number(count); i += 1) {
  const payload = encryptPayload(key, JSON.stringify({ email: `load-${i}@example.com`, ts }));
  lines.push(JSON.stringify({ clientId, applicationId, payload, version: 1.1, code }));
}
process.stdout.write(lines.join('\n') + '\n');
