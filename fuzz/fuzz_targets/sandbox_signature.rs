//! The sandbox's `Sandbox-Signature` header against any header and body: never a panic,
//! a forged header never verifies, a genuine one always does.
#![no_main]

use app::ssr::providers::sandbox::signature;
use libfuzzer_sys::fuzz_target;

const SECRET: &[u8] = b"fuzz-webhook-secret";

fuzz_target!(|data: &[u8]| {
    let now = chrono::DateTime::from_timestamp(1_780_000_000, 0).expect("a valid instant");
    let split = data.iter().position(|b| *b == b'\n').unwrap_or(data.len());
    let (header, body) = data.split_at(split);
    let header = String::from_utf8_lossy(header);
    if signature::verify(SECRET, &header, body, now) {
        // Only a header carrying the body's real MAC may pass.
        let genuine = signature::sign(SECRET, body, now);
        let mac = genuine.split("v1=").nth(1).expect("sign writes v1");
        assert!(header.contains(mac), "a forged header verified: {header:?}");
    }
    let genuine = signature::sign(SECRET, body, now);
    assert!(signature::verify(SECRET, &genuine, body, now));
});
