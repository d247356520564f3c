//! Time through the server's clock: the test moves the clock in the application state forward
//! instead of sleeping until a code expires.

use std::time::Duration;

use keycadence_otp::VerifyPayload;

use super::support::*;

#[tokio::test]
async fn a_code_expires_when_the_servers_clock_passes_its_lifetime() {
    let (smtp, _sms, server) = server_with_delivery().await;
    let app = server.email_app(|s| s.code_lifetime_seconds = 300).await;
    let clock = server.state.clock.clone();
    // Payloads are stamped with the server's time, as a back end in step with it would.
    let stamped = |fields: VerifyPayload| VerifyPayload {
        ts: Some(clock.now()),
        ..fields
    };
    let in_time = unique_email("clock-in-time");
    let too_late = unique_email("clock-too-late");
    app.send(stamped(TestApp::email(&in_time)))
        .await
        .expect(9, 200);
    app.send(stamped(TestApp::email(&too_late)))
        .await
        .expect(9, 200);
    let in_time_code = code_in(&smtp.wait_for(&in_time, 1).await, 6);
    let too_late_code = code_in(&smtp.wait_for(&too_late, 1).await, 6);

    // A second before the lifetime ends the code still matches; after it, the other user's
    // (right) code is refused as expired.
    clock.advance(Duration::from_secs(299));
    app.validate(stamped(TestApp::email(&in_time)), &in_time_code)
        .await
        .expect(19, 200);
    clock.advance(Duration::from_secs(2));
    app.validate(stamped(TestApp::email(&too_late)), &too_late_code)
        .await
        .expect(10, 200);
    server.stop().await;
}
