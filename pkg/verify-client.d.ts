// Types of verify-client.js: the Node.js backend client of keycadence's Verify 2FA service.

/// <reference types="node" />

export const PBKDF2_ITERATIONS: 10000;
export const SCRYPT_PARAMS: Readonly<{ N: 16384; r: 8; p: 1 }>;

/**
 * '2.0': authenticated, single-use payloads (the default); 1.1: TypingDNA's PBKDF2-HMAC-SHA512
 * payload keys; 1.0: scrypt (first release). 1.x only for applications that allow legacy
 * payloads.
 */
export type ProtocolVersion = '2.0' | 1.1 | 1.0;

/** Where a protocol 2.0 payload may be used: a page's Verify window, or the back-end routes. */
export type PayloadPurpose = 'window' | 'backend';

export function deriveKey(secret: string, applicationId: string, version?: 1.1 | 1.0): Buffer;
export function deriveKeyV2(secret: string, applicationId: string): Buffer;
export function sealPayloadV2(
  key: Uint8Array,
  applicationId: string,
  purpose: PayloadPurpose,
  fields: Record<string, unknown>,
): string;
export function openPayloadV2(
  key: Uint8Array,
  applicationId: string,
  purpose: PayloadPurpose,
  payload: string,
): Record<string, unknown>;
export function encryptPayload(key: Uint8Array, plaintext: string, iv?: Uint8Array): string;
export function decryptPayload(key: Uint8Array, payload: string): string;

export interface VerifyClientOptions {
  clientId: string;
  applicationId: string;
  /** The client secret: derives the payload key and is never sent. */
  secret: string;
  /** Base URL of the keycadence server, e.g. `https://verify.example.com`. */
  serverUrl: string;
  version?: ProtocolVersion;
  /** Per request; 8000 by default. */
  timeoutMs?: number;
}

/** The user, by e-mail address, phone number (with or without a separate country code) or id. */
export interface VerifyUser {
  email?: string;
  phoneNumber?: string;
  countryCode?: string;
  /** For applications with the root of trust disabled. */
  id?: string;
}

export interface DataAttributeOptions {
  email?: string;
  phoneNumber?: string;
  countryCode?: string;
  /** `en` by default. */
  language?: string;
  /** `standard` by default. */
  flow?: 'standard' | 'show_otp';
}

export interface DataAttributes {
  clientId: string;
  applicationId: string;
  payload: string;
}

/**
 * The server's answer: `code` 9 (sent; `otp` only from sandbox applications that echo
 * codes), 13 (too many sent, `limitedUntil`),
 * 26 (provider error), 19 (matches), 10 (invalid or expired), 11 and 12 (locked out, with
 * `limitedUntil`), or an error code 101-135 with the HTTP status in `status`.
 */
export interface VerifyResponse {
  success: 0 | 1;
  status: number;
  code: number;
  message: string;
  otp?: number;
  limitedUntil?: number;
}

export class VerifyClient {
  constructor(options: VerifyClientOptions);
  readonly clientId: string;
  readonly applicationId: string;
  readonly serverUrl: string;
  readonly version: '2.0' | '1.1' | '1.0';
  readonly timeoutMs: number;
  getDataAttributes(options?: DataAttributeOptions): DataAttributes;
  sendOTP(user: VerifyUser): Promise<VerifyResponse>;
  validateOTP(user: VerifyUser, code: string | number): Promise<VerifyResponse>;
}

export default VerifyClient;
