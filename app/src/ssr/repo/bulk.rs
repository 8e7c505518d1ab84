//! Set-wise writes: one `UPDATE` for many rows with a value of their own each, so a
//! batch (the renewal sweep) costs one round trip per table instead of one per row.

use sea_orm::ColumnTrait;
use sea_orm::sea_query::{CaseStatement, Expr};
use uuid::Uuid;

/// `CASE WHEN key = k1 THEN v1 … ELSE column END`: each listed row gets its own value,
/// every other row keeps what it has. Portable (PostgreSQL and SQLite), and the bound
/// values keep their types, unlike a `VALUES` list that PostgreSQL would need cast.
pub fn per_row<C, V>(key: C, column: C, values: impl IntoIterator<Item = (Uuid, V)>) -> Expr
where
    C: ColumnTrait,
    V: Into<sea_orm::Value>,
{
    let mut case = CaseStatement::new();
    let mut any = false;
    for (id, value) in values {
        case = case.case(key.eq(id), Expr::value(value));
        any = true;
    }
    if any {
        case.finally(Expr::col(column)).into()
    } else {
        // `CASE END` without a branch is not SQL.
        Expr::col(column)
    }
}
