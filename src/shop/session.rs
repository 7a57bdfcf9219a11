//! Shopper sessions: a random id (the `session` cookie), a CSRF token and a
//! cart each, plus the order counter. Memory is bounded: past `max` sessions
//! the older half is forgotten (those shoppers simply get a new session).

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{SystemTime, UNIX_EPOCH};

use rand::{RngExt, SeedableRng};
use rand_xoshiro::Xoshiro256PlusPlus;

/// The largest quantity of one product a cart holds.
pub const MAX_LINE_QTY: u32 = 999;

/// The first order id handed out.
pub const FIRST_ORDER_ID: u64 = 1000;

/// One cart line: a product and how many.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CartLine {
    pub product_id: u32,
    pub qty: u32,
}

/// A snapshot of one session, for rendering.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SessionView {
    pub csrf: String,
    pub cart: Vec<CartLine>,
}

/// An order made at checkout from the (now emptied) cart.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Order {
    pub id: u64,
    pub lines: Vec<CartLine>,
}

/// Why a checkout made no order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CheckoutError {
    /// No such session (expired or never existed).
    NoSession,
    /// The cart had nothing in it.
    EmptyCart,
}

#[derive(Debug)]
struct Session {
    csrf: String,
    cart: Vec<CartLine>,
    /// Creation sequence number, for evicting the oldest.
    born: u64,
}

#[derive(Debug)]
struct Inner {
    map: HashMap<String, Session>,
    rng: Xoshiro256PlusPlus,
    created: u64,
    next_order: u64,
}

/// All live sessions.
#[derive(Debug)]
pub struct Sessions {
    inner: Mutex<Inner>,
    max: usize,
}

fn random_hex(rng: &mut Xoshiro256PlusPlus) -> String {
    format!("{:016x}{:016x}", rng.random::<u64>(), rng.random::<u64>())
}

impl Sessions {
    /// An empty store holding at most `max` sessions. Ids are random per
    /// process (the seed is mixed with the wall clock) so they are not guessable.
    pub fn new(seed: u64, max: usize) -> Self {
        let clock = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| d.as_nanos() as u64)
            .unwrap_or(0);
        let rng = Xoshiro256PlusPlus::seed_from_u64(seed ^ clock ^ 0x5e55_10a5_c0ff_ee00);
        Sessions {
            inner: Mutex::new(Inner {
                map: HashMap::new(),
                rng,
                created: 0,
                next_order: FIRST_ORDER_ID,
            }),
            max: max.max(2),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Whether `id` names a live session.
    pub fn is_live(&self, id: &str) -> bool {
        self.lock().map.contains_key(id)
    }

    /// Starts a new session and returns its id.
    pub fn create(&self) -> String {
        let mut inner = self.lock();
        if inner.map.len() >= self.max {
            let keep_from = inner.created.saturating_sub((self.max / 2) as u64);
            inner.map.retain(|_, s| s.born >= keep_from);
        }
        let id = random_hex(&mut inner.rng);
        let csrf = random_hex(&mut inner.rng);
        let born = inner.created;
        inner.created += 1;
        inner.map.insert(
            id.clone(),
            Session {
                csrf,
                cart: Vec::new(),
                born,
            },
        );
        id
    }

    /// The number of live sessions.
    #[cfg(test)]
    pub fn len(&self) -> usize {
        self.lock().map.len()
    }

    /// The session's token and cart, if it is live.
    pub fn view(&self, id: &str) -> Option<SessionView> {
        self.lock().map.get(id).map(|s| SessionView {
            csrf: s.csrf.clone(),
            cart: s.cart.clone(),
        })
    }

    /// Whether `token` is the session's CSRF token.
    pub fn csrf_ok(&self, id: &str, token: &str) -> bool {
        self.lock().map.get(id).is_some_and(|s| s.csrf == token)
    }

    /// Adds `qty` of a product to the cart (capped at [`MAX_LINE_QTY`] per
    /// line); false when the session is gone.
    pub fn add_to_cart(&self, id: &str, product_id: u32, qty: u32) -> bool {
        let mut inner = self.lock();
        let Some(session) = inner.map.get_mut(id) else {
            return false;
        };
        match session.cart.iter_mut().find(|l| l.product_id == product_id) {
            Some(line) => line.qty = line.qty.saturating_add(qty).min(MAX_LINE_QTY),
            None => session.cart.push(CartLine {
                product_id,
                qty: qty.min(MAX_LINE_QTY),
            }),
        }
        true
    }

    /// Turns the cart into an order and empties it.
    pub fn checkout(&self, id: &str) -> Result<Order, CheckoutError> {
        let mut inner = self.lock();
        let session = inner.map.get_mut(id).ok_or(CheckoutError::NoSession)?;
        if session.cart.is_empty() {
            return Err(CheckoutError::EmptyCart);
        }
        let lines = std::mem::take(&mut session.cart);
        let order_id = inner.next_order;
        inner.next_order += 1;
        Ok(Order {
            id: order_id,
            lines,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sessions_have_distinct_ids_and_tokens() {
        let sessions = Sessions::new(1, 100);
        let a = sessions.create();
        let b = sessions.create();
        assert_ne!(a, b);
        assert_eq!(a.len(), 32);
        assert!(a.chars().all(|c| c.is_ascii_hexdigit()));
        let (va, vb) = (sessions.view(&a), sessions.view(&b));
        let (Some(va), Some(vb)) = (va, vb) else {
            panic!("sessions missing");
        };
        assert_ne!(va.csrf, vb.csrf);
        assert!(sessions.csrf_ok(&a, &va.csrf));
        assert!(!sessions.csrf_ok(&a, &vb.csrf));
        assert!(!sessions.csrf_ok("nope", &va.csrf));
        assert!(!sessions.is_live("nope"));
    }

    #[test]
    fn cart_merges_lines_and_checkout_empties_it() {
        let sessions = Sessions::new(1, 100);
        let id = sessions.create();
        assert_eq!(sessions.checkout(&id), Err(CheckoutError::EmptyCart));
        assert!(sessions.add_to_cart(&id, 7, 2));
        assert!(sessions.add_to_cart(&id, 9, 1));
        assert!(sessions.add_to_cart(&id, 7, 3));
        let cart = sessions.view(&id).map(|v| v.cart).unwrap_or_default();
        assert_eq!(
            cart,
            vec![
                CartLine {
                    product_id: 7,
                    qty: 5
                },
                CartLine {
                    product_id: 9,
                    qty: 1
                }
            ]
        );
        let order = sessions.checkout(&id);
        assert_eq!(order.as_ref().map(|o| o.id), Ok(FIRST_ORDER_ID));
        assert_eq!(order.map(|o| o.lines), Ok(cart));
        assert_eq!(sessions.checkout(&id), Err(CheckoutError::EmptyCart));
        assert!(sessions.add_to_cart(&id, 1, 1));
        assert_eq!(sessions.checkout(&id).map(|o| o.id), Ok(FIRST_ORDER_ID + 1));
        assert_eq!(sessions.checkout("gone"), Err(CheckoutError::NoSession));
        assert!(!sessions.add_to_cart("gone", 1, 1));
    }

    #[test]
    fn line_quantity_is_capped() {
        let sessions = Sessions::new(1, 100);
        let id = sessions.create();
        assert!(sessions.add_to_cart(&id, 1, u32::MAX));
        assert!(sessions.add_to_cart(&id, 1, u32::MAX));
        let qty = sessions
            .view(&id)
            .and_then(|v| v.cart.first().map(|l| l.qty));
        assert_eq!(qty, Some(MAX_LINE_QTY));
    }

    #[test]
    fn memory_is_bounded_and_newest_survive() {
        let sessions = Sessions::new(1, 10);
        let ids: Vec<String> = (0..25).map(|_| sessions.create()).collect();
        assert!(sessions.len() <= 10);
        assert!(sessions.is_live(&ids[24]));
        assert!(sessions.is_live(&ids[23]));
        assert!(!sessions.is_live(&ids[0]));
    }
}
