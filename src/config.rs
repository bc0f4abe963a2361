//! Configuration, read from the command line and the environment (see the README for the
//! full list). Nothing here touches the network or the disk.

/// Default `DATABASE_URL`: an embedded SQLite file created on first start.
pub const DEFAULT_DATABASE_URL: &str = "sqlite://data/procura.db";
/// Default bind address.
pub const DEFAULT_BIND: &str = "127.0.0.1:8080";
/// Default request-body limit: 1 MiB.
pub const DEFAULT_MAX_BODY_BYTES: usize = 1024 * 1024;

/// The running configuration of the server.
#[derive(Debug, Clone)]
pub struct Settings {
    /// Where the database is (`sqlite://PATH` or `postgres://…`).
    pub database_url: String,
    /// Connections in the pool.
    pub pool_size: u32,
    /// Address and port to listen on.
    pub bind: String,
    /// HTTP worker threads (0 = one per CPU core).
    pub workers: usize,
    /// Largest accepted request body, in bytes.
    pub max_body_bytes: usize,
    /// Seconds to finish in-flight requests on shutdown.
    pub shutdown_timeout_secs: u64,
    /// Purchase-to-pay rules.
    pub purchasing: PurchasingRules,
    /// Alert delivery and the scheduled checks.
    pub alerts: AlertSettings,
    /// Limits on spreadsheet imports.
    pub import_limits: crate::imports::Limits,
}

/// Where alerts go and how often the server looks for work.
#[derive(Debug, Clone, Default)]
pub struct AlertSettings {
    /// The mail transport (SMTP, or `.eml` files by default).
    pub mail: crate::email::MailSettings,
    /// Seconds between runs of the scheduled check and delivery inside the server; 0 turns the
    /// worker off (tests; or when `procura alerts run` is scheduled from outside).
    pub interval_secs: u64,
    /// Addresses that receive every alert besides its own recipients.
    pub extra_recipients: Vec<String>,
    /// What the contract check alerts on.
    pub contracts: crate::contracts::alerts::ContractAlertRules,
}

/// The purchase-to-pay rules an organisation tunes (see the README for the defaults' reasons).
#[derive(Debug, Clone)]
pub struct PurchasingRules {
    /// Which roles approve a purchase order, and how many, by its value in the budget's currency.
    pub approval: crate::purchase_orders::approval::ApprovalPolicy,
    /// How far a line may be received beyond its ordered quantity, in percent (0 = not at all).
    pub over_receipt_percent: rust_decimal::Decimal,
    /// Whether someone who approved a purchase order may also receive against it.
    pub approver_may_receive: bool,
    /// The pattern of new asset tags.
    pub asset_tag_pattern: crate::assets::tags::TagPattern,
    /// Invoices from one vendor with the same total within this many days of each other are held
    /// as suspected duplicates.
    pub duplicate_invoice_days: u32,
}

impl Default for PurchasingRules {
    fn default() -> Self {
        Self {
            approval: crate::purchase_orders::approval::ApprovalPolicy::defaults(),
            over_receipt_percent: rust_decimal::Decimal::ZERO,
            approver_may_receive: false,
            asset_tag_pattern: crate::assets::tags::TagPattern::default_pattern(),
            duplicate_invoice_days: 7,
        }
    }
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            database_url: DEFAULT_DATABASE_URL.to_string(),
            pool_size: 8,
            bind: DEFAULT_BIND.to_string(),
            workers: 0,
            max_body_bytes: DEFAULT_MAX_BODY_BYTES,
            shutdown_timeout_secs: 30,
            purchasing: PurchasingRules::default(),
            alerts: AlertSettings::default(),
            import_limits: crate::imports::Limits::default(),
        }
    }
}
