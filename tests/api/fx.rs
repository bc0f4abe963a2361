//! FX rates: exact rates by date, conversion with the latest rate on or before a date, half-even
//! rounding to the target currency's minor unit.

use crate::helpers::{id_of, TestApp};
use procura::auth::Role;
use serde_json::{json, Value};

const RATES: &str = "/api/v1/fx-rates";

fn rate(from: &str, to: &str, date: &str, rate: &str) -> Value {
    json!({"from": from, "to": to, "date": date, "rate": rate})
}

async fn convert(
    app: &TestApp,
    amount: &str,
    from: &str,
    to: &str,
    date: &str,
) -> crate::helpers::Resp {
    app.get(
        &format!("{RATES}/convert?amount={amount}&from={from}&to={to}&date={date}"),
        Role::Pm,
    )
    .await
}

async fn fx_rate_crud(app: TestApp) {
    let created = app
        .post(RATES, Role::Finance, &json!({"from": "EUR", "to": "USD", "date": "2026-03-01", "rate": "1.08420", "source": "ECB"}))
        .await
        .expect(201);
    let r = &created.body;
    let id = id_of(r);
    assert_eq!(
        created.header("location"),
        Some(format!("{RATES}/{id}").as_str())
    );
    assert_eq!(created.header("etag"), Some("\"1\""));
    assert_eq!(r["rate"], "1.0842", "the rate is canonical decimal text");
    assert_eq!(r["from"], "EUR");
    assert_eq!(r["to"], "USD");
    assert_eq!(r["date"], "2026-03-01");
    assert_eq!(r["source"], "ECB");
    assert_eq!(r["version"], 1);
    let read = app
        .get(&format!("{RATES}/{id}"), Role::Viewer)
        .await
        .expect(200);
    assert_eq!(read.body, created.body);

    // ten decimal places are kept exactly; JSON numbers are read exactly
    let precise = app
        .create_fx_rate(rate("USD", "JPY", "2026-03-01", "149.1234567891"))
        .await;
    assert_eq!(precise["rate"], "149.1234567891");
    let body = r#"{"from": "GBP", "to": "EUR", "date": "2026-03-01", "rate": 1.1700000001}"#;
    let number = app
        .post_raw(RATES, Role::Admin, "application/json", body)
        .await
        .expect(201);
    assert_eq!(number.body["rate"], "1.1700000001");

    let listed = app.list_all(RATES, Role::Viewer).await;
    assert_eq!(
        listed.iter().map(id_of).collect::<Vec<_>>(),
        vec![id, id_of(&precise), id_of(&number.body)]
    );

    // updates need the version
    let updated = app
        .patch(
            &format!("{RATES}/{id}"),
            Role::Finance,
            &json!({"version": 1, "rate": "1.085"}),
        )
        .await
        .expect(200);
    assert_eq!(updated.body["rate"], "1.085");
    assert_eq!(updated.body["version"], 2);
    app.patch(
        &format!("{RATES}/{id}"),
        Role::Finance,
        &json!({"version": 1, "rate": "1.09"}),
    )
    .await
    .expect_problem(409, "version_conflict");
    app.patch(
        &format!("{RATES}/{id}"),
        Role::Pm,
        &json!({"version": 2, "rate": "1.09"}),
    )
    .await
    .expect_problem(403, "forbidden");
}

async fn fx_rate_validation(app: TestApp) {
    app.create_fx_rate(rate("EUR", "USD", "2026-03-01", "1.1"))
        .await;
    app.post(RATES, Role::Admin, &rate("EUR", "USD", "2026-03-01", "1.2"))
        .await
        .expect_problem(409, "duplicate_fx_rate");
    // the reverse pair and another date are different rates
    app.create_fx_rate(rate("USD", "EUR", "2026-03-01", "0.9"))
        .await;
    app.create_fx_rate(rate("EUR", "USD", "2026-03-02", "1.2"))
        .await;

    for bad in ["0", "-1.1", "1.00000000001", "abc", "1e2", ""] {
        app.post(RATES, Role::Admin, &rate("EUR", "GBP", "2026-03-01", bad))
            .await
            .expect_invalid("rate");
    }
    app.post(RATES, Role::Admin, &rate("eur", "GBP", "2026-03-01", "0.8"))
        .await
        .expect_invalid("from");
    app.post(RATES, Role::Admin, &rate("EUR", "ABC", "2026-03-01", "0.8"))
        .await
        .expect_invalid("to");
    app.post(RATES, Role::Admin, &rate("EUR", "GBP", "2026-02-30", "0.8"))
        .await
        .expect_invalid("date");
    let no_rate = json!({"from": "EUR", "to": "GBP", "date": "2026-03-01"});
    app.post(RATES, Role::Admin, &no_rate)
        .await
        .expect_invalid("rate");
    assert_eq!(
        app.list_all(RATES, Role::Admin).await.len(),
        3,
        "refused rates were not stored"
    );
}

async fn convert_uses_latest_rate_on_or_before(app: TestApp) {
    let early = app
        .create_fx_rate(rate("EUR", "USD", "2026-03-01", "1.0842"))
        .await;
    let late = app
        .create_fx_rate(rate("EUR", "USD", "2026-03-20", "1.2"))
        .await;
    // a rate of another pair on a closer date must not be picked
    app.create_fx_rate(rate("USD", "EUR", "2026-03-14", "0.5"))
        .await;

    let resp = convert(&app, "100.00", "EUR", "USD", "2026-03-15")
        .await
        .expect(200);
    let c = &resp.body;
    assert_eq!(
        c["original"],
        json!({"amount": "100.00", "currency": "EUR"})
    );
    assert_eq!(
        c["converted"],
        json!({"amount": "108.42", "currency": "USD"})
    );
    assert_eq!(c["rate"], "1.0842");
    assert_eq!(c["rate_date"], "2026-03-01");
    assert_eq!(c["rate_id"], id_of(&early));

    // on the rate's own date, that rate applies
    let on_day = convert(&app, "100.00", "EUR", "USD", "2026-03-20")
        .await
        .expect(200);
    assert_eq!(on_day.body["converted"]["amount"], "120.00");
    assert_eq!(on_day.body["rate_id"], id_of(&late));
    let after = convert(&app, "100.00", "EUR", "USD", "2027-01-01")
        .await
        .expect(200);
    assert_eq!(after.body["rate_date"], "2026-03-20");
    // the day before the first rate there is none
    let missing = convert(&app, "100.00", "EUR", "USD", "2026-02-28")
        .await
        .expect_problem(422, "fx_rate_missing");
    let detail = missing.body["detail"].as_str().unwrap_or("");
    assert!(
        detail.contains("EUR") && detail.contains("USD") && detail.contains("2026-02-28"),
        "{detail}"
    );
}

async fn convert_rounds_half_even(app: TestApp) {
    // 10.00 × 0.1125 = 1.125 exactly: half-even gives 1.12 (half-up would give 1.13)
    app.create_fx_rate(rate("EUR", "GBP", "2026-01-01", "0.1125"))
        .await;
    let down = convert(&app, "10.00", "EUR", "GBP", "2026-01-01")
        .await
        .expect(200);
    assert_eq!(down.body["converted"]["amount"], "1.12");
    // 10.00 × 0.1135 = 1.135: the even neighbour is 1.14
    app.create_fx_rate(rate("EUR", "GBP", "2026-01-02", "0.1135"))
        .await;
    let up = convert(&app, "10.00", "EUR", "GBP", "2026-01-02")
        .await
        .expect(200);
    assert_eq!(up.body["converted"]["amount"], "1.14");
    // into a zero-decimal currency: 1.00 × 2.5 = 2.5 → 2, 1.40 × 2.5 = 3.5 → 4
    app.create_fx_rate(rate("EUR", "JPY", "2026-01-01", "2.5"))
        .await;
    let two = convert(&app, "1.00", "EUR", "JPY", "2026-01-01")
        .await
        .expect(200);
    assert_eq!(
        two.body["converted"],
        json!({"amount": "2", "currency": "JPY"})
    );
    let four = convert(&app, "1.40", "EUR", "JPY", "2026-01-01")
        .await
        .expect(200);
    assert_eq!(four.body["converted"]["amount"], "4");
    // from a zero-decimal currency into a three-decimal one: 7 × 0.0012345 = 0.0086415 → 0.009
    app.create_fx_rate(rate("JPY", "KWD", "2026-01-01", "0.0012345"))
        .await;
    let kwd = convert(&app, "7", "JPY", "KWD", "2026-01-01")
        .await
        .expect(200);
    assert_eq!(
        kwd.body["converted"],
        json!({"amount": "0.009", "currency": "KWD"})
    );
    // no rounding needed: the result keeps the target's decimals
    let exact = convert(&app, "100", "EUR", "JPY", "2026-01-01")
        .await
        .expect(200);
    assert_eq!(exact.body["converted"]["amount"], "250");
    assert_eq!(exact.body["original"]["amount"], "100.00");
}

async fn convert_errors(app: TestApp) {
    app.create_fx_rate(rate("EUR", "USD", "2026-03-01", "1.1"))
        .await;
    let missing = convert(&app, "5.00", "USD", "CHF", "2026-03-15")
        .await
        .expect_problem(422, "fx_rate_missing");
    let detail = missing.body["detail"].as_str().unwrap_or("");
    assert!(
        detail.contains("USD") && detail.contains("CHF") && detail.contains("2026-03-15"),
        "{detail}"
    );
    // the reverse direction is not inferred
    convert(&app, "5.00", "USD", "EUR", "2026-03-15")
        .await
        .expect_problem(422, "fx_rate_missing");
    // bad inputs name the parameter
    let resp = convert(&app, "5.005", "EUR", "USD", "2026-03-15").await;
    assert!(matches!(resp.status.as_u16(), 400 | 422), "{}", resp.text);
    assert!(
        resp.fields().contains(&"amount".to_string()),
        "{}",
        resp.text
    );
    let resp = convert(&app, "abc", "EUR", "USD", "2026-03-15").await;
    assert!(matches!(resp.status.as_u16(), 400 | 422), "{}", resp.text);
    assert!(
        resp.fields().contains(&"amount".to_string()),
        "{}",
        resp.text
    );
    let resp = convert(&app, "5.00", "usd", "USD", "2026-03-15").await;
    assert!(matches!(resp.status.as_u16(), 400 | 422), "{}", resp.text);
    assert!(resp.fields().contains(&"from".to_string()), "{}", resp.text);
    let resp = convert(&app, "5.00", "EUR", "USD", "15.03.2026").await;
    assert!(matches!(resp.status.as_u16(), 400 | 422), "{}", resp.text);
    assert!(resp.fields().contains(&"date".to_string()), "{}", resp.text);
    let resp = app
        .get(
            &format!("{RATES}/convert?amount=1.00&from=EUR&to=USD"),
            Role::Pm,
        )
        .await;
    assert!(matches!(resp.status.as_u16(), 400 | 422), "{}", resp.text);
    assert!(resp.fields().contains(&"date".to_string()), "{}", resp.text);
    // evaluators may not convert
    app.get(
        &format!("{RATES}/convert?amount=1.00&from=EUR&to=USD&date=2026-03-15"),
        Role::Evaluator,
    )
    .await
    .expect_problem(403, "forbidden");
}

both_engines!(
    fx_rate_crud,
    fx_rate_validation,
    convert_uses_latest_rate_on_or_before,
    convert_rounds_half_even,
    convert_errors,
);
