//! The `linuxbridge` data plane, built the way docs/networking-plan.md proved it on these
//! hosts: a Linux bridge per network (the physical network's bridge for flat networks, a
//! VLAN link into a `brq…` bridge for VLAN ones), a tap per instance port, a namespace per
//! DHCP server (`qdhcp-<network>`, dnsmasq on an `ns-` veth) and per router
//! (`qrouter-<router>`, `qr-`/`qg-` veths, forwarding, SNAT and floating-IP NAT in an
//! nftables table), and security groups in nftables on the bridges (stateful through
//! br_netfilter, with anti-spoofing per port).
//!
//! It drives iproute2, nft and dnsmasq, the tools an operator inspects the result with.
//! What it makes is written to a ledger (`<state dir>/ledger.json`) before it is made, so
//! a later apply — after a restart or a crash — removes exactly what is no longer
//! wanted, and nothing another controller or the operator made.

use std::collections::{BTreeSet, HashMap};
use std::path::{Path, PathBuf};

use anyhow::{bail, Context};
use async_trait::async_trait;
use serde::{Deserialize, Serialize};
use tokio::io::AsyncWriteExt;

use super::{
    dev_name, tap_name, Cidr, DhcpPlan, DriverResult, HostPlan, HostState, NetworkDriver,
    RouterPlan, RouterPort, RulePlan, TapPlan,
};

mod dhcp;
mod links;
mod nftables;
mod router;

use links::*;
pub use nftables::{mark_tag, security_group_script, MAX_FILTERED_PORTS};
use router::dnat_pairs;

/// The nftables table in each router namespace.
const NAT_TABLE: &str = "gureum_nat";

#[derive(Clone, Debug)]
pub struct LinuxBridgeConfig {
    /// The ledger, dnsmasq's files.
    pub state_dir: PathBuf,
    /// A short tag that names this host's security group tables (`gureum_<tag>`).
    pub tag: String,
}

/// What this driver made, so that it removes only its own.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
struct Ledger {
    links: BTreeSet<String>,
    namespaces: BTreeSet<String>,
    /// Physical bridges it looks after (made by it or configured).
    physnets: BTreeSet<String>,
}

pub struct LinuxBridgeDriver {
    config: LinuxBridgeConfig,
    /// One apply at a time.
    lock: tokio::sync::Mutex<()>,
    /// The nftables scripts applied last, per namespace ("" is the host), to skip
    /// re-applying an unchanged one.
    applied: std::sync::Mutex<HashMap<String, String>>,
}

/// Whether this host can run the driver: root, and the tools.
pub fn available() -> bool {
    let root = std::fs::metadata("/proc/self")
        .map(|m| std::os::unix::fs::MetadataExt::uid(&m) == 0)
        .unwrap_or(false);
    root && ["ip", "nft", "dnsmasq"].iter().all(|t| which(t).is_some())
}

fn which(tool: &str) -> Option<PathBuf> {
    std::env::var_os("PATH")?
        .to_str()?
        .split(':')
        .chain(["/usr/sbin", "/sbin"])
        .map(|d| Path::new(d).join(tool))
        .find(|p| p.is_file())
}

/// Runs a command; its stdout, or an error with its stderr.
async fn run(program: &str, args: &[&str]) -> DriverResult<String> {
    let path = which(program).unwrap_or_else(|| PathBuf::from(program));
    let out = tokio::process::Command::new(&path)
        .args(args)
        .output()
        .await
        .with_context(|| format!("running {program}"))?;
    if !out.status.success() {
        bail!(
            "{program} {}: {}",
            args.join(" "),
            String::from_utf8_lossy(&out.stderr).trim()
        );
    }
    Ok(String::from_utf8_lossy(&out.stdout).into_owned())
}

async fn ip(args: &[&str]) -> DriverResult<String> {
    run("ip", args).await
}

/// `nft -f -` (in a namespace when given) with the script on stdin.
async fn nft_script(namespace: Option<&str>, script: &str) -> DriverResult<()> {
    let mut cmd = match namespace {
        Some(ns) => {
            let mut c = tokio::process::Command::new(which("ip").unwrap_or_else(|| "ip".into()));
            c.args(["netns", "exec", ns, "nft", "-f", "-"]);
            c
        }
        None => {
            let mut c = tokio::process::Command::new(which("nft").unwrap_or_else(|| "nft".into()));
            c.args(["-f", "-"]);
            c
        }
    };
    let mut child = cmd
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .context("running nft")?;
    if let Some(mut stdin) = child.stdin.take() {
        stdin.write_all(script.as_bytes()).await?;
    }
    let out = child.wait_with_output().await?;
    if !out.status.success() {
        bail!(
            "nft -f: {}\n{script}",
            String::from_utf8_lossy(&out.stderr).trim()
        );
    }
    Ok(())
}

impl LinuxBridgeDriver {
    pub fn new(mut config: LinuxBridgeConfig) -> DriverResult<LinuxBridgeDriver> {
        // dnsmasq leaves its working directory when it starts: every path it is given
        // (pid, hosts, options, leases) must be absolute.
        config.state_dir = std::path::absolute(&config.state_dir)
            .with_context(|| format!("resolving {}", config.state_dir.display()))?;
        std::fs::create_dir_all(config.state_dir.join("dhcp"))
            .with_context(|| format!("creating {}", config.state_dir.display()))?;
        Ok(LinuxBridgeDriver {
            config,
            lock: tokio::sync::Mutex::new(()),
            applied: std::sync::Mutex::new(HashMap::new()),
        })
    }

    fn ledger_path(&self) -> PathBuf {
        self.config.state_dir.join("ledger.json")
    }

    fn load_ledger(&self) -> Ledger {
        std::fs::read(self.ledger_path())
            .ok()
            .and_then(|b| serde_json::from_slice(&b).ok())
            .unwrap_or_default()
    }

    fn save_ledger(&self, l: &Ledger) -> DriverResult<()> {
        let tmp = self.ledger_path().with_extension("tmp");
        std::fs::write(&tmp, serde_json::to_vec_pretty(l)?)?;
        std::fs::rename(&tmp, self.ledger_path())?;
        Ok(())
    }

    fn dhcp_dir(&self, network_id: &str) -> PathBuf {
        self.config.state_dir.join("dhcp").join(network_id)
    }

    fn sg_table(&self) -> String {
        format!("gureum_{}", self.config.tag)
    }

    /// Applies an nftables script unless it is the one applied last in that namespace.
    async fn nft_once(&self, namespace: Option<&str>, script: String) -> DriverResult<()> {
        let key = namespace.unwrap_or("").to_string();
        let same = self
            .applied
            .lock()
            .map(|m| m.get(&key) == Some(&script))
            .unwrap_or(false);
        if same {
            return Ok(());
        }
        nft_script(namespace, &script).await?;
        if let Ok(mut m) = self.applied.lock() {
            m.insert(key, script);
        }
        Ok(())
    }

    fn forget_nft(&self, namespace: &str) {
        if let Ok(mut m) = self.applied.lock() {
            m.remove(namespace);
        }
    }
}

/// Every link and namespace a plan wants on the host.
fn wanted(plan: &HostPlan) -> (BTreeSet<String>, BTreeSet<String>) {
    let mut links = BTreeSet::new();
    let mut nss = BTreeSet::new();
    for b in &plan.bridges {
        if let Some((phys, vid)) = &b.vlan {
            links.insert(b.bridge.clone());
            links.insert(vlan_name(phys, *vid));
        } else if !plan.physnets.values().any(|p| p == &b.bridge) {
            links.insert(b.bridge.clone());
        }
    }
    for t in &plan.taps {
        links.insert(t.tap.clone());
    }
    for d in &plan.dhcp {
        links.insert(tap_name(&d.port_id));
        nss.insert(d.namespace.clone());
    }
    for r in &plan.routers {
        for p in r.gateway.iter().chain(r.interfaces.iter()) {
            links.insert(tap_name(&p.port_id));
        }
        nss.insert(r.namespace.clone());
    }
    (links, nss)
}

fn vlan_name(physical: &str, vid: i64) -> String {
    let suffix = format!(".{vid}");
    let room = 15 - suffix.len();
    format!("{}{suffix}", &physical[..room.min(physical.len())])
}

#[async_trait]
impl NetworkDriver for LinuxBridgeDriver {
    fn kind(&self) -> &'static str {
        "linuxbridge"
    }

    async fn apply(&self, plan: &HostPlan) -> DriverResult<()> {
        let _one = self.lock.lock().await;
        let (want_links, want_ns) = wanted(plan);
        let mut ledger = self.load_ledger();
        let present_ns = namespaces().await?;

        // Remove what this driver made and no longer wants.
        for ns in ledger
            .namespaces
            .difference(&want_ns)
            .cloned()
            .collect::<Vec<_>>()
        {
            if let Some(network) = ns.strip_prefix("qdhcp-") {
                self.stop_dnsmasq(network).await;
                let _ = std::fs::remove_dir_all(self.dhcp_dir(network));
            }
            if present_ns.contains(&ns) {
                ip(&["netns", "delete", &ns]).await?;
            }
            self.forget_nft(&ns);
            ledger.namespaces.remove(&ns);
        }
        // (A namespace takes its veths' peers with it.)
        let present = links(None).await?;
        for link in ledger
            .links
            .difference(&want_links)
            .cloned()
            .collect::<Vec<_>>()
        {
            if present.contains_key(&link) {
                // A veth may go with its namespace meanwhile (the kernel tears those
                // down in the background).
                if let Err(e) = ip(&["link", "delete", &link]).await {
                    if links(None).await?.contains_key(&link) {
                        return Err(e);
                    }
                }
            }
            ledger.links.remove(&link);
        }
        // Record what is about to be made before making it.
        ledger.links.extend(want_links.iter().cloned());
        ledger.namespaces.extend(want_ns.iter().cloned());
        for b in plan.physnets.values() {
            if !present.contains_key(b) {
                ledger.links.insert(b.clone());
            }
            ledger.physnets.insert(b.clone());
        }
        ledger
            .physnets
            .retain(|b| plan.physnets.values().any(|p| p == b));
        self.save_ledger(&ledger)?;

        let mut present = links(None).await?;
        // Bridges: physical ones, then the networks'.
        for b in plan.physnets.values() {
            ensure_bridge(&mut present, b, None).await?;
        }
        for b in &plan.bridges {
            ensure_bridge(&mut present, &b.bridge, Some(b.mtu)).await?;
            if let Some((phys, vid)) = &b.vlan {
                let name = vlan_name(phys, *vid);
                if !present.contains_key(&name) {
                    ip(&[
                        "link",
                        "add",
                        "link",
                        phys,
                        "name",
                        &name,
                        "type",
                        "vlan",
                        "id",
                        &vid.to_string(),
                    ])
                    .await?;
                }
                ip(&["link", "set", &name, "master", &b.bridge, "up"]).await?;
            }
        }
        // From here each piece stands alone: one that fails (a DHCP server that will not
        // start) is reported, and the others are still made.
        let mut failed: Vec<String> = Vec::new();
        let mut check = |what: &str, result: DriverResult<()>| {
            if let Err(e) = result {
                failed.push(format!("{what}: {e:#}"));
            }
        };
        // Instances' taps, plugged into their bridges (QEMU opens them by name).
        for t in &plan.taps {
            check(&format!("tap {}", t.tap), ensure_tap(&present, t).await);
        }
        // DHCP servers and routers.
        let present_ns = namespaces().await?;
        for d in &plan.dhcp {
            let result = async {
                ensure_namespace(&present_ns, &d.namespace).await?;
                let port = RouterPort {
                    port_id: d.port_id.clone(),
                    bridge: d.bridge.clone(),
                    mac: d.mac.clone(),
                    addresses: d.addresses.clone(),
                };
                ensure_leg(&present, &d.namespace, "ns-", &port, &[]).await?;
                self.ensure_dnsmasq(d).await
            }
            .await;
            check(&d.namespace, result);
        }
        for r in &plan.routers {
            let result = self.ensure_router(&present, &present_ns, r).await;
            check(&format!("router {}", r.router_id), result);
        }
        check("security groups", self.apply_security_groups(plan).await);
        if !failed.is_empty() {
            anyhow::bail!("{}", failed.join("; "));
        }
        Ok(())
    }

    async fn observe(&self) -> DriverResult<HostState> {
        let ledger = self.load_ledger();
        let present = links(None).await?;
        let present_ns = namespaces().await?;
        let mut s = HostState::default();
        for (name, l) in &present {
            let ours = ledger.links.contains(name) || ledger.physnets.contains(name);
            if !ours {
                continue;
            }
            let kind = l.linkinfo.as_ref().and_then(|i| i.info_kind.as_deref());
            if kind == Some("bridge") {
                s.bridges.insert(name.clone());
            } else if let Some(m) = &l.master {
                if kind != Some("vlan") {
                    s.ports.insert(name.clone(), m.clone());
                }
            }
        }
        for ns in ledger.namespaces.intersection(&present_ns) {
            s.namespaces.insert(ns.clone());
            let addrs: BTreeSet<String> = addresses(ns).await?.into_values().flatten().collect();
            s.addresses.insert(ns.clone(), addrs);
            if ns.starts_with("qrouter-") {
                if let Ok(text) = run(
                    "ip",
                    &["netns", "exec", ns, "nft", "list", "table", "ip", NAT_TABLE],
                )
                .await
                {
                    s.nat.insert(ns.clone(), dnat_pairs(&text));
                }
            }
            if let Some(network) = ns.strip_prefix("qdhcp-") {
                if self.dnsmasq_pid(network).is_some() {
                    let hosts = std::fs::read_to_string(self.dhcp_dir(network).join("host"))
                        .unwrap_or_default();
                    s.dhcp_hosts.insert(
                        ns.clone(),
                        hosts
                            .lines()
                            .filter_map(|l| {
                                let f: Vec<&str> = l.split(',').collect();
                                (f.len() >= 3).then(|| (f[0].to_string(), f[2].to_string()))
                            })
                            .collect(),
                    );
                }
            }
        }
        if let Ok(text) = run("nft", &["list", "table", "inet", &self.sg_table()]).await {
            for line in text.lines() {
                if let Some(rest) = line.trim().strip_prefix("chain in_") {
                    if let Some(tap) = rest.split_whitespace().next() {
                        s.filtered.insert(tap.to_string());
                    }
                }
            }
        }
        Ok(s)
    }

    fn makes_taps(&self) -> bool {
        true
    }
}
