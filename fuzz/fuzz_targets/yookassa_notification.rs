//! YooKassa's notification body and the sender-address check behind our proxies: any
//! bytes are read or refused, never a panic; an accepted id is safe in a URL path.
#![no_main]

use std::net::IpAddr;

use app::ssr::providers::net::{Cidr, forwarded_client};
use app::ssr::providers::yookassa::read_notification;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(note) = read_notification(data) {
        assert!(
            note.object
                .id
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
        );
    }
    let forwarded = String::from_utf8_lossy(data);
    let proxies: Vec<Cidr> = vec!["10.0.0.0/8".parse().expect("a range")];
    let peer: IpAddr = "10.1.2.3".parse().expect("an address");
    let client = forwarded_client(peer, Some(&forwarded), &proxies);
    // The answer is the peer or an address that was written in the header.
    assert!(client == peer || forwarded.contains(&client.to_string()) || client.is_ipv6());
});
