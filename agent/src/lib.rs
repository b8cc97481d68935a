//! ferry's cluster side: the agent (`ferry agent`) that reads what a cluster runs and reports
//! it to the appliance, and the client of the appliance's fleet API that both the agent and
//! `ferry fleet …` use.
//!
//! - [`kube`]: the agent's Kubernetes access, one trait ([`kube::KubeSource`]) with the REST
//!   API ([`kube::ApiServer`]) and a directory of `kubectl … -o json` documents
//!   ([`kube::Files`]). No kube-rs or k8s-openapi: six list GETs do not justify their
//!   compile time (see [`kube`]).
//! - [`report`]: the pure function from those List documents to a
//!   [`ferry_bundler::format::report::Report`].
//! - [`credential`], [`state`]: the `cluster/<name>:<secret>` file and the sequence number.
//! - [`agent`]: [`agent::Reporter`] (signed reports, also for `ferry agent report`) and the
//!   interval loop [`agent::Agent`].

pub mod agent;
pub mod client;
pub mod credential;
pub mod kube;
pub mod report;
pub mod state;
