//! The auth service's customer JWT parser: any text is a token or a refusal, never a
//! panic; nothing but a token we signed is accepted.
#![no_main]

use app::ssr::customer_token::CustomerTokens;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let tokens = CustomerTokens::new("fuzz-jwt-secret-0123456789abcdef");
    let now = chrono::DateTime::from_timestamp(1_780_000_000, 0).expect("a valid instant");
    let text = String::from_utf8_lossy(data);
    if let Ok(claims) = tokens.verify(&text, now) {
        // Accepted means signed with our secret: signing the claims again must verify.
        assert!(tokens.verify(&tokens.issue(&claims), now).is_ok());
    }
});
