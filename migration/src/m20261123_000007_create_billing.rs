//! Billing: invoices, payments and their timeline, refunds, subscriptions with the
//! periods each payment bought, entitlements, saved payment methods and the ledger.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

fn fk(
    name: &str,
    from: (impl IntoIden, impl IntoIden),
    to: (impl IntoIden, impl IntoIden),
) -> ForeignKeyCreateStatement {
    ForeignKey::create()
        .name(name)
        .from(from.0, from.1)
        .to(to.0, to.1)
        .on_delete(ForeignKeyAction::Restrict)
        .to_owned()
}

fn index(name: &str, table: impl IntoIden, cols: &[Alias]) -> IndexCreateStatement {
    let mut i = Index::create();
    i.name(name).table(table);
    for c in cols {
        i.col(c.clone());
    }
    i.to_owned()
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(PaymentMethods::Table)
                    .col(pk_uuid(PaymentMethods::Id))
                    .col(uuid(PaymentMethods::CustomerId))
                    .col(string(PaymentMethods::Provider))
                    .col(string(PaymentMethods::ProviderToken))
                    .col(string(PaymentMethods::Brand))
                    .col(string_len(PaymentMethods::Last4, 4))
                    .col(timestamp_with_time_zone(PaymentMethods::CreatedAt))
                    .col(timestamp_with_time_zone_null(PaymentMethods::RevokedAt))
                    .foreign_key(&mut fk(
                        "fk_payment_methods_customer",
                        (PaymentMethods::Table, PaymentMethods::CustomerId),
                        (Customers::Table, Customers::Id),
                    ))
                    .index(
                        Index::create()
                            .unique()
                            .name("uq_payment_methods_token")
                            .col(PaymentMethods::Provider)
                            .col(PaymentMethods::ProviderToken),
                    )
                    .to_owned(),
            )
            .await?;

        // One subscription per customer: renewals and tariff changes move its period.
        manager
            .create_table(
                Table::create()
                    .table(Subscriptions::Table)
                    .col(pk_uuid(Subscriptions::Id))
                    .col(uuid_uniq(Subscriptions::CustomerId))
                    .col(uuid(Subscriptions::TariffId))
                    // active | grace | expired | canceled
                    .col(string(Subscriptions::Status))
                    .col(timestamp_with_time_zone(Subscriptions::CurrentPeriodStart))
                    .col(timestamp_with_time_zone(Subscriptions::CurrentPeriodEnd))
                    .col(boolean(Subscriptions::AutoRenew))
                    .col(uuid_null(Subscriptions::PaymentMethodId))
                    .col(timestamp_with_time_zone(Subscriptions::CreatedAt))
                    .col(timestamp_with_time_zone(Subscriptions::UpdatedAt))
                    .foreign_key(&mut fk(
                        "fk_subscriptions_customer",
                        (Subscriptions::Table, Subscriptions::CustomerId),
                        (Customers::Table, Customers::Id),
                    ))
                    .foreign_key(&mut fk(
                        "fk_subscriptions_tariff",
                        (Subscriptions::Table, Subscriptions::TariffId),
                        (Tariffs::Table, Tariffs::Id),
                    ))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(index(
                "idx_subscriptions_due",
                Subscriptions::Table,
                &[Alias::new("status"), Alias::new("current_period_end")],
            ))
            .await?;
        manager
            .create_index(index(
                "idx_subscriptions_tariff",
                Subscriptions::Table,
                &[Alias::new("tariff_id"), Alias::new("status")],
            ))
            .await?;

        // Human invoice numbers (KB-2026-000123): one counter row per year, bumped inside
        // the invoice's transaction, so numbers are gap-free per committed invoice.
        manager
            .create_table(
                Table::create()
                    .table(InvoiceCounters::Table)
                    .col(integer(InvoiceCounters::Year).primary_key())
                    .col(big_integer(InvoiceCounters::LastNumber))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(Invoices::Table)
                    .col(pk_uuid(Invoices::Id))
                    .col(string_uniq(Invoices::Number))
                    .col(uuid(Invoices::CustomerId))
                    .col(uuid(Invoices::TariffId))
                    // purchase | renewal
                    .col(string(Invoices::Kind))
                    .col(integer(Invoices::Months))
                    .col(big_integer(Invoices::ListPriceMinor))
                    .col(string_null(Invoices::DiscountKind))
                    .col(integer_null(Invoices::DiscountPercentBp))
                    .col(big_integer(Invoices::DiscountMinor))
                    .col(
                        big_integer(Invoices::TotalMinor)
                            .check(Expr::col(Invoices::TotalMinor).gte(0)),
                    )
                    .col(string_len(Invoices::Currency, 3))
                    .col(uuid_null(Invoices::PromoCodeId))
                    // The frozen quote, as the customer saw it.
                    .col(json(Invoices::Quote))
                    // open | paid | void
                    .col(string(Invoices::Status))
                    .col(timestamp_with_time_zone(Invoices::CreatedAt))
                    .col(timestamp_with_time_zone_null(Invoices::PaidAt))
                    .foreign_key(&mut fk(
                        "fk_invoices_customer",
                        (Invoices::Table, Invoices::CustomerId),
                        (Customers::Table, Customers::Id),
                    ))
                    .foreign_key(&mut fk(
                        "fk_invoices_tariff",
                        (Invoices::Table, Invoices::TariffId),
                        (Tariffs::Table, Tariffs::Id),
                    ))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(index(
                "idx_invoices_customer",
                Invoices::Table,
                &[Alias::new("customer_id"), Alias::new("created_at")],
            ))
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(Payments::Table)
                    .col(pk_uuid(Payments::Id))
                    .col(uuid(Payments::InvoiceId))
                    .col(uuid(Payments::CustomerId))
                    .col(string(Payments::Provider))
                    .col(string_null(Payments::ProviderPaymentId))
                    // The key we send the provider: a retry finds the same provider payment.
                    .col(string_uniq(Payments::ProviderIdempotencyKey))
                    // pending | succeeded | failed | canceled | refunded
                    .col(string(Payments::Status))
                    .col(big_integer(Payments::AmountMinor))
                    .col(string_len(Payments::Currency, 3))
                    .col(boolean(Payments::SavePaymentMethod))
                    .col(uuid_null(Payments::PaymentMethodId))
                    .col(text_null(Payments::ConfirmationUrl))
                    .col(text_null(Payments::ReturnUrl))
                    .col(string_null(Payments::FailureCode))
                    .col(text_null(Payments::FailureMessage))
                    .col(timestamp_with_time_zone(Payments::CreatedAt))
                    .col(timestamp_with_time_zone(Payments::UpdatedAt))
                    .col(timestamp_with_time_zone_null(Payments::PaidAt))
                    .foreign_key(&mut fk(
                        "fk_payments_invoice",
                        (Payments::Table, Payments::InvoiceId),
                        (Invoices::Table, Invoices::Id),
                    ))
                    .foreign_key(&mut fk(
                        "fk_payments_customer",
                        (Payments::Table, Payments::CustomerId),
                        (Customers::Table, Customers::Id),
                    ))
                    .index(
                        Index::create()
                            .unique()
                            .name("uq_payments_provider_id")
                            .col(Payments::Provider)
                            .col(Payments::ProviderPaymentId),
                    )
                    .to_owned(),
            )
            .await?;
        // At most one payment per invoice ever succeeds (a refunded one succeeded first).
        manager
            .get_connection()
            .execute_unprepared(
                "CREATE UNIQUE INDEX uq_payments_one_success ON payments (invoice_id) \
                 WHERE status IN ('succeeded', 'refunded')",
            )
            .await?;
        // Keyset pagination of the support console: newest first, stable ties by id.
        manager
            .create_index(index(
                "idx_payments_created",
                Payments::Table,
                &[Alias::new("created_at"), Alias::new("id")],
            ))
            .await?;
        manager
            .create_index(index(
                "idx_payments_status_created",
                Payments::Table,
                &[
                    Alias::new("status"),
                    Alias::new("created_at"),
                    Alias::new("id"),
                ],
            ))
            .await?;
        manager
            .create_index(index(
                "idx_payments_customer_created",
                Payments::Table,
                &[
                    Alias::new("customer_id"),
                    Alias::new("created_at"),
                    Alias::new("id"),
                ],
            ))
            .await?;

        // The payment's timeline: created, every webhook (raw), polls, settlement, refunds.
        manager
            .create_table(
                Table::create()
                    .table(PaymentEvents::Table)
                    .col(pk_uuid(PaymentEvents::Id))
                    .col(uuid(PaymentEvents::PaymentId))
                    .col(string(PaymentEvents::Kind))
                    // webhook | return | poll | api | staff | system
                    .col(string(PaymentEvents::Source))
                    // `provider:event id` for webhooks: a duplicate delivery hits this index.
                    .col(string_null(PaymentEvents::DedupeKey).unique_key())
                    .col(text_null(PaymentEvents::Payload))
                    .col(text_null(PaymentEvents::Note))
                    .col(timestamp_with_time_zone(PaymentEvents::CreatedAt))
                    .foreign_key(&mut fk(
                        "fk_payment_events_payment",
                        (PaymentEvents::Table, PaymentEvents::PaymentId),
                        (Payments::Table, Payments::Id),
                    ))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(index(
                "idx_payment_events_payment",
                PaymentEvents::Table,
                &[Alias::new("payment_id"), Alias::new("created_at")],
            ))
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(Refunds::Table)
                    .col(pk_uuid(Refunds::Id))
                    // At most one refund per payment, by the database.
                    .col(uuid_uniq(Refunds::PaymentId))
                    .col(uuid(Refunds::CustomerId))
                    .col(string_null(Refunds::ProviderRefundId))
                    .col(string(Refunds::ProviderIdempotencyKey))
                    // pending | succeeded | failed
                    .col(string(Refunds::Status))
                    .col(big_integer(Refunds::AmountMinor))
                    .col(string_len(Refunds::Currency, 3))
                    .col(text_null(Refunds::Reason))
                    .col(string(Refunds::RequestedBy))
                    .col(text_null(Refunds::FailureMessage))
                    .col(timestamp_with_time_zone(Refunds::CreatedAt))
                    .col(timestamp_with_time_zone_null(Refunds::CompletedAt))
                    .foreign_key(&mut fk(
                        "fk_refunds_payment",
                        (Refunds::Table, Refunds::PaymentId),
                        (Payments::Table, Payments::Id),
                    ))
                    .to_owned(),
            )
            .await?;

        // What each payment bought, so a refund revokes exactly that period.
        manager
            .create_table(
                Table::create()
                    .table(SubscriptionPeriods::Table)
                    .col(pk_uuid(SubscriptionPeriods::Id))
                    .col(uuid(SubscriptionPeriods::SubscriptionId))
                    .col(uuid_uniq(SubscriptionPeriods::PaymentId))
                    .col(uuid(SubscriptionPeriods::InvoiceId))
                    .col(uuid(SubscriptionPeriods::TariffId))
                    .col(timestamp_with_time_zone(SubscriptionPeriods::StartsAt))
                    .col(timestamp_with_time_zone(SubscriptionPeriods::EndsAt))
                    .col(timestamp_with_time_zone_null(
                        SubscriptionPeriods::RevokedAt,
                    ))
                    .col(timestamp_with_time_zone(SubscriptionPeriods::CreatedAt))
                    .foreign_key(&mut fk(
                        "fk_periods_subscription",
                        (
                            SubscriptionPeriods::Table,
                            SubscriptionPeriods::SubscriptionId,
                        ),
                        (Subscriptions::Table, Subscriptions::Id),
                    ))
                    .foreign_key(&mut fk(
                        "fk_periods_payment",
                        (SubscriptionPeriods::Table, SubscriptionPeriods::PaymentId),
                        (Payments::Table, Payments::Id),
                    ))
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(Entitlements::Table)
                    .col(uuid(Entitlements::CustomerId).primary_key())
                    .col(uuid(Entitlements::TariffId))
                    .col(string(Entitlements::Role))
                    .col(timestamp_with_time_zone(Entitlements::ValidUntil))
                    .col(timestamp_with_time_zone(Entitlements::UpdatedAt))
                    .foreign_key(&mut fk(
                        "fk_entitlements_customer",
                        (Entitlements::Table, Entitlements::CustomerId),
                        (Customers::Table, Customers::Id),
                    ))
                    .to_owned(),
            )
            .await?;

        // The customer's personal account. Positive = the customer owes (a charge),
        // negative = in the customer's favour (a payment); the balance is the sum.
        manager
            .create_table(
                Table::create()
                    .table(LedgerEntries::Table)
                    .col(pk_uuid(LedgerEntries::Id))
                    .col(uuid(LedgerEntries::CustomerId))
                    // charge | payment | refund | charge_reversal | adjustment
                    .col(string(LedgerEntries::Kind))
                    .col(big_integer(LedgerEntries::AmountMinor))
                    .col(string_len(LedgerEntries::Currency, 3))
                    .col(uuid_null(LedgerEntries::InvoiceId))
                    .col(uuid_null(LedgerEntries::PaymentId))
                    .col(uuid_null(LedgerEntries::RefundId))
                    .col(text(LedgerEntries::Description))
                    .col(string(LedgerEntries::CreatedBy))
                    .col(timestamp_with_time_zone(LedgerEntries::CreatedAt))
                    .foreign_key(&mut fk(
                        "fk_ledger_customer",
                        (LedgerEntries::Table, LedgerEntries::CustomerId),
                        (Customers::Table, Customers::Id),
                    ))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(index(
                "idx_ledger_customer",
                LedgerEntries::Table,
                &[Alias::new("customer_id"), Alias::new("created_at")],
            ))
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            LedgerEntries::Table.into_iden(),
            Entitlements::Table.into_iden(),
            SubscriptionPeriods::Table.into_iden(),
            Refunds::Table.into_iden(),
            PaymentEvents::Table.into_iden(),
            Payments::Table.into_iden(),
            Invoices::Table.into_iden(),
            InvoiceCounters::Table.into_iden(),
            Subscriptions::Table.into_iden(),
            PaymentMethods::Table.into_iden(),
        ] {
            manager
                .drop_table(Table::drop().table(table).to_owned())
                .await?;
        }
        Ok(())
    }
}

#[derive(DeriveIden)]
enum Customers {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum Tariffs {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum PaymentMethods {
    Table,
    Id,
    CustomerId,
    Provider,
    ProviderToken,
    Brand,
    Last4,
    CreatedAt,
    RevokedAt,
}

#[derive(DeriveIden)]
enum Subscriptions {
    Table,
    Id,
    CustomerId,
    TariffId,
    Status,
    CurrentPeriodStart,
    CurrentPeriodEnd,
    AutoRenew,
    PaymentMethodId,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum InvoiceCounters {
    Table,
    Year,
    LastNumber,
}

#[derive(DeriveIden)]
enum Invoices {
    Table,
    Id,
    Number,
    CustomerId,
    TariffId,
    Kind,
    Months,
    ListPriceMinor,
    DiscountKind,
    DiscountPercentBp,
    DiscountMinor,
    TotalMinor,
    Currency,
    PromoCodeId,
    Quote,
    Status,
    CreatedAt,
    PaidAt,
}

#[derive(DeriveIden)]
enum Payments {
    Table,
    Id,
    InvoiceId,
    CustomerId,
    Provider,
    ProviderPaymentId,
    ProviderIdempotencyKey,
    Status,
    AmountMinor,
    Currency,
    SavePaymentMethod,
    PaymentMethodId,
    ConfirmationUrl,
    ReturnUrl,
    FailureCode,
    FailureMessage,
    CreatedAt,
    UpdatedAt,
    PaidAt,
}

#[derive(DeriveIden)]
enum PaymentEvents {
    Table,
    Id,
    PaymentId,
    Kind,
    Source,
    DedupeKey,
    Payload,
    Note,
    CreatedAt,
}

#[derive(DeriveIden)]
enum Refunds {
    Table,
    Id,
    PaymentId,
    CustomerId,
    ProviderRefundId,
    ProviderIdempotencyKey,
    Status,
    AmountMinor,
    Currency,
    Reason,
    RequestedBy,
    FailureMessage,
    CreatedAt,
    CompletedAt,
}

#[derive(DeriveIden)]
enum SubscriptionPeriods {
    Table,
    Id,
    SubscriptionId,
    PaymentId,
    InvoiceId,
    TariffId,
    StartsAt,
    EndsAt,
    RevokedAt,
    CreatedAt,
}

#[derive(DeriveIden)]
enum Entitlements {
    Table,
    CustomerId,
    TariffId,
    Role,
    ValidUntil,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum LedgerEntries {
    Table,
    Id,
    CustomerId,
    Kind,
    AmountMinor,
    Currency,
    InvoiceId,
    PaymentId,
    RefundId,
    Description,
    CreatedBy,
    CreatedAt,
}
