// keycadence/sign-in: the browser side of a sign-in's second factor, shaped like Clerk's
// `signIn.prepareSecondFactor` / `signIn.attemptSecondFactor`. The page gets the sign-in's id
// and its short-lived token from its own back end (which created the sign-in with its API
// key) and never holds a secret. For `typing`, the prompted text is recorded with the
// keycadence recorder in the given input element, and the type 2 pattern is sent by this
// client; for the code strategies the user's code is sent.

import TypingDNA from './index.js';

/** A refused request: `errors` as the server lists them (`{code, message}`). */
export class SignInError extends Error {
  constructor(status, errors) {
    super(errors.map((e) => e.message).join('; ') || `HTTP ${status}`);
    this.name = 'SignInError';
    this.status = status;
    this.errors = errors;
    this.code = errors[0]?.code;
  }
}

const date = (millis) => (millis == null ? null : new Date(millis));

function verificationFromWire(v) {
  if (!v) return null;
  return {
    status: v.status,
    strategy: v.strategy,
    attempts: v.attempts,
    expireAt: date(v.expire_at),
    error: v.error ? { code: v.error.code, message: v.error.message } : null,
    ...(v.text === undefined ? {} : { text: v.text, textId: v.text_id, purpose: v.purpose }),
  };
}

let inputIds = 0;

export class SignIn {
  /**
   * @param {object} options
   * @param {string} options.serverUrl the keycadence server, e.g. `https://auth.example.com`
   * @param {string} options.id the sign-in id (`sia_...`) from the back end
   * @param {string} options.token the sign-in's `client_token` from the back end
   * @param {HTMLInputElement|HTMLTextAreaElement} [options.input] where the user types the
   *   prompted text (needed for `typing`)
   */
  constructor({ serverUrl, id, token, input }) {
    if (!serverUrl || !id || !token) throw new TypeError('serverUrl, id and token are required');
    this.serverUrl = serverUrl.replace(/\/+$/, '');
    this.id = id;
    this.input = input ?? null;
    this.status = null;
    this.supportedSecondFactors = [];
    this.secondFactorVerification = null;
    this.typingEnrolment = null;
    this.completedBy = null;
    this.createdAt = null;
    this.expireAt = null;
    // Kept out of enumerable properties so that logging the SignIn does not print it.
    Object.defineProperty(this, '_token', { value: token });
    this._recorder = null;
  }

  _update(wire) {
    this.status = wire.status;
    this.supportedSecondFactors = wire.supported_second_factors.map((f) => ({
      strategy: f.strategy,
      ...(f.safe_identifier ? { safeIdentifier: f.safe_identifier } : {}),
    }));
    this.secondFactorVerification = verificationFromWire(wire.second_factor_verification);
    this.typingEnrolment = wire.typing_enrolment ?? null;
    this.completedBy = wire.completed_by ?? null;
    this.createdAt = date(wire.created_at);
    this.expireAt = date(wire.expire_at);
    return this;
  }

  async _post(operation, body) {
    const response = await fetch(`${this.serverUrl}/v1/sign_ins/${encodeURIComponent(this.id)}/${operation}`, {
      method: 'POST',
      headers: { authorization: `Bearer ${this._token}`, 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    const json = await response.json().catch(() => null);
    if (!response.ok) {
      throw new SignInError(response.status, json?.errors ?? []);
    }
    return this._update(json);
  }

  /** The recorder, listening to the input element only. */
  async _typingRecorder() {
    if (!this.input) throw new TypeError('typing needs the input element (new SignIn({input}))');
    if (!this.input.id) {
      inputIds += 1;
      this.input.id = `keycadence-sign-in-${inputIds}`;
    }
    await TypingDNA.ready;
    if (!this._recorder) {
      this._recorder = new TypingDNA();
      this._recorder.addTarget(this.input.id);
    }
    return this._recorder;
  }

  /**
   * `{strategy}`: `typing` asks for a text to type (`secondFactorVerification.text`) and
   * starts recording the input element afresh; `email_code` / `phone_code` send a code;
   * `totp` and `backup_code` need none. Resolves with this SignIn, updated.
   */
  async prepareSecondFactor({ strategy }) {
    const recorder = strategy === 'typing' ? await this._typingRecorder() : null;
    await this._post('prepare_second_factor', { strategy });
    if (recorder) {
      this.input.value = '';
      recorder.reset();
    }
    return this;
  }

  /**
   * `{strategy: 'typing'}` sends the type 2 pattern of the prepared text as typed in the input
   * element; `{strategy, code}` sends a code. A failed attempt resolves (see
   * `secondFactorVerification.status` and `.error`, and `supportedSecondFactors` for the
   * fallbacks); a refused one rejects with a SignInError.
   */
  async attemptSecondFactor({ strategy, code }) {
    if (strategy !== 'typing') return this._post('attempt_second_factor', { strategy, code });
    const text = this.secondFactorVerification?.text;
    if (this.secondFactorVerification?.strategy !== 'typing' || text === undefined) {
      throw new SignInError(0, [{ code: 'not_prepared', message: 'prepare typing first' }]);
    }
    const recorder = await this._typingRecorder();
    const pattern = recorder.getTypingPattern({ type: 2, text, targetId: this.input.id });
    if (pattern === null) {
      throw new SignInError(0, [
        { code: 'text_not_typed', message: 'the prompted text was not typed in the input' },
      ]);
    }
    return this._post('attempt_second_factor', { strategy, pattern });
  }
}

export default SignIn;
