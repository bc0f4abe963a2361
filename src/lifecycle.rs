//! Rules shared by every record that is versioned and archived instead of deleted.

use crate::error::{AppError, AppResult};

/// Ok when the record is still at the version the caller read; a 409 naming both otherwise.
pub fn check_version(entity: &str, id: i64, current: i64, expected: i64) -> AppResult<()> {
    if current == expected {
        Ok(())
    } else {
        Err(AppError::version_conflict(entity, id, expected, current))
    }
}

/// Whether archiving (`archive = true`) or restoring is allowed from the record's state, and the
/// audit action it is (`<entity>.archive` or `<entity>.restore`).
pub fn archive_action(entity: &str, id: i64, archived: bool, archive: bool) -> AppResult<String> {
    match (archive, archived) {
        (true, true) => Err(AppError::conflict(
            "archived",
            format!("{entity} {id} is already archived"),
        )),
        (false, false) => Err(AppError::conflict(
            "not_archived",
            format!("{entity} {id} is not archived"),
        )),
        (true, false) => Ok(format!("{entity}.archive")),
        (false, true) => Ok(format!("{entity}.restore")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn archive_and_restore_only_from_the_other_state() {
        assert_eq!(
            archive_action("vendor", 1, false, true).ok().as_deref(),
            Some("vendor.archive")
        );
        assert_eq!(
            archive_action("project", 2, true, false).ok().as_deref(),
            Some("project.restore")
        );
        assert_eq!(
            archive_action("vendor", 1, true, true).map_err(|e| e.code()),
            Err("archived")
        );
        assert_eq!(
            archive_action("vendor", 1, false, false).map_err(|e| e.code()),
            Err("not_archived")
        );
        assert!(check_version("vendor", 1, 3, 3).is_ok());
        assert_eq!(
            check_version("vendor", 1, 3, 2).map_err(|e| e.code()),
            Err("version_conflict")
        );
    }
}
