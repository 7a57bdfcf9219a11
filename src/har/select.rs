//! Which recorded requests become steps: documents and API calls to the target's
//! origin. Static assets, analytics beacons, CORS preflights and other hosts are
//! dropped (each with its reason, for the file's comment); a redirect the browser
//! followed is folded into the step that was redirected, since a step follows
//! redirects itself.

use super::model::Exchange;

/// A step to be: the request as sent, and the answer it finally got.
#[derive(Debug, Clone)]
pub struct Recorded {
    pub first: Exchange,
    /// The last hop of its redirects (the first one when there were none).
    pub last: Exchange,
    pub hops: usize,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DropReason {
    Asset,
    Analytics,
    ThirdParty,
    Preflight,
    /// A method a step cannot send (`BREW`, an empty one).
    Method,
    /// Not http(s): a `data:`, `blob:` or `ftp:` URL.
    NotHttp,
    /// Status 0: the browser cancelled or blocked it (`net::ERR_ABORTED`).
    NoAnswer,
    /// A static asset kept by --keep-assets that the shop answered with an
    /// error (a missing favicon): it would fail every replay.
    FailedAsset,
}

impl DropReason {
    pub fn describe(self) -> &'static str {
        match self {
            DropReason::Asset => "static asset (--keep-assets keeps same-host ones)",
            DropReason::Analytics => "analytics beacon",
            DropReason::ThirdParty => "third-party host (load goes only to the target)",
            DropReason::Preflight => "CORS preflight (a shopper's client sends none)",
            DropReason::Method => {
                "a step sends only GET, HEAD, POST, PUT, PATCH or DELETE (edit the scenario by hand)"
            }
            DropReason::NotHttp => "not an http(s) URL",
            DropReason::NoAnswer => {
                "no answer in the recording (status 0: the browser cancelled or blocked it)"
            }
            DropReason::FailedAsset => {
                "static asset answered with an error in the recording: not kept (it would fail every replay)"
            }
        }
    }
}

#[derive(Debug, Clone)]
pub struct Dropped {
    pub method: String,
    pub url: String,
    pub reason: DropReason,
}

#[derive(Debug)]
pub struct Selection {
    /// `scheme://host[:port]` of the first http(s) request.
    pub origin: String,
    pub steps: Vec<Recorded>,
    pub dropped: Vec<Dropped>,
}

const ASSET_TYPES: &[&str] = &[
    "stylesheet",
    "script",
    "image",
    "font",
    "media",
    "manifest",
    "texttrack",
];
const ASSET_EXTENSIONS: &[&str] = &[
    "css", "js", "mjs", "map", "png", "jpg", "jpeg", "gif", "svg", "webp", "avif", "ico", "woff",
    "woff2", "ttf", "otf", "eot", "mp4", "webm", "mp3",
];
const ANALYTICS_PATHS: &[&str] = &[
    "/collect",
    "/analytics",
    "/gtag",
    "/gtm.js",
    "/beacon",
    "/pixel",
    "/track",
    "/telemetry",
    "/rum",
];

/// Splits the exchanges into steps and dropped requests; `None` when there are none.
pub fn select(exchanges: Vec<Exchange>, keep_assets: bool) -> Option<Selection> {
    let origin = shop_origin(&exchanges)?;
    let mut steps: Vec<Recorded> = Vec::new();
    let mut dropped = Vec::new();
    for exchange in exchanges {
        if let Some(step) = steps.last_mut()
            && follows(&step.last, &exchange)
        {
            step.last = exchange;
            step.hops += 1;
            continue;
        }
        match classify(&exchange, &origin, keep_assets) {
            Some(reason) => dropped.push(Dropped {
                method: exchange.method.clone(),
                url: exchange.url.to_string(),
                reason,
            }),
            None => steps.push(Recorded {
                first: exchange.clone(),
                last: exchange,
                hops: 0,
            }),
        }
    }
    Some(Selection {
        origin,
        steps,
        dropped,
    })
}

/// The shop's origin: the one most of the recording's pages and API calls went
/// to (the first of those tied). The first request's was taken: a recording
/// that began with a search on another site was imported as that site's, every
/// shop request dropped as a third party's.
fn shop_origin(exchanges: &[Exchange]) -> Option<String> {
    let mut counted: Vec<(String, usize)> = Vec::new();
    for exchange in exchanges.iter().filter(|e| is_http(&e.url)) {
        let origin = exchange.url.origin().ascii_serialization();
        // A step there, were it the shop's.
        let step = classify(exchange, &origin, false).is_none();
        match counted.iter_mut().find(|(o, _)| *o == origin) {
            Some((_, n)) => *n += usize::from(step),
            None => counted.push((origin, usize::from(step))),
        }
    }
    // The first of the most: `max_by_key` would take the last.
    let most = counted.iter().map(|(_, n)| *n).max()?;
    counted
        .into_iter()
        .find(|(_, n)| *n == most)
        .map(|(o, _)| o)
}

/// Whether `next` is the browser following `last`'s redirect.
fn follows(last: &Exchange, next: &Exchange) -> bool {
    if !(300..400).contains(&last.status) || next.method != "GET" {
        return false;
    }
    last.response_header("location")
        .and_then(|location| last.url.join(location).ok())
        .is_some_and(|target| target == next.url)
}

/// The methods a step can send (`get = …`, `post = …`).
const STEP_METHODS: &[&str] = &["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE"];

fn is_http(url: &url::Url) -> bool {
    matches!(url.scheme(), "http" | "https") && url.host().is_some()
}

fn classify(exchange: &Exchange, origin: &str, keep_assets: bool) -> Option<DropReason> {
    if !is_http(&exchange.url) {
        return Some(DropReason::NotHttp);
    }
    if exchange.status == 0 {
        return Some(DropReason::NoAnswer);
    }
    if exchange.method == "OPTIONS" {
        return Some(DropReason::Preflight);
    }
    if exchange.url.origin().ascii_serialization() != origin {
        return Some(DropReason::ThirdParty);
    }
    if !STEP_METHODS.contains(&exchange.method.as_str()) {
        return Some(DropReason::Method);
    }
    let path = exchange.url.path().to_ascii_lowercase();
    if exchange.resource_type.as_deref() == Some("ping")
        || ANALYTICS_PATHS
            .iter()
            .any(|p| path == *p || path.starts_with(&format!("{p}/")))
    {
        return Some(DropReason::Analytics);
    }
    let by_type = exchange
        .resource_type
        .as_deref()
        .is_some_and(|t| ASSET_TYPES.contains(&t));
    let by_extension = path
        .rsplit_once('.')
        .is_some_and(|(_, ext)| ASSET_EXTENSIONS.contains(&ext));
    // Firefox's HAR has no resource type: the answer's type tells.
    let mime = exchange.response_mime.as_str();
    let by_mime = ["image/", "font/", "audio/", "video/", "text/css"]
        .iter()
        .any(|m| mime.starts_with(m))
        || mime.contains("javascript");
    match (by_type || by_extension || by_mime, keep_assets) {
        (false, _) => None,
        (true, false) => Some(DropReason::Asset),
        (true, true) => (exchange.status >= 400).then_some(DropReason::FailedAsset),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::har::model::Pair;

    fn exchange(method: &str, url: &str, status: u16, mime: &str, location: &str) -> Exchange {
        Exchange {
            response_headers: Pair::all(&[("Location", location)]),
            ..Exchange::answered(method, url, status, mime, "")
        }
    }

    #[test]
    fn a_followed_redirect_stays_in_its_step_and_what_no_step_can_send_is_dropped() {
        let all = vec![
            exchange("POST", "http://s.test/cart/items", 303, "", "/cart"),
            exchange("GET", "http://s.test/cart", 200, "text/html", ""),
            exchange("GET", "http://s.test/theme", 200, "text/css", ""),
            exchange(
                "GET",
                "http://s.test/app",
                200,
                "application/javascript",
                "",
            ),
            exchange("OPTIONS", "http://s.test/api", 204, "", ""),
            exchange("BREW", "http://s.test/pot", 418, "text/plain", ""),
            exchange("", "http://s.test/", 200, "text/html", ""),
            exchange("GET", "data:text/plain,hi", 200, "text/plain", ""),
            exchange("GET", "http://s.test/product/1", 0, "", ""),
        ];
        let selection = select(all, false).unwrap();
        assert_eq!(selection.origin, "http://s.test");
        assert_eq!(selection.steps.len(), 1);
        assert_eq!(selection.steps[0].hops, 1);
        assert_eq!(selection.steps[0].last.url.path(), "/cart");
        let reasons: Vec<DropReason> = selection.dropped.iter().map(|d| d.reason).collect();
        assert_eq!(
            reasons,
            [
                DropReason::Asset,
                DropReason::Asset,
                DropReason::Preflight,
                DropReason::Method,
                DropReason::Method,
                DropReason::NotHttp,
                DropReason::NoAnswer,
            ]
        );
    }

    /// A recording that began on another site (a search that led to the shop)
    /// is the shop's: it was imported as the search engine's, with one step.
    #[test]
    fn the_shop_is_the_origin_most_pages_went_to() {
        let all = vec![
            exchange("GET", "http://search.test/?q=hats", 200, "text/html", ""),
            exchange("GET", "http://search.test/logo.png", 200, "image/png", ""),
            exchange(
                "GET",
                "http://search.test/app.js",
                200,
                "application/javascript",
                "",
            ),
            exchange("GET", "http://s.test/", 200, "text/html", ""),
            exchange("GET", "http://s.test/product/1", 200, "text/html", ""),
            exchange("POST", "http://s.test/cart", 200, "text/html", ""),
        ];
        let selection = select(all, false).unwrap();
        assert_eq!(selection.origin, "http://s.test");
        assert_eq!(selection.steps.len(), 3);
        assert_eq!(selection.dropped.len(), 3);
        assert!(
            selection
                .dropped
                .iter()
                .all(|d| d.reason == DropReason::ThirdParty)
        );
    }

    /// --keep-assets keeps the assets the shop served, not a missing favicon
    /// (its 404 failed every replay, exit 4 from the first walk).
    #[test]
    fn kept_assets_leave_out_those_answered_with_an_error() {
        let all = vec![
            exchange("GET", "http://s.test/", 200, "text/html", ""),
            exchange("GET", "http://s.test/theme.css", 200, "text/css", ""),
            exchange("GET", "http://s.test/favicon.ico", 404, "text/html", ""),
        ];
        let selection = select(all, true).unwrap();
        let kept: Vec<&str> = selection.steps.iter().map(|s| s.first.url.path()).collect();
        assert_eq!(kept, ["/", "/theme.css"]);
        assert_eq!(selection.dropped.len(), 1);
        assert_eq!(selection.dropped[0].reason, DropReason::FailedAsset);
        assert!(selection.dropped[0].url.ends_with("/favicon.ico"));
    }
}
