//! Security groups in nftables: the bridge table that marks and filters each port's
//! frames and the inet table that runs its rules, as one script (`security_group_script`,
//! the pure core, tested with packets).

use anyhow::Context;

use super::*;

impl LinuxBridgeDriver {
    /// Security groups on the host's bridges (see [`security_group_script`]).
    pub(super) async fn apply_security_groups(&self, plan: &HostPlan) -> DriverResult<()> {
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
pub(super) const MARK_TAG: u32 = 0xfe00_0000;
pub(super) const MARK_PASSED: u32 = 0x0100_0000;
pub(super) const MARK_SRC: u32 = 0x00ff_f000;
pub(super) const MARK_DST: u32 = 0x0000_0fff;
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
pub(super) fn rule_line(r: &RulePlan) -> String {
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::server::drivers::network::RulePlan;

    fn rule(
        direction: &str,
        protocol: Option<u8>,
        ports: Option<(i64, i64)>,
        remote: &[&str],
    ) -> RulePlan {
        RulePlan {
            direction: direction.into(),
            protocol,
            port_min: ports.map(|p| p.0),
            port_max: ports.map(|p| p.1),
            remote: remote.iter().map(|r| r.to_string()).collect(),
        }
    }

    fn tap(port: &str, mac: &str, addresses: &[&str], rules: Option<Vec<RulePlan>>) -> TapPlan {
        TapPlan {
            port_id: port.into(),
            tap: tap_name(port),
            bridge: "brq-test".into(),
            mac: mac.into(),
            addresses: addresses.iter().map(|a| a.to_string()).collect(),
            allowed_macs: Vec::new(),
            rules,
        }
    }

    /// The script for two filtered ports (SSH from a prefix, ICMP echo, everything out;
    /// a remote group expanded to its member) and one with port security off, which is
    /// left out. A change to the script shows here as a diff to review.
    #[test]
    fn the_security_group_script_of_a_small_host() {
        let plan = HostPlan {
            taps: vec![
                tap(
                    "aaaaaaaa-1111-4aaa-8aaa-000000000001",
                    "fa:16:3e:00:00:01",
                    &["10.0.0.10"],
                    Some(vec![
                        rule("egress", None, None, &[]),
                        rule("ingress", Some(6), Some((22, 22)), &["192.0.2.0/24"]),
                        rule("ingress", Some(1), Some((8, 0)), &[]),
                    ]),
                ),
                tap(
                    "bbbbbbbb-2222-4aaa-8aaa-000000000002",
                    "fa:16:3e:00:00:02",
                    &["10.0.0.11", "10.0.0.99"],
                    Some(vec![
                        rule("egress", None, None, &[]),
                        rule("ingress", Some(17), Some((5000, 5100)), &["10.0.0.10"]),
                    ]),
                ),
                tap(
                    "cccccccc-3333-4aaa-8aaa-000000000003",
                    "fa:16:3e:00:00:03",
                    &["10.0.0.12"],
                    None,
                ),
            ],
            ..Default::default()
        };
        let script = security_group_script("gureum_sg_test", mark_tag("test"), &plan).unwrap();
        insta::assert_snapshot!(script);
    }
}
