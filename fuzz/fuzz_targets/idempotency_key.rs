//! `Idempotency-Key` parsing and the request fingerprint: never a panic; an accepted key
//! is 1-255 printable ASCII characters, as API.md says.
#![no_main]

use app::ssr::idempotency::{request_hash, validate_key};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let key = String::from_utf8_lossy(data);
    if validate_key(&key).is_ok() {
        assert!((1..=255).contains(&key.len()));
        assert!(key.bytes().all(|b| (0x20..0x7f).contains(&b)));
    }
    let hash = request_hash("POST", &key, data);
    assert_eq!(hash.len(), 64);
});
