//! The shop's HTTP surface: the router, the two middleware layers (capacity
//! gate with fault injection outside, sessions inside) and the handlers.
//!
//! Every route, the 404 fallback included, passes the gate first. Requests the
//! gate turns away (503) or fails on purpose (500) never reach a handler, so
//! they neither create sessions nor change carts.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use axum::Router;
use axum::extract::rejection::FormRejection;
use axum::extract::{Extension, Form, Path, Query, Request, State};
use axum::http::header::{COOKIE, LOCATION, RETRY_AFTER, SET_COOKIE};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::middleware::{self, Next};
use axum::response::{Html, IntoResponse, Json, Response};
use axum::routing::{get, post};
use rand::{RngExt, SeedableRng};
use rand_xoshiro::Xoshiro256PlusPlus;
use serde::Deserialize;
use serde_json::json;

use super::capacity::Door;
use super::catalog::{Catalog, Product};
use super::html;
use super::session::{CartLine, CheckoutError, MAX_LINE_QTY, Sessions};

/// Results returned by search and the product list API at most.
const MAX_RESULTS: usize = 50;

/// Counters behind [`super::ShopStats`].
#[derive(Debug, Default)]
pub struct Counters {
    pub served: AtomicU64,
    pub rejected_503: AtomicU64,
    pub faulted_500: AtomicU64,
}

/// Error injection: a seeded coin per request.
#[derive(Debug)]
pub struct Faults {
    rate: f64,
    rng: Mutex<Xoshiro256PlusPlus>,
}

impl Faults {
    pub fn new(rate: f64, seed: u64) -> Self {
        Faults {
            rate,
            rng: Mutex::new(Xoshiro256PlusPlus::seed_from_u64(seed)),
        }
    }

    /// Whether this request gets an injected 500.
    pub(super) fn strike(&self) -> bool {
        if self.rate <= 0.0 {
            return false;
        }
        let mut rng = self.rng.lock().unwrap_or_else(|e| e.into_inner());
        rng.random::<f64>() < self.rate
    }
}

/// Everything the handlers share.
#[derive(Debug)]
pub struct AppState {
    pub catalog: Catalog,
    pub sessions: Sessions,
    pub gate: Door,
    pub faults: Faults,
    pub counters: Counters,
}

type Shared = State<Arc<AppState>>;

/// The request's session, put in the extensions by the session layer.
#[derive(Debug, Clone)]
struct Sid {
    id: String,
    /// Created for this request: the client sent no (live) session cookie.
    fresh: bool,
}

/// Builds the shop's router over `state`.
pub fn router(state: Arc<AppState>) -> Router {
    Router::new()
        .route("/", get(home))
        .route("/category/{slug}", get(category))
        .route("/search", get(search))
        .route("/product/{key}", get(product))
        .route("/cart", get(cart))
        .route("/cart/items", post(add_item))
        .route("/checkout", post(checkout))
        .route("/api/products", get(api_products))
        .route("/api/products/{key}", get(api_product))
        .route("/api/cart", get(api_cart))
        .route("/healthz", get(|| async { "ok" }))
        .fallback(not_found)
        .layer(middleware::from_fn_with_state(state.clone(), session_layer))
        .layer(middleware::from_fn_with_state(state.clone(), gate_layer))
        .with_state(state)
}

async fn gate_layer(State(state): Shared, req: Request, next: Next) -> Response {
    let counters = &state.counters;
    if state.gate.pass().await.is_err() {
        counters.rejected_503.fetch_add(1, Ordering::Relaxed);
        let headers = [(RETRY_AFTER, "1")];
        return (StatusCode::SERVICE_UNAVAILABLE, headers, "queue full\n").into_response();
    }
    if state.faults.strike() {
        counters.faulted_500.fetch_add(1, Ordering::Relaxed);
        return (StatusCode::INTERNAL_SERVER_ERROR, "injected fault\n").into_response();
    }
    let response = next.run(req).await;
    counters.served.fetch_add(1, Ordering::Relaxed);
    response
}

/// The value of the `session` cookie, if the request carries one.
fn session_cookie(headers: &HeaderMap) -> Option<&str> {
    headers
        .get_all(COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(name, _)| *name == "session")
        .map(|(_, value)| value)
}

async fn session_layer(State(state): Shared, mut req: Request, next: Next) -> Response {
    let live = session_cookie(req.headers())
        .filter(|id| state.sessions.is_live(id))
        .map(str::to_owned);
    let sid = match live {
        Some(id) => Sid { id, fresh: false },
        None => Sid {
            id: state.sessions.create(),
            fresh: true,
        },
    };
    let cookie = sid
        .fresh
        .then(|| format!("session={}; Path=/; HttpOnly; SameSite=Lax", sid.id));
    req.extensions_mut().insert(sid);
    let mut response = next.run(req).await;
    if let Some(value) = cookie.and_then(|c| HeaderValue::from_str(&c).ok()) {
        response.headers_mut().append(SET_COOKIE, value);
    }
    response
}

fn page_not_found(what: &str) -> Response {
    let page = html::error("Not found", &format!("No such {what}."));
    (StatusCode::NOT_FOUND, Html(page)).into_response()
}

fn json_error(status: StatusCode, message: &str) -> Response {
    (status, Json(json!({ "error": message }))).into_response()
}

async fn not_found() -> Response {
    page_not_found("page")
}

async fn home(State(state): Shared) -> Html<String> {
    Html(html::home(&state.catalog.featured()))
}

type Params = Query<HashMap<String, String>>;

async fn category(State(state): Shared, Path(slug): Path<String>, Query(q): Params) -> Response {
    if !Catalog::is_category(&slug) {
        return page_not_found("category");
    }
    let page = q
        .get("page")
        .and_then(|p| p.parse::<usize>().ok())
        .filter(|&p| p >= 1)
        .unwrap_or(1);
    let products: Vec<&Product> = state.catalog.in_category(&slug).collect();
    Html(html::category(&slug, &products, page)).into_response()
}

async fn search(State(state): Shared, Query(q): Params) -> Html<String> {
    let query = q.get("q").map(String::as_str).unwrap_or_default();
    let results = state.catalog.search(query, None, MAX_RESULTS);
    Html(html::search(query, &results))
}

async fn product(
    State(state): Shared,
    Extension(sid): Extension<Sid>,
    Path(key): Path<String>,
) -> Response {
    let Some(p) = state.catalog.by_key(&key) else {
        return page_not_found("product");
    };
    let csrf = state
        .sessions
        .view(&sid.id)
        .map(|v| v.csrf)
        .unwrap_or_default();
    Html(html::product(p, &csrf)).into_response()
}

async fn api_product(State(state): Shared, Path(key): Path<String>) -> Response {
    match state.catalog.by_key(&key) {
        Some(p) => Json(p).into_response(),
        None => json_error(StatusCode::NOT_FOUND, "no such product"),
    }
}

async fn api_products(State(state): Shared, Query(q): Params) -> Json<Vec<Product>> {
    let category = q
        .get("category")
        .map(String::as_str)
        .filter(|c| !c.is_empty());
    let query = q.get("q").map(String::as_str).unwrap_or_default();
    let found = state.catalog.search(query, category, MAX_RESULTS);
    Json(found.into_iter().cloned().collect())
}

/// The cart's lines with their products, and the total in cents.
fn priced_cart<'a>(catalog: &'a Catalog, lines: &[CartLine]) -> (Vec<html::Line<'a>>, u64) {
    let lines: Vec<html::Line<'a>> = lines
        .iter()
        .filter_map(|l| {
            catalog.get(l.product_id).map(|product| html::Line {
                product,
                qty: l.qty,
            })
        })
        .collect();
    let total = lines
        .iter()
        .map(|l| l.product.price_cents.saturating_mul(u64::from(l.qty)))
        .fold(0u64, u64::saturating_add);
    (lines, total)
}

async fn cart(State(state): Shared, Extension(sid): Extension<Sid>) -> Html<String> {
    let view = state.sessions.view(&sid.id).unwrap_or_default();
    let (lines, total) = priced_cart(&state.catalog, &view.cart);
    Html(html::cart(&lines, total, &view.csrf))
}

async fn api_cart(State(state): Shared, Extension(sid): Extension<Sid>) -> Json<serde_json::Value> {
    let view = state.sessions.view(&sid.id).unwrap_or_default();
    let (lines, total) = priced_cart(&state.catalog, &view.cart);
    let items: Vec<serde_json::Value> = lines
        .iter()
        .map(
            |l| json!({ "sku": l.product.sku, "qty": l.qty, "price_cents": l.product.price_cents }),
        )
        .collect();
    Json(json!({ "items": items, "total_cents": total }))
}

#[derive(Debug, Default, Deserialize)]
struct AddItem {
    sku: Option<String>,
    qty: Option<String>,
    csrf: Option<String>,
}

/// Whether the request may change the session: it came with a live session
/// cookie and the session's CSRF token.
fn authorised(state: &AppState, sid: &Sid, token: Option<&str>) -> bool {
    !sid.fresh && token.is_some_and(|t| state.sessions.csrf_ok(&sid.id, t))
}

async fn add_item(
    State(state): Shared,
    Extension(sid): Extension<Sid>,
    form: Result<Form<AddItem>, FormRejection>,
) -> Response {
    let form = form.map(|Form(f)| f).unwrap_or_default();
    if !authorised(&state, &sid, form.csrf.as_deref()) {
        return (StatusCode::FORBIDDEN, "missing session or bad CSRF token\n").into_response();
    }
    let Some(p) = form.sku.as_deref().and_then(|s| state.catalog.by_sku(s)) else {
        return (StatusCode::UNPROCESSABLE_ENTITY, "unknown sku\n").into_response();
    };
    let qty = match form.qty.as_deref().map(str::trim) {
        None | Some("") => Some(1),
        Some(q) => q
            .parse::<u32>()
            .ok()
            .filter(|q| (1..=MAX_LINE_QTY).contains(q)),
    };
    let Some(qty) = qty else {
        return (
            StatusCode::UNPROCESSABLE_ENTITY,
            "qty must be a whole number from 1 to 999\n",
        )
            .into_response();
    };
    if !state.sessions.add_to_cart(&sid.id, p.id, qty) {
        return (StatusCode::FORBIDDEN, "session expired\n").into_response();
    }
    (StatusCode::SEE_OTHER, [(LOCATION, "/cart")]).into_response()
}

#[derive(Debug, Default, Deserialize)]
struct CheckoutForm {
    csrf: Option<String>,
}

async fn checkout(
    State(state): Shared,
    Extension(sid): Extension<Sid>,
    headers: HeaderMap,
    form: Result<Form<CheckoutForm>, FormRejection>,
) -> Response {
    let form = form.map(|Form(f)| f).unwrap_or_default();
    let header = headers.get("x-csrf-token").and_then(|v| v.to_str().ok());
    let token = form.csrf.as_deref().or(header);
    if !authorised(&state, &sid, token) {
        return json_error(StatusCode::FORBIDDEN, "missing session or bad CSRF token");
    }
    match state.sessions.checkout(&sid.id) {
        Ok(order) => {
            let (lines, total) = priced_cart(&state.catalog, &order.lines);
            let items: u64 = lines.iter().map(|l| u64::from(l.qty)).sum();
            let body = json!({ "order_id": order.id, "items": items, "total_cents": total });
            (StatusCode::CREATED, Json(body)).into_response()
        }
        Err(CheckoutError::EmptyCart) => json_error(StatusCode::CONFLICT, "cart is empty"),
        Err(CheckoutError::NoSession) => json_error(StatusCode::FORBIDDEN, "session expired"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_the_session_cookie_among_others() {
        let mut headers = HeaderMap::new();
        headers.append(COOKIE, HeaderValue::from_static("a=1; theme=dark"));
        assert_eq!(session_cookie(&headers), None);
        headers.append(COOKIE, HeaderValue::from_static("x=2;session=abc123 ; y=3"));
        assert_eq!(session_cookie(&headers), Some("abc123"));
        assert_eq!(session_cookie(&HeaderMap::new()), None);
    }

    #[test]
    fn fault_rates_zero_and_one_are_certain() {
        let never = Faults::new(0.0, 1);
        let always = Faults::new(1.0, 1);
        assert!((0..1000).all(|_| !never.strike() && always.strike()));
        let half = Faults::new(0.5, 1);
        let hits = (0..10_000).filter(|_| half.strike()).count();
        assert!((4_500..5_500).contains(&hits), "{hits}");
    }
}
