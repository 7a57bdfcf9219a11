//! `stampede shop`, and the embedded shop a run starts when its scenario has no
//! target.

use anyhow::anyhow;

use crate::scenario::Scenario;
use crate::shop::{Shop, ShopConfig};

use super::cli::ShopArgs;
use super::exit::{Error, Exit, bad_input, cannot_measure};
use super::runtime;

/// Serves the demo shop in the foreground until Ctrl-C.
pub fn serve(args: &ShopArgs) -> Result<Exit, Error> {
    let config = ShopConfig {
        port: args.port,
        workers: args.workers,
        service_time: args.service_time,
        queue: args.queue,
        products: args.products,
        stall_every: args.stall_every,
        stall_for: args.stall_for.unwrap_or_default(),
        error_rate: args.error_rate,
        ..ShopConfig::default()
    };
    let shop = Shop::start(config).map_err(bad_input)?;
    outln!("{}", shop.url());
    errln!(
        "demo shop: {} workers × {:?}, queue {} → {}. Ctrl-C stops it.",
        args.workers,
        args.service_time,
        args.queue,
        capacity(args.workers, args.service_time)
    );
    let _ = runtime()?.block_on(tokio::signal::ctrl_c());
    shop.stop();
    Ok(Exit::Ok)
}

/// Starts the embedded shop with the scenario's `[target.shop]` model.
pub fn start_embedded(scenario: &Scenario) -> Result<Shop, Error> {
    let s = scenario.target.shop;
    let shop = Shop::start(ShopConfig {
        workers: s.workers,
        service_time: s.service_time,
        queue: s.queue,
        stall_every: s.stall_every,
        stall_for: s.stall_for,
        error_rate: s.error_rate,
        ..ShopConfig::default()
    })
    .map_err(|e| cannot_measure(anyhow!("the embedded shop could not start: {e}")))?;
    errln!(
        "embedded shop at {}: {} workers × {:?} service time, queue {} ({})",
        shop.url(),
        s.workers,
        s.service_time,
        s.queue,
        capacity(s.workers, s.service_time)
    );
    Ok(shop)
}

/// `capacity 400 req/s`; with no service time, the shop answers at once and
/// has no capacity of its own (a benchmark's target).
fn capacity(workers: u32, service_time: std::time::Duration) -> String {
    if service_time.is_zero() {
        "no service time: answers at once, no capacity of its own".to_string()
    } else {
        format!(
            "capacity {:.0} req/s",
            f64::from(workers) / service_time.as_secs_f64()
        )
    }
}
