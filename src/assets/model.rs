//! Asset types and the lifecycle rule.

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// Where an asset stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum AssetStatus {
    /// Received; waiting for its serial number and location.
    Pending,
    /// In use.
    InService,
    /// Away for repair.
    InRepair,
    /// Out of use, still owned.
    Retired,
    /// Gone (sold, scrapped, or returned to the vendor).
    Disposed,
}

impl AssetStatus {
    /// Every status.
    pub const ALL: [AssetStatus; 5] = [
        AssetStatus::Pending,
        AssetStatus::InService,
        AssetStatus::InRepair,
        AssetStatus::Retired,
        AssetStatus::Disposed,
    ];

    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            AssetStatus::Pending => "pending",
            AssetStatus::InService => "in_service",
            AssetStatus::InRepair => "in_repair",
            AssetStatus::Retired => "retired",
            AssetStatus::Disposed => "disposed",
        }
    }

    /// Parses a stored name.
    pub fn parse(text: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|s| s.as_str() == text)
    }

    /// The statuses reachable from this one.
    pub fn next(self) -> &'static [AssetStatus] {
        match self {
            AssetStatus::Pending => &[AssetStatus::InService],
            AssetStatus::InService => &[AssetStatus::InRepair, AssetStatus::Retired],
            AssetStatus::InRepair => &[AssetStatus::InService, AssetStatus::Retired],
            AssetStatus::Retired => &[AssetStatus::Disposed, AssetStatus::InService],
            AssetStatus::Disposed => &[],
        }
    }
}

/// Where an asset is.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Location {
    /// Site (building, data centre).
    pub site: Option<String>,
    /// Room.
    pub room: Option<String>,
    /// Rack.
    pub rack: Option<String>,
    /// Rack unit (`U12`, `12-13`).
    pub rack_unit: Option<String>,
}

impl Location {
    /// Site and room are what put an asset somewhere; rack and unit are for racked equipment.
    pub fn is_recorded(&self) -> bool {
        self.site.is_some() && self.room.is_some()
    }
}

/// An asset as Procura shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct Asset {
    /// The asset's id.
    pub id: i64,
    /// Its unique tag.
    #[schema(example = "AST-2026-000017")]
    pub tag: String,
    /// Where it stands.
    pub status: AssetStatus,
    /// The statuses it may move to now.
    pub allowed_statuses: Vec<AssetStatus>,
    /// Its category (from the PO line).
    pub category: String,
    /// What it is (the PO line's description).
    pub description: String,
    /// Lineage: the purchase order.
    pub po_id: i64,
    /// Lineage: the PO line.
    pub po_line_id: i64,
    /// Lineage: the receipt that created it.
    pub receipt_id: i64,
    /// Lineage: the vendor.
    pub vendor_id: i64,
    /// Lineage: the project.
    pub project_id: i64,
    /// Lineage: the contract, if the PO was under one.
    pub contract_id: Option<i64>,
    /// Lineage: the invoice line that set its cost.
    pub invoice_line_id: Option<i64>,
    /// Its cost: the invoiced amount converted into the budget's currency, its share of the
    /// invoice line (unknown until invoiced).
    pub cost: Option<String>,
    /// The currency of `cost`.
    pub cost_currency: String,
    /// The manufacturer's serial number.
    pub serial_number: Option<String>,
    /// Where it is.
    pub location: Location,
    /// When it went into service.
    pub in_service_date: Option<NaiveDate>,
    /// Changes with every update; send it back.
    pub version: i64,
    /// When it was created (UTC).
    pub created_at: DateTime<Utc>,
    /// When it last changed (UTC).
    pub updated_at: DateTime<Utc>,
}

/// Something that happened to an asset.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct AssetEvent {
    /// `created`, `registered`, `moved` or `status`.
    pub kind: String,
    /// The status before, for status changes.
    pub from_status: Option<String>,
    /// The status after, for status changes.
    pub to_status: Option<String>,
    /// The location after, for registrations and moves.
    pub location: Option<Location>,
    /// A note.
    pub note: Option<String>,
    /// Who (token name).
    pub actor: String,
    /// When (UTC).
    pub occurred_at: DateTime<Utc>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn disposed_is_final_and_pending_only_goes_into_service() {
        assert!(AssetStatus::Disposed.next().is_empty());
        assert_eq!(AssetStatus::Pending.next(), &[AssetStatus::InService]);
        for s in AssetStatus::ALL {
            assert_eq!(AssetStatus::parse(s.as_str()), Some(s));
            assert!(!s.next().contains(&AssetStatus::Pending));
        }
    }
}
