//! The server's integration suite, one test binary (each file of its own linked the whole server
//! again: nine binaries of 400 MB with debug info filled a CI machine's disk). One module per
//! area; `common` holds the test app, both backends and the helpers they share.

#[macro_use]
mod common;

mod auth;
mod errors_and_operations;
mod images;
mod import;
mod lifecycle;
mod outage;
mod postgres_tls;
mod processes;
mod recommendations;
mod service;
mod shop;
