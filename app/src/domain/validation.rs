//! Input checks shared by the browser (before submit) and the server (always).
//! The same function produces the same message in both places.

use super::DomainError;

/// A syntactically plausible e-mail address, normalised to lower case.
/// Deliberately simple: the only real proof of an address is a mail that arrives.
pub fn validate_email(input: &str) -> Result<String, DomainError> {
    let email = input.trim().to_lowercase();
    if email.is_empty() {
        return Err(DomainError::invalid("email", "enter an e-mail address"));
    }
    if email.len() > 254 {
        return Err(DomainError::invalid(
            "email",
            "the e-mail address is too long",
        ));
    }
    let Some((local, domain)) = email.split_once('@') else {
        return Err(DomainError::invalid(
            "email",
            "enter an e-mail address like name@example.com",
        ));
    };
    let domain_ok = !domain.is_empty()
        && !domain.starts_with('.')
        && !domain.ends_with('.')
        && !domain.contains('@');
    if local.is_empty() || !domain_ok || email.chars().any(char::is_whitespace) {
        return Err(DomainError::invalid(
            "email",
            "enter an e-mail address like name@example.com",
        ));
    }
    Ok(email)
}

/// Staff passwords: long enough to resist guessing, short enough to bound hashing cost.
pub fn validate_new_password(input: &str) -> Result<(), DomainError> {
    let len = input.chars().count();
    if len < 10 {
        return Err(DomainError::invalid(
            "password",
            "use at least 10 characters",
        ));
    }
    if len > 128 {
        return Err(DomainError::invalid(
            "password",
            "use at most 128 characters",
        ));
    }
    Ok(())
}

/// A password typed at sign-in: only presence is checked, never the policy (that would
/// tell an attacker something about the stored one).
pub fn validate_login_password(input: &str) -> Result<(), DomainError> {
    if input.is_empty() {
        return Err(DomainError::invalid("password", "enter your password"));
    }
    if input.chars().count() > 128 {
        return Err(DomainError::invalid("password", "the password is too long"));
    }
    Ok(())
}

/// The reason staff give for a support action (a void, a grant, a refund outside the
/// window): required, at most 500 characters, trimmed.
pub fn required_reason(input: &str) -> Result<String, DomainError> {
    let r = input.trim();
    match r.chars().count() {
        0 => Err(DomainError::invalid("reason", "say why")),
        1..=500 => Ok(r.to_string()),
        _ => Err(DomainError::invalid("reason", "use at most 500 characters")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn emails_are_trimmed_and_lowercased() {
        assert_eq!(
            validate_email("  Anna@Example.COM ").unwrap(),
            "anna@example.com"
        );
    }

    #[test]
    fn malformed_emails_are_refused() {
        for bad in [
            "",
            "anna",
            "@example.com",
            "anna@",
            "an na@example.com",
            "a@b@c",
            "a@.com",
        ] {
            assert_eq!(validate_email(bad).unwrap_err().field(), "email", "{bad:?}");
        }
    }

    #[test]
    fn password_policy() {
        assert!(validate_new_password("short").is_err());
        assert!(validate_new_password("long enough pass").is_ok());
        assert!(validate_login_password("").is_err());
        assert!(validate_login_password("x").is_ok());
    }
}
