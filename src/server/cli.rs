//! What the `gureum` subcommands do; `main.rs` only parses.

use std::net::SocketAddr;
use std::path::PathBuf;

use std::io::Write;

use anyhow::Context;
use secrecy::SecretString;

use crate::server::application::Application;
use crate::server::config::Config;
use crate::server::db::{sqlite_url, Db};
use crate::server::services::compute::{qemu_available, ComputeConfig, DriverChoice};
use crate::server::services::identity::IdentityConfig;
use crate::server::services::image::ImageConfig;

#[derive(clap::Args, Debug)]
pub struct ServeArgs {
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
    #[arg(long, default_value_t = 3600, value_parser = clap::value_parser!(i64).range(60..=604800))]
    pub token_ttl: i64,
    /// Failed logins before an account is locked (0 turns locking off).
    #[arg(long, default_value_t = 5, value_parser = clap::value_parser!(i64).range(0..=1000))]
    pub lockout_failure_attempts: i64,
    /// Lock duration in seconds.
    #[arg(long, default_value_t = 1800, value_parser = clap::value_parser!(i64).range(1..=31536000))]
    pub lockout_duration: i64,
    /// Portal sessions end after this many idle seconds.
    #[arg(long, default_value_t = 3600, value_parser = clap::value_parser!(i64).range(60..=604800))]
    pub session_idle_timeout: i64,
    /// The largest image accepted, in bytes (Glance's image_size_cap).
    #[arg(long, default_value_t = 1 << 40, value_parser = clap::value_parser!(i64).range(1..))]
    pub image_size_cap: i64,
    /// The hypervisor driver: `qemu` (the default when QEMU is installed) or `fake`
    /// (instances only in memory, for development and tests).
    #[arg(long, value_enum, env = "GUREUM_COMPUTE_DRIVER")]
    pub compute_driver: Option<DriverChoice>,
}

pub async fn serve(args: ServeArgs) -> anyhow::Result<()> {
    crate::server::telemetry::init("info");
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
        admin_password: std::env::var("GUREUM_ADMIN_PASSWORD")
            .ok()
            .filter(|p| !p.is_empty())
            .map(SecretString::from),
        session_idle_timeout: args.session_idle_timeout,
        data_dir: args.data_dir,
    };
    if !config.site_root.join("pkg").exists() {
        tracing::warn!(site_root = %config.site_root.display(), "the portal's assets are missing: run scripts/build-release");
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
