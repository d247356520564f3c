//! One-time codes over real connections (issue 6): Verify OTP by e-mail and SMS, TOTP
//! factors, challenges and backup codes, and the `apps` command line. One test binary with a
//! module per surface; `support` starts the server and the delivery endpoints.

mod cli;
mod support;
mod totp;
mod verify;
