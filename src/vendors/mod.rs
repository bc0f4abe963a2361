//! Vendors: who Procura buys from.
//!
//! Rules owned here:
//! - a vendor needs only a name; its legal/tax id is optional but unique once normalised
//!   (upper case, without spaces, dots, dashes or slashes: `de 123.456-789` is `DE123456789`);
//! - contact emails must be addresses; tags are short lower-case labels;
//! - status is `active` or `blocked` (a blocked vendor cannot be invited, bid or ordered from);
//! - vendors are archived, never deleted; an archived vendor cannot be changed until restored.

pub mod handlers;
pub mod model;
pub mod repo;
pub mod service;
