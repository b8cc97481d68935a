//! ferry's cluster side: the agent (`ferry agent`) that reads what a cluster runs and reports
//! it to the appliance, and the client of the appliance's fleet API that both the agent and
//! `ferry fleet …` use.

pub mod client;
