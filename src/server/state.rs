//! `AppState`: what every request handler and server function can reach.

use std::sync::Arc;

use axum::extract::FromRef;
use leptos::config::LeptosOptions;

use crate::server::config::Config;
use crate::server::services::compute::ComputeService;
use crate::server::services::identity::IdentityService;
use crate::server::services::image::ImageService;
use crate::server::services::network::NetworkService;
use crate::server::services::placement::PlacementService;

#[derive(Clone, FromRef)]
pub struct AppState {
    pub leptos_options: LeptosOptions,
    pub identity: IdentityService,
    pub image: ImageService,
    pub compute: ComputeService,
    pub network: NetworkService,
    pub placement: PlacementService,
    pub config: Arc<Config>,
}

impl AppState {
    /// The URL clients reach this controller at, without a trailing slash.
    pub fn public_url(&self) -> &str {
        self.config.public_url.trim_end_matches('/')
    }
}
