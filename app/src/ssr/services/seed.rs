//! Demo data for `make run` and `server seed`. Idempotent: every row is keyed by a natural
//! key (code, e-mail, title) and only inserted when missing.

use chrono::TimeDelta;
use entity::{customers, films, month_discounts, promo_codes, tariff_films, tariffs};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, Condition, DatabaseConnection, EntityTrait,
    PaginatorTrait, QueryFilter,
};
use uuid::Uuid;

use crate::domain::StaffRole;
use crate::ssr::ServiceError;
use crate::ssr::clock::SharedClock;
use crate::ssr::repo::audit::Actor;
use crate::ssr::repo::staff as staff_repo;
use crate::ssr::services::staff;

/// Demo staff accounts. The passwords are public on purpose: demo data is only seeded
/// into an empty SQLite database unless asked for explicitly.
pub const DEMO_STAFF: [(&str, &str, StaffRole, &str); 3] = [
    (
        "admin@kinobill.local",
        "Alexandra Admin",
        StaffRole::Admin,
        "kinobill-admin",
    ),
    (
        "marketing@kinobill.local",
        "Maxim Marketing",
        StaffRole::Marketing,
        "kinobill-marketing",
    ),
    (
        "support@kinobill.local",
        "Sofia Support",
        StaffRole::Support,
        "kinobill-support",
    ),
];

struct DemoTariff {
    code: &'static str,
    name: &'static str,
    description: &'static str,
    role: &'static str,
    price_minor: i64,
    /// `(external_id, title, year)`: the Movies DB's id first.
    films: &'static [(&'static str, &'static str, i32)],
}

const DEMO_TARIFFS: [DemoTariff; 3] = [
    DemoTariff {
        code: "classic",
        name: "Classic",
        description: "The great Soviet classics, restored in HD.",
        role: "viewer-classic",
        price_minor: 29_900,
        films: &[
            ("tt0050634", "The Cranes Are Flying", 1957),
            ("tt0056111", "Ivan's Childhood", 1962),
            ("tt0060107", "Andrei Rublev", 1966),
        ],
    },
    DemoTariff {
        code: "premium",
        name: "Premium",
        description: "Classics plus the festival winners, in 4K where available.",
        role: "viewer-premium",
        price_minor: 49_900,
        films: &[
            ("tt0050634", "The Cranes Are Flying", 1957),
            ("tt0069293", "Solaris", 1972),
            ("tt0079944", "Stalker", 1979),
            ("tt2802154", "Leviathan", 2014),
        ],
    },
    DemoTariff {
        code: "family",
        name: "Family",
        description: "Everything in Premium for up to five profiles, with comedies for everyone.",
        role: "viewer-family",
        price_minor: 124_950,
        films: &[
            ("tt0069293", "Solaris", 1972),
            ("tt0079944", "Stalker", 1979),
            ("tt0079579", "Moscow Does Not Believe in Tears", 1980),
            ("tt0091341", "Kin-dza-dza!", 1986),
            ("tt2802154", "Leviathan", 2014),
        ],
    },
];

struct DemoPromo {
    code: &'static str,
    percent_bp: Option<i32>,
    amount_minor: Option<i64>,
    max_redemptions: Option<i32>,
}

/// 10 % for the first thousand customers, and 150 ₽ off without a limit.
const DEMO_PROMOS: [DemoPromo; 2] = [
    DemoPromo {
        code: "WELCOME10",
        percent_bp: Some(1_000),
        amount_minor: None,
        max_redemptions: Some(1_000),
    },
    DemoPromo {
        code: "KINO150",
        percent_bp: None,
        amount_minor: Some(15_000),
        max_redemptions: None,
    },
];

const DEMO_MONTH_DISCOUNTS: [(i32, i32); 3] = [(3, 500), (6, 1_000), (12, 2_000)];

const CUSTOMER_NAMES: [&str; 20] = [
    "Anna Ivanova",
    "Boris Petrov",
    "Vera Smirnova",
    "Grigory Kuznetsov",
    "Darya Popova",
    "Egor Sokolov",
    "Zhanna Lebedeva",
    "Ilya Kozlov",
    "Kira Novikova",
    "Leonid Morozov",
    "Marina Volkova",
    "Nikita Solovyov",
    "Olga Vasilyeva",
    "Pavel Zaitsev",
    "Raisa Pavlova",
    "Sergei Semenov",
    "Tatiana Golubeva",
    "Ulyana Vinogradova",
    "Fyodor Bogdanov",
    "Yulia Vorobyova",
];

/// What seeding did, for the log and the CLI.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct SeedReport {
    pub tariffs: usize,
    pub films: usize,
    pub customers: usize,
    pub staff: usize,
    pub promo_codes: usize,
    pub month_discounts: usize,
}

impl SeedReport {
    pub fn inserted_anything(&self) -> bool {
        *self != SeedReport::default()
    }
}

/// True when the database has no tariffs and no staff: a brand-new installation.
pub async fn is_empty(db: &DatabaseConnection) -> Result<bool, ServiceError> {
    let tariffs = tariffs::Entity::find().count(db).await?;
    let staff = entity::staff_users::Entity::find().count(db).await?;
    Ok(tariffs == 0 && staff == 0)
}

#[tracing::instrument(skip_all)]
pub async fn seed_demo_data(
    db: &DatabaseConnection,
    clock: &SharedClock,
) -> Result<SeedReport, ServiceError> {
    let now = clock.now();
    let mut report = SeedReport::default();
    let actor = Actor::system("seed");

    for (email, name, role, password) in DEMO_STAFF {
        if staff_repo::find_by_email(db, email).await?.is_none() {
            staff::create(db, clock, &actor, email, name, role, password).await?;
            report.staff += 1;
        }
    }

    for tariff in &DEMO_TARIFFS {
        let tariff_id = match tariffs::Entity::find()
            .filter(tariffs::Column::Code.eq(tariff.code))
            .one(db)
            .await?
        {
            Some(existing) => existing.id,
            None => {
                report.tariffs += 1;
                tariffs::ActiveModel {
                    id: Set(Uuid::now_v7()),
                    code: Set(tariff.code.to_string()),
                    name: Set(tariff.name.to_string()),
                    description: Set(tariff.description.to_string()),
                    role: Set(tariff.role.to_string()),
                    monthly_price_minor: Set(tariff.price_minor),
                    currency: Set("RUB".to_string()),
                    active: Set(true),
                    created_at: Set(now),
                    updated_at: Set(now),
                }
                .insert(db)
                .await?
                .id
            }
        };
        for (position, (external_id, title, year)) in tariff.films.iter().enumerate() {
            // By external id, or by title for a demo film seeded before films had one.
            let film_id = match films::Entity::find()
                .filter(
                    Condition::any()
                        .add(films::Column::ExternalId.eq(*external_id))
                        .add(films::Column::Title.eq(*title)),
                )
                .one(db)
                .await?
            {
                Some(f) => f.id,
                None => {
                    report.films += 1;
                    films::ActiveModel {
                        id: Set(Uuid::now_v7()),
                        external_id: Set(external_id.to_string()),
                        title: Set(title.to_string()),
                        year: Set(*year),
                        active: Set(true),
                        created_at: Set(now),
                        updated_at: Set(None),
                    }
                    .insert(db)
                    .await?
                    .id
                }
            };
            if tariff_films::Entity::find_by_id((tariff_id, film_id))
                .one(db)
                .await?
                .is_none()
            {
                tariff_films::ActiveModel {
                    tariff_id: Set(tariff_id),
                    film_id: Set(film_id),
                    position: Set(i32::try_from(position).unwrap_or(i32::MAX)),
                }
                .insert(db)
                .await?;
            }
        }
    }

    for (months, percent_bp) in DEMO_MONTH_DISCOUNTS {
        if month_discounts::Entity::find_by_id(months)
            .one(db)
            .await?
            .is_none()
        {
            report.month_discounts += 1;
            month_discounts::ActiveModel {
                months: Set(months),
                percent_bp: Set(percent_bp),
                updated_at: Set(now),
            }
            .insert(db)
            .await?;
        }
    }

    for DemoPromo {
        code,
        percent_bp,
        amount_minor,
        max_redemptions,
    } in DEMO_PROMOS
    {
        let exists = promo_codes::Entity::find()
            .filter(promo_codes::Column::Code.eq(code))
            .one(db)
            .await?
            .is_some();
        if !exists {
            report.promo_codes += 1;
            promo_codes::ActiveModel {
                id: Set(Uuid::now_v7()),
                code: Set(code.to_string()),
                percent_bp: Set(percent_bp),
                amount_minor: Set(amount_minor),
                currency: Set("RUB".to_string()),
                valid_from: Set(Some(now - TimeDelta::days(1))),
                valid_until: Set(Some(now + TimeDelta::days(365))),
                max_redemptions: Set(max_redemptions),
                once_per_customer: Set(true),
                active: Set(true),
                created_by: Set(None),
                redemption_count: Set(0),
                created_at: Set(now),
            }
            .insert(db)
            .await?;
        }
    }

    for (i, name) in CUSTOMER_NAMES.iter().enumerate() {
        let email = format!("customer{:02}@example.com", i + 1);
        let exists = customers::Entity::find()
            .filter(customers::Column::Email.eq(email.as_str()))
            .one(db)
            .await?
            .is_some();
        if !exists {
            report.customers += 1;
            customers::ActiveModel {
                id: Set(Uuid::now_v7()),
                email: Set(Some(email)),
                name: Set(Some(name.to_string())),
                created_at: Set(now),
            }
            .insert(db)
            .await?;
        }
    }

    if report.inserted_anything() {
        tracing::info!(?report, "demo data seeded");
        for (email, _, role, password) in DEMO_STAFF {
            // Demo credentials are public by design; real staff passwords are never logged.
            tracing::info!(%email, role = role.as_str(), %password, "demo staff login");
        }
    }
    Ok(report)
}
