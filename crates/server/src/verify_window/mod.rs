//! The Verify 2FA window (issue 14): the server-rendered window a site opens with TypingDNA's
//! front-end contract (a `typingDNA-verify` button or iframe with `data-typingdna-*`
//! attributes), which verifies the user by typing and falls back to codes, and the front-end
//! script that opens it (`pkg/verify.js`, served at
//! [`routes::FRONT_END_SCRIPT_PATH`] and shipped as `keycadence/verify`).
//!
//! | module | job |
//! |---|---|
//! | [`routes`] | handlers: window page (GET/POST), the window's `next` / `attempt` calls, scripts |
//! | [`open`] | opens the payload into a sign-in of the user |
//! | [`service`] | picks the window's next step, runs attempts, mints the page's code |
//! | [`page`] | the HTML and its Content-Security-Policy |
//! | [`error`] | every refusal, mapped once to a Verify code and a message |
//! | [`strings`] | the window's texts, one table per language |
//! | [`wire`] | the JSON of the window's steps |
//!
//! A window is a sign-in of the `crate::signin` domain, created for the tenant the application
//! is bound to (`keycadence-server signin enable`) with the application's policy: first time
//! a code to the user's e-mail or phone plus N texts to type (enrolled once the code proved
//! the user), then one text per verification, codes after the allowed failed attempts, codes
//! at once on mobile devices. A completed sign-in mints the user's Verify code, which the
//! back end checks with `/otp/validate` (once, as every Verify code).

pub mod error;
pub mod open;
pub mod page;
pub mod routes;
pub mod service;
pub mod strings;
pub mod wire;
