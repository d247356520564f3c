// Types of sign-in.js: the browser side of a sign-in's second factor (Clerk-shaped).

export type SecondFactorStrategy = 'typing' | 'email_code' | 'phone_code' | 'totp' | 'backup_code';

export type SignInStatus = 'needs_second_factor' | 'complete' | 'expired' | 'failed';

export interface SignInFactor {
  strategy: SecondFactorStrategy;
  /** The masked e-mail address or phone number a code goes to. */
  safeIdentifier?: string;
}

export interface SignInErrorDetail {
  /** A documented code (see the server's /openapi.json, `SignInError`). */
  code: string;
  message: string;
}

export interface SecondFactorVerification {
  status: 'unverified' | 'verified' | 'failed' | 'expired';
  strategy: SecondFactorStrategy;
  /** Attempts with this strategy in this sign-in. */
  attempts: number;
  expireAt: Date;
  /** Why the last attempt failed: `typing_not_matched` or `code_incorrect`. */
  error: SignInErrorDetail | null;
  /** Typing, while waiting: the text to type. */
  text?: string;
  textId?: number;
  /** Typing: `enrol` for a user building a first enrolment (kept until a code succeeds). */
  purpose?: 'verify' | 'enrol';
}

export interface SignInOptions {
  /** The keycadence server, e.g. `https://auth.example.com`. */
  serverUrl: string;
  /** The sign-in id (`sia_...`) from the page's back end. */
  id: string;
  /** The sign-in's `client_token` from the page's back end (valid for this sign-in only). */
  token: string;
  /** Where the user types the prompted text (needed for `typing`). */
  input?: HTMLInputElement | HTMLTextAreaElement;
}

/** A refused request; nothing changed on the server. */
export class SignInError extends Error {
  readonly status: number;
  readonly errors: SignInErrorDetail[];
  /** The first error's code. */
  readonly code: string | undefined;
}

export class SignIn {
  constructor(options: SignInOptions);
  readonly id: string;
  status: SignInStatus | null;
  /** Strategies still on offer, in the application's order (the fallbacks after a failure). */
  supportedSecondFactors: SignInFactor[];
  secondFactorVerification: SecondFactorVerification | null;
  /** A user without typing enrolment: texts wanted and received so far. */
  typingEnrolment: { texts: number; received: number } | null;
  completedBy: SecondFactorStrategy | null;
  createdAt: Date | null;
  expireAt: Date | null;

  /** `typing`: a text to type (recording starts afresh); `email_code`/`phone_code`: send a code. */
  prepareSecondFactor(params: { strategy: SecondFactorStrategy }): Promise<SignIn>;
  /** `typing`: sends the recorded type 2 pattern of the prepared text; otherwise the code. */
  attemptSecondFactor(params: { strategy: SecondFactorStrategy; code?: string }): Promise<SignIn>;
}

export default SignIn;
