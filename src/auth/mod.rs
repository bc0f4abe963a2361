//! Authentication and authorisation.
//!
//! Rules owned here:
//! - bearer tokens are random (256 bits of secret), shown once, stored only as a SHA-256 hash,
//!   compared in constant time, revocable; each carries one [`Role`];
//! - what each role may do is one table, [`permissions::PERMISSIONS`] (role × action), and
//!   nowhere else;
//! - only `/health`, `/openapi.json` and `/docs` are open; everything else needs a token.

pub mod handlers;
pub mod model;
pub mod permissions;
pub mod repo;
pub mod service;

pub use handlers::Caller;
pub use model::{Actor, Role};
pub use permissions::Action;
