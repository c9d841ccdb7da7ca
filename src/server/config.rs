//! Configuration of a controller, from the command line and the environment.

use std::net::SocketAddr;
use std::path::PathBuf;

use secrecy::SecretString;

use crate::server::services::compute::{ComputeConfig, DriverChoice};
use crate::server::services::identity::IdentityConfig;
use crate::server::services::image::ImageConfig;
use crate::server::services::network::NetworkConfig;

#[derive(Debug)]
pub struct Config {
    pub listen: SocketAddr,
    pub data_dir: PathBuf,
    /// `sqlite://…` (default: `DATA_DIR/gureum.db`) or `postgres://…`.
    pub database_url: String,
    /// The URL clients reach this controller at; the catalog's endpoints are built from it.
    pub public_url: String,
    /// Where the portal's compiled assets are (`target/site` after a build).
    pub site_root: PathBuf,
    pub identity: IdentityConfig,
    pub image: ImageConfig,
    pub compute: ComputeConfig,
    pub network: NetworkConfig,
    /// `GUREUM_ADMIN_PASSWORD`: the admin's password on the first start.
    pub admin_password: Option<SecretString>,
    /// Portal sessions end after this much inactivity (seconds).
    pub session_idle_timeout: i64,
    /// Deadlines and the connection cap of the HTTP server.
    pub limits: crate::server::serve::ServeLimits,
}

impl Config {
    /// A configuration for tests: an ephemeral port on loopback and the given data dir.
    pub fn for_tests(data_dir: PathBuf) -> Config {
        let database_url = crate::server::db::sqlite_url(&data_dir);
        Config {
            listen: "127.0.0.1:0".parse().expect("a valid address"),
            public_url: String::new(),
            site_root: PathBuf::from("target/site"),
            identity: IdentityConfig::default(),
            image: ImageConfig::default(),
            compute: ComputeConfig::new(DriverChoice::Fake, &data_dir),
            network: NetworkConfig::new(
                crate::server::services::network::NetworkDriverChoice::Fake,
                &data_dir,
            ),
            admin_password: Some(SecretString::from("admin-secret-pw")),
            session_idle_timeout: 3600,
            limits: Default::default(),
            database_url,
            data_dir,
        }
    }

    /// Whether the portal's cookies must be `Secure`.
    pub fn https(&self) -> bool {
        self.public_url.starts_with("https://")
    }
}

/// The public URL for a listen address when none is configured.
pub fn default_public_url(listen: SocketAddr) -> String {
    let host = if listen.ip().is_unspecified() {
        // Reachable from elsewhere: the host name is the best guess; operators set --public-url.
        crate::server::host::hostname()
    } else if listen.is_ipv6() {
        format!("[{}]", listen.ip())
    } else {
        listen.ip().to_string()
    };
    format!("http://{host}:{}", listen.port())
}
