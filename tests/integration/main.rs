//! Integration tests: one file per feature, one binary.

mod support;

mod cli_errors;
mod completions;
mod concurrency;
mod corpus;
mod deploy;
mod examples;
mod faults;
mod logs;
mod register;
mod render;
mod safety;
mod secrets;
mod status;
mod validate;
