// VerifyClient: the backend client of keycadence's Verify 2FA service, speaking the TypingDNA
// Verify protocol (drop-in for `typingdna-verify-client`) to a server URL of your choice.
// Plain JavaScript for Node.js 18 or later: fetch and node:crypto, no WebAssembly.
//
//   import { VerifyClient } from './verify-client.js';   // Node.js only (node:crypto)
//   const verify = new VerifyClient({ clientId, applicationId, secret,
//                                     serverUrl: 'https://verify.example.com' });
//   const attributes = verify.getDataAttributes({ email: 'alice@example.com' }); // for the page
//   const sent = await verify.sendOTP({ email: 'alice@example.com' });        // code 9, otp
//   const checked = await verify.validateOTP({ email: 'alice@example.com' }, '123456'); // 19
//
// Payloads are AES-256-CBC encrypted JSON, written as hex(ciphertext) followed by hex(IV), with
// a key derived from the client secret (password) and the applicationId (salt): PBKDF2-HMAC-
// SHA512 with 10 000 iterations for protocol version 1.1, scrypt (N 16384, r 8, p 1) for 1.0.

import {
  createCipheriv,
  createDecipheriv,
  pbkdf2Sync,
  randomBytes,
  scryptSync,
} from 'node:crypto';

export const PBKDF2_ITERATIONS = 10000;
export const SCRYPT_PARAMS = Object.freeze({ N: 16384, r: 8, p: 1 });
const KEY_BYTES = 32;
const IV_BYTES = 16;

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
   * @param {number} [options.version=1.1] protocol version: 1.1 (PBKDF2) or 1.0 (scrypt)
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
    this.version = options.version === undefined ? 1.1 : Number(options.version);
    if (this.version !== 1.1 && this.version !== 1.0) {
      throw new TypeError('VerifyClient: version is 1.1 (PBKDF2) or 1.0 (scrypt)');
    }
    this.timeoutMs = options.timeoutMs ?? 8000;
    // Derived once: PBKDF2 and scrypt are slow on purpose. The secret itself is not kept.
    const key = deriveKey(secret, this.applicationId, this.version);
    Object.defineProperty(this, 'encrypt', {
      value: (fields) => encryptPayload(key, JSON.stringify(fields)),
      enumerable: false,
    });
  }

  /**
   * The `data-typingdna-*` attributes for the page: no network call.
   * @returns {{clientId: string, applicationId: string, payload: string}}
   */
  getDataAttributes({ email, phoneNumber, countryCode, language = 'en', flow = 'standard' } = {}) {
    const payload = this.encrypt({
      ...identifiers({ email, phoneNumber, countryCode }),
      language,
      flow,
      ts: Date.now(),
    });
    return { clientId: this.clientId, applicationId: this.applicationId, payload };
  }

  /** `POST /otp/send`: a code by e-mail or SMS; resolves to the server's JSON answer. */
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
      payload: this.encrypt({ ...ids, ts: Date.now() }),
      version: this.version,
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
