//! Provisioning backends: what Charmed Kafka and Charmed Kafka Connect do when a relation
//! asks for a user (relations.md §1.3, §4.3), against a running bed found via `bed.json`.
//!
//! Deviation (documented in docs/kafka-bed.md): Charmed Kafka makes an `admin`-role user a
//! super user (static `super.users` + broker restart). The bed instead grants ALLOW ALL on
//! Cluster, Topic `*`, Group `*` and TransactionalId `*` to `User:<user>`: the same rights,
//! no restart, and removable later (an issue will break a user's ACLs on purpose).

use std::fs;
use std::os::fd::AsRawFd;
use std::path::Path;
use std::time::Duration;

use serde_json::json;

use crate::process::{pid_alive, poll_until};
use crate::rest::ConnectClient;
use crate::state::BedState;
use crate::tool::ClusterClient;
use crate::{err, Result};

const CONNECT_PROVISION_TIMEOUT: Duration = Duration::from_secs(300);

/// `provision-kafka`: creates/updates the SCRAM-SHA-512 user on `cluster` and grants the
/// ACLs of `roles` (comma-separated: admin, producer, consumer). Returns the ACLs added.
pub fn provision_kafka(
    run_dir: &Path,
    cluster: &str,
    user: &str,
    password: &str,
    roles: &str,
    topic: Option<&str>,
    group_prefix: Option<&str>,
) -> Result<Vec<String>> {
    let st = BedState::load(run_dir)?;
    let c = ClusterClient::admin(st.cluster(cluster)?, &st.home, &st.run_dir);
    c.provision_user(user, password, roles, topic, group_prefix)
}

/// Sets `user: password` in a PropertyFileLoginModule file (replacing an existing entry).
pub fn upsert_credential(text: &str, user: &str, password: &str) -> String {
    let mut out = String::new();
    let mut found = false;
    for line in text.lines() {
        let name = line.split([':', '=']).next().unwrap_or("").trim();
        if !line.trim_start().starts_with('#') && name == user {
            if !found {
                out.push_str(&format!("{user}: {password}\n"));
                found = true;
            }
        } else if !line.trim().is_empty() {
            out.push_str(line);
            out.push('\n');
        }
    }
    if !found {
        out.push_str(&format!("{user}: {password}\n"));
    }
    out
}

/// `provision-connect`: adds the user to the REST basic-auth credentials file (or changes its
/// password); the bed's supervisor then restarts the workers one after the other (as Charmed
/// Kafka Connect's rolling restart). Returns once every running worker has loaded the file
/// and `GET /` and `GET /connectors` answer 200 for this user.
pub fn provision_connect(run_dir: &Path, user: &str, password: &str) -> Result<()> {
    let st = BedState::load(run_dir)?;
    if !pid_alive(st.supervisor_pid) {
        return Err(err!(
            "the bed in {} is not running (supervisor pid {} is gone)",
            run_dir.display(),
            st.supervisor_pid
        ));
    }
    let c = &st.connect;
    {
        let lock = fs::File::create(c.dir.join("credentials.lock"))?;
        // SAFETY: flock on a descriptor we own; released when `lock` is closed.
        if unsafe { libc::flock(lock.as_raw_fd(), libc::LOCK_EX) } != 0 {
            return Err(std::io::Error::last_os_error().into());
        }
        let old = fs::read_to_string(&c.credentials_file).unwrap_or_default();
        let new = upsert_credential(&old, user, password);
        if new != old {
            let tmp = c.credentials_file.with_extension("tmp");
            fs::write(&tmp, new)?;
            fs::rename(&tmp, &c.credentials_file)?;
        }
    }
    let applied = c.dir.join(crate::bed::APPLIED_CREDENTIALS);
    let clients = c
        .all_workers()
        .iter()
        .map(|w| ConnectClient::new(&w.url, &c.ca_pem, user, password))
        .collect::<Result<Vec<_>>>()?;
    poll_until(
        &format!("Kafka Connect to accept user {user}"),
        CONNECT_PROVISION_TIMEOUT,
        || {
            if !pid_alive(st.supervisor_pid) {
                return Err(err!(
                    "the bed's supervisor (pid {}) died",
                    st.supervisor_pid
                ));
            }
            // Every running worker has restarted with a file holding this user and password.
            let loaded = fs::read_to_string(&applied)
                .map(|a| upsert_credential(&a, user, password) == a)
                .unwrap_or(false);
            Ok((loaded && clients.iter().any(ConnectClient::is_ready)).then_some(()))
        },
    )
}

/// `backend-files`: juju-sim backend descriptions of the bed (kafka-a.json, kafka-b.json,
/// kafka-connect.json, and ca-provider.json for the simulated CA provider) in `out`, with
/// `exe` (this binary) as the provisioning program.
pub fn backend_files(run_dir: &Path, out: &Path, exe: &Path) -> Result<()> {
    let st = BedState::load(run_dir)?;
    fs::create_dir_all(out)?;
    let dir = st.run_dir.display().to_string();
    let exe = exe.display().to_string();
    for (name, c) in &st.clusters {
        let v = json!({
            "endpoints": c.bootstrap,
            "tls": true,
            "tls_ca": c.ca_pem,
            "provision": [exe, "provision-kafka", "--dir", dir, "--cluster", name],
        });
        fs::write(
            out.join(format!("{name}.json")),
            serde_json::to_string_pretty(&v)?,
        )?;
    }
    let v = json!({
        "endpoints": st.connect.endpoints(),
        "tls_ca": st.connect.ca_pem,
        "provision": [exe, "provision-connect", "--dir", dir],
        "admin_user": st.connect.admin_user,
        "admin_password": st.connect.admin_password,
    });
    fs::write(
        out.join("kafka-connect.json"),
        serde_json::to_string_pretty(&v)?,
    )?;
    // For `deploy --sim self-signed-certificates tls --backend <out>/ca-provider.json`: the CA
    // provider then publishes the CA that signed the bed's Kafka Connect over certificate_transfer.
    let v = json!({ "certificates": [st.connect.ca_pem] });
    fs::write(
        out.join("ca-provider.json"),
        serde_json::to_string_pretty(&v)?,
    )?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn credentials_upsert() {
        let t = "admin: a\n";
        assert_eq!(
            upsert_credential(t, "relation-7", "p"),
            "admin: a\nrelation-7: p\n"
        );
        let t = upsert_credential("admin: a\nrelation-7=old\n", "relation-7", "new");
        assert_eq!(t, "admin: a\nrelation-7: new\n");
        assert_eq!(upsert_credential(&t, "relation-7", "new"), t);
    }
}
