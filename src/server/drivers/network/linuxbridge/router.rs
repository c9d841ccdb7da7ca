//! Routers: a namespace with its legs, forwarding, SNAT and floating-IP NAT.

use std::collections::{BTreeMap, BTreeSet};

use serde::Deserialize;

use super::*;

/// (floating, fixed) of the `ip daddr F dnat to X` rules in a NAT table listing.
pub(super) fn dnat_pairs(text: &str) -> BTreeSet<(String, String)> {
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

impl LinuxBridgeDriver {
    pub(super) async fn ensure_router(
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
}
