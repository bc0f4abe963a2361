//! The OpenAPI document: paths collected from the handlers' `#[utoipa::path]` attributes, plus
//! the parts every operation shares (bearer auth, problem responses).

use crate::error::Problem;
use utoipa::openapi::path::Operation;
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::openapi::{ContentBuilder, OpenApi, Ref, ResponseBuilder};
use utoipa::{Modify, OpenApi as _};

#[derive(utoipa::OpenApi)]
#[openapi(
    info(
        title = "Procura",
        description = "Vendor, procurement and financial tracking: RFPs, bids, contracts, purchase orders, invoices, budgets and forecasts, in exact decimals.\n\nAmounts are decimal strings (`\"1234.50\"`). Errors are RFC 9457 `application/problem+json` with a stable `code`. Lists are paged with `limit` and `cursor`. Creates accept an `Idempotency-Key` header; updates need the `version` you read (or `If-Match`).",
        license(name = "Apache-2.0")
    ),
    components(schemas(Problem, crate::error::FieldError)),
    modifiers(&Shared),
    tags(
        (name = "vendors", description = "Who Procura buys from"),
        (name = "projects", description = "Projects and their owners"),
        (name = "budget-lines", description = "Budget lines and their monthly phasing"),
        (name = "fx-rates", description = "Exchange rates by date"),
        (name = "contracts", description = "Contracts, their terms, renewals and notice deadlines"),
        (name = "purchase-orders", description = "Purchase orders, approvals, receipts and returns"),
        (name = "assets", description = "The asset register: tags, lifecycle, locations, depreciation"),
        (name = "invoices", description = "Invoices, credit memos, matching, holds and payments"),
        (name = "alerts", description = "The alert outbox: delivery status, resends, the scheduled check"),
        (name = "audit", description = "The hash-chained audit log"),
        (name = "imports", description = "Spreadsheet imports: checked row by row, committed whole or not at all"),
        (name = "reports", description = "Project and vendor reports, as JSON and as xlsx workbooks"),
        (name = "operations", description = "Health and metrics")
    )
)]
struct BaseDoc;

/// The document the handlers' paths are added to.
pub fn base() -> OpenApi {
    BaseDoc::openapi()
}

struct Shared;

impl Modify for Shared {
    fn modify(&self, openapi: &mut OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .description(Some("A token from `procura token create`"))
                    .build(),
            ),
        );
        openapi.security = Some(vec![utoipa::openapi::security::SecurityRequirement::new(
            "bearer",
            Vec::<String>::new(),
        )]);
    }
}

/// The problem statuses every operation may answer with, and when.
const PROBLEMS: &[(&str, &str)] = &[
    (
        "400",
        "Malformed request: bad JSON, a bad query parameter or header",
    ),
    ("401", "Missing, invalid or revoked bearer token"),
    ("403", "The token's role may not do this"),
    ("404", "No such resource"),
    (
        "409",
        "Conflicts with the current state (stale version, duplicate, illegal transition)",
    ),
    ("413", "Body larger than the limit"),
    ("415", "Body is not application/json"),
    ("422", "A field broke a rule; `errors` lists each field"),
    ("500", "Unexpected error; the body reveals nothing internal"),
    ("503", "The database is not available; retry"),
];

/// Finishes a collected document: every operation documents the problem responses.
pub fn finish(mut openapi: OpenApi) -> OpenApi {
    for path in openapi.paths.paths.values_mut() {
        for operation in operations(path) {
            for (status, description) in PROBLEMS {
                operation
                    .responses
                    .responses
                    .entry(status.to_string())
                    .or_insert_with(|| {
                        ResponseBuilder::new()
                            .description(*description)
                            .content(
                                "application/problem+json",
                                ContentBuilder::new()
                                    .schema(Some(Ref::from_schema_name("Problem")))
                                    .build(),
                            )
                            .into()
                    });
            }
        }
    }
    openapi
}

fn operations(path: &mut utoipa::openapi::PathItem) -> impl Iterator<Item = &mut Operation> {
    [
        path.get.as_mut(),
        path.post.as_mut(),
        path.put.as_mut(),
        path.patch.as_mut(),
        path.delete.as_mut(),
    ]
    .into_iter()
    .flatten()
}

/// The complete document, as served at `/openapi.json` and printed by `procura openapi`.
pub fn document() -> OpenApi {
    use utoipa_actix_web::AppExt;
    let (_, openapi) = actix_web::App::new()
        .into_utoipa_app()
        .openapi(base())
        .configure(crate::app::open_routes)
        .service(utoipa_actix_web::scope("/api/v1").configure(crate::http::api_routes))
        .split_for_parts();
    finish(openapi)
}

/// The document as pretty JSON with a trailing newline (the committed `openapi/openapi.json`).
pub fn document_json() -> String {
    let mut text = document().to_pretty_json().unwrap_or_default();
    text.push('\n');
    text
}
