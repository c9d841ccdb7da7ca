//! DHCP: one dnsmasq per network, in its `qdhcp-` namespace.

use std::path::Path;

use super::*;

impl LinuxBridgeDriver {
    pub(super) fn dnsmasq_pid(&self, network_id: &str) -> Option<u32> {
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

    pub(super) async fn stop_dnsmasq(&self, network_id: &str) {
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
    pub(super) async fn ensure_dnsmasq(&self, d: &DhcpPlan) -> DriverResult<()> {
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
}
