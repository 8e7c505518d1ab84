//! Decimal inputs arrive as JSON strings or numbers (`"12.5"` or `12.5`); both are kept
//! as text so the domain parser sees exactly what was sent.

use serde::{Deserialize, Deserializer};

#[derive(Deserialize)]
#[serde(untagged)]
enum StrOrNum {
    Str(String),
    Num(serde_json::Number),
}

impl StrOrNum {
    fn into_text(self) -> String {
        match self {
            StrOrNum::Str(s) => s,
            StrOrNum::Num(n) => n.to_string(),
        }
    }
}

pub fn text_or_number<'de, D: Deserializer<'de>>(d: D) -> Result<String, D::Error> {
    Ok(StrOrNum::deserialize(d)?.into_text())
}

/// Like [`text_or_number`]; missing or `null` becomes an empty string ("not given").
pub fn opt_text_or_number<'de, D: Deserializer<'de>>(d: D) -> Result<String, D::Error> {
    Ok(Option::<StrOrNum>::deserialize(d)?
        .map(StrOrNum::into_text)
        .unwrap_or_default())
}
