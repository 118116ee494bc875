//! The deployment examples in `deploy/` are valid as shipped: nginx accepts the
//! site file, systemd accepts the unit and rates its hardening as OK.

use std::process::Command;

use crate::support::nginx::Prepared;
use crate::support::process::{free_port, run_ok};
use crate::support::{deploy_dir, tools, TempDir};

#[test]
fn nginx_accepts_the_example_site_config() {
    let prepared = Prepared::new(free_port(), free_port(), &[8080, 8081]);
    let out = run_ok(
        "nginx -t on deploy/nginx.conf",
        prepared.command("").arg("-t"),
    );
    assert!(out.contains("syntax is ok"), "{out}");
}

#[test]
fn systemd_accepts_the_unit_and_rates_its_hardening_ok() {
    let analyze = tools::systemd_analyze();
    let dir = TempDir::new("systemd");
    // `verify` checks that ExecStart exists: point it at the binary under test.
    let unit = std::fs::read_to_string(deploy_dir().join("tickbox.service"))
        .expect("read deploy/tickbox.service");
    assert!(
        unit.contains("ExecStart=/usr/local/bin/tickbox serve"),
        "{unit}"
    );
    let unit = unit.replace("/usr/local/bin/tickbox", env!("CARGO_BIN_EXE_tickbox"));
    let path = dir.path().join("tickbox.service");
    std::fs::write(&path, unit).expect("write the unit");

    let verify = Command::new(&analyze)
        .arg("verify")
        .arg(&path)
        .output()
        .expect("run systemd-analyze verify");
    let said = String::from_utf8_lossy(&verify.stderr);
    assert!(
        verify.status.success() && said.trim().is_empty(),
        "systemd-analyze verify: {said}"
    );

    // Exposure 0 (locked down) .. 10 (unprotected); systemd calls ≤ 2.5 "OK".
    let out = run_ok(
        "systemd-analyze security",
        Command::new(&analyze)
            .args(["security", "--offline=true", "--threshold=25"])
            .arg(&path),
    );
    assert!(out.contains("OK"), "{out}");
}
