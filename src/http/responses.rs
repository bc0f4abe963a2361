//! Response shapes shared by every resource: pages of a list, versioned single resources
//! (ETag = version), and created resources (201 with Location).

use crate::error::{AppError, AppResult};
use actix_web::http::header;
use actix_web::HttpResponse;
use serde::Serialize;
use utoipa::ToSchema;

/// Default and largest page sizes.
pub const DEFAULT_PAGE_SIZE: u32 = 50;
/// The largest `limit` a list accepts.
pub const MAX_PAGE_SIZE: u32 = 200;

/// One page of a list, in a stable order (by id, ascending).
#[derive(Debug, Serialize, ToSchema)]
pub struct Page<T: ToSchema> {
    /// The items on this page.
    pub items: Vec<T>,
    /// Pass as `cursor` to get the next page; absent on the last page.
    pub next_cursor: Option<String>,
}

/// Where a page starts and how long it is, from the `limit` and `cursor` parameters.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PageWindow {
    /// Items with a key greater than this come next.
    pub after: i64,
    /// How many items the page holds at most.
    pub limit: u32,
}

impl PageWindow {
    /// Validates `limit` (1 to 200, default 50) and the opaque `cursor`.
    pub fn parse(limit: Option<u32>, cursor: Option<&str>) -> AppResult<Self> {
        let limit = limit.unwrap_or(DEFAULT_PAGE_SIZE);
        if limit == 0 || limit > MAX_PAGE_SIZE {
            return Err(AppError::bad_request_field(
                "invalid_query",
                "limit",
                format!("must be between 1 and {MAX_PAGE_SIZE}"),
            ));
        }
        let after = match cursor {
            None => 0,
            Some(text) => text
                .parse::<i64>()
                .ok()
                .filter(|n| *n >= 0)
                .ok_or_else(|| {
                    AppError::bad_request_field(
                        "invalid_query",
                        "cursor",
                        "is not a cursor this API returned",
                    )
                })?,
        };
        Ok(Self { after, limit })
    }

    /// How many rows to fetch: one more than the page, to know whether another page follows.
    pub fn fetch(&self) -> i64 {
        i64::from(self.limit) + 1
    }

    /// Turns fetched rows (at most `fetch()`) into a page, using `key` for the next cursor.
    pub fn page<R, T: ToSchema>(
        &self,
        mut rows: Vec<R>,
        key: impl Fn(&R) -> i64,
        view: impl Fn(R) -> T,
    ) -> Page<T> {
        let more = rows.len() > self.limit as usize;
        rows.truncate(self.limit as usize);
        let next_cursor = if more {
            rows.last().map(|r| key(r).to_string())
        } else {
            None
        };
        Page {
            items: rows.into_iter().map(view).collect(),
            next_cursor,
        }
    }
}

/// A resource with an id, a version and a canonical URL.
pub trait Resource {
    /// The URL of this resource, such as `/api/v1/vendors/7`.
    fn location(&self) -> String;
    /// Its current version (also sent as the ETag).
    fn version(&self) -> i64;
}

/// 200 with the resource and its ETag.
pub fn ok_resource<T: Serialize + Resource>(resource: &T) -> HttpResponse {
    HttpResponse::Ok()
        .insert_header((header::ETAG, etag(resource.version())))
        .json(resource)
}

/// 201 with the resource, its Location and its ETag.
pub fn created_resource<T: Serialize + Resource>(resource: &T) -> HttpResponse {
    HttpResponse::Created()
        .insert_header((header::LOCATION, resource.location()))
        .insert_header((header::ETAG, etag(resource.version())))
        .json(resource)
}

/// The strong ETag for a version: `"3"`.
pub fn etag(version: i64) -> String {
    format!("\"{version}\"")
}

/// The version an update must match: the body's `version`, or else an `If-Match` ETag.
pub fn expected_version(body_version: Option<i64>, req: &actix_web::HttpRequest) -> AppResult<i64> {
    if let Some(version) = body_version {
        return Ok(version);
    }
    let Some(value) = req.headers().get(header::IF_MATCH) else {
        return Err(AppError::invalid(
            "version",
            "is required: send the version you read (or an If-Match header with its ETag) so a concurrent change is not overwritten",
        ));
    };
    value
        .to_str()
        .ok()
        .map(|v| v.trim().trim_start_matches("W/").trim_matches('"'))
        .and_then(|v| v.parse::<i64>().ok())
        .ok_or_else(|| {
            AppError::bad_request_field(
                "invalid_header",
                "If-Match",
                "must be an ETag this API returned, such as \"3\"",
            )
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn windows_validate_their_parameters() {
        assert_eq!(
            PageWindow::parse(None, None).expect("defaults"),
            PageWindow {
                after: 0,
                limit: 50
            }
        );
        assert!(PageWindow::parse(Some(0), None).is_err());
        assert!(PageWindow::parse(Some(201), None).is_err());
        assert!(PageWindow::parse(None, Some("abc")).is_err());
        assert!(PageWindow::parse(None, Some("-1")).is_err());
        assert_eq!(
            PageWindow::parse(Some(2), Some("7")).expect("valid").after,
            7
        );
    }

    #[derive(Debug, Serialize, ToSchema)]
    struct Item {
        id: i64,
    }

    #[test]
    fn pages_know_whether_more_follow() {
        let window = PageWindow::parse(Some(2), None).expect("valid");
        let page = window.page(vec![1, 2, 3], |n| *n, |id| Item { id });
        assert_eq!(page.items.len(), 2);
        assert_eq!(page.next_cursor.as_deref(), Some("2"));
        let last = window.page(vec![1, 2], |n| *n, |id| Item { id });
        assert_eq!(last.next_cursor, None);
    }
}
