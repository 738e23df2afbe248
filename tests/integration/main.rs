//! Integration tests: one file per feature, one binary.

mod support;

mod cli_errors;
mod concurrency;
mod corpus;
mod deploy;
mod faults;
mod logs;
mod register;
mod render;
mod secrets;
mod validate;
