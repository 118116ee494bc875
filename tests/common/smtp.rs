//! A real SMTP server for the tests: Debian's python3-aiosmtpd running
//! `smtp_sink.py`, which prints one JSON line per accepted mail. Tests wait for those
//! lines (bounded), never for time to pass.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use serde_json::Value;
use tokio::sync::mpsc;

/// Debian's Python, which has aiosmtpd (a pyenv `python3` on PATH may not).
const PYTHON: &str = "/usr/bin/python3";
/// How long a test waits for a mail before it fails.
const MAIL_DEADLINE: Duration = Duration::from_secs(30);

/// One accepted mail, its body decoded from the transfer encoding.
#[derive(Debug, Clone)]
pub struct ReceivedMail {
    pub rcpt_to: Vec<String>,
    pub mail_from: String,
    pub headers: serde_json::Map<String, Value>,
    pub content_type: String,
    pub charset: String,
    pub multipart: bool,
    pub body: String,
}

impl ReceivedMail {
    pub fn header(&self, name: &str) -> String {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .and_then(|(_, v)| v.as_str())
            .unwrap_or_default()
            .to_owned()
    }

    pub fn subject(&self) -> String {
        self.header("Subject")
    }

    /// The first link in the body that starts with `base`.
    pub fn link(&self, base: &str) -> Option<String> {
        let start = self.body.find(base)?;
        let rest = &self.body[start..];
        let end = rest.find(char::is_whitespace).unwrap_or(rest.len());
        Some(rest[..end].to_owned())
    }
}

pub struct SmtpSink {
    child: Child,
    pub port: u16,
    mails: mpsc::UnboundedReceiver<ReceivedMail>,
}

impl SmtpSink {
    /// A sink on a free port.
    pub async fn start() -> Self {
        Self::start_on(0).await
    }

    /// A sink on `port` (0: any free one).
    pub async fn start_on(port: u16) -> Self {
        let script = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/common/smtp_sink.py");
        let mut child = Command::new(PYTHON)
            .arg(script)
            .arg(port.to_string())
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .unwrap_or_else(|e| {
                panic!("cannot run {PYTHON} (apt-get install python3-aiosmtpd): {e}")
            });
        let stdout = child.stdout.take().expect("the sink's stdout");
        let (ready_tx, mut ready_rx) = mpsc::unbounded_channel();
        let (mail_tx, mails) = mpsc::unbounded_channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines() {
                let Ok(line) = line else { break };
                let event: Value = serde_json::from_str(&line).expect("a JSON line from the sink");
                if let Some(port) = event.get("ready").and_then(Value::as_u64) {
                    let _ = ready_tx.send(port as u16);
                } else if let Some(mail) = event.get("mail") {
                    let _ = mail_tx.send(parse(mail));
                }
            }
        });
        let port = tokio::time::timeout(MAIL_DEADLINE, ready_rx.recv())
            .await
            .ok()
            .flatten()
            .expect("the SMTP sink did not start (is python3-aiosmtpd installed?)");
        Self { child, port, mails }
    }

    /// The next mail accepted; fails the test if none comes in time.
    pub async fn next_mail(&mut self) -> ReceivedMail {
        tokio::time::timeout(MAIL_DEADLINE, self.mails.recv())
            .await
            .ok()
            .flatten()
            .expect("no mail arrived")
    }

    /// A mail that has already arrived, if any (never waits).
    pub fn try_next_mail(&mut self) -> Option<ReceivedMail> {
        self.mails.try_recv().ok()
    }

    /// `SMTP_URL` for this sink (a relay without TLS).
    pub fn url(&self) -> String {
        format!("smtp://127.0.0.1:{}", self.port)
    }

    /// Stops the server (its port is free again).
    pub fn stop(mut self) {
        self.kill();
    }

    fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for SmtpSink {
    fn drop(&mut self) {
        self.kill();
    }
}

fn parse(mail: &Value) -> ReceivedMail {
    let text = |key: &str| {
        mail.get(key)
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_owned()
    };
    ReceivedMail {
        rcpt_to: mail["rcpt_to"]
            .as_array()
            .map(|a| {
                a.iter()
                    .filter_map(|v| v.as_str().map(str::to_owned))
                    .collect()
            })
            .unwrap_or_default(),
        mail_from: text("mail_from"),
        headers: mail["headers"].as_object().cloned().unwrap_or_default(),
        content_type: text("content_type"),
        charset: text("charset"),
        multipart: mail["multipart"].as_bool().unwrap_or(false),
        body: text("body"),
    }
}
