//! stampede: a traffic-spike load testing harness for online shops.
//!
//! # The pipeline
//!
//! Data flows one way:
//!
//! ```text
//! scenario file ──► scenario (parse, validate, compile templates)
//!                        │
//! load profile ──► driver (virtual shoppers; a pure climb policy decides stops, cool-down;
//!                        │  a capacity search, a pure policy too, picks each next probe)
//!                        │  samples through http, recorded into metrics
//!                        ▼
//!                  metrics (HDR histograms per step × level, timeline, interval log)
//!                        ▼
//!                  analysis (one judgement per level, breaking point, capacity, gates, compare)
//!                        ▼
//!                  report (terminal, JSON, HTML+SVG, Markdown, JUnit, CSV)
//! ```
//!
//! # Layers, and who may use whom
//!
//! - [`app`] is the only layer that knows the command line, prints and picks exit
//!   codes. It may use every other module; nothing uses it.
//! - [`report`] writes the analysed result; it reads only [`analysis`]'s result.
//! - [`analysis`] judges what [`metrics`] holds, against the [`scenario`]'s SLO.
//! - [`driver`] runs the [`profile`] with shoppers that speak [`http`] and record
//!   into [`metrics`]; it never judges, it is told each level's judgement.
//! - [`har`] turns a browser recording into scenario text (and checks it with
//!   [`scenario`]).
//! - [`scenario`] compiles the file (and may use [`profile`]); [`http`] knows only
//!   HTTP; [`metrics`] only measurements.
//! - [`units`] and [`error_kind`] are leaves every layer may use; [`files`]
//!   (reading a file the user named, bounded) is one too, for the layers that
//!   read files.
//! - [`shop`], the embedded demo shop, uses nothing else of the crate.
//!
//! The allowed edges are written once more, as data, in `tests/layering.rs`, which
//! fails on any `use crate::…` against them.

pub mod analysis;
pub mod app;
pub mod driver;
pub mod error_kind;
pub mod files;
pub mod har;
pub mod http;
pub mod metrics;
pub mod profile;
pub mod report;
pub mod scenario;
pub mod shop;
pub mod units;
