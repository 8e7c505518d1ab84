//! Where a sign-in may send the browser next: a path on this site, never another one.
//! Browsers drop tabs and newlines from a URL and read `\` as `/`, so `/\t/evil.example`
//! and `/\evil.example` both lead away; so may a decoded `/%2F%2Fevil.example`. Only a
//! path of plain printable characters that starts with one `/` is accepted.

/// `next` if it is a path on this site, else `None`.
pub fn local_path(next: &str) -> Option<&str> {
    let plain = next
        .bytes()
        .all(|b| (0x21..=0x7e).contains(&b) && b != b'\\');
    let lower = next.to_ascii_lowercase();
    let encoded_escape = ["/%2f", "/%5c", "/%09", "/%0a", "/%0d"]
        .iter()
        .any(|p| lower.starts_with(p));
    (plain && next.starts_with('/') && !next.starts_with("//") && !encoded_escape).then_some(next)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// What a browser makes of a `Location` value on this site: the host it leads to
    /// (`None`: this site).
    fn browser_host(location: &str) -> Option<String> {
        let cleaned: String = location
            .chars()
            .filter(|c| !matches!(c, '\t' | '\n' | '\r'))
            .map(|c| if c == '\\' { '/' } else { c })
            .collect();
        let cleaned = cleaned.trim_start_matches(|c: char| c <= ' ');
        if let Some(rest) = cleaned.strip_prefix("//") {
            // Scheme-relative: another host.
            return Some(rest.split('/').next().unwrap_or_default().to_string());
        }
        if cleaned.starts_with('/') {
            // Path-absolute: this site, whatever follows.
            return None;
        }
        // A scheme (`https:`, `javascript:`) or a relative path: not ours to allow.
        Some(cleaned.to_string())
    }

    #[test]
    fn known_tricks_are_refused() {
        for evil in [
            "//evil.example",
            "/\\evil.example",
            "/\t/evil.example",
            "/\n/evil.example",
            "\t//evil.example",
            "https://evil.example",
            "/%2F%2Fevil.example",
            "/%5cevil.example",
            "javascript:alert(1)",
            " /account",
            "",
        ] {
            assert_eq!(local_path(evil), None, "{evil:?}");
        }
        assert_eq!(
            local_path("/account?tab=payments"),
            Some("/account?tab=payments")
        );
    }

    fn tricky() -> impl Strategy<Value = String> {
        let piece = prop_oneof![
            Just("/".to_string()),
            Just("\\".to_string()),
            Just("\t".to_string()),
            Just("\n".to_string()),
            Just("\r".to_string()),
            Just(" ".to_string()),
            Just("%2F".to_string()),
            Just("%5C".to_string()),
            Just("%09".to_string()),
            Just(":".to_string()),
            Just("evil.example".to_string()),
            Just("https:".to_string()),
            "[a-z?=&#.]{1,4}",
        ];
        proptest::collection::vec(piece, 0..8).prop_map(|v| v.concat())
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(5000))]
        #[test]
        fn whatever_is_accepted_stays_on_this_site(next in tricky()) {
            if let Some(path) = local_path(&next) {
                prop_assert_eq!(browser_host(path), None, "{:?} leads away", path);
                // Decoded once (a proxy or a second redirect may do so), still here.
                let decoded = path.replace("%2F", "/").replace("%2f", "/")
                    .replace("%5C", "\\").replace("%5c", "\\")
                    .replace("%09", "\t").replace("%0a", "\n").replace("%0A", "\n");
                prop_assert_eq!(browser_host(&decoded), None, "{:?} decodes away", path);
            }
        }
    }
}
