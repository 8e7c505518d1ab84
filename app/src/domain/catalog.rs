//! Rules for what a tariff may look like.

use serde::{Deserialize, Serialize};

use super::{Currency, DomainError, Money};

/// A tariff as typed into a form or sent over REST, before any checks.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct TariffInput {
    pub code: String,
    pub name: String,
    #[serde(default)]
    pub description: String,
    pub role: String,
    pub monthly_price: String,
    #[serde(default)]
    pub currency: Option<String>,
}

/// A tariff that passed every check: codes are lower-case slugs, the role is a slug the
/// auth service accepts, and the price is real money.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TariffDraft {
    pub code: String,
    pub name: String,
    pub description: String,
    pub role: String,
    pub monthly_price: Money,
}

fn is_slug(s: &str, min: usize, max: usize) -> bool {
    (min..=max).contains(&s.len())
        && s.chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '_')
        && !s.starts_with('-')
        && !s.ends_with('-')
}

pub fn validate_tariff_code(input: &str) -> Result<String, DomainError> {
    let code = input.trim().to_ascii_lowercase();
    if is_slug(&code, 2, 32) {
        Ok(code)
    } else {
        Err(DomainError::invalid(
            "code",
            "use 2–32 lower-case letters, digits, '-' or '_'",
        ))
    }
}

pub fn validate_tariff_name(input: &str) -> Result<String, DomainError> {
    let name = input.trim();
    match name.chars().count() {
        0 => Err(DomainError::invalid("name", "enter a name")),
        1..=80 => Ok(name.to_string()),
        _ => Err(DomainError::invalid("name", "use at most 80 characters")),
    }
}

pub fn validate_tariff_role(input: &str) -> Result<String, DomainError> {
    let role = input.trim();
    if is_slug(role, 2, 64) {
        Ok(role.to_string())
    } else {
        Err(DomainError::invalid(
            "role",
            "use 2–64 lower-case letters, digits, '-' or '_'",
        ))
    }
}

pub fn validate_monthly_price(input: &str, currency: Currency) -> Result<Money, DomainError> {
    let price = Money::parse(input, currency, "monthly_price")?;
    if price.minor() == 0 {
        return Err(DomainError::invalid(
            "monthly_price",
            "the price must be above zero",
        ));
    }
    Ok(price)
}

impl TariffDraft {
    /// Checks every field and reports all problems at once, so a form can mark each field.
    pub fn parse(input: &TariffInput) -> Result<Self, Vec<DomainError>> {
        let mut errors = Vec::new();
        let currency = match input.currency.as_deref() {
            None | Some("") => Ok(Currency::Rub),
            Some(c) => c.parse::<Currency>(),
        };
        let currency = currency.unwrap_or_else(|e| {
            errors.push(e);
            Currency::Rub
        });
        let description = input.description.trim().to_string();
        if description.chars().count() > 2000 {
            errors.push(DomainError::invalid(
                "description",
                "use at most 2000 characters",
            ));
        }
        let code = validate_tariff_code(&input.code)
            .map_err(|e| errors.push(e))
            .ok();
        let name = validate_tariff_name(&input.name)
            .map_err(|e| errors.push(e))
            .ok();
        let role = validate_tariff_role(&input.role)
            .map_err(|e| errors.push(e))
            .ok();
        let price = validate_monthly_price(&input.monthly_price, currency)
            .map_err(|e| errors.push(e))
            .ok();
        match (code, name, role, price) {
            (Some(code), Some(name), Some(role), Some(monthly_price)) if errors.is_empty() => {
                Ok(TariffDraft {
                    code,
                    name,
                    description,
                    role,
                    monthly_price,
                })
            }
            _ => Err(errors),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn input() -> TariffInput {
        TariffInput {
            code: "Premium".into(),
            name: " Premium ".into(),
            description: "All films".into(),
            role: "viewer-premium".into(),
            monthly_price: "499".into(),
            currency: None,
        }
    }

    #[test]
    fn valid_input_is_normalised() {
        let d = TariffDraft::parse(&input()).unwrap();
        assert_eq!(d.code, "premium");
        assert_eq!(d.name, "Premium");
        assert_eq!(d.monthly_price.minor(), 49_900);
    }

    #[test]
    fn every_bad_field_is_reported() {
        let bad = TariffInput {
            code: "!".into(),
            name: "".into(),
            role: "Bad Role".into(),
            monthly_price: "-5".into(),
            ..input()
        };
        let errors = TariffDraft::parse(&bad).unwrap_err();
        let fields: Vec<_> = errors.iter().map(|e| e.field()).collect();
        assert_eq!(fields, ["code", "name", "role", "monthly_price"]);
    }

    #[test]
    fn zero_price_is_refused() {
        let zero = TariffInput {
            monthly_price: "0".into(),
            ..input()
        };
        assert_eq!(
            TariffDraft::parse(&zero).unwrap_err()[0].field(),
            "monthly_price"
        );
    }
}
