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
        "demo shop: {} workers × {:?}, queue {} → capacity {:.0} req/s. Ctrl-C stops it.",
        args.workers,
        args.service_time,
        args.queue,
        f64::from(args.workers) / args.service_time.as_secs_f64()
    );
    let _ = runtime(1)?.block_on(tokio::signal::ctrl_c());
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
        "embedded shop at {}: {} workers × {:?} service time, queue {} (capacity {:.0} req/s)",
        shop.url(),
        s.workers,
        s.service_time,
        s.queue,
        f64::from(s.workers) / s.service_time.as_secs_f64()
    );
    Ok(shop)
}
