//! The test clock's controls. The offset lives in the database too, so every instance
//! (servers and separate workers) follows when staff move time.

use chrono::TimeDelta;
use entity::test_clock;
use sea_orm::ActiveValue::Set;
use sea_orm::EntityTrait;
use sea_orm::sea_query::OnConflict;

use crate::dto::TestClockDto;
use crate::ssr::repo::{begin_write, for_update};
use crate::ssr::time::rfc3339;
use crate::ssr::{AppState, ServiceError};

/// Time may move at most this far in one step (a typo like P3000D is refused).
const MAX_STEP: TimeDelta = TimeDelta::days(400);

pub fn status(state: &AppState) -> TestClockDto {
    TestClockDto {
        enabled: state.test_clock.is_some(),
        now: rfc3339(state.clock.now()),
        offset_seconds: state
            .test_clock
            .as_ref()
            .map_or(0, |c| c.offset().num_seconds()),
    }
}

/// Catches this instance up with the shared offset (the worker calls it every pass).
pub async fn sync(state: &AppState) -> Result<(), ServiceError> {
    let Some(clock) = &state.test_clock else {
        return Ok(());
    };
    if let Some(row) = test_clock::Entity::find_by_id(1).one(&state.db).await? {
        clock.catch_up(TimeDelta::seconds(row.offset_seconds));
    }
    Ok(())
}

pub async fn advance(state: &AppState, by: TimeDelta) -> Result<TestClockDto, ServiceError> {
    let Some(clock) = &state.test_clock else {
        return Err(ServiceError::Conflict {
            code: "test_clock_disabled",
            message: "The test clock is off; start the server with KINOBILL__CLOCK=test.".into(),
        });
    };
    if by <= TimeDelta::zero() || by > MAX_STEP {
        return Err(ServiceError::rule(
            "validation_failed",
            "advance",
            "Move the clock forward by a duration from PT1S to P400D.",
        ));
    }
    let txn = begin_write(&state.db).await?;
    let stored = for_update(test_clock::Entity::find_by_id(1), &txn)
        .one(&txn)
        .await?
        .map_or(TimeDelta::zero(), |r| TimeDelta::seconds(r.offset_seconds));
    let offset = stored.max(clock.offset()) + by;
    test_clock::Entity::insert(test_clock::ActiveModel {
        id: Set(1),
        offset_seconds: Set(offset.num_seconds()),
        updated_at: Set(chrono::Utc::now()),
    })
    .on_conflict(
        OnConflict::column(test_clock::Column::Id)
            .update_columns([
                test_clock::Column::OffsetSeconds,
                test_clock::Column::UpdatedAt,
            ])
            .to_owned(),
    )
    .exec(&txn)
    .await?;
    txn.commit().await?;
    clock.catch_up(offset);
    tracing::warn!(by = %by, now = %rfc3339(state.clock.now()), "test clock moved forward");
    state.worker_wake.notify_one();
    Ok(status(state))
}
