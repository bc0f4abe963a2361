//! Project closeout: one checklist of every loose end, waivers by an accountable role, the
//! close that releases what is still committed and freezes the figures, and the reopen.
//!
//! Rules:
//! - **Loose ends** (`model::Section`): approved purchase orders still committing budget;
//!   PO lines received and not invoiced (accruals); invoices with lines on the project that are
//!   not posted (received, matched or on hold); approved invoices not paid in full; posted
//!   invoice lines billing more of a PO line than was received; milestones of the project's
//!   statements of work not accepted; SLA credits owed on the project's contracts and not
//!   applied; the project's assets still pending; contracts serving the project still active.
//!   An item disappears when its document is resolved.
//! - **Amounts** are in the budget's currency where the ledger has them (commitments, accruals,
//!   invoice lines); in the document's own currency otherwise (unpaid invoice balances,
//!   milestones, credits, contract ceilings, asset costs). A section sums per currency; nothing
//!   of different currencies is added.
//! - **Waivers** (finance or admin, with a reason) cover an item as it was when waived: if its
//!   amount changes afterwards it is open again.
//! - **Close** (`POST /projects/{id}/close`) is refused while an item is open; it closes the
//!   purchase orders still committing (their open value is released through the PO service),
//!   stores a snapshot (canonical JSON; its SHA-256 written into the audit chain by a
//!   `project.closeout.freeze` row) and marks the project `closed`: a change to it, its budget
//!   lines, estimates, purchase orders, receipts, invoices, statements of work or milestones is
//!   then a 409 `project_closed`. Assets, contracts and SLAs are not locked: an asset lives on
//!   after its project, and contracts serve several projects.
//! - **Reopen** needs an admin and a reason; the project becomes `completed`, the snapshot is
//!   kept and marked with the reopen.

pub mod handlers;
pub mod model;
pub mod pack;
pub mod repo;
pub mod service;
