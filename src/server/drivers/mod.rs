//! Drivers: what the services ask of the host (hypervisors and the network data plane
//! now; storage later). Each kind has a real implementation and a fake one for tests and development.

pub mod compute;
pub mod network;
