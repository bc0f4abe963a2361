//! The command line: `procura serve | migrate | token … | openapi`.

use crate::app::Application;
use crate::auth::{service as tokens, Role};
use crate::config::{self, Settings};
use crate::db::{DatabaseUrl, Db};
use clap::{Args, Parser, Subcommand};

/// Procura: vendor, procurement and financial tracking.
#[derive(Debug, Parser)]
#[command(name = "procura", version, about, long_about = None)]
pub struct Cli {
    #[command(flatten)]
    pub database: DatabaseArgs,
    #[command(subcommand)]
    pub command: Command,
}

/// Alert delivery: mail transport, recipients, schedule and thresholds.
#[derive(Debug, Clone, Args)]
pub struct AlertArgs {
    /// SMTP server; without it alerts are written as `.eml` files to `--outbox-dir`.
    #[arg(long, env = "PROCURA_SMTP_HOST")]
    pub smtp_host: Option<String>,
    /// SMTP port (default 587 for starttls, 465 for tls, 25 for none).
    #[arg(long, env = "PROCURA_SMTP_PORT")]
    pub smtp_port: Option<u16>,
    /// `starttls`, `tls` or `none`.
    #[arg(long, env = "PROCURA_SMTP_SECURITY", default_value = "starttls", value_parser = crate::email::SmtpSecurity::parse)]
    pub smtp_security: crate::email::SmtpSecurity,
    /// SMTP user name.
    #[arg(long, env = "PROCURA_SMTP_USERNAME")]
    pub smtp_username: Option<String>,
    /// SMTP password.
    #[arg(long, env = "PROCURA_SMTP_PASSWORD", hide_env_values = true)]
    pub smtp_password: Option<String>,
    /// The sender of alerts.
    #[arg(long, env = "PROCURA_MAIL_FROM", default_value = crate::email::DEFAULT_FROM)]
    pub mail_from: String,
    /// Where `.eml` files go when no SMTP server is set.
    #[arg(long, env = "PROCURA_OUTBOX_DIR", default_value = "data/outbox")]
    pub outbox_dir: std::path::PathBuf,
    /// Comma-separated addresses that receive every alert.
    #[arg(long, env = "PROCURA_ALERT_RECIPIENTS", value_delimiter = ',')]
    pub alert_recipients: Vec<String>,
    /// Seconds between the server's alert runs (0: off).
    #[arg(long, env = "PROCURA_ALERT_INTERVAL", default_value_t = 60)]
    pub alert_interval: u64,
    /// Days before a contract's notice deadline to alert, comma-separated.
    #[arg(
        long,
        env = "PROCURA_NOTICE_ALERT_DAYS",
        value_delimiter = ',',
        default_value = "90,30,7"
    )]
    pub notice_alert_days: Vec<u32>,
    /// Shares of a contract's ceiling (percent) to alert at, comma-separated.
    #[arg(long, env = "PROCURA_CEILING_ALERT_PERCENTS", value_delimiter = ',', default_value = "80,90,100", value_parser = parse_percent)]
    pub ceiling_alert_percents: Vec<rust_decimal::Decimal>,
}

impl AlertArgs {
    /// The settings these flags describe.
    pub fn settings(&self) -> config::AlertSettings {
        use crate::email::{MailSettings, SmtpSecurity};
        let mail = match &self.smtp_host {
            None => MailSettings::Files {
                dir: self.outbox_dir.clone(),
                from: self.mail_from.clone(),
            },
            Some(host) => MailSettings::Smtp {
                host: host.clone(),
                port: self.smtp_port.unwrap_or(match self.smtp_security {
                    SmtpSecurity::StartTls => 587,
                    SmtpSecurity::Tls => 465,
                    SmtpSecurity::None => 25,
                }),
                security: self.smtp_security,
                username: self.smtp_username.clone(),
                password: self.smtp_password.clone(),
                from: self.mail_from.clone(),
            },
        };
        config::AlertSettings {
            mail,
            interval_secs: self.alert_interval,
            extra_recipients: self
                .alert_recipients
                .iter()
                .map(|a| a.trim().to_string())
                .filter(|a| !a.is_empty())
                .collect(),
            contracts: crate::contracts::alerts::ContractAlertRules {
                notice_days: self.notice_alert_days.clone(),
                ceiling_percents: self.ceiling_alert_percents.clone(),
            },
        }
    }
}

/// Where the database is.
#[derive(Debug, Clone, Args)]
pub struct DatabaseArgs {
    /// `sqlite://PATH` (created on first use) or `postgres://USER:PASSWORD@HOST:PORT/DB`.
    #[arg(long, env = "DATABASE_URL", default_value = config::DEFAULT_DATABASE_URL, global = true)]
    pub database_url: String,
    /// Database connections in the pool.
    #[arg(long, env = "PROCURA_POOL_SIZE", default_value_t = 8, global = true)]
    pub pool_size: u32,
}

/// What to do.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the HTTP server (migrates the database first).
    Serve(ServeArgs),
    /// Create or upgrade the database schema, then exit.
    Migrate,
    /// Manage API tokens.
    #[command(subcommand)]
    Token(TokenCommand),
    /// Print the OpenAPI document (JSON).
    Openapi,
    /// Alerts: run the scheduled checks and deliver what is due, once, then exit.
    #[command(subcommand)]
    Alerts(AlertCommand),
    /// Import a spreadsheet: every row is checked, then all of it is written or none.
    Import(ImportArgs),
}

/// Alert commands.
#[derive(Debug, Subcommand)]
pub enum AlertCommand {
    /// Run the contract check and deliver every due alert once (for cron or systemd timers).
    Run(AlertArgs),
}

/// Server options.
#[derive(Debug, Args)]
pub struct ServeArgs {
    /// Address and port to listen on.
    #[arg(long, env = "PROCURA_BIND", default_value = config::DEFAULT_BIND)]
    pub bind: String,
    /// HTTP worker threads (0 = one per CPU core).
    #[arg(long, env = "PROCURA_WORKERS", default_value_t = 0)]
    pub workers: usize,
    /// Largest accepted request body, in bytes.
    #[arg(long, env = "PROCURA_MAX_BODY_BYTES", default_value_t = config::DEFAULT_MAX_BODY_BYTES)]
    pub max_body_bytes: usize,
    /// Seconds to let in-flight requests finish on SIGINT/SIGTERM.
    #[arg(long, env = "PROCURA_SHUTDOWN_TIMEOUT", default_value_t = 30)]
    pub shutdown_timeout: u64,
    #[command(flatten)]
    pub purchasing: PurchasingArgs,
    #[command(flatten)]
    pub import_limits: ImportLimitArgs,
    #[command(flatten)]
    pub alerts: AlertArgs,
}

/// The purchase-to-pay rules (the server's, and an import's, which runs the same services).
#[derive(Debug, Clone, Args)]
pub struct PurchasingArgs {
    /// Purchase-order approval bands: `LIMIT:APPROVALS:ROLE|ROLE;…;*:APPROVALS:ROLES`, limits
    /// in the budget's currency, ascending.
    #[arg(long, env = "PROCURA_PO_APPROVAL_BANDS", value_parser = parse_bands,
          default_value = "10000:1:procurement|finance|admin;100000:2:procurement|finance|admin;*:3:procurement|finance|admin")]
    pub po_approval_bands: crate::purchase_orders::approval::ApprovalPolicy,
    /// Over-receipt tolerance in percent of the ordered quantity.
    #[arg(long, env = "PROCURA_OVER_RECEIPT_PERCENT", value_parser = parse_percent, default_value = "0")]
    pub over_receipt_percent: rust_decimal::Decimal,
    /// Let whoever approved a purchase order also receive against it.
    #[arg(long, env = "PROCURA_APPROVER_MAY_RECEIVE", default_value_t = false)]
    pub approver_may_receive: bool,
    /// Asset tag pattern: literal text with `{year}`, `{category}`, `{project}` and one `{seq:N}`.
    #[arg(long, env = "PROCURA_ASSET_TAG_PATTERN", value_parser = crate::assets::tags::TagPattern::parse,
          default_value = "AST-{year}-{seq:6}")]
    pub asset_tag_pattern: crate::assets::tags::TagPattern,
    /// Days within which a same-vendor, same-total invoice is held as a suspected duplicate.
    #[arg(long, env = "PROCURA_DUPLICATE_INVOICE_DAYS", default_value_t = 7)]
    pub duplicate_invoice_days: u32,
}

impl PurchasingArgs {
    /// The rules these flags describe.
    pub fn rules(&self) -> config::PurchasingRules {
        config::PurchasingRules {
            approval: self.po_approval_bands.clone(),
            over_receipt_percent: self.over_receipt_percent,
            approver_may_receive: self.approver_may_receive,
            asset_tag_pattern: self.asset_tag_pattern.clone(),
            duplicate_invoice_days: self.duplicate_invoice_days,
        }
    }
}

/// Limits on spreadsheet imports.
#[derive(Debug, Clone, Args)]
pub struct ImportLimitArgs {
    /// Largest import file, in bytes (413 above).
    #[arg(long, env = "PROCURA_IMPORT_MAX_BYTES", default_value_t = crate::imports::Limits::default().max_bytes)]
    pub import_max_bytes: u64,
    /// Most data rows an import reads.
    #[arg(long, env = "PROCURA_IMPORT_MAX_ROWS", default_value_t = crate::imports::Limits::default().max_rows)]
    pub import_max_rows: usize,
    /// Most columns an imported row may use.
    #[arg(long, env = "PROCURA_IMPORT_MAX_COLUMNS", default_value_t = crate::imports::Limits::default().max_columns)]
    pub import_max_columns: usize,
    /// Most non-empty cells in an imported sheet.
    #[arg(long, env = "PROCURA_IMPORT_MAX_CELLS", default_value_t = crate::imports::Limits::default().max_cells)]
    pub import_max_cells: usize,
    /// Most bytes an xlsx, xlsb or ods package may unpack to.
    #[arg(long, env = "PROCURA_IMPORT_MAX_EXPANDED_BYTES", default_value_t = crate::imports::Limits::default().max_expanded_bytes)]
    pub import_max_expanded_bytes: u64,
}

impl ImportLimitArgs {
    /// The limits these flags describe.
    pub fn limits(&self) -> crate::imports::Limits {
        crate::imports::Limits {
            max_bytes: self.import_max_bytes,
            max_rows: self.import_max_rows,
            max_columns: self.import_max_columns,
            max_cells: self.import_max_cells,
            max_expanded_bytes: self.import_max_expanded_bytes,
        }
    }
}

/// `procura import`: a spreadsheet into the database, as the API's upload does.
#[derive(Debug, Args)]
pub struct ImportArgs {
    /// The file: xlsx, xlsm, xlsb, xls, ods or CSV.
    pub file: std::path::PathBuf,
    /// What it holds: vendors, budget_lines, fx_rates, purchase_orders, invoices, assets or
    /// sla_measurements.
    #[arg(long, value_parser = parse_kind)]
    pub kind: crate::imports::ImportKind,
    /// Check every row and write nothing.
    #[arg(long)]
    pub dry_run: bool,
    /// The sheet to read (default: the first that fits the kind).
    #[arg(long)]
    pub sheet: Option<String>,
    /// The text date format besides YYYY-MM-DD (DD/MM/YYYY, MM/DD/YYYY, DD.MM.YYYY, DD-MM-YYYY,
    /// YYYY/MM/DD, D MMM YYYY).
    #[arg(long, value_parser = parse_date_format)]
    pub date_format: Option<crate::imports::values::DateFormat>,
    /// Text numbers are written 1.234,56.
    #[arg(long)]
    pub decimal_comma: bool,
    /// CSV: the delimiter (one character, or `tab`).
    #[arg(long, default_value = ",", value_parser = parse_delimiter)]
    pub delimiter: u8,
    /// CSV: the encoding when not UTF-8 (windows-1252, iso-8859-1, …).
    #[arg(long, value_parser = parse_encoding)]
    pub encoding: Option<&'static encoding_rs::Encoding>,
    /// The name recorded as the importer in the audit log.
    #[arg(long = "as", default_value = "cli")]
    pub actor: String,
    /// Where to write the workbook with an error column when rows are bad (default: beside
    /// the file, as NAME.errors.xlsx).
    #[arg(long)]
    pub error_workbook: Option<std::path::PathBuf>,
    #[command(flatten)]
    pub purchasing: PurchasingArgs,
    #[command(flatten)]
    pub import_limits: ImportLimitArgs,
}

fn parse_kind(text: &str) -> Result<crate::imports::ImportKind, String> {
    crate::imports::ImportKind::parse(text).ok_or_else(|| {
        format!("`{text}` is not a kind of import: vendors, budget_lines, fx_rates, purchase_orders, invoices, assets or sla_measurements")
    })
}

fn parse_date_format(text: &str) -> Result<crate::imports::values::DateFormat, String> {
    crate::imports::values::DateFormat::parse(text)
        .ok_or_else(|| format!("`{text}` is not a date format Procura reads"))
}

fn parse_delimiter(text: &str) -> Result<u8, String> {
    crate::imports::handlers::delimiter(text)
        .ok_or_else(|| "one character such as , ; | or tab".to_string())
}

fn parse_encoding(text: &str) -> Result<&'static encoding_rs::Encoding, String> {
    encoding_rs::Encoding::for_label(text.as_bytes())
        .ok_or_else(|| format!("`{text}` is not an encoding name"))
}

fn parse_bands(text: &str) -> Result<crate::purchase_orders::approval::ApprovalPolicy, String> {
    crate::purchase_orders::approval::ApprovalPolicy::parse(text)
}

fn parse_percent(text: &str) -> Result<rust_decimal::Decimal, String> {
    let value = crate::money::parse_decimal(text).map_err(|e| e.to_string())?;
    if value.is_sign_negative() || value > rust_decimal::Decimal::ONE_HUNDRED {
        return Err(format!("{value} is not a percentage between 0 and 100"));
    }
    Ok(value)
}

/// Token commands.
#[derive(Debug, Subcommand)]
pub enum TokenCommand {
    /// Create a token; it is printed once, alone on the last line.
    Create {
        /// Who or what will use it (recorded as the actor in the audit log).
        #[arg(long)]
        name: String,
        /// admin, procurement, finance, pm, evaluator or viewer.
        #[arg(long, value_parser = parse_role)]
        role: Role,
    },
    /// Revoke the live token(s) with this name, or the token with this public id.
    Revoke {
        /// A token name or public id.
        name_or_id: String,
    },
    /// List tokens (never their secrets).
    List,
}

fn parse_role(text: &str) -> Result<Role, String> {
    Role::parse(text).ok_or_else(|| {
        let names: Vec<&str> = Role::ALL.iter().map(|r| r.as_str()).collect();
        format!("`{text}` is not a role; use one of {}", names.join(", "))
    })
}

/// Runs a parsed command line.
pub fn run(cli: Cli) -> anyhow::Result<()> {
    match cli.command {
        Command::Openapi => {
            print!("{}", crate::openapi::document_json());
            Ok(())
        }
        Command::Migrate => {
            let db = open(&cli.database)?;
            let ran = db.migrate()?;
            if ran.is_empty() {
                println!("{}: schema is up to date", db.engine());
            }
            for name in ran {
                println!("{}: applied {name}", db.engine());
            }
            Ok(())
        }
        Command::Token(command) => {
            let db = open(&cli.database)?;
            db.migrate()?;
            run_token(&db, command)
        }
        Command::Serve(args) => serve(&cli.database, args),
        Command::Import(args) => {
            let db = open(&cli.database)?;
            db.migrate()?;
            crate::imports::cli::run(&db, args)
        }
        Command::Alerts(AlertCommand::Run(args)) => {
            let db = open(&cli.database)?;
            db.migrate()?;
            let report =
                crate::alerts::run_once(&db, &args.settings(), chrono::Utc::now().date_naive())?;
            println!(
                "contract check raised {} alert(s); sent {}, failed {}",
                report.raised, report.sent, report.failed
            );
            Ok(())
        }
    }
}

fn open(database: &DatabaseArgs) -> anyhow::Result<Db> {
    let url = DatabaseUrl::parse(&database.database_url)?;
    Ok(Db::connect(url, database.pool_size)?)
}

fn run_token(db: &Db, command: TokenCommand) -> anyhow::Result<()> {
    match command {
        TokenCommand::Create { name, role } => {
            let issued = db.write_blocking(|tx| tokens::create_token(tx, "cli", &name, role))?;
            println!(
                "Created token {} (id {}) with role {}.",
                issued.name, issued.id, issued.role
            );
            println!("It is shown once; store it now. Send it as `Authorization: Bearer <token>`.");
            println!("{}", issued.secret);
        }
        TokenCommand::Revoke { name_or_id } => {
            let revoked = db.write_blocking(|tx| tokens::revoke_token(tx, "cli", &name_or_id))?;
            for token in revoked {
                println!(
                    "Revoked token {} (id {}, public id {}).",
                    token.name, token.id, token.public_id
                );
            }
        }
        TokenCommand::List => {
            for token in db.read_blocking(tokens::list_tokens)? {
                let state = token
                    .revoked_at
                    .as_deref()
                    .map_or("live".to_string(), |at| format!("revoked {at}"));
                println!(
                    "{}\t{}\t{}\t{}\t{}",
                    token.id, token.public_id, token.name, token.role, state
                );
            }
        }
    }
    Ok(())
}

fn serve(database: &DatabaseArgs, args: ServeArgs) -> anyhow::Result<()> {
    let db = open(database)?;
    for name in db.migrate()? {
        tracing::info!(migration = %name, "applied migration");
    }
    if let Some(admin) = db.write_blocking(tokens::bootstrap_admin)? {
        println!("The database had no tokens, so an admin token was created. It is shown once; store it now:");
        println!();
        println!("    export PROCURA_TOKEN={}", admin.secret);
        println!();
        println!(
            "Try: curl -H \"Authorization: Bearer $PROCURA_TOKEN\" http://{}/api/v1/vendors",
            args.bind
        );
    }
    let settings = Settings {
        database_url: database.database_url.clone(),
        pool_size: database.pool_size,
        bind: args.bind,
        workers: args.workers,
        max_body_bytes: args.max_body_bytes,
        shutdown_timeout_secs: args.shutdown_timeout,
        purchasing: args.purchasing.rules(),
        alerts: args.alerts.settings(),
        import_limits: args.import_limits.limits(),
    };
    let engine = db.engine();
    let runtime = actix_web::rt::System::new();
    runtime.block_on(async move {
        let application = Application::build(settings.clone(), db)?;
        let host = settings.bind.rsplit_once(':').map_or(settings.bind.as_str(), |(h, _)| h);
        tracing::info!(engine = %engine, "Procura listening on http://{host}:{}", application.port());
        application.run_until_stopped().await?;
        tracing::info!("Procura stopped");
        Ok(())
    })
}

/// Sets up logging: `PROCURA_LOG` (an env-filter such as `info` or `procura=debug`) and
/// `PROCURA_LOG_FORMAT` (`text`, the default, or `json`).
pub fn init_logging() {
    use tracing_subscriber::EnvFilter;
    let filter = EnvFilter::try_from_env("PROCURA_LOG").unwrap_or_else(|_| EnvFilter::new("info"));
    // One line per request when its span closes: route, status, request id and duration.
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_span_events(tracing_subscriber::fmt::format::FmtSpan::CLOSE)
        .with_writer(std::io::stderr);
    if std::env::var("PROCURA_LOG_FORMAT").as_deref() == Ok("json") {
        builder.json().init();
    } else {
        builder.init();
    }
}
