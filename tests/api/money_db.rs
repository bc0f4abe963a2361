//! Money through a real database: random amounts in currencies of 0 to 4 decimals, written via
//! the API, stored as integer units, read back unchanged; SQL sums equal Rust sums.

use crate::helpers::{id_of, s, TestApp};
use diesel::sql_types::BigInt;
use diesel::{QueryableByName, RunQueryDsl};
use procura::money::storage::{amount_from_units, amount_to_units};
use proptest::prelude::*;
use proptest::test_runner::{Config, TestCaseError, TestRunner};
use rust_decimal::Decimal;
use serde_json::json;
use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

/// Currencies with 0, 2, 3 and 4 decimal places.
const CURRENCIES: &[(&str, u32)] = &[("JPY", 0), ("EUR", 2), ("USD", 2), ("KWD", 3), ("CLF", 4)];

#[derive(QueryableByName)]
struct Total {
    #[diesel(sql_type = BigInt)]
    total: i64,
}

async fn sql_total(app: &TestApp, sql: String) -> i64 {
    let db = app.db.clone();
    tokio::task::spawn_blocking(move || {
        db.read_blocking(move |conn| Ok(diesel::sql_query(sql).get_result::<Total>(conn)?.total))
    })
    .await
    .expect("task")
    .unwrap_or_else(|e| panic!("SQL total: {e}"))
}

fn amounts() -> impl Strategy<Value = (usize, i64)> {
    let mantissa = prop_oneof![1i64..1_000, 1i64..1_000_000_000_000];
    (0..CURRENCIES.len(), mantissa)
}

async fn stored_amounts_round_trip(app: TestApp) {
    let mut projects = HashMap::new();
    for (code, _) in CURRENCIES {
        let project = app
            .create_project(
                json!({"code": format!("M-{code}"), "name": "Money", "currency": code,
                                   "start_date": "2026-01-01", "end_date": "2026-03-31"}),
            )
            .await;
        projects.insert(*code, id_of(&project));
    }
    let app = Arc::new(app);
    let written: Arc<Mutex<Vec<(&'static str, i64)>>> = Arc::default();
    let counter = AtomicUsize::new(0);
    let handle = tokio::runtime::Handle::current();
    let mut runner = TestRunner::new(Config {
        cases: 64,
        failure_persistence: None,
        ..Config::default()
    });
    let outcome = tokio::task::block_in_place(|| {
        runner.run(&amounts(), |(index, mantissa)| {
            let (currency, places) = CURRENCIES[index];
            let amount = Decimal::new(mantissa, places);
            let project_id = projects[currency];
            let cost_center = format!("CC-{}", counter.fetch_add(1, Ordering::SeqCst));
            let (app, written) = (app.clone(), written.clone());
            handle.block_on(async move {
                let resp = app
                    .post("/api/v1/budget-lines", procura::auth::Role::Finance, &json!({
                        "project_id": project_id, "category": "opex", "cost_center": cost_center,
                        "amount": amount.to_string()
                    }))
                    .await;
                prop_assert_eq!(resp.status.as_u16(), 201, "{} {}: {}", amount, currency, resp.text);
                let id = id_of(&resp.body);
                let read = app.get(&format!("/api/v1/budget-lines/{id}"), procura::auth::Role::Viewer).await;
                prop_assert_eq!(s(&read.body["amount"]), amount.to_string(), "read back through the API");
                let units = sql_total(&app, format!("SELECT amount_units AS total FROM budget_lines WHERE id = {id}")).await;
                prop_assert_eq!(Ok(units), amount_to_units(amount), "stored as 1/10,000 units");
                prop_assert_eq!(amount_from_units(units), amount, "units read back as the same amount");
                let month_units = sql_total(
                    &app,
                    format!("SELECT CAST(COALESCE(SUM(amount_units), 0) AS BIGINT) AS total FROM budget_line_months WHERE budget_line_id = {id}"),
                )
                .await;
                prop_assert_eq!(month_units, units, "the stored months add up to the stored amount");
                written.lock().map_err(|e| TestCaseError::fail(e.to_string()))?.push((currency, units));
                Ok(())
            })
        })
    });
    if let Err(failure) = outcome {
        panic!("{failure}");
    }

    let written = written.lock().expect("lock").clone();
    assert!(written.len() >= 64, "{} cases ran", written.len());
    for (currency, _) in CURRENCIES {
        let rust_sum: i64 = written
            .iter()
            .filter(|(c, _)| c == currency)
            .map(|(_, u)| *u)
            .sum();
        let sql_sum = sql_total(
            &app,
            format!("SELECT CAST(COALESCE(SUM(amount_units), 0) AS BIGINT) AS total FROM budget_lines WHERE currency = '{currency}'"),
        )
        .await;
        assert_eq!(
            sql_sum, rust_sum,
            "SQL SUM over stored {currency} units equals the Rust sum"
        );
    }
}

/// Negative, zero and extreme amounts, stored straight through `money::storage` into a real
/// integer column: they read back unchanged, and SQL sums and comparisons agree with Rust.
async fn signed_amounts_round_trip_and_compare(app: TestApp) {
    use diesel::prelude::*;
    use procura::db::schema::budget_line_months as months;
    use procura::money::storage::{money_from_units, money_to_units};
    use procura::money::{Currency, Money, MAX_ABS_AMOUNT};

    let project = app
        .create_project(
            json!({"code": "SIGNED", "name": "Signed", "currency": "EUR",
                                "start_date": "2026-01-01", "end_date": "2026-01-31"}),
        )
        .await;
    let line = app
        .create_budget_line(json!({"project_id": id_of(&project), "category": "opex",
                                    "cost_center": "CC-S", "amount": "0"}))
        .await;
    let line_id = id_of(&line);

    let mut runner = TestRunner::new(Config {
        cases: 48,
        failure_persistence: None,
        ..Config::default()
    });
    let db = app.db.clone();
    let strategy = (
        0..CURRENCIES.len(),
        prop_oneof![Just(0i64), -1_000i64..1_000, proptest::num::i64::ANY],
        proptest::collection::vec(-1_000_000_000i64..1_000_000_000, 1..8),
    );
    let outcome = tokio::task::block_in_place(|| {
        runner.run(&strategy, |(index, mantissa, others)| {
            let (code, places) = CURRENCIES[index];
            let currency = Currency::parse(code).expect("ISO code");
            // Clamp into the accepted range, then check the exact value survives storage.
            let amount = Decimal::new(mantissa, places);
            let amount = amount
                .max(-MAX_ABS_AMOUNT)
                .min(MAX_ABS_AMOUNT)
                .round_dp_with_strategy(places, rust_decimal::RoundingStrategy::ToZero);
            let money = Money::new(amount, currency).expect("in range");
            let values: Vec<Money> = std::iter::once(money)
                .chain(
                    others
                        .iter()
                        .map(|m| Money::new(Decimal::new(*m, places), currency).expect("small")),
                )
                .collect();
            let read_back = db
                .write_blocking(|tx| {
                    diesel::delete(months::table.filter(months::budget_line_id.eq(line_id)))
                        .execute(&mut **tx)?;
                    for (i, value) in values.iter().enumerate() {
                        diesel::insert_into(months::table)
                            .values((
                                months::budget_line_id.eq(line_id),
                                months::month.eq(format!("2099-{:02}", i + 1)),
                                months::amount_units.eq(money_to_units(value)?),
                            ))
                            .execute(&mut **tx)?;
                    }
                    let stored: Vec<i64> = months::table
                        .filter(months::budget_line_id.eq(line_id))
                        .order(months::month)
                        .select(months::amount_units)
                        .load(&mut **tx)?;
                    // Which months exceed the first value, decided by SQL over the stored integers.
                    let threshold = money_to_units(&values[0])?;
                    let above: i64 = months::table
                        .filter(months::budget_line_id.eq(line_id))
                        .filter(months::amount_units.gt(threshold))
                        .count()
                        .get_result(&mut **tx)?;
                    Ok((stored, above))
                })
                .map_err(|e| TestCaseError::fail(e.to_string()))?;
            let (stored, above) = read_back;
            let back: Vec<Money> = stored
                .iter()
                .map(|units| money_from_units(*units, currency).expect("valid units"))
                .collect();
            prop_assert_eq!(&back, &values, "every amount reads back unchanged");
            let rust_above = values
                .iter()
                .filter(|v| v.amount() > values[0].amount())
                .count();
            prop_assert_eq!(
                above as usize,
                rust_above,
                "SQL compares stored amounts like Rust"
            );
            Ok(())
        })
    });
    if let Err(failure) = outcome {
        panic!("{failure}");
    }
}

both_engines!(
    stored_amounts_round_trip,
    signed_amounts_round_trip_and_compare
);
