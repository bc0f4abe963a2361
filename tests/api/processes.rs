//! Real `procura` processes for the tests that need them: several instances on one database,
//! a server killed with SIGKILL and started again.

use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

pub fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// A `procura` command with only the environment this test gives it (no inherited `PROCURA_*`
/// or `DATABASE_URL`).
pub fn procura_command(database_url: &str) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_procura"));
    for (name, _) in std::env::vars_os() {
        let name = name.to_string_lossy();
        if name.starts_with("PROCURA_") || name == "DATABASE_URL" {
            command.env_remove(name.as_ref());
        }
    }
    command
        .env("DATABASE_URL", database_url)
        .env("PROCURA_LOG", "warn");
    command
}

/// Runs `procura ARGS` to completion, asserting success.
pub fn procura(database_url: &str, args: &[&str]) -> Output {
    let output = procura_command(database_url)
        .args(args)
        .output()
        .expect("the procura binary runs");
    assert!(
        output.status.success(),
        "procura {args:?} ended with {:?}: {}",
        output.status,
        text(&output.stderr)
    );
    output
}

/// One running `procura serve`, killed (and reaped) when dropped, even when the test panics.
pub struct Server {
    pub name: String,
    pub child: Child,
    pub log: PathBuf,
    pub base_url: String,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Server {
    /// Starts `procura serve` on a port of its own choosing (bind `127.0.0.1:0`), mailing through
    /// the sink every second, its stdout and stderr (JSON logs) in `dir/NAME.log`. Returns at
    /// once; [`Server::wait_until_up`] waits for it.
    pub fn spawn(name: &str, database_url: &str, smtp_port: u16, dir: &Path) -> Server {
        let log = dir.join(format!("{name}.log"));
        let file = std::fs::File::create(&log).expect("a log file");
        let child = procura_command(database_url)
            .arg("serve")
            .env("PROCURA_BIND", "127.0.0.1:0")
            .env("PROCURA_WORKERS", "1")
            .env("PROCURA_POOL_SIZE", "4")
            .env("PROCURA_LOG", "info")
            .env("PROCURA_LOG_FORMAT", "json")
            .env("PROCURA_SMTP_HOST", "127.0.0.1")
            .env("PROCURA_SMTP_PORT", smtp_port.to_string())
            .env("PROCURA_SMTP_SECURITY", "none")
            .env("PROCURA_MAIL_FROM", "Procura <alerts@procura.test>")
            .env("PROCURA_ALERT_INTERVAL", "1")
            .env("PROCURA_OUTBOX_DIR", dir.join(format!("{name}-outbox")))
            .stdin(Stdio::null())
            .stdout(file.try_clone().expect("the log file, again"))
            .stderr(file)
            .spawn()
            .expect("procura serve starts");
        Server {
            name: name.to_string(),
            child,
            log,
            base_url: String::new(),
        }
    }

    /// Kills the process with SIGKILL (no shutdown, no flushing: a crash) and reaps it.
    pub fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    pub fn log_text(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    /// Panics with the log when the process has exited.
    pub fn assert_running(&mut self) {
        if let Ok(Some(status)) = self.child.try_wait() {
            panic!(
                "instance {} exited with {status}; its log:\n{}",
                self.name,
                self.log_text()
            );
        }
    }

    /// The JSON log lines of this instance.
    pub fn log_lines(&self) -> Vec<Value> {
        self.log_text()
            .lines()
            .filter_map(|line| serde_json::from_str(line).ok())
            .collect()
    }

    /// Waits for the "listening" log line, learns the port from it, then for `GET /health`.
    pub async fn wait_until_up(&mut self, client: &reqwest::Client) {
        let started = Instant::now();
        while self.base_url.is_empty() {
            self.assert_running();
            assert!(
                started.elapsed() < Duration::from_secs(30),
                "instance {} did not log that it listens; its log:\n{}",
                self.name,
                self.log_text()
            );
            let listening = self.log_lines().into_iter().find_map(|line| {
                line["fields"]["message"]
                    .as_str()
                    .and_then(|m| m.strip_prefix("Procura listening on "))
                    .map(str::to_string)
            });
            match listening {
                Some(url) => self.base_url = url,
                None => tokio::time::sleep(Duration::from_millis(50)).await,
            }
        }
        loop {
            self.assert_running();
            let health = client.get(format!("{}/health", self.base_url)).send().await;
            if health.is_ok_and(|r| r.status().is_success()) {
                return;
            }
            assert!(
                started.elapsed() < Duration::from_secs(30),
                "instance {} at {} is not healthy; its log:\n{}",
                self.name,
                self.base_url,
                self.log_text()
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// What its delivery worker reported, summed over its `alerts run` log lines:
    /// (sent, failed).
    pub fn delivered(&self) -> (u64, u64) {
        self.log_lines()
            .iter()
            .filter(|line| line["fields"]["message"] == "alerts run")
            .fold((0, 0), |(sent, failed), line| {
                (
                    sent + line["fields"]["sent"].as_u64().unwrap_or(0),
                    failed + line["fields"]["failed"].as_u64().unwrap_or(0),
                )
            })
    }
}

/// The value of the `Message-ID` header of a received message.
pub fn message_id_of(message: &str) -> Option<String> {
    message
        .lines()
        .take_while(|line| !line.trim().is_empty())
        .find_map(|line| {
            let (name, value) = line.split_once(':')?;
            name.eq_ignore_ascii_case("message-id")
                .then(|| value.trim().to_string())
        })
}
