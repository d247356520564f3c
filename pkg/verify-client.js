// VerifyClient: the backend client of keycadence's Verify 2FA service. It speaks protocol 2.0
// by default and, for applications that allow them, TypingDNA's protocol 1.1 and 1.0
// (drop-in for `typingdna-verify-client`), to a server URL of your choice.
// Plain JavaScript for Node.js 18 or later: fetch and node:crypto, no WebAssembly.
//
//   import { VerifyClient } from './verify-client.js';   // Node.js only (node:crypto)
//   const verify = new VerifyClient({ clientId, applicationId, secret,
//                                     serverUrl: 'https://verify.example.com' });
//   const attributes = verify.getDataAttributes({ email: 'alice@example.com' }); // for the page
//   const sent = await verify.sendOTP({ email: 'alice@example.com' });        // code 9
//   const checked = await verify.validateOTP({ email: 'alice@example.com' }, '123456'); // 19
//
// Protocol 2.0 (the server README documents it for clients in other languages): `v2.` then
// base64url of nonce (12 bytes) + AES-256-GCM ciphertext and tag; key HKDF-SHA256(secret,
// salt "keycadence/verify-payload/2.0", info applicationId); associated data
// "keycadence/verify-payload/2.0" NUL purpose NUL applicationId, the purpose being `window`
// for data attributes and `backend` for sendOTP/validateOTP; the JSON carries the identifiers,
// `purpose`, a random `jti` (the server accepts each payload once) and `ts`.
//
// Protocol 1.x payloads are AES-256-CBC encrypted JSON without a MAC, written as
// hex(ciphertext) followed by hex(IV), with a key derived from the client secret (password)
// and the applicationId (salt): PBKDF2-HMAC-SHA512 with 10 000 iterations for 1.1, scrypt
// (N 16384, r 8, p 1) for 1.0.

import {
  createCipheriv,
  createDecipheriv,
  hkdfSync,
  pbkdf2Sync,
  randomBytes,
  scryptSync,
} from 'node:crypto';

export const PBKDF2_ITERATIONS = 10000;
export const SCRYPT_PARAMS = Object.freeze({ N: 16384, r: 8, p: 1 });
const KEY_BYTES = 32;
const IV_BYTES = 16;
const V2_CONTEXT = 'keycadence/verify-payload/2.0';
const V2_NONCE_BYTES = 12;
const V2_PURPOSES = ['window', 'backend'];

/** The 32-byte protocol 2.0 payload key of an application. */
export function deriveKeyV2(secret, applicationId) {
  return Buffer.from(hkdfSync('sha256', secret, V2_CONTEXT, applicationId, KEY_BYTES));
}

function v2AssociatedData(purpose, applicationId) {
  return Buffer.from(`${V2_CONTEXT}\0${purpose}\0${applicationId}`, 'utf8');
}

/**
 * Seals `fields` (an object) as a protocol 2.0 payload for `purpose` ('window' or 'backend'),
 * adding `purpose`, a new `jti` and, unless given, `ts`.
 */
export function sealPayloadV2(key, applicationId, purpose, fields) {
  if (!V2_PURPOSES.includes(purpose)) throw new TypeError(`purpose is one of ${V2_PURPOSES}`);
  const plaintext = JSON.stringify({
    ts: Date.now(),
    ...fields,
    purpose,
    jti: randomBytes(16).toString('hex'),
  });
  const nonce = randomBytes(V2_NONCE_BYTES);
  const cipher = createCipheriv('aes-256-gcm', key, nonce);
  cipher.setAAD(v2AssociatedData(purpose, applicationId));
  const ciphertext = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
  return 'v2.' + Buffer.concat([nonce, ciphertext, cipher.getAuthTag()]).toString('base64url');
}

/** Opens a protocol 2.0 payload of `purpose`; throws when it does not authenticate. */
export function openPayloadV2(key, applicationId, purpose, payload) {
  if (!payload.startsWith('v2.')) throw new Error('a protocol 2.0 payload starts with "v2."');
  const bytes = Buffer.from(payload.slice(3), 'base64url');
  const nonce = bytes.subarray(0, V2_NONCE_BYTES);
  const tag = bytes.subarray(bytes.length - 16);
  const decipher = createDecipheriv('aes-256-gcm', key, nonce);
  decipher.setAAD(v2AssociatedData(purpose, applicationId));
  decipher.setAuthTag(tag);
  const body = bytes.subarray(V2_NONCE_BYTES, bytes.length - 16);
  return JSON.parse(Buffer.concat([decipher.update(body), decipher.final()]).toString('utf8'));
}

/** The 32-byte payload key of an application for protocol `version` (1.1 or 1.0). */
export function deriveKey(secret, applicationId, version = 1.1) {
  if (Number(version) === 1.0) {
    return scryptSync(secret, applicationId, KEY_BYTES, {
      ...SCRYPT_PARAMS,
      maxmem: 64 * 1024 * 1024,
    });
  }
  return pbkdf2Sync(secret, applicationId, PBKDF2_ITERATIONS, KEY_BYTES, 'sha512');
}

/** Encrypts `plaintext` (a string) into the wire form: lower-case hex ciphertext, then IV. */
export function encryptPayload(key, plaintext, iv = randomBytes(IV_BYTES)) {
  const cipher = createCipheriv('aes-256-cbc', key, iv);
  const ciphertext = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
  return ciphertext.toString('hex') + Buffer.from(iv).toString('hex');
}

/** Decrypts a payload made by `encryptPayload` (any hex case) back to its string. */
export function decryptPayload(key, payload) {
  if (!/^([0-9a-fA-F]{32})+$/.test(payload) || payload.length < 64) {
    throw new Error('a payload is hex: whole 16-byte blocks of ciphertext, then the 16-byte IV');
  }
  const iv = Buffer.from(payload.slice(-2 * IV_BYTES), 'hex');
  const ciphertext = Buffer.from(payload.slice(0, -2 * IV_BYTES), 'hex');
  const decipher = createDecipheriv('aes-256-cbc', key, iv);
  return Buffer.concat([decipher.update(ciphertext), decipher.final()]).toString('utf8');
}

function required(options, name) {
  const value = options?.[name];
  if (typeof value !== 'string' || value.trim() === '') {
    throw new TypeError(`VerifyClient: ${name} is required (a non-empty string)`);
  }
  return value.trim();
}

/** The user identifiers the protocol knows, without the ones not given. */
function identifiers({ email, phoneNumber, countryCode, id } = {}) {
  const fields = { email, phoneNumber, countryCode, id };
  return Object.fromEntries(
    Object.entries(fields).filter(([, v]) => v !== undefined && v !== null && v !== ''),
  );
}

export class VerifyClient {
  /**
   * @param {object} options
   * @param {string} options.clientId
   * @param {string} options.applicationId
   * @param {string} options.secret the client secret (never sent: it derives the payload key)
   * @param {string} options.serverUrl base URL of the keycadence server
   * @param {string|number} [options.version='2.0'] protocol: '2.0' (authenticated, single
   *   use), or, for applications created with --legacy-payloads, 1.1 (PBKDF2) or 1.0 (scrypt)
   * @param {number} [options.timeoutMs=8000] per request
   */
  constructor(options) {
    this.clientId = required(options, 'clientId');
    this.applicationId = required(options, 'applicationId');
    const secret = required(options, 'secret');
    this.serverUrl = required(options, 'serverUrl').replace(/\/+$/, '');
    if (!/^https?:\/\//.test(this.serverUrl)) {
      throw new TypeError('VerifyClient: serverUrl must start with http:// or https://');
    }
    this.version = options.version === undefined ? '2.0' : String(options.version);
    if (this.version === '2') this.version = '2.0';
    if (this.version === '1') this.version = '1.0';
    if (!['2.0', '1.1', '1.0'].includes(this.version)) {
      throw new TypeError("VerifyClient: version is '2.0', 1.1 (PBKDF2) or 1.0 (scrypt)");
    }
    this.timeoutMs = options.timeoutMs ?? 8000;
    // Derived once: PBKDF2 and scrypt are slow on purpose. The secret itself is not kept.
    const applicationId = this.applicationId;
    let seal;
    if (this.version === '2.0') {
      const key = deriveKeyV2(secret, applicationId);
      seal = (purpose, fields) => sealPayloadV2(key, applicationId, purpose, fields);
    } else {
      const key = deriveKey(secret, applicationId, Number(this.version));
      seal = (_purpose, fields) => encryptPayload(key, JSON.stringify({ ...fields, ts: Date.now() }));
    }
    Object.defineProperty(this, 'seal', { value: seal, enumerable: false });
  }

  /**
   * The `data-typingdna-*` attributes for the page: no network call.
   * @returns {{clientId: string, applicationId: string, payload: string}}
   */
  getDataAttributes({ email, phoneNumber, countryCode, language = 'en', flow = 'standard' } = {}) {
    const payload = this.seal('window', {
      ...identifiers({ email, phoneNumber, countryCode }),
      language,
      flow,
    });
    return { clientId: this.clientId, applicationId: this.applicationId, payload };
  }

  /** `POST /otp/send`: a code by e-mail or SMS; resolves to the server's JSON answer (the
   * answer never carries the code: it reaches only the user). */
  sendOTP(user) {
    return this.#post('/otp/send', user);
  }

  /** `POST /otp/validate`: resolves to the server's JSON answer (code 19 when it matches). */
  validateOTP(user, code) {
    return this.#post('/otp/validate', user, { code: String(code).trim() });
  }

  async #post(path, user, extra = {}) {
    const ids = identifiers(user);
    if (Object.keys(ids).length === 0) {
      throw new TypeError('VerifyClient: give email, phoneNumber or id');
    }
    const body = {
      clientId: this.clientId,
      applicationId: this.applicationId,
      payload: this.seal('backend', ids),
      // 1.x servers read the version as a number, as TypingDNA's clients send it.
      version: this.version === '2.0' ? '2.0' : Number(this.version),
      ...extra,
    };
    const response = await fetch(this.serverUrl + path, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', Accept: 'application/json' },
      body: JSON.stringify(body),
      signal: AbortSignal.timeout(this.timeoutMs),
    });
    const text = await response.text();
    try {
      return JSON.parse(text);
    } catch {
      throw new Error(`VerifyClient: ${path} answered HTTP ${response.status} without JSON`);
    }
  }
}

export default VerifyClient;
