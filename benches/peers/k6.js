// Journey efficiency (benches/peers.sh journey): the same five-step journey as
// journey.toml and locustfile.py. 50 VUs, no think time, 10 s:
//   k6 run --quiet --no-usage-report --summary-export OUT.json -e BASE=http://127.0.0.1:PORT k6.js
// k6 keeps each VU's cookies itself; noCookiesReset keeps them across iterations, so each VU
// holds one shop session for the whole run, like a stampede shopper and a Locust user.
//
// Counting: k6's http_reqs also counts the 303 -> GET /cart hop that add-to-cart follows,
// which stampede and Locust count inside the add-to-cart request. The `redirect_hops`
// counter below counts those hops, so steps = http_reqs - redirect_hops (peers.sh).
// Every step has one check; a failed step ends the iteration, as in stampede.
import http from 'k6/http';
import { check } from 'k6';
import { parseHTML } from 'k6/html';
import { Counter } from 'k6/metrics';

const BASE = __ENV.BASE || 'http://127.0.0.1:8080';
const hops = new Counter('redirect_hops');
const failed = new Counter('failed_steps');

export const options = {
  vus: Number(__ENV.VUS || 50),
  duration: __ENV.DURATION || '10s',
  noCookiesReset: true,
  summaryTrendStats: ['avg', 'p(50)', 'p(95)', 'p(99)', 'max'],
};

function ok(r, name, pass) {
  if (!check(r, { [name]: () => pass })) {
    failed.add(1, { step: name });
    return false;
  }
  return true;
}

export default function () {
  // 1 api-product: a random product id in the URL; JSON extraction of the sku.
  const pid = 1 + Math.floor(Math.random() * 300);
  let r = http.get(`${BASE}/api/products/${pid}`, { tags: { name: 'api-product' } });
  const sku = r.status === 200 ? r.json('sku') : undefined;
  if (!ok(r, 'api-product', typeof sku === 'string' && sku.length > 0)) return;

  // 2 product: HTML extraction of the CSRF token (CSS selector).
  r = http.get(`${BASE}/product/${sku}`, { tags: { name: 'product' } });
  const csrf = r.status === 200 ? parseHTML(r.body).find('input[name=csrf]').attr('value') : undefined;
  if (!ok(r, 'product', typeof csrf === 'string' && csrf.length > 0)) return;

  // 3 add-to-cart: form POST with the session cookie and token -> 303 -> GET /cart.
  r = http.post(`${BASE}/cart/items`, { sku: sku, qty: '1', csrf: csrf }, { tags: { name: 'add-to-cart' } });
  if (r.url !== `${BASE}/cart/items`) hops.add(1);
  if (!ok(r, 'add-to-cart', r.status === 200 && r.body.includes('action="/checkout"'))) return;

  // 4 api-cart: the cart (JSON) holds the one line.
  r = http.get(`${BASE}/api/cart`, { tags: { name: 'api-cart' } });
  if (!ok(r, 'api-cart', r.status === 200 && r.json('items.0.qty') === 1)) return;

  // 5 checkout: 201 with the order id (JSON extraction).
  r = http.post(`${BASE}/checkout`, { csrf: csrf }, { tags: { name: 'checkout' } });
  const order = r.status === 201 ? r.json('order_id') : undefined;
  ok(r, 'checkout', order !== undefined && order !== null);
}
