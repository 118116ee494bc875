//! nginx in front of tickbox, running `deploy/nginx.conf` itself with only the
//! ports, certificate paths and upstream addresses swapped for test values; and a
//! self-signed certificate for `localhost` / 127.0.0.1 made at test time.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use super::process::{free_port, run_ok, Process};
use super::{deploy_dir, tools, TempDir};

/// A self-signed certificate (and key) valid for `localhost` and 127.0.0.1.
pub struct Certificate {
    pub cert: PathBuf,
    pub key: PathBuf,
    pub pem: Vec<u8>,
}

impl Certificate {
    pub fn make(dir: &Path) -> Self {
        let cert = dir.join("cert.pem");
        let key = dir.join("key.pem");
        run_ok(
            "openssl req (self-signed certificate)",
            Command::new(tools::openssl())
                .args([
                    "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
                ])
                .args(["-subj", "/CN=localhost"])
                .args(["-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1"])
                // A server certificate, not a CA (rustls refuses a CA as the end entity).
                .args(["-addext", "basicConstraints=critical,CA:FALSE"])
                .args(["-addext", "extendedKeyUsage=serverAuth"])
                .arg("-keyout")
                .arg(&key)
                .arg("-out")
                .arg(&cert),
        );
        let pem = std::fs::read(&cert).expect("read the certificate");
        Self { cert, key, pem }
    }
}

/// `deploy/nginx.conf` with test values; panics if a line it adapts has gone.
fn adapted_site_config(
    https_port: u16,
    http_port: u16,
    cert: &Certificate,
    upstreams: &[u16],
) -> String {
    let shipped =
        std::fs::read_to_string(deploy_dir().join("nginx.conf")).expect("read deploy/nginx.conf");
    let servers: Vec<String> = upstreams
        .iter()
        .map(|port| format!("server 127.0.0.1:{port};"))
        .collect();
    let swaps = [
        (
            "listen 443 ssl http2;",
            format!("listen 127.0.0.1:{https_port} ssl http2;"),
        ),
        ("listen [::]:443 ssl http2;", String::new()),
        ("listen 80;", format!("listen 127.0.0.1:{http_port};")),
        ("listen [::]:80;", String::new()),
        (
            "/etc/letsencrypt/live/todo.example.com/fullchain.pem",
            cert.cert.display().to_string(),
        ),
        (
            "/etc/letsencrypt/live/todo.example.com/privkey.pem",
            cert.key.display().to_string(),
        ),
        ("server 127.0.0.1:8080;", servers.join("\n    ")),
    ];
    let mut config = shipped;
    for (from, to) in swaps {
        assert!(
            config.contains(from),
            "deploy/nginx.conf no longer contains `{from}`"
        );
        config = config.replace(from, &to);
    }
    config
}

/// The main `nginx.conf` around a site file, with every path inside `dir`.
fn main_config(dir: &Path, site: &Path) -> String {
    let d = dir.display();
    format!(
        "worker_processes 1;\n\
         error_log {d}/error.log info;\n\
         events {{ worker_connections 256; }}\n\
         http {{\n\
           access_log {d}/access.log;\n\
           client_body_temp_path {d}/client_body;\n\
           proxy_temp_path {d}/proxy;\n\
           fastcgi_temp_path {d}/fastcgi;\n\
           uwsgi_temp_path {d}/uwsgi;\n\
           scgi_temp_path {d}/scgi;\n\
           include {};\n\
         }}\n",
        site.display()
    )
}

/// A directory holding a self-signed certificate, `deploy/nginx.conf` adapted to test
/// values, and the main `nginx.conf` around it.
pub struct Prepared {
    pub dir: TempDir,
    pub cert: Certificate,
    conf: PathBuf,
}

impl Prepared {
    pub fn new(https_port: u16, http_port: u16, upstreams: &[u16]) -> Self {
        let dir = TempDir::new("nginx");
        let cert = Certificate::make(dir.path());
        let site = dir.path().join("tickbox.conf");
        let config = adapted_site_config(https_port, http_port, &cert, upstreams);
        std::fs::write(&site, config).expect("write the site config");
        let conf = dir.path().join("nginx.conf");
        std::fs::write(&conf, main_config(dir.path(), &site)).expect("write nginx.conf");
        Self { dir, cert, conf }
    }

    /// nginx on this configuration with every file it writes inside the directory;
    /// `globals` are more `-g` directives.
    pub fn command(&self, globals: &str) -> Command {
        let dir = self.dir.path();
        let mut command = Command::new(tools::nginx());
        command
            .arg("-e")
            .arg(dir.join("error.log"))
            .arg("-p")
            .arg(dir)
            .arg("-c")
            .arg(&self.conf)
            .arg("-g")
            .arg(format!("{globals}pid {}/nginx.pid;", dir.display()));
        command
    }
}

/// A running nginx proxying to tickbox instance(s) over TLS.
pub struct Nginx {
    pub https_port: u16,
    pub http_port: u16,
    pub cert: Certificate,
    process: Process,
    dir: TempDir,
}

impl Nginx {
    /// Starts nginx in front of the tickbox instances listening on `upstreams`.
    pub fn start(upstreams: &[u16]) -> Self {
        // The ports are picked free but nginx binds them a moment later; if another
        // program took one in between, try again with new ports.
        let mut failures = Vec::new();
        for _ in 0..3 {
            let (https_port, http_port) = (free_port(), free_port());
            let prepared = Prepared::new(https_port, http_port, upstreams);
            // One process, no workers: killing it on drop leaves nothing behind (a
            // killed master would orphan its workers).
            let command = prepared.command("daemon off; master_process off; ");
            let Prepared { dir, cert, .. } = prepared;
            let mut process = Process::spawn("nginx", command);
            let listening = [https_port, http_port].into_iter().try_for_each(|port| {
                let addr: SocketAddr = ([127, 0, 0, 1], port).into();
                process.wait_for_port(addr, Duration::from_secs(20))
            });
            let listening = listening.map_err(|e| {
                let log = std::fs::read_to_string(dir.path().join("error.log")).unwrap_or_default();
                format!("{e}{log}")
            });
            match listening {
                Ok(()) => {
                    return Self {
                        https_port,
                        http_port,
                        cert,
                        process,
                        dir,
                    }
                }
                Err(e) if e.contains("Address already in use") => failures.push(e),
                Err(e) => panic!("{e}"),
            }
        }
        panic!("nginx could not bind its ports:\n{}", failures.join("\n"));
    }

    /// The public address, as a browser would use it.
    pub fn url(&self) -> String {
        format!("https://localhost:{}", self.https_port)
    }

    /// nginx's own output and error log, for failure messages.
    pub fn log(&self) -> String {
        let errors = std::fs::read_to_string(self.dir.path().join("error.log")).unwrap_or_default();
        format!("{}{errors}", self.process.output())
    }
}
