//! Links, namespaces and addresses: reading them (`ip -json`) and making the bridges,
//! taps, namespaces and veth legs a plan wants.

use std::collections::{BTreeMap, BTreeSet};

use anyhow::Context;
use serde::Deserialize;

use super::*;

#[derive(Debug, Deserialize)]
pub(super) struct Link {
    pub(super) ifname: String,
    #[serde(default)]
    pub(super) master: Option<String>,
    #[serde(default)]
    pub(super) operstate: String,
    /// `UP` among them when the link is administratively up.
    #[serde(default)]
    pub(super) flags: Vec<String>,
    #[serde(default)]
    pub(super) linkinfo: Option<LinkInfo>,
}

impl Link {
    pub(super) fn is_up(&self) -> bool {
        self.flags.iter().any(|f| f == "UP")
    }

    pub(super) fn plugged_into(&self, bridge: &str) -> bool {
        self.master.as_deref() == Some(bridge)
    }
}

#[derive(Debug, Deserialize)]
pub(super) struct LinkInfo {
    #[serde(default)]
    pub(super) info_kind: Option<String>,
}

pub(super) async fn links(namespace: Option<&str>) -> DriverResult<BTreeMap<String, Link>> {
    let out = match namespace {
        Some(ns) => ip(&["-n", ns, "-j", "-d", "link", "show"]).await?,
        None => ip(&["-j", "-d", "link", "show"]).await?,
    };
    let list: Vec<Link> = serde_json::from_str(&out).context("reading `ip -j link`")?;
    Ok(list.into_iter().map(|l| (l.ifname.clone(), l)).collect())
}

pub(super) async fn namespaces() -> DriverResult<BTreeSet<String>> {
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
pub(super) async fn addresses(namespace: &str) -> DriverResult<BTreeMap<String, BTreeSet<String>>> {
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

pub(super) fn inner_name(prefix: &str, port_id: &str) -> String {
    dev_name(prefix, port_id)
}

pub(super) async fn ensure_bridge(
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

pub(super) async fn ensure_tap(present: &BTreeMap<String, Link>, t: &TapPlan) -> DriverResult<()> {
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

pub(super) async fn ensure_namespace(present: &BTreeSet<String>, ns: &str) -> DriverResult<()> {
    if !present.contains(ns) {
        ip(&["netns", "add", ns]).await?;
        ip(&["-n", ns, "link", "set", "lo", "up"]).await?;
    }
    Ok(())
}

/// A veth from a bridge (`tap…`) into a namespace (`prefix…`), with its MAC and addresses.
pub(super) async fn ensure_leg(
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
