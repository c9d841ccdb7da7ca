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

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::{Path, PathBuf};

use anyhow::{bail, Context};
use async_trait::async_trait;
use serde::{Deserialize, Serialize};
use tokio::io::AsyncWriteExt;

use super::{
    dev_name, tap_name, Cidr, DhcpPlan, DriverResult, HostPlan, HostState, NetworkDriver,
    RouterPlan, RouterPort, TapPlan,
};

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

#[derive(Debug, Deserialize)]
struct Link {
    ifname: String,
    #[serde(default)]
    master: Option<String>,
    #[serde(default)]
    operstate: String,
    /// `UP` among them when the link is administratively up.
    #[serde(default)]
    flags: Vec<String>,
    #[serde(default)]
    linkinfo: Option<LinkInfo>,
}

impl Link {
    fn is_up(&self) -> bool {
        self.flags.iter().any(|f| f == "UP")
    }

    fn plugged_into(&self, bridge: &str) -> bool {
        self.master.as_deref() == Some(bridge)
    }
}

#[derive(Debug, Deserialize)]
struct LinkInfo {
    #[serde(default)]
    info_kind: Option<String>,
}

async fn links(namespace: Option<&str>) -> DriverResult<BTreeMap<String, Link>> {
    let out = match namespace {
        Some(ns) => ip(&["-n", ns, "-j", "-d", "link", "show"]).await?,
        None => ip(&["-j", "-d", "link", "show"]).await?,
    };
    let list: Vec<Link> = serde_json::from_str(&out).context("reading `ip -j link`")?;
    Ok(list.into_iter().map(|l| (l.ifname.clone(), l)).collect())
}

async fn namespaces() -> DriverResult<BTreeSet<String>> {
    let out = ip(&["-j", "netns", "list"]).await?;
    if out.trim().is_empty() {
        return Ok(BTreeSet::new());
    }
    #[derive(Deserialize)]
    struct Ns {
        name: String,
    }
    let list: Vec<Ns> = serde_json::from_str(&out).context("reading `ip -j netns list`")?;
    Ok(list.into_iter().map(|n| n.name).collect())
}

/// The IPv4 addresses of a namespace's devices other than `lo`, per device.
async fn addresses(namespace: &str) -> DriverResult<BTreeMap<String, BTreeSet<String>>> {
    #[derive(Deserialize)]
    struct Dev {
        ifname: String,
        #[serde(default)]
        addr_info: Vec<Addr>,
    }
    #[derive(Deserialize)]
    struct Addr {
        family: String,
        local: String,
        prefixlen: u8,
    }
    let out = ip(&["-n", namespace, "-j", "addr", "show"]).await?;
    let list: Vec<Dev> = serde_json::from_str(&out).context("reading `ip -j addr`")?;
    Ok(list
        .into_iter()
        .filter(|d| d.ifname != "lo")
        .map(|d| {
            let set = d
                .addr_info
                .into_iter()
                .filter(|a| a.family == "inet")
                .map(|a| format!("{}/{}", a.local, a.prefixlen))
                .collect();
            (d.ifname, set)
        })
        .collect())
}

fn inner_name(prefix: &str, port_id: &str) -> String {
    dev_name(prefix, port_id)
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

/// (floating, fixed) of the `ip daddr F dnat to X` rules in a NAT table listing.
fn dnat_pairs(text: &str) -> BTreeSet<(String, String)> {
    let mut out = BTreeSet::new();
    let mut in_prerouting = false;
    for line in text.lines() {
        let line = line.trim();
        if line.starts_with("chain ") {
            in_prerouting = line.starts_with("chain prerouting");
        }
        if !in_prerouting {
            continue;
        }
        let words: Vec<&str> = line.split_whitespace().collect();
        let daddr = words
            .iter()
            .position(|w| *w == "daddr")
            .and_then(|i| words.get(i + 1));
        let to = words
            .iter()
            .position(|w| *w == "to")
            .and_then(|i| words.get(i + 1));
        if let (Some(f), Some(x)) = (daddr, to) {
            out.insert((f.to_string(), x.to_string()));
        }
    }
    out
}

async fn ensure_bridge(
    present: &mut BTreeMap<String, Link>,
    name: &str,
    mtu: Option<i64>,
) -> DriverResult<()> {
    if !present.contains_key(name) {
        ip(&["link", "add", "name", name, "type", "bridge"]).await?;
        if let Some(mtu) = mtu {
            ip(&["link", "set", name, "mtu", &mtu.to_string()]).await?;
        }
        ip(&["link", "set", name, "up"]).await?;
        *present = links(None).await?;
    } else if present[name].operstate == "DOWN" {
        ip(&["link", "set", name, "up"]).await?;
    }
    Ok(())
}

async fn ensure_tap(present: &BTreeMap<String, Link>, t: &TapPlan) -> DriverResult<()> {
    let link = present.get(&t.tap);
    if link.is_some_and(|l| l.plugged_into(&t.bridge) && l.is_up()) {
        return Ok(());
    }
    if link.is_none() {
        ip(&["tuntap", "add", "dev", &t.tap, "mode", "tap"]).await?;
    }
    if !link.is_some_and(|l| l.plugged_into(&t.bridge)) {
        ip(&["link", "set", &t.tap, "master", &t.bridge]).await?;
    }
    ip(&["link", "set", &t.tap, "up"]).await?;
    Ok(())
}

async fn ensure_namespace(present: &BTreeSet<String>, ns: &str) -> DriverResult<()> {
    if !present.contains(ns) {
        ip(&["netns", "add", ns]).await?;
        ip(&["-n", ns, "link", "set", "lo", "up"]).await?;
    }
    Ok(())
}

/// A veth from a bridge (`tap…`) into a namespace (`prefix…`), with its MAC and addresses.
async fn ensure_leg(
    present: &BTreeMap<String, Link>,
    ns: &str,
    prefix: &str,
    port: &RouterPort,
    extra: &[String],
) -> DriverResult<String> {
    let outer = tap_name(&port.port_id);
    let inner = inner_name(prefix, &port.port_id);
    let inside = links(Some(ns)).await?;
    let made = !present.contains_key(&outer) || !inside.contains_key(&inner);
    if made {
        if present.contains_key(&outer) {
            ip(&["link", "delete", &outer]).await?;
        }
        ip(&[
            "link", "add", &outer, "type", "veth", "peer", "name", &inner, "netns", ns,
        ])
        .await?;
        ip(&["-n", ns, "link", "set", &inner, "address", &port.mac]).await?;
    }
    // Only what differs: a leg already up and plugged costs no command.
    let outer_link = present.get(&outer).filter(|_| !made);
    if !outer_link.is_some_and(|l| l.plugged_into(&port.bridge)) {
        ip(&["link", "set", &outer, "master", &port.bridge]).await?;
    }
    if !outer_link.is_some_and(Link::is_up) {
        ip(&["link", "set", &outer, "up"]).await?;
    }
    if made || !inside.get(&inner).is_some_and(Link::is_up) {
        ip(&["-n", ns, "link", "set", &inner, "up"]).await?;
    }
    let have = addresses(ns).await?.remove(&inner).unwrap_or_default();
    let want: BTreeSet<String> = port
        .addresses
        .iter()
        .map(Cidr::to_string)
        .chain(extra.iter().cloned())
        .collect();
    for a in want.difference(&have) {
        ip(&["-n", ns, "addr", "add", a, "dev", &inner]).await?;
    }
    for a in have.difference(&want) {
        ip(&["-n", ns, "addr", "del", a, "dev", &inner]).await?;
    }
    Ok(inner)
}

impl LinuxBridgeDriver {
    async fn ensure_router(
        &self,
        present: &BTreeMap<String, Link>,
        present_ns: &BTreeSet<String>,
        r: &RouterPlan,
    ) -> DriverResult<()> {
        let ns = r.namespace.as_str();
        ensure_namespace(present_ns, ns).await?;
        run(
            "ip",
            &[
                "netns",
                "exec",
                ns,
                "sysctl",
                "-q",
                "-w",
                "net.ipv4.ip_forward=1",
            ],
        )
        .await?;
        let mut qg = None;
        if let Some(gw) = &r.gateway {
            let floating: Vec<String> = r
                .floating
                .iter()
                .map(|f| format!("{}/32", f.floating))
                .collect();
            qg = Some(ensure_leg(present, ns, "qg-", gw, &floating).await?);
        }
        let mut qrs = Vec::new();
        for i in &r.interfaces {
            qrs.push(ensure_leg(present, ns, "qr-", i, &[]).await?);
        }
        // Legs of ports the router no longer has.
        let wanted_inner: BTreeSet<String> = qg.iter().chain(qrs.iter()).cloned().collect();
        for (name, _) in links(Some(ns)).await? {
            if (name.starts_with("qr-") || name.starts_with("qg-")) && !wanted_inner.contains(&name)
            {
                ip(&["-n", ns, "link", "delete", &name]).await?;
            }
        }
        // Routes: the default through the external gateway, then the static ones.
        let mut want_routes: BTreeSet<(String, String)> = r
            .routes
            .iter()
            .map(|(d, h)| (d.clone(), h.to_string()))
            .collect();
        if let (Some(_), Some(via)) = (&qg, r.default_via) {
            want_routes.insert(("default".into(), via.to_string()));
        }
        #[derive(Deserialize)]
        struct Route {
            dst: String,
            #[serde(default)]
            gateway: Option<String>,
        }
        let out = ip(&["-n", ns, "-j", "route", "show"]).await?;
        let have: Vec<Route> = serde_json::from_str(&out).unwrap_or_default();
        for h in &have {
            if let Some(g) = &h.gateway {
                if !want_routes.contains(&(h.dst.clone(), g.clone())) {
                    ip(&["-n", ns, "route", "del", &h.dst, "via", g]).await?;
                }
            }
        }
        for (dst, via) in &want_routes {
            ip(&["-n", ns, "route", "replace", dst, "via", via]).await?;
        }
        // NAT: floating IPs both ways, and SNAT of the inside to the gateway address.
        let script = match (&qg, &r.gateway) {
            (Some(qg), Some(gw)) => {
                let mut pre = String::new();
                let mut post = String::new();
                for f in &r.floating {
                    pre.push_str(&format!(
                        "    ip daddr {} dnat to {}\n",
                        f.floating, f.fixed
                    ));
                    post.push_str(&format!(
                        "    oifname \"{qg}\" ip saddr {} snat to {}\n",
                        f.fixed, f.floating
                    ));
                }
                if r.snat {
                    if let Some(gw_ip) = gw.addresses.first() {
                        for i in &r.interfaces {
                            for a in &i.addresses {
                                let net = ipnet::Ipv4Net::new(a.ip, a.prefix)
                                    .map(|n| n.trunc().to_string())
                                    .unwrap_or_else(|_| a.to_string());
                                post.push_str(&format!(
                                    "    oifname \"{qg}\" ip saddr {net} snat to {}\n",
                                    gw_ip.ip
                                ));
                            }
                        }
                    }
                }
                format!(
                    "table ip {NAT_TABLE}\ndelete table ip {NAT_TABLE}\ntable ip {NAT_TABLE} {{\n  chain prerouting {{\n    type nat hook prerouting priority dstnat; policy accept;\n{pre}  }}\n  chain output {{\n    type nat hook output priority -100; policy accept;\n{}  }}\n  chain postrouting {{\n    type nat hook postrouting priority srcnat; policy accept;\n{post}  }}\n}}\n",
                    pre
                )
            }
            _ => format!("table ip {NAT_TABLE}\ndelete table ip {NAT_TABLE}\n"),
        };
        self.nft_once(Some(ns), script).await
    }

    fn dnsmasq_pid(&self, network_id: &str) -> Option<u32> {
        let pid: u32 = std::fs::read_to_string(self.dhcp_dir(network_id).join("pid"))
            .ok()?
            .trim()
            .parse()
            .ok()?;
        let cmdline = std::fs::read(format!("/proc/{pid}/cmdline")).ok()?;
        String::from_utf8_lossy(&cmdline)
            .contains("dnsmasq")
            .then_some(pid)
    }

    async fn stop_dnsmasq(&self, network_id: &str) {
        if let Some(pid) = self.dnsmasq_pid(network_id) {
            let _ = run("kill", &[&pid.to_string()]).await;
            for _ in 0..50 {
                if !Path::new(&format!("/proc/{pid}")).exists() {
                    break;
                }
                tokio::time::sleep(std::time::Duration::from_millis(20)).await;
            }
        }
    }

    /// dnsmasq for one network: its host and option files rewritten when they change
    /// (a SIGHUP rereads them), restarted when its arguments change.
    async fn ensure_dnsmasq(&self, d: &DhcpPlan) -> DriverResult<()> {
        let dir = self.dhcp_dir(&d.network_id);
        std::fs::create_dir_all(&dir)?;
        let mut hosts = String::new();
        for (mac, ip, name) in &d.hosts {
            hosts.push_str(&format!("{mac},{name},{ip}\n"));
        }
        let mut opts = String::new();
        let mut args = vec![
            "--no-hosts".to_string(),
            "--no-resolv".into(),
            "--port=0".into(),
            "--bind-interfaces".into(),
            format!("--interface={}", inner_name("ns-", &d.port_id)),
            "--except-interface=lo".into(),
            "--dhcp-authoritative".into(),
            "--conf-file=/dev/null".into(),
            "--user=root".into(),
            "--group=root".into(),
            format!("--pid-file={}", dir.join("pid").display()),
            format!("--dhcp-hostsfile={}", dir.join("host").display()),
            format!("--dhcp-optsfile={}", dir.join("opts").display()),
            format!("--dhcp-leasefile={}", dir.join("leases").display()),
        ];
        for (n, s) in d.subnets.iter().enumerate() {
            let tag = format!("subnet{n}");
            let net = ipnet::Ipv4Net::new(s.network.ip, s.network.prefix)?;
            args.push(format!(
                "--dhcp-range=set:{tag},{},static,{},86400s",
                net.network(),
                net.netmask()
            ));
            match s.gateway {
                Some(g) => opts.push_str(&format!("tag:{tag},option:router,{g}\n")),
                None => opts.push_str(&format!("tag:{tag},option:router\n")),
            }
            if !s.dns.is_empty() {
                opts.push_str(&format!(
                    "tag:{tag},option:dns-server,{}\n",
                    s.dns.join(",")
                ));
            }
            if !s.routes.is_empty() {
                let mut list: Vec<String> =
                    s.routes.iter().map(|(d, h)| format!("{d},{h}")).collect();
                if let Some(g) = s.gateway {
                    list.push(format!("0.0.0.0/0,{g}"));
                }
                opts.push_str(&format!(
                    "tag:{tag},option:classless-static-route,{}\n",
                    list.join(",")
                ));
            }
            opts.push_str(&format!("tag:{tag},option:mtu,{}\n", d.mtu));
        }
        let args_text = args.join("\n");
        let changed = |name: &str, text: &str| {
            std::fs::read_to_string(dir.join(name)).ok().as_deref() != Some(text)
        };
        let files_changed = changed("host", &hosts) || changed("opts", &opts);
        let args_changed = changed("args", &args_text);
        if files_changed {
            std::fs::write(dir.join("host"), &hosts)?;
            std::fs::write(dir.join("opts"), &opts)?;
        }
        match self.dnsmasq_pid(&d.network_id) {
            Some(pid) if !args_changed => {
                if files_changed {
                    run("kill", &["-HUP", &pid.to_string()]).await?;
                }
            }
            _ => {
                self.stop_dnsmasq(&d.network_id).await;
                std::fs::write(dir.join("args"), &args_text)?;
                let mut cmd: Vec<&str> = vec!["netns", "exec", &d.namespace, "dnsmasq"];
                cmd.extend(args.iter().map(String::as_str));
                ip(&cmd).await?;
            }
        }
        Ok(())
    }

    /// Security groups on the host's bridges (see [`security_group_script`]).
    async fn apply_security_groups(&self, plan: &HostPlan) -> DriverResult<()> {
        let script = security_group_script(&self.sg_table(), mark_tag(&self.config.tag), plan)
            .map_err(|e| anyhow::anyhow!(e))?;
        if plan.taps.iter().any(|t| t.rules.is_some()) {
            std::fs::write("/proc/sys/net/bridge/bridge-nf-call-iptables", "1")
                .context("enabling br_netfilter for bridged IPv4")?;
        }
        self.nft_once(None, script).await
    }
}

/// The packet mark's layout: bits 25–31 name the controller (its tag), bit 24 says the
/// frame passed the port filter, bits 12–23 are the source port's index and bits 0–11
/// the destination port's (1-based, among this controller's filtered ports).
const MARK_TAG: u32 = 0xfe00_0000;
const MARK_PASSED: u32 = 0x0100_0000;
const MARK_SRC: u32 = 0x00ff_f000;
const MARK_DST: u32 = 0x0000_0fff;
/// The most filtered ports one host's controller can tell apart in a mark.
pub const MAX_FILTERED_PORTS: usize = 0xfff;

/// This controller's mark bits: seven bits of a hash of its tag, never zero.
pub fn mark_tag(tag: &str) -> u32 {
    let h = tag.bytes().fold(0x811c_9dc5u32, |h, b| {
        (h ^ b as u32).wrapping_mul(0x0100_0193)
    });
    let seven = (h >> 25) | 1;
    seven << 25
}

/// The nftables script for the security groups of this controller's filtered ports.
///
/// - A bridge-family chain (before br_netfilter) marks each frame from or to one of *its*
///   filtered ports with its tag and the ports' indexes, and drops spoofed ones; it
///   touches no other frame, so controllers sharing a host leave each other's alone.
/// - The inet forward chain (bridged IPv4 reaches it through br_netfilter) takes only
///   frames with this controller's tag, lets replies through, runs each port's egress
///   and ingress rules, and marks what passed.
/// - A second bridge-family chain (after br_netfilter) drops any IPv4 frame from or to a
///   filtered port that did not pass: a frame that lost its mark on the way (another
///   table cleared it, say) is refused, not let through — the filter fails closed.
pub fn security_group_script(table: &str, tag: u32, plan: &HostPlan) -> Result<String, String> {
    let reset = format!(
        "table bridge {table}\ndelete table bridge {table}\ntable inet {table}\ndelete table inet {table}\n"
    );
    let filtered: Vec<&TapPlan> = plan.taps.iter().filter(|t| t.rules.is_some()).collect();
    if filtered.is_empty() {
        return Ok(reset);
    }
    if filtered.len() > MAX_FILTERED_PORTS {
        return Err(format!(
            "{} ports with security groups on one host; at most {MAX_FILTERED_PORTS} can be filtered",
            filtered.len()
        ));
    }
    let taps = filtered
        .iter()
        .map(|t| format!("\"{}\"", t.tap))
        .collect::<Vec<_>>()
        .join(", ");
    let mut bridge = format!(
        "    iifname {{ {taps} }} meta mark set 0x{tag:x}\n    oifname {{ {taps} }} iifname != {{ {taps} }} meta mark set 0x{tag:x}\n"
    );
    let mut bridge_chains = String::new();
    let mut forward = String::new();
    let mut chains = String::new();
    for (n, t) in filtered.iter().enumerate() {
        let idx = n as u32 + 1;
        let src = idx << 12;
        let tap = &t.tap;
        let macs: Vec<String> = std::iter::once(t.mac.clone())
            .chain(t.allowed_macs.iter().cloned())
            .collect();
        let addrs = if t.addresses.is_empty() {
            "0.0.0.0".to_string()
        } else {
            t.addresses.join(", ")
        };
        bridge.push_str(&format!(
            "    iifname \"{tap}\" meta mark set meta mark or 0x{src:x} jump from_{tap}\n    oifname \"{tap}\" meta mark set meta mark or 0x{idx:x}\n"
        ));
        // Anti-spoofing: only the port's MACs and addresses leave it (and a DHCP
        // request, before it has an address).
        bridge_chains.push_str(&format!(
            "  chain from_{tap} {{\n    ether saddr != {{ {} }} counter drop\n    ether type arp arp saddr ip != {{ 0.0.0.0, {addrs} }} counter drop\n    ether type ip ip saddr 0.0.0.0 udp sport 68 udp dport 67 return\n    ether type ip ip saddr != {{ {addrs} }} counter drop\n  }}\n",
            macs.join(", ")
        ));
        forward.push_str(&format!(
            "    meta mark & 0x{MARK_SRC:x} == 0x{src:x} jump out_{tap}\n"
        ));
        forward.push_str(&format!(
            "    meta mark & 0x{MARK_DST:x} == 0x{idx:x} jump in_{tap}\n"
        ));
        let rules = t.rules.as_deref().unwrap_or_default();
        let mut ingress = String::from("    udp sport 67 udp dport 68 return\n");
        let mut egress = String::from("    udp sport 68 udp dport 67 return\n");
        for r in rules {
            let line = rule_line(r);
            if r.direction == "ingress" {
                ingress.push_str(&format!("    {line} return\n"));
            } else {
                egress.push_str(&format!("    {line} return\n"));
            }
        }
        chains.push_str(&format!(
            "  chain in_{tap} {{\n{ingress}    counter drop\n  }}\n  chain out_{tap} {{\n{egress}    counter drop\n  }}\n"
        ));
    }
    let ours = MARK_TAG;
    let passed = tag | MARK_PASSED;
    let verdict = format!(
        "    ether type ip iifname {{ {taps} }} meta mark & 0x{:x} != 0x{passed:x} counter drop\n    ether type ip oifname {{ {taps} }} meta mark & 0x{:x} != 0x{passed:x} counter drop\n",
        ours | MARK_PASSED,
        ours | MARK_PASSED
    );
    Ok(format!(
        "{reset}\
         table bridge {table} {{\n{bridge_chains}  chain ports {{\n    type filter hook forward priority -190; policy accept;\n{bridge}  }}\n  chain verdict {{\n    type filter hook forward priority 100; policy accept;\n{verdict}  }}\n}}\n\
         table inet {table} {{\n{chains}  chain forward {{\n    type filter hook forward priority 0; policy accept;\n    meta mark & 0x{ours:x} != 0x{tag:x} return\n    ct state established,related meta mark set meta mark or 0x{MARK_PASSED:x} accept\n    ct state invalid counter drop\n{forward}    meta mark set meta mark or 0x{MARK_PASSED:x}\n  }}\n}}\n"
    ))
}

/// The match part of one rule: protocol, ports or ICMP type, remote addresses.
fn rule_line(r: &super::RulePlan) -> String {
    let mut parts = Vec::new();
    let remote_field = if r.direction == "ingress" {
        "saddr"
    } else {
        "daddr"
    };
    if !r.remote.is_empty() {
        parts.push(format!("ip {remote_field} {{ {} }}", r.remote.join(", ")));
    }
    match r.protocol {
        None => parts.push("meta nfproto ipv4".into()),
        Some(6) | Some(17) => {
            let name = if r.protocol == Some(6) { "tcp" } else { "udp" };
            match (r.port_min, r.port_max) {
                (Some(a), Some(b)) if a == b => parts.push(format!("{name} dport {a}")),
                (Some(a), Some(b)) => parts.push(format!("{name} dport {a}-{b}")),
                _ => parts.push(format!("meta l4proto {name}")),
            }
        }
        Some(1) => match (r.port_min, r.port_max) {
            (Some(t), Some(c)) => parts.push(format!("icmp type {t} icmp code {c}")),
            (Some(t), None) => parts.push(format!("icmp type {t}")),
            _ => parts.push("meta l4proto icmp".into()),
        },
        Some(p) => parts.push(format!("meta l4proto {p}")),
    }
    parts.join(" ")
}
