//! A small headless-commerce GraphQL API on loopback, for the GraphQL tests: JSON
//! POSTs to `/graphql`; `Start` opens a session and returns its token in the
//! `x-auth-token` header (and a `session` cookie, which the server reads first
//! when it comes back, as such shops do); `AddToCart` validates its variables'
//! types (a string for the `Int!` quantity is a top-level error, HTTP 200) and
//! answers a union (`Order`, or `InsufficientStockError` for the SKU "RARE");
//! `Checkout` places the order. Every operation but `Start` needs the session,
//! by cookie or `Authorization: Bearer`; none is a top-level "unauthenticated"
//! error. `Unparsed` and `Crashed` answer GraphQL errors with HTTP 400 and 500,
//! as Apollo does for a query it cannot parse and a resolver that crashed.
//! The server counts what it did, so a test can reconcile a run exactly.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

/// How long the server lives at most, whatever the test does.
const LIFETIME: Duration = Duration::from_secs(120);

/// What the server did, counted.
#[derive(Default)]
pub struct Counts {
    pub requests: AtomicU64,
    /// Sessions opened (`Start`).
    pub starts: AtomicU64,
    /// Requests that carried a Cookie header.
    pub with_cookie: AtomicU64,
    /// Requests authenticated by bearer token (no cookie).
    pub by_bearer: AtomicU64,
    /// Orders placed.
    pub checkouts: AtomicU64,
    /// Lines added to carts.
    pub added: AtomicU64,
}

#[derive(Default)]
struct Shop {
    counts: Counts,
    /// Session id → items in its cart.
    sessions: Mutex<HashMap<String, u64>>,
    next: AtomicU64,
}

pub struct GraphqlServer {
    pub url: String,
    shop: Arc<Shop>,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
}

impl Drop for GraphqlServer {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
    }
}

impl GraphqlServer {
    pub fn start() -> GraphqlServer {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind loopback");
        listener.set_nonblocking(true).expect("nonblocking");
        let url = format!("http://{}", listener.local_addr().expect("address"));
        let shop = Arc::new(Shop::default());
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let state = Arc::clone(&shop);
        std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_multi_thread()
                .worker_threads(2)
                .enable_all()
                .build()
                .expect("a runtime");
            runtime.block_on(async move {
                let listener = tokio::net::TcpListener::from_std(listener).expect("listener");
                let app = axum::Router::new()
                    .route("/graphql", axum::routing::post(graphql))
                    .with_state(state);
                let stopped = async {
                    let _ = tokio::time::timeout(LIFETIME, stopped).await;
                };
                let _ = axum::serve(listener, app)
                    .with_graceful_shutdown(stopped)
                    .await;
            });
        });
        GraphqlServer {
            url,
            shop,
            stop: Some(stop),
        }
    }

    pub fn counts(&self) -> &Counts {
        &self.shop.counts
    }
}

fn error(message: &str) -> Value {
    json!({ "errors": [{ "message": message }], "data": null })
}

/// The session a request belongs to: its cookie first, else its bearer token.
fn session(shop: &Shop, headers: &HeaderMap) -> Option<String> {
    let sessions = shop.sessions.lock().unwrap();
    let cookie = headers
        .get(header::COOKIE)
        .and_then(|v| v.to_str().ok())
        .and_then(|c| c.split(';').find_map(|p| p.trim().strip_prefix("session=")));
    if let Some(id) = cookie {
        return sessions.contains_key(id).then(|| id.to_string());
    }
    let bearer = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))?;
    shop.counts.by_bearer.fetch_add(1, Ordering::Relaxed);
    sessions.contains_key(bearer).then(|| bearer.to_string())
}

async fn graphql(State(shop): State<Arc<Shop>>, headers: HeaderMap, body: Bytes) -> Response {
    let counts = &shop.counts;
    counts.requests.fetch_add(1, Ordering::Relaxed);
    if headers.contains_key(header::COOKIE) {
        counts.with_cookie.fetch_add(1, Ordering::Relaxed);
    }
    let Ok(request) = serde_json::from_slice::<Value>(&body) else {
        return axum::Json(error("the body is not JSON")).into_response();
    };
    if !request["query"].is_string() {
        return axum::Json(error("no query")).into_response();
    }
    let variables = &request["variables"];
    // As Apollo answers a query it cannot parse, and a resolver that crashed:
    // GraphQL errors under another status than 200.
    let coded = |status: StatusCode, message: &str, code: &str| {
        let errors = json!({ "errors": [{ "message": message, "extensions": { "code": code } }] });
        (status, axum::Json(errors)).into_response()
    };
    match request["operationName"].as_str() {
        Some("Unparsed") => coded(
            StatusCode::BAD_REQUEST,
            "Syntax Error: Expected Name, found \")\".",
            "GRAPHQL_PARSE_FAILED",
        ),
        Some("Crashed") => coded(
            StatusCode::INTERNAL_SERVER_ERROR,
            "Cannot read properties of undefined (reading 'price')",
            "INTERNAL_SERVER_ERROR",
        ),
        Some("Start") => {
            let id = format!("session-{:06}", shop.next.fetch_add(1, Ordering::Relaxed));
            counts.starts.fetch_add(1, Ordering::Relaxed);
            shop.sessions.lock().unwrap().insert(id.clone(), 0);
            let mut response =
                axum::Json(json!({ "data": { "session": { "__typename": "Session" } } }))
                    .into_response();
            let h = response.headers_mut();
            h.insert("x-auth-token", HeaderValue::from_str(&id).unwrap());
            h.insert(
                header::SET_COOKIE,
                HeaderValue::from_str(&format!("session={id}; Path=/")).unwrap(),
            );
            response
        }
        Some(operation) => {
            let Some(id) = session(&shop, &headers) else {
                return axum::Json(error("unauthenticated: no session")).into_response();
            };
            axum::Json(operate(&shop, &id, operation, variables)).into_response()
        }
        None => axum::Json(error("operationName is required")).into_response(),
    }
}

fn operate(shop: &Shop, id: &str, operation: &str, variables: &Value) -> Value {
    match operation {
        "AddToCart" => {
            let Some(quantity) = variables["quantity"].as_i64() else {
                return error(&format!(
                    "Variable \"$quantity\" got invalid value {}; Int cannot represent non-integer value",
                    variables["quantity"]
                ));
            };
            if variables["sku"] == "RARE" {
                return json!({ "data": { "addItemToOrder": {
                    "__typename": "InsufficientStockError", "message": "only 0 of RARE left" } } });
            }
            *shop
                .sessions
                .lock()
                .unwrap()
                .entry(id.to_string())
                .or_default() += quantity as u64;
            shop.counts.added.fetch_add(1, Ordering::Relaxed);
            json!({ "data": { "addItemToOrder": { "__typename": "Order", "lines": quantity } } })
        }
        "Checkout" => {
            shop.counts.checkouts.fetch_add(1, Ordering::Relaxed);
            json!({ "data": { "checkout": { "__typename": "Order", "state": "PaymentSettled" } } })
        }
        other => error(&format!("unknown operation {other}")),
    }
}
