//! keycadence-server: a self-hosted, TypingDNA-compatible Authentication API.
//!
//! An application written against TypingDNA's Authentication API works against this server by
//! changing only the base URL: the same routes, HTTP Basic apiKey:apiSecret, form or JSON
//! bodies, and the same `message_code` / HTTP status answers. Patterns are parsed and matched
//! by `keycadence-core`; enrolments live in SQLite (default) or PostgreSQL.

pub mod app;
pub mod auth;
pub mod body_deadline;
pub mod call;
pub mod cli;
pub mod clock;
pub mod config;
mod contention;
pub mod db;
pub mod domain;
pub mod error;
mod keyed_hash;
pub mod limits;
pub mod metrics;
pub mod otp;
pub mod params;
pub mod privacy;
pub mod quotes;
pub mod response;
pub mod routes;
pub mod settings;
pub mod signin;
pub mod user_id;
pub mod verify_window;
