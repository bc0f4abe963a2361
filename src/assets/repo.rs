//! Asset rows and their events.

use super::model::{Asset, AssetEvent, AssetStatus, Location};
use crate::db::schema::{asset_events, assets, purchase_order_lines};
use crate::db::{DbConnection, MultiBackend};
use crate::error::{AppError, AppResult};
use crate::money::storage::money_from_units;
use crate::money::Currency;
use chrono::{NaiveDate, NaiveDateTime};
use diesel::prelude::*;

#[derive(Debug, Clone, Queryable)]
struct AssetRow {
    id: i64,
    tag: String,
    status: String,
    category: String,
    description: String,
    po_line_id: i64,
    receipt_id: i64,
    vendor_id: i64,
    project_id: i64,
    contract_id: Option<i64>,
    invoice_line_id: Option<i64>,
    cost_units: Option<i64>,
    cost_currency: String,
    serial_number: Option<String>,
    site: Option<String>,
    room: Option<String>,
    rack: Option<String>,
    rack_unit: Option<String>,
    in_service_date: Option<NaiveDate>,
    version: i64,
    created_at: NaiveDateTime,
    updated_at: NaiveDateTime,
}

impl AssetRow {
    fn into_asset(self, po_id: i64) -> AppResult<Asset> {
        let corrupt = |what: &str| {
            AppError::internal(anyhow::anyhow!("asset {} has a corrupt {what}", self.id))
        };
        let status = AssetStatus::parse(&self.status).ok_or_else(|| corrupt("status"))?;
        let currency = Currency::parse(&self.cost_currency).map_err(|_| corrupt("currency"))?;
        let cost = match self.cost_units {
            Some(units) => Some(
                money_from_units(units, currency)
                    .map_err(|_| corrupt("cost"))?
                    .amount()
                    .to_string(),
            ),
            None => None,
        };
        Ok(Asset {
            id: self.id,
            tag: self.tag.clone(),
            status,
            allowed_statuses: status.next().to_vec(),
            category: self.category.clone(),
            description: self.description.clone(),
            po_id,
            po_line_id: self.po_line_id,
            receipt_id: self.receipt_id,
            vendor_id: self.vendor_id,
            project_id: self.project_id,
            contract_id: self.contract_id,
            invoice_line_id: self.invoice_line_id,
            cost,
            cost_currency: self.cost_currency.clone(),
            serial_number: self.serial_number.clone(),
            location: Location {
                site: self.site.clone(),
                room: self.room.clone(),
                rack: self.rack.clone(),
                rack_unit: self.rack_unit.clone(),
            },
            in_service_date: self.in_service_date,
            version: self.version,
            created_at: self.created_at.and_utc(),
            updated_at: self.updated_at.and_utc(),
        })
    }
}

/// An asset about to be stored (pending).
#[derive(Debug, Clone)]
pub struct NewAsset<'a> {
    pub tag: &'a str,
    pub category: &'a str,
    pub description: &'a str,
    pub po_line_id: i64,
    pub receipt_id: i64,
    pub vendor_id: i64,
    pub project_id: i64,
    pub contract_id: Option<i64>,
    pub cost_currency: &'a str,
}

/// Stores a pending asset; returns its id.
pub fn insert(conn: &mut DbConnection, asset: &NewAsset<'_>, now: NaiveDateTime) -> AppResult<i64> {
    Ok(diesel::insert_into(assets::table)
        .values((
            assets::tag.eq(asset.tag),
            assets::status.eq(AssetStatus::Pending.as_str()),
            assets::category.eq(asset.category),
            assets::description.eq(asset.description),
            assets::po_line_id.eq(asset.po_line_id),
            assets::receipt_id.eq(asset.receipt_id),
            assets::vendor_id.eq(asset.vendor_id),
            assets::project_id.eq(asset.project_id),
            assets::contract_id.eq(asset.contract_id),
            assets::cost_currency.eq(asset.cost_currency),
            assets::version.eq(1),
            assets::created_at.eq(now),
            assets::updated_at.eq(now),
        ))
        .returning(assets::id)
        .get_result(conn)?)
}

type Joined = (AssetRow, i64);

fn joined() -> diesel::dsl::Select<
    diesel::dsl::InnerJoin<assets::table, purchase_order_lines::table>,
    (
        <assets::table as diesel::Table>::AllColumns,
        purchase_order_lines::po_id,
    ),
> {
    assets::table
        .inner_join(purchase_order_lines::table)
        .select((assets::all_columns, purchase_order_lines::po_id))
}

/// One asset by id.
pub fn find(conn: &mut DbConnection, id: i64) -> AppResult<Option<Asset>> {
    let row: Option<Joined> = joined()
        .filter(assets::id.eq(id))
        .get_result(conn)
        .optional()?;
    row.map(|(r, po)| r.into_asset(po)).transpose()
}

/// One asset by tag.
pub fn find_by_tag(conn: &mut DbConnection, tag: &str) -> AppResult<Option<Asset>> {
    let row: Option<Joined> = joined()
        .filter(assets::tag.eq(tag))
        .get_result(conn)
        .optional()?;
    row.map(|(r, po)| r.into_asset(po)).transpose()
}

/// Filters for the asset list.
#[derive(Debug, Clone, Default)]
pub struct AssetFilter {
    pub status: Option<AssetStatus>,
    pub project_id: Option<i64>,
    pub vendor_id: Option<i64>,
    pub po_id: Option<i64>,
    pub receipt_id: Option<i64>,
    pub category: Option<String>,
}

/// A page of assets by id (`limit` `None` for all of them, for exports).
pub fn list(
    conn: &mut DbConnection,
    filter: &AssetFilter,
    after: i64,
    limit: Option<i64>,
) -> AppResult<Vec<Asset>> {
    let mut query = assets::table
        .inner_join(purchase_order_lines::table)
        .select((assets::all_columns, purchase_order_lines::po_id))
        .into_boxed::<MultiBackend>();
    if let Some(status) = filter.status {
        query = query.filter(assets::status.eq(status.as_str()));
    }
    if let Some(project_id) = filter.project_id {
        query = query.filter(assets::project_id.eq(project_id));
    }
    if let Some(vendor_id) = filter.vendor_id {
        query = query.filter(assets::vendor_id.eq(vendor_id));
    }
    if let Some(po_id) = filter.po_id {
        query = query.filter(purchase_order_lines::po_id.eq(po_id));
    }
    if let Some(receipt_id) = filter.receipt_id {
        query = query.filter(assets::receipt_id.eq(receipt_id));
    }
    if let Some(category) = &filter.category {
        query = query.filter(assets::category.eq(category.clone()));
    }
    query = query.filter(assets::id.gt(after)).order(assets::id);
    if let Some(limit) = limit {
        query = query.limit(limit);
    }
    let rows: Vec<Joined> = query.load(conn)?;
    rows.into_iter().map(|(r, po)| r.into_asset(po)).collect()
}

/// Writes serial and location at `expected_version`.
pub fn set_register(
    conn: &mut DbConnection,
    id: i64,
    expected_version: i64,
    serial_number: Option<&str>,
    location: &Location,
    now: NaiveDateTime,
) -> AppResult<bool> {
    Ok(diesel::update(
        assets::table
            .filter(assets::id.eq(id))
            .filter(assets::version.eq(expected_version)),
    )
    .set((
        assets::serial_number.eq(serial_number),
        assets::site.eq(&location.site),
        assets::room.eq(&location.room),
        assets::rack.eq(&location.rack),
        assets::rack_unit.eq(&location.rack_unit),
        assets::version.eq(expected_version + 1),
        assets::updated_at.eq(now),
    ))
    .execute(conn)?
        == 1)
}

/// Moves an asset to `status` at `expected_version`.
pub fn set_status(
    conn: &mut DbConnection,
    id: i64,
    expected_version: i64,
    status: AssetStatus,
    in_service_date: Option<NaiveDate>,
    now: NaiveDateTime,
) -> AppResult<bool> {
    Ok(diesel::update(
        assets::table
            .filter(assets::id.eq(id))
            .filter(assets::version.eq(expected_version)),
    )
    .set((
        assets::status.eq(status.as_str()),
        assets::in_service_date.eq(in_service_date),
        assets::version.eq(expected_version + 1),
        assets::updated_at.eq(now),
    ))
    .execute(conn)?
        == 1)
}

/// Sets the cost of the assets from an invoice line (one amount per asset, in order).
pub fn set_costs(
    conn: &mut DbConnection,
    costs: &[(i64, i64)],
    invoice_line_id: i64,
    now: NaiveDateTime,
) -> AppResult<()> {
    for (asset_id, units) in costs {
        diesel::update(assets::table.filter(assets::id.eq(asset_id)))
            .set((
                assets::cost_units.eq(units),
                assets::invoice_line_id.eq(invoice_line_id),
                assets::version.eq(assets::version + 1),
                assets::updated_at.eq(now),
            ))
            .execute(conn)?;
    }
    Ok(())
}

/// The assets of a PO line that have no cost yet, by id: every one except those whose receipt
/// was returned (they went back to the vendor and are not billed). An asset scrapped after use
/// still gets its cost.
pub fn uncosted_of_po_line(conn: &mut DbConnection, po_line_id: i64) -> AppResult<Vec<i64>> {
    use crate::db::schema::receipts;
    let rows: Vec<(i64, i64)> = assets::table
        .filter(assets::po_line_id.eq(po_line_id))
        .filter(assets::cost_units.is_null())
        .order(assets::id)
        .select((assets::id, assets::receipt_id))
        .load(conn)?;
    let receipt_ids: Vec<i64> = rows.iter().map(|(_, r)| *r).collect();
    let returned: Vec<Option<i64>> = receipts::table
        .filter(receipts::reverses_receipt_id.eq_any(&receipt_ids))
        .select(receipts::reverses_receipt_id)
        .load(conn)?;
    Ok(rows
        .into_iter()
        .filter(|(_, receipt)| !returned.contains(&Some(*receipt)))
        .map(|(id, _)| id)
        .collect())
}

/// The ids, tags and statuses of a receipt's assets.
pub fn of_receipt(
    conn: &mut DbConnection,
    receipt_id: i64,
) -> AppResult<Vec<(i64, String, String, i64)>> {
    Ok(assets::table
        .filter(assets::receipt_id.eq(receipt_id))
        .order(assets::id)
        .select((assets::id, assets::tag, assets::status, assets::version))
        .load(conn)?)
}

/// Something to record in an asset's history.
#[derive(Debug, Clone, Copy)]
pub struct NewEvent<'a> {
    pub kind: &'a str,
    pub from: Option<AssetStatus>,
    pub to: Option<AssetStatus>,
    pub location: Option<&'a Location>,
    pub note: Option<&'a str>,
}

/// Records an event.
pub fn insert_event(
    conn: &mut DbConnection,
    asset_id: i64,
    event: NewEvent<'_>,
    actor: &str,
    now: NaiveDateTime,
) -> AppResult<()> {
    let NewEvent {
        kind,
        from,
        to,
        location,
        note,
    } = event;
    let location = location
        .map(serde_json::to_string)
        .transpose()
        .map_err(AppError::internal)?;
    diesel::insert_into(asset_events::table)
        .values((
            asset_events::asset_id.eq(asset_id),
            asset_events::kind.eq(kind),
            asset_events::from_status.eq(from.map(AssetStatus::as_str)),
            asset_events::to_status.eq(to.map(AssetStatus::as_str)),
            asset_events::location.eq(location),
            asset_events::note.eq(note),
            asset_events::actor.eq(actor),
            asset_events::occurred_at.eq(now),
        ))
        .execute(conn)?;
    Ok(())
}

/// An asset's events, oldest first.
pub fn events_of(conn: &mut DbConnection, asset_id: i64) -> AppResult<Vec<AssetEvent>> {
    type EventRow = (
        String,
        Option<String>,
        Option<String>,
        Option<String>,
        Option<String>,
        String,
        NaiveDateTime,
    );
    let rows: Vec<EventRow> = asset_events::table
        .filter(asset_events::asset_id.eq(asset_id))
        .order(asset_events::id)
        .select((
            asset_events::kind,
            asset_events::from_status,
            asset_events::to_status,
            asset_events::location,
            asset_events::note,
            asset_events::actor,
            asset_events::occurred_at,
        ))
        .load(conn)?;
    rows.into_iter()
        .map(
            |(kind, from_status, to_status, location, note, actor, at)| {
                Ok(AssetEvent {
                    kind,
                    from_status,
                    to_status,
                    location: location
                        .map(|l| serde_json::from_str(&l))
                        .transpose()
                        .map_err(AppError::internal)?,
                    note,
                    actor,
                    occurred_at: at.and_utc(),
                })
            },
        )
        .collect()
}
