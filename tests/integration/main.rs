//! Integration tests: one file per feature, one binary.

mod support;

mod addons;
mod adopt;
mod autoscaling;
mod build;
mod cli_errors;
mod completions;
mod concurrency;
mod connect;
mod copilot;
mod corpus;
mod deploy;
mod deployment;
mod env_files;
mod examples;
mod exec;
mod faults;
mod http;
mod jobs;
mod layout;
mod logs;
mod messaging;
mod nlb;
mod overrides;
mod register;
mod render;
mod run;
mod safety;
mod secrets;
mod spot;
mod status;
mod validate;
