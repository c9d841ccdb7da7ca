//! IP address management, the pure part: CIDRs, gateways, allocation pools and the order
//! in which free addresses are tried. Which addresses are taken lives in the database
//! (`ip_allocations`), whose primary key settles concurrent allocations.

use super::fault::Fault;
use crate::message::Message;
use std::net::Ipv4Addr;

use ipnet::Ipv4Net;
use serde::{Deserialize, Serialize};

/// An inclusive range of addresses a subnet hands out.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Pool {
    pub start: Ipv4Addr,
    pub end: Ipv4Addr,
}

impl Pool {
    pub fn contains(&self, ip: Ipv4Addr) -> bool {
        self.start <= ip && ip <= self.end
    }

    fn overlaps(&self, other: &Pool) -> bool {
        self.start <= other.end && other.start <= self.end
    }

    pub fn size(&self) -> u64 {
        u64::from(u32::from(self.end)) - u64::from(u32::from(self.start)) + 1
    }
}

/// Why a subnet's addressing is refused, with Neutron's exception name.
#[derive(Debug, PartialEq, Eq)]
pub struct Refusal {
    pub code: Fault,
    pub message: Message,
    /// A conflict (409) rather than bad input (400).
    pub conflict: bool,
}

fn bad(code: Fault, message: Message) -> Refusal {
    Refusal {
        code,
        message,
        conflict: false,
    }
}

/// Parses an IPv4 CIDR; host bits must be clear, as Neutron requires.
pub fn parse_cidr(text: &str) -> Result<Ipv4Net, Refusal> {
    let net: Ipv4Net = text.trim().parse().map_err(|_| {
        bad(
            Fault::InvalidInput,
            msg!(
                "Invalid input for cidr. Reason: '{text}' is not a valid IPv4 subnet.",
                text
            ),
        )
    })?;
    if net.trunc() != net {
        return Err(bad(
            Fault::InvalidInput,
            msg!("Invalid input for cidr. Reason: '{text}' isn't a recognized IP subnet cidr, '{trunc}' is recommended.", text, trunc = net.trunc()),
        ));
    }
    if net.prefix_len() > 30 {
        return Err(bad(
            Fault::InvalidInput,
            msg!("Invalid input for operation: The prefix length of {text} leaves no usable addresses.", text),
        ));
    }
    Ok(net)
}

pub fn parse_ip(text: &str, field: &str) -> Result<Ipv4Addr, Refusal> {
    text.trim().parse().map_err(|_| {
        bad(
            Fault::InvalidInput,
            msg!(
                "Invalid input for {field}. Reason: '{text}' is not a valid IP address.",
                field,
                text
            ),
        )
    })
}

/// The first and last addresses a subnet can hand out (network and broadcast excluded).
fn usable(net: &Ipv4Net) -> (Ipv4Addr, Ipv4Addr) {
    let first = u32::from(net.network()) + 1;
    let last = u32::from(net.broadcast()) - 1;
    (Ipv4Addr::from(first), Ipv4Addr::from(last))
}

/// The default gateway: the first usable address.
pub fn default_gateway(net: &Ipv4Net) -> Ipv4Addr {
    usable(net).0
}

/// The default pools: every usable address but the gateway.
pub fn default_pools(net: &Ipv4Net, gateway: Option<Ipv4Addr>) -> Vec<Pool> {
    let (first, last) = usable(net);
    let whole = Pool {
        start: first,
        end: last,
    };
    match gateway {
        Some(g) if whole.contains(g) => {
            let mut pools = Vec::new();
            if g > first {
                pools.push(Pool {
                    start: first,
                    end: Ipv4Addr::from(u32::from(g) - 1),
                });
            }
            if g < last {
                pools.push(Pool {
                    start: Ipv4Addr::from(u32::from(g) + 1),
                    end: last,
                });
            }
            pools
        }
        _ => vec![whole],
    }
}

/// Checks a subnet's gateway and pools against its CIDR and each other.
pub fn check_pools(
    net: &Ipv4Net,
    pools: &[Pool],
    gateway: Option<Ipv4Addr>,
) -> Result<(), Refusal> {
    let (first, last) = usable(net);
    if let Some(g) = gateway {
        if !net.contains(&g) || g == net.network() || g == net.broadcast() {
            return Err(bad(
                Fault::InvalidInput,
                msg!(
                    "Invalid input for operation: Gateway IP {g} is not in subnet {net}.",
                    g,
                    net
                ),
            ));
        }
    }
    for p in pools {
        if p.start > p.end {
            return Err(bad(
                Fault::InvalidAllocationPool,
                msg!(
                    "The allocation pool {start}-{end} is not valid.",
                    start = p.start,
                    end = p.end
                ),
            ));
        }
        if p.start < first || p.end > last {
            return Err(bad(
                Fault::OutOfBoundsAllocationPool,
                msg!(
                    "The allocation pool {start}-{end} spans beyond the subnet cidr {net}.",
                    start = p.start,
                    end = p.end,
                    net
                ),
            ));
        }
    }
    // In order of their starts, a pool can only overlap the one before it: n log n, not
    // n² (a body can hold tens of thousands of pools).
    let mut sorted: Vec<&Pool> = pools.iter().collect();
    sorted.sort_by_key(|p| p.start);
    for pair in sorted.windows(2) {
        let (a, b) = (pair[0], pair[1]);
        if a.overlaps(b) {
            return Err(Refusal {
                code: Fault::OverlappingAllocationPools,
                message: msg!(
                    "Found overlapping allocation pools: {start1}-{end1} and {start2}-{end2} for subnet {net}.",
                    start1 = a.start,
                    end1 = a.end,
                    start2 = b.start,
                    end2 = b.end,
                    net
                ),
                conflict: true,
            });
        }
    }
    if let Some(g) = gateway {
        if let Some(p) = pools.iter().find(|p| p.contains(g)) {
            return Err(Refusal {
                code: Fault::GatewayConflictWithAllocationPools,
                message: msg!(
                    "Gateway ip {g} conflicts with allocation pool {start}-{end}.",
                    g,
                    start = p.start,
                    end = p.end
                ),
                conflict: true,
            });
        }
    }
    Ok(())
}

/// Every address of the pools, lowest first: the order allocations try them in.
pub fn candidates(pools: &[Pool]) -> impl Iterator<Item = Ipv4Addr> + '_ {
    let mut sorted: Vec<Pool> = pools.to_vec();
    sorted.sort_by_key(|p| p.start);
    sorted
        .into_iter()
        .flat_map(|p| (u32::from(p.start)..=u32::from(p.end)).map(Ipv4Addr::from))
}

/// A MAC address in OpenStack's `fa:16:3e` range.
pub fn random_mac() -> String {
    use rand::Rng;
    let mut rng = rand::thread_rng();
    format!(
        "fa:16:3e:{:02x}:{:02x}:{:02x}",
        rng.gen::<u8>(),
        rng.gen::<u8>(),
        rng.gen::<u8>()
    )
}

/// A MAC address as given, normalised to lowercase colon form; unicast only.
pub fn parse_mac(text: &str) -> Result<String, Refusal> {
    let parts: Vec<&str> = text.split([':', '-']).collect();
    let bytes: Option<Vec<u8>> = (parts.len() == 6)
        .then(|| {
            parts
                .iter()
                .map(|p| {
                    (p.len() == 2)
                        .then(|| u8::from_str_radix(p, 16).ok())
                        .flatten()
                })
                .collect()
        })
        .flatten();
    match bytes {
        Some(b) if b[0] & 1 == 0 && b.iter().any(|x| *x != 0) => Ok(b
            .iter()
            .map(|x| format!("{x:02x}"))
            .collect::<Vec<_>>()
            .join(":")),
        _ => Err(bad(
            Fault::InvalidInput,
            msg!(
                "Invalid input for mac_address. Reason: '{text}' is not a valid MAC address.",
                text
            ),
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(s: &str) -> Ipv4Addr {
        s.parse().unwrap()
    }

    #[test]
    fn cidrs_must_be_networks() {
        assert_eq!(
            parse_cidr("10.0.0.0/24").unwrap().to_string(),
            "10.0.0.0/24"
        );
        let e = parse_cidr("10.0.0.1/24").unwrap_err();
        assert!(
            e.message
                .to_string()
                .contains("'10.0.0.0/24' is recommended"),
            "{e:?}"
        );
        assert!(parse_cidr("10.0.0.0/33").is_err());
        assert!(parse_cidr("banana").is_err());
        assert!(parse_cidr("10.0.0.0/31").is_err());
    }

    #[test]
    fn default_pools_leave_out_the_gateway() {
        let net = parse_cidr("10.0.0.0/24").unwrap();
        let g = default_gateway(&net);
        assert_eq!(g, ip("10.0.0.1"));
        assert_eq!(
            default_pools(&net, Some(g)),
            vec![Pool {
                start: ip("10.0.0.2"),
                end: ip("10.0.0.254")
            }]
        );
        // A gateway in the middle splits the range; none leaves it whole.
        assert_eq!(
            default_pools(&net, Some(ip("10.0.0.100"))),
            vec![
                Pool {
                    start: ip("10.0.0.1"),
                    end: ip("10.0.0.99")
                },
                Pool {
                    start: ip("10.0.0.101"),
                    end: ip("10.0.0.254")
                }
            ]
        );
        assert_eq!(
            default_pools(&net, None),
            vec![Pool {
                start: ip("10.0.0.1"),
                end: ip("10.0.0.254")
            }]
        );
    }

    #[test]
    fn pools_are_checked_against_the_cidr_the_gateway_and_each_other() {
        let net = parse_cidr("10.0.0.0/24").unwrap();
        let g = Some(ip("10.0.0.1"));
        let p = |a: &str, b: &str| Pool {
            start: ip(a),
            end: ip(b),
        };
        assert!(check_pools(&net, &[p("10.0.0.10", "10.0.0.20")], g).is_ok());
        let code = |pools: &[Pool], g| check_pools(&net, pools, g).unwrap_err().code;
        assert_eq!(
            code(&[p("10.0.0.20", "10.0.0.10")], g),
            Fault::InvalidAllocationPool
        );
        assert_eq!(
            code(&[p("10.0.0.200", "10.0.1.5")], g),
            Fault::OutOfBoundsAllocationPool
        );
        assert_eq!(
            code(&[p("10.0.0.0", "10.0.0.5")], g),
            Fault::OutOfBoundsAllocationPool
        );
        assert_eq!(
            code(&[p("10.0.0.250", "10.0.0.255")], g),
            Fault::OutOfBoundsAllocationPool
        );
        assert_eq!(
            code(
                &[p("10.0.0.10", "10.0.0.20"), p("10.0.0.20", "10.0.0.30")],
                g
            ),
            Fault::OverlappingAllocationPools
        );
        assert_eq!(
            code(&[p("10.0.0.1", "10.0.0.5")], g),
            Fault::GatewayConflictWithAllocationPools
        );
        assert_eq!(code(&[], Some(ip("10.0.1.1"))), Fault::InvalidInput);
    }

    #[test]
    fn candidates_run_lowest_first_across_pools() {
        let pools = [
            Pool {
                start: ip("10.0.0.20"),
                end: ip("10.0.0.21"),
            },
            Pool {
                start: ip("10.0.0.5"),
                end: ip("10.0.0.6"),
            },
        ];
        let all: Vec<String> = candidates(&pools).map(|a| a.to_string()).collect();
        assert_eq!(all, ["10.0.0.5", "10.0.0.6", "10.0.0.20", "10.0.0.21"]);
        assert_eq!(pools[0].size(), 2);
    }

    #[test]
    fn macs() {
        let m = random_mac();
        assert!(m.starts_with("fa:16:3e:") && m.len() == 17, "{m}");
        assert_eq!(parse_mac("FA-16-3E-00-11-22").unwrap(), "fa:16:3e:00:11:22");
        assert!(parse_mac("01:00:5e:00:00:01").is_err(), "multicast");
        assert!(parse_mac("00:00:00:00:00:00").is_err());
        assert!(parse_mac("fa:16:3e:00:11").is_err());
    }
}
