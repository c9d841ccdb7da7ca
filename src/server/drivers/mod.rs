//! Drivers: what the services ask of the host (hypervisors now; networks and storage
//! later). Each kind has a real implementation and a fake one for tests and development.

pub mod compute;
