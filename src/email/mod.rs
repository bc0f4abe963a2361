//! Email: turns outbox alerts into messages and sends them, through SMTP when configured or, by
//! default, as `.eml` files under `data/outbox/` so a fresh install shows what it would send.
//!
//! Every message carries a stable `Message-ID` derived from the alert's dedupe key, so a message
//! that is sent again after a crash between sending and recording is recognisably the same one.

use lettre::message::{header::ContentType, Mailbox, MultiPart, SinglePart};
use lettre::transport::smtp::authentication::Credentials;
use lettre::transport::smtp::client::{Tls, TlsParameters};
use lettre::{FileTransport, Message, SmtpTransport, Transport};
use sha2::{Digest, Sha256};
use std::path::PathBuf;
use std::time::Duration;

/// How the SMTP connection is secured.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SmtpSecurity {
    /// Plain connection upgraded with STARTTLS (required).
    StartTls,
    /// TLS from the first byte (SMTPS).
    Tls,
    /// No encryption: only for a relay on the same host or network.
    None,
}

impl SmtpSecurity {
    /// Parses `starttls`, `tls` or `none`.
    pub fn parse(text: &str) -> Result<Self, String> {
        match text.trim().to_ascii_lowercase().as_str() {
            "starttls" => Ok(Self::StartTls),
            "tls" => Ok(Self::Tls),
            "none" => Ok(Self::None),
            other => Err(format!(
                "`{other}` is not an SMTP security mode (starttls, tls or none)"
            )),
        }
    }
}

/// Where mail goes.
#[derive(Debug, Clone)]
pub enum MailSettings {
    /// `.eml` files in a folder (the default: `data/outbox`).
    Files { dir: PathBuf, from: String },
    /// An SMTP server.
    Smtp {
        host: String,
        port: u16,
        security: SmtpSecurity,
        username: Option<String>,
        password: Option<String>,
        from: String,
    },
}

impl Default for MailSettings {
    fn default() -> Self {
        Self::Files {
            dir: PathBuf::from("data/outbox"),
            from: DEFAULT_FROM.to_string(),
        }
    }
}

/// The sender when none is configured.
pub const DEFAULT_FROM: &str = "Procura <procura@localhost>";

/// An alert ready to be mailed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Email {
    /// The alert's dedupe key: the Message-ID is derived from it.
    pub dedupe_key: String,
    /// Recipients.
    pub to: Vec<String>,
    /// Subject line.
    pub subject: String,
    /// Plain-text body.
    pub text: String,
    /// An HTML alternative written for the alert; without one, the text is shown as HTML.
    pub html: Option<String>,
}

/// The stable Message-ID of an alert: the same key always gives the same id.
pub fn message_id(dedupe_key: &str) -> String {
    let digest = Sha256::digest(dedupe_key.as_bytes());
    format!("<alert.{}@procura>", hex::encode(&digest[..16]))
}

/// Text made safe to place in HTML.
pub fn escape_html(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// A plain-text body as minimal HTML (escaped, line breaks kept).
pub fn html_body(text: &str) -> String {
    let escaped = escape_html(text);
    format!(
        "<!DOCTYPE html><html><body><div style=\"font-family:sans-serif\">{}</div></body></html>",
        escaped.replace('\n', "<br>\n")
    )
}

/// Sends mail through the configured transport.
#[derive(Clone)]
pub enum Mailer {
    /// Writes `.eml` files.
    Files {
        transport: FileTransport,
        from: Mailbox,
    },
    /// Talks SMTP.
    Smtp {
        transport: Box<SmtpTransport>,
        from: Mailbox,
    },
}

impl Mailer {
    /// A mailer for `settings`; the outbox folder is created if needed.
    pub fn new(settings: &MailSettings) -> Result<Self, String> {
        match settings {
            MailSettings::Files { dir, from } => {
                std::fs::create_dir_all(dir).map_err(|e| {
                    format!("cannot create the outbox folder {}: {e}", dir.display())
                })?;
                Ok(Self::Files {
                    transport: FileTransport::new(dir),
                    from: parse_mailbox(from)?,
                })
            }
            MailSettings::Smtp {
                host,
                port,
                security,
                username,
                password,
                from,
            } => {
                let tls = match security {
                    SmtpSecurity::None => Tls::None,
                    SmtpSecurity::StartTls | SmtpSecurity::Tls => {
                        let parameters = TlsParameters::new(host.clone())
                            .map_err(|e| format!("SMTP TLS for {host}: {e}"))?;
                        if *security == SmtpSecurity::Tls {
                            Tls::Wrapper(parameters)
                        } else {
                            Tls::Required(parameters)
                        }
                    }
                };
                let mut builder = SmtpTransport::builder_dangerous(host.as_str())
                    .port(*port)
                    .tls(tls)
                    .timeout(Some(Duration::from_secs(20)));
                if let (Some(user), Some(password)) = (username, password) {
                    builder = builder.credentials(Credentials::new(user.clone(), password.clone()));
                }
                Ok(Self::Smtp {
                    transport: Box::new(builder.build()),
                    from: parse_mailbox(from)?,
                })
            }
        }
    }

    /// Sends one email; the error says why, for the alert's `last_error`.
    pub fn send(&self, email: &Email) -> Result<(), String> {
        let from = match self {
            Self::Files { from, .. } | Self::Smtp { from, .. } => from.clone(),
        };
        let mut builder = Message::builder()
            .from(from)
            .subject(email.subject.clone())
            .message_id(Some(message_id(&email.dedupe_key)));
        if email.to.is_empty() {
            return Err("the alert has no recipients".to_string());
        }
        for to in &email.to {
            builder = builder.to(parse_mailbox(to)?);
        }
        let message = builder
            .multipart(
                MultiPart::alternative()
                    .singlepart(
                        SinglePart::builder()
                            .header(ContentType::TEXT_PLAIN)
                            .body(email.text.clone()),
                    )
                    .singlepart(
                        SinglePart::builder()
                            .header(ContentType::TEXT_HTML)
                            .body(email.html.clone().unwrap_or_else(|| html_body(&email.text))),
                    ),
            )
            .map_err(|e| format!("cannot build the message: {e}"))?;
        match self {
            Self::Files { transport, .. } => transport
                .send(&message)
                .map(|_| ())
                .map_err(|e| format!("cannot write the message: {e}")),
            Self::Smtp { transport, .. } => transport
                .send(&message)
                .map(|_| ())
                .map_err(|e| format!("SMTP: {e}")),
        }
    }
}

fn parse_mailbox(text: &str) -> Result<Mailbox, String> {
    text.parse::<Mailbox>()
        .map_err(|e| format!("`{text}` is not an email address: {e}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn message_ids_are_stable_per_alert_and_distinct_between_alerts() {
        assert_eq!(message_id("a:1"), message_id("a:1"));
        assert_ne!(message_id("a:1"), message_id("a:2"));
        assert!(message_id("a:1").starts_with("<alert."));
    }

    #[test]
    fn html_bodies_escape_and_keep_lines() {
        let html = html_body("over <budget> & more\nline 2");
        assert!(html.contains("over &lt;budget&gt; &amp; more<br>"));
        assert!(html.contains("line 2"));
    }

    #[test]
    fn the_file_transport_writes_an_eml_with_the_message_id() {
        let dir = tempfile::tempdir().unwrap();
        let mailer = Mailer::new(&MailSettings::Files {
            dir: dir.path().to_path_buf(),
            from: DEFAULT_FROM.into(),
        })
        .unwrap();
        mailer
            .send(&Email {
                dedupe_key: "k".into(),
                to: vec!["pm@example.com".into()],
                subject: "Subject".into(),
                text: "Body".into(),
                html: None,
            })
            .unwrap();
        let files: Vec<_> = std::fs::read_dir(dir.path()).unwrap().collect();
        assert_eq!(files.len(), 1);
        let text = std::fs::read_to_string(files[0].as_ref().unwrap().path()).unwrap();
        assert!(text.contains(&message_id("k")), "{text}");
        assert!(text.contains("To: pm@example.com"), "{text}");
    }
}
