//! What the `gureum` subcommands do; `main.rs` only parses.

use std::net::SocketAddr;
use std::path::PathBuf;

use std::io::Write;

use anyhow::Context;
use secrecy::SecretString;

use crate::server::application::Application;
use crate::server::config::Config;
use crate::server::db::{sqlite_url, Db};
use crate::server::drivers::network::linuxbridge::available as linuxbridge_available;
use crate::server::services::compute::{qemu_available, ComputeConfig, DriverChoice};
use crate::server::services::identity::IdentityConfig;
use crate::server::services::image::ImageConfig;
use crate::server::services::network::{parse_physnet, NetworkConfig, NetworkDriverChoice};

#[derive(clap::Args, Debug)]
pub struct ServeArgs {
    /// A TOML file of settings named as these flags (`listen = "0.0.0.0:8080"`,
    /// `compute_driver = "qemu"` ...). Flags and environment variables win over it.
    #[arg(long, env = "GUREUM_CONFIG")]
    pub config: Option<PathBuf>,
    /// Address and port for the portal and the APIs.
    #[arg(long, default_value = "127.0.0.1:8080", env = "GUREUM_LISTEN")]
    pub listen: SocketAddr,
    /// Where the database, credentials files and (later) images and disks live.
    #[arg(long, default_value = "./data", env = "GUREUM_DATA_DIR")]
    pub data_dir: PathBuf,
    /// `postgres://…` to share one database between controllers (default: SQLite in the data dir).
    #[arg(long, env = "GUREUM_DATABASE_URL")]
    pub database_url: Option<String>,
    /// The URL clients reach this controller at (default: from --listen).
    #[arg(long, env = "GUREUM_PUBLIC_URL")]
    pub public_url: Option<String>,
    /// The portal's compiled assets.
    #[arg(long, default_value = "target/site", env = "LEPTOS_SITE_ROOT")]
    pub site_root: PathBuf,
    /// Token lifetime in seconds.
    #[arg(long, default_value_t = 3600, value_parser = clap::value_parser!(i64).range(60..=604800), env = "GUREUM_TOKEN_TTL")]
    pub token_ttl: i64,
    /// Failed logins before an account is locked (0 turns locking off).
    #[arg(long, default_value_t = 5, value_parser = clap::value_parser!(i64).range(0..=1000), env = "GUREUM_LOCKOUT_FAILURE_ATTEMPTS")]
    pub lockout_failure_attempts: i64,
    /// Lock duration in seconds.
    #[arg(long, default_value_t = 1800, value_parser = clap::value_parser!(i64).range(1..=31536000), env = "GUREUM_LOCKOUT_DURATION")]
    pub lockout_duration: i64,
    /// Portal sessions end after this many idle seconds.
    #[arg(long, default_value_t = 3600, value_parser = clap::value_parser!(i64).range(60..=604800), env = "GUREUM_SESSION_IDLE_TIMEOUT")]
    pub session_idle_timeout: i64,
    /// The largest image accepted, in bytes (Glance's image_size_cap).
    #[arg(long, default_value_t = 1 << 40, value_parser = clap::value_parser!(i64).range(1..), env = "GUREUM_IMAGE_SIZE_CAP")]
    pub image_size_cap: i64,
    /// The hypervisor driver: `qemu` (the default when QEMU is installed) or `fake`
    /// (instances only in memory, for development and tests).
    #[arg(long, value_enum, env = "GUREUM_COMPUTE_DRIVER")]
    pub compute_driver: Option<DriverChoice>,
    /// The network data plane: `linuxbridge` (the default when running as root with
    /// iproute2, nftables and dnsmasq) or `fake` (no packets move; for development and
    /// tests).
    #[arg(long, value_enum, env = "GUREUM_NETWORK_DRIVER")]
    pub network_driver: Option<NetworkDriverChoice>,
    /// A physical network and the host bridge it maps to, `NAME:BRIDGE` (repeat, or
    /// separate with commas). The bridge is made when missing.
    #[arg(long = "physnet", value_parser = parse_physnet, value_delimiter = ',', default_value = "extnet:br-ex", env = "GUREUM_PHYSNETS")]
    pub physnets: Vec<(String, String)>,
}

/// The settings a config file may hold, with the environment variable each one feeds.
const CONFIG_KEYS: [(&str, &str); 13] = [
    ("listen", "GUREUM_LISTEN"),
    ("data_dir", "GUREUM_DATA_DIR"),
    ("database_url", "GUREUM_DATABASE_URL"),
    ("public_url", "GUREUM_PUBLIC_URL"),
    ("site_root", "LEPTOS_SITE_ROOT"),
    ("token_ttl", "GUREUM_TOKEN_TTL"),
    (
        "lockout_failure_attempts",
        "GUREUM_LOCKOUT_FAILURE_ATTEMPTS",
    ),
    ("lockout_duration", "GUREUM_LOCKOUT_DURATION"),
    ("session_idle_timeout", "GUREUM_SESSION_IDLE_TIMEOUT"),
    ("image_size_cap", "GUREUM_IMAGE_SIZE_CAP"),
    ("compute_driver", "GUREUM_COMPUTE_DRIVER"),
    ("network_driver", "GUREUM_NETWORK_DRIVER"),
    ("physnet", "GUREUM_PHYSNETS"),
];

/// Reads the config file named by `--config FILE` (or `GUREUM_CONFIG`) in `args`, before
/// the command line is parsed: each setting becomes the environment variable of its flag,
/// unless that variable is already set, so flags and the environment win over the file
/// and clap checks every value the same way. Must run before any other thread starts.
pub fn apply_config_file(args: &[String]) -> anyhow::Result<()> {
    let mut path = std::env::var_os("GUREUM_CONFIG").map(PathBuf::from);
    for (n, a) in args.iter().enumerate() {
        if a == "--config" {
            path = args.get(n + 1).map(PathBuf::from);
        } else if let Some(p) = a.strip_prefix("--config=") {
            path = Some(PathBuf::from(p));
        }
    }
    let Some(path) = path else {
        return Ok(());
    };
    let text = std::fs::read_to_string(&path)
        .with_context(|| format!("reading the config file {}", path.display()))?;
    let table: toml::Table = text
        .parse()
        .with_context(|| format!("the config file {} is not valid TOML", path.display()))?;
    for (key, value) in &table {
        let Some((_, env)) = CONFIG_KEYS.iter().find(|(k, _)| k == key) else {
            let known: Vec<&str> = CONFIG_KEYS.iter().map(|(k, _)| *k).collect();
            anyhow::bail!(
                "unknown setting `{key}` in {} (known: {})",
                path.display(),
                known.join(", ")
            );
        };
        let value = match value {
            toml::Value::String(s) => s.clone(),
            toml::Value::Integer(i) => i.to_string(),
            toml::Value::Boolean(b) => b.to_string(),
            other => anyhow::bail!(
                "setting `{key}` in {} must be a string or a number, not {}",
                path.display(),
                other.type_str()
            ),
        };
        if std::env::var_os(env).is_none() {
            // SAFETY (edition 2021: a safe call): no other thread runs yet.
            std::env::set_var(env, value);
        }
    }
    Ok(())
}

pub async fn serve(mut args: ServeArgs) -> anyhow::Result<()> {
    crate::server::telemetry::init("info");
    // Absolute from here on: helpers that change directory (dnsmasq) get these paths.
    args.data_dir = std::path::absolute(&args.data_dir)
        .with_context(|| format!("resolving --data-dir {}", args.data_dir.display()))?;
    if let Some(url) = &args.public_url {
        if !(url.starts_with("http://") || url.starts_with("https://")) {
            anyhow::bail!("--public-url must start with http:// or https://, got {url}");
        }
    }
    let config = Config {
        database_url: args
            .database_url
            .unwrap_or_else(|| sqlite_url(&args.data_dir)),
        listen: args.listen,
        public_url: args.public_url.unwrap_or_default(),
        site_root: args.site_root,
        identity: IdentityConfig {
            token_ttl: args.token_ttl,
            lockout_failure_attempts: args.lockout_failure_attempts,
            lockout_duration: args.lockout_duration,
        },
        image: ImageConfig {
            size_cap: args.image_size_cap,
            ..ImageConfig::default()
        },
        compute: ComputeConfig::new(
            match args.compute_driver {
                Some(d) => d,
                None if qemu_available() => DriverChoice::Qemu,
                None => anyhow::bail!(
                    "QEMU (qemu-system-x86_64) is not installed: run scripts/setup, or choose the in-memory driver with --compute-driver fake"
                ),
            },
            &args.data_dir,
        ),
        network: NetworkConfig {
            physnets: args.physnets.into_iter().collect(),
            ..NetworkConfig::new(
                match args.network_driver {
                    Some(d) => d,
                    None if linuxbridge_available() => NetworkDriverChoice::Linuxbridge,
                    None => {
                        tracing::warn!("the linuxbridge data plane needs root, iproute2, nftables and dnsmasq (scripts/setup installs them): using the fake network driver, which moves no packets");
                        NetworkDriverChoice::Fake
                    }
                },
                &args.data_dir,
            )
        },
        admin_password: std::env::var("GUREUM_ADMIN_PASSWORD")
            .ok()
            .filter(|p| !p.is_empty())
            .map(SecretString::from),
        session_idle_timeout: args.session_idle_timeout,
        limits: Default::default(),
        data_dir: args.data_dir,
    };
    if !config.site_root.join("pkg").exists() {
        tracing::warn!(site_root = %config.site_root.display(), "the portal's assets are missing: run scripts/build");
    }
    let data_dir = config.data_dir.clone();
    let app = Application::build(config).await?;
    // Writes to stdout may fail (a closed pipe): the server runs on regardless.
    let mut out = std::io::stdout();
    if let Some(pw) = &app.generated_password {
        // Shown once; it is also in the credentials files, readable by their owner only.
        let _ = writeln!(out, "Generated the admin password (shown only now): {pw}");
    }
    let _ = writeln!(
        out,
        "Credentials: {}/admin-openrc.sh and {}/clouds.yaml",
        data_dir.display(),
        data_dir.display()
    );
    let _ = writeln!(
        out,
        "Compute driver: {}",
        match app.state().compute.driver_kind() {
            "fake" => "fake (instances live only in memory; for development and tests)",
            _ => "qemu",
        }
    );
    let _ = writeln!(
        out,
        "Network driver: {}",
        match app.state().network.driver().kind() {
            "fake" => "fake (no packets move; for development and tests)".to_string(),
            kind => format!(
                "{kind} (physical networks: {})",
                app.state()
                    .network
                    .physnets()
                    .iter()
                    .map(|(n, b)| format!("{n} on {b}"))
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        }
    );
    let _ = writeln!(
        out,
        "Gureum is serving the portal and the APIs at {}",
        app.public_url()
    );
    let _ = out.flush();
    app.run_until_stopped().await
}

pub async fn status(data_dir: PathBuf, database_url: Option<String>) -> anyhow::Result<()> {
    let url = match database_url {
        Some(u) => u,
        None => {
            let file = data_dir.join("gureum.db");
            if !file.exists() {
                anyhow::bail!(
                    "no Gureum database in {} (has `gureum serve --data-dir {}` run?)",
                    data_dir.display(),
                    data_dir.display()
                );
            }
            std::fs::File::open(&file).with_context(|| format!("reading {}", file.display()))?;
            sqlite_url(&data_dir)
        }
    };
    let db = Db::connect(&url)
        .await
        .with_context(|| format!("opening {}", crate::server::db::redact(&url)))?;
    let report = crate::server::status::report(&db, crate::server::services::now()).await?;
    print!("{report}");
    Ok(())
}
