//! ferry's enclave side: the content-addressed store, bundle import and the HTTP services.

pub mod audit;
pub mod cluster_config;
pub mod config;
pub mod fleet;
pub mod import;
pub mod rewrite;
pub mod server;
pub mod store;
pub mod tls;
pub mod ui;
