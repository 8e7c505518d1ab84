//! CloudPayments' notifications (form or JSON, every kind) behind `Content-HMAC`: a
//! body signed with our secret is parsed or refused, never a panic; a wrong or
//! malformed signature is always refused.
#![no_main]

use app::ssr::providers::cloudpayments::{CloudPayments, CloudPaymentsConfig, SIGNATURE_HEADER};
use app::ssr::providers::{PaymentProvider, ProviderError, WebhookHeaders, WebhookRequest};
use base64::Engine;
use hmac::{KeyInit, Mac};
use libfuzzer_sys::fuzz_target;

const SECRET: &str = "fuzz-api-secret";
const KINDS: [&str; 7] = ["check", "pay", "fail", "refund", "recurrent", "cancel", "other"];

fuzz_target!(|data: &[u8]| {
    let Some((&selector, body)) = data.split_first() else {
        return;
    };
    let provider = CloudPayments::new(CloudPaymentsConfig::new("pk_fuzz", SECRET))
        .expect("a provider");
    let now = chrono::DateTime::from_timestamp(1_780_000_000, 0).expect("a valid instant");
    let kind = KINDS[usize::from(selector) % KINDS.len()];
    let content_type = if selector & 0x80 != 0 {
        "application/json"
    } else {
        "application/x-www-form-urlencoded"
    };
    let mut mac = hmac::Hmac::<sha2::Sha256>::new_from_slice(SECRET.as_bytes()).expect("a key");
    mac.update(body);
    let genuine = base64::engine::general_purpose::STANDARD.encode(mac.finalize().into_bytes());
    let signed = WebhookHeaders::new([(SIGNATURE_HEADER, genuine), ("content-type", content_type.into())]);
    let request = WebhookRequest { kind: Some(kind), headers: &signed, body, peer: None };
    let _ = futures::executor::block_on(provider.receive_webhook(&request, now));

    // The body itself as the signature: refused, however it looks.
    let forged = WebhookHeaders::new([
        (SIGNATURE_HEADER, String::from_utf8_lossy(body).into_owned()),
        ("content-type", content_type.into()),
    ]);
    let request = WebhookRequest { kind: Some(kind), headers: &forged, body, peer: None };
    let result = futures::executor::block_on(provider.receive_webhook(&request, now));
    assert!(matches!(result, Err(ProviderError::InvalidSignature)));
});
