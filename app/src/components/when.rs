/// An RFC 3339 instant as the console shows it: `2026-11-23 10:15:00 UTC`.
pub fn when(t: &str) -> String {
    t.replace('T', " ").replace('Z', " UTC")
}
