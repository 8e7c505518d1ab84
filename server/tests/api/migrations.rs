use migration::{Migrator, MigratorTrait};
use sea_orm::Database;
use sea_orm_migration::SchemaManager;

use crate::helpers::TestDb;

const TABLES: [&str; 18] = [
    "tariff_price_history",
    "personal_discounts",
    "promo_code_tariffs",
    "promo_redemptions",
    "customers",
    "staff_users",
    "staff_tokens",
    "sessions",
    "login_attempts",
    "tariffs",
    "films",
    "tariff_films",
    "month_discounts",
    "promo_codes",
    "audit_log",
    "idempotency_keys",
    "outbox",
    "complimentary_grants",
];

#[tokio::test]
async fn migrations_go_up_down_and_up_again() {
    let test_db = TestDb::new().await;
    let db = Database::connect(&test_db.url).await.unwrap();
    let manager = SchemaManager::new(&db);

    Migrator::up(&db, None).await.expect("up");
    for table in TABLES {
        assert!(manager.has_table(table).await.unwrap(), "{table} after up");
    }
    assert_eq!(
        Migrator::get_pending_migrations(&db).await.unwrap().len(),
        0
    );

    Migrator::down(&db, None).await.expect("down");
    for table in TABLES {
        assert!(
            !manager.has_table(table).await.unwrap(),
            "{table} after down"
        );
    }

    Migrator::up(&db, None).await.expect("up again");
    for table in TABLES {
        assert!(
            manager.has_table(table).await.unwrap(),
            "{table} after second up"
        );
    }
    db.close().await.unwrap();
}

#[tokio::test]
async fn each_migration_rolls_back_on_its_own() {
    let test_db = TestDb::new().await;
    let db = Database::connect(&test_db.url).await.unwrap();
    Migrator::up(&db, None).await.unwrap();
    let total = Migrator::migrations().len();
    for step in 1..=total {
        Migrator::down(&db, Some(1))
            .await
            .unwrap_or_else(|e| panic!("down step {step}: {e}"));
        assert_eq!(
            Migrator::get_pending_migrations(&db).await.unwrap().len(),
            step
        );
    }
    db.close().await.unwrap();
}
