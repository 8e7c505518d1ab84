use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use super::DomainError;

/// What a staff member may do. The permission methods are the single place where the
/// role matrix of the admin console lives.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(rename_all = "lowercase")]
pub enum StaffRole {
    Admin,
    Marketing,
    Support,
}

impl StaffRole {
    pub const ALL: [StaffRole; 3] = [StaffRole::Admin, StaffRole::Marketing, StaffRole::Support];

    pub fn as_str(self) -> &'static str {
        match self {
            StaffRole::Admin => "admin",
            StaffRole::Marketing => "marketing",
            StaffRole::Support => "support",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            StaffRole::Admin => "Administrator",
            StaffRole::Marketing => "Marketing",
            StaffRole::Support => "Support",
        }
    }

    /// Every staff role may look at the price list; support sees it read-only.
    pub fn can_view_catalog(self) -> bool {
        match self {
            StaffRole::Admin | StaffRole::Marketing | StaffRole::Support => true,
        }
    }

    /// Changing tariffs, prices and discounts is marketing's job (and the admin's).
    pub fn can_edit_catalog(self) -> bool {
        match self {
            StaffRole::Admin | StaffRole::Marketing => true,
            StaffRole::Support => false,
        }
    }

    /// Payments, customers and ledgers are support's job (and the admin's); marketing
    /// never touches money.
    pub fn can_support(self) -> bool {
        match self {
            StaffRole::Admin | StaffRole::Support => true,
            StaffRole::Marketing => false,
        }
    }

    /// The machinery (outbox, test clock) is the admin's.
    pub fn can_operate(self) -> bool {
        match self {
            StaffRole::Admin => true,
            StaffRole::Marketing | StaffRole::Support => false,
        }
    }

    /// Staff accounts (invite, roles, deactivation, tokens) are the admin's.
    pub fn can_manage_staff(self) -> bool {
        match self {
            StaffRole::Admin => true,
            StaffRole::Marketing | StaffRole::Support => false,
        }
    }

    /// Only an admin may refund outside the window (with a reason).
    pub fn can_override_refund_window(self) -> bool {
        match self {
            StaffRole::Admin => true,
            StaffRole::Marketing | StaffRole::Support => false,
        }
    }

    /// Revenue, MRR and refund amounts: support and admins. Marketing sees the
    /// dashboard's counts without the money.
    pub fn can_see_money(self) -> bool {
        self.can_support()
    }

    /// The audit log: admins only (it shows every staff member's actions).
    pub fn can_read_audit(self) -> bool {
        self.can_manage_staff()
    }
}

impl FromStr for StaffRole {
    type Err = DomainError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim().to_ascii_lowercase().as_str() {
            "admin" => Ok(StaffRole::Admin),
            "marketing" => Ok(StaffRole::Marketing),
            "support" => Ok(StaffRole::Support),
            _ => Err(DomainError::invalid(
                "role",
                "role must be one of admin, marketing, support",
            )),
        }
    }
}

impl fmt::Display for StaffRole {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roles_round_trip_through_text() {
        for role in StaffRole::ALL {
            assert_eq!(role.as_str().parse::<StaffRole>().unwrap(), role);
        }
        assert!("root".parse::<StaffRole>().is_err());
    }

    #[test]
    fn only_marketing_and_admin_edit_the_catalog() {
        assert!(StaffRole::Admin.can_edit_catalog());
        assert!(StaffRole::Marketing.can_edit_catalog());
        assert!(!StaffRole::Support.can_edit_catalog());
        assert!(StaffRole::ALL.iter().all(|r| r.can_view_catalog()));
    }
}
