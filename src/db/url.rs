use super::DbSetupError;
use std::fmt;

/// The two database engines Procura runs on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Engine {
    /// Embedded SQLite: a file, no server, the default.
    Sqlite,
    /// PostgreSQL: production and scale-out.
    Postgres,
}

impl fmt::Display for Engine {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Engine::Sqlite => "SQLite",
            Engine::Postgres => "PostgreSQL",
        })
    }
}

/// A parsed `DATABASE_URL`: `sqlite://PATH` or `postgres://…` (also `postgresql://…`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DatabaseUrl {
    /// The engine, from the scheme.
    pub engine: Engine,
    /// For SQLite the file path; for PostgreSQL the whole URL.
    pub target: String,
}

impl DatabaseUrl {
    /// Parses the URL; the scheme alone decides the engine.
    ///
    /// `sqlite://data/procura.db` is the relative path `data/procura.db`;
    /// `sqlite:///var/lib/procura.db` is the absolute path `/var/lib/procura.db`.
    pub fn parse(raw: &str) -> Result<Self, DbSetupError> {
        let raw = raw.trim();
        if let Some(path) = raw.strip_prefix("sqlite://") {
            if path.is_empty() {
                return Err(DbSetupError::InvalidUrl(
                    "sqlite:// needs a file path, as in sqlite://data/procura.db".into(),
                ));
            }
            return Ok(Self {
                engine: Engine::Sqlite,
                target: path.to_string(),
            });
        }
        if raw.starts_with("postgres://") || raw.starts_with("postgresql://") {
            url::Url::parse(raw)
                .map_err(|e| DbSetupError::InvalidUrl(format!("{}: {e}", redact(raw))))?;
            return Ok(Self {
                engine: Engine::Postgres,
                target: raw.to_string(),
            });
        }
        Err(DbSetupError::UnknownScheme(redact(raw)))
    }

    /// The target with any password replaced by `***`, safe to print.
    pub fn redacted(&self) -> String {
        match self.engine {
            Engine::Sqlite => self.target.clone(),
            Engine::Postgres => redact(&self.target),
        }
    }
}

fn redact(raw: &str) -> String {
    match url::Url::parse(raw) {
        Ok(mut parsed) if parsed.password().is_some() => {
            // Setting a password only fails for URLs that cannot have one, which this one has.
            let _ = parsed.set_password(Some("***"));
            parsed.to_string()
        }
        Ok(parsed) => parsed.to_string(),
        Err(_) => raw.split('@').next_back().unwrap_or_default().to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_scheme_chooses_the_engine() {
        let sqlite = DatabaseUrl::parse("sqlite://data/procura.db").expect("valid");
        assert_eq!(
            (sqlite.engine, sqlite.target.as_str()),
            (Engine::Sqlite, "data/procura.db")
        );
        let absolute = DatabaseUrl::parse("sqlite:///tmp/p.db").expect("valid");
        assert_eq!(absolute.target, "/tmp/p.db");
        let pg = DatabaseUrl::parse("postgresql://u:secret@db:5432/procura").expect("valid");
        assert_eq!(pg.engine, Engine::Postgres);
        assert_eq!(pg.redacted(), "postgresql://u:***@db:5432/procura");
    }

    #[test]
    fn unknown_schemes_are_refused_without_leaking_passwords() {
        let err = DatabaseUrl::parse("mysql://root:secret@localhost/db")
            .unwrap_err()
            .to_string();
        assert!(err.contains("unknown scheme"), "{err}");
        assert!(!err.contains("secret"), "{err}");
        assert!(DatabaseUrl::parse("data/procura.db").is_err());
        assert!(DatabaseUrl::parse("sqlite://").is_err());
    }
}
