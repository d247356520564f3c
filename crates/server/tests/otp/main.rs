//! One-time codes over real connections (issue 6): Verify OTP by e-mail and SMS, TOTP
//! factors, challenges and backup codes, the `apps` command line, and attacks on them
//! against a server process (`security`), e-mail over STARTTLS with AUTH (`smtp_tls`). One test binary with a
//! module per surface; `support` starts the server and the delivery endpoints.

mod cli;
mod clock;
mod security;
mod smtp_tls;
mod support;
mod totp;
mod verify;
