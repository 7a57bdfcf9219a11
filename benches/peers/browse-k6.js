// Journey efficiency, second journey (benches/peers.sh browse): the same six-step journey
// as browse.toml and browse-locust.py. 50 VUs, no think time, 10 s:
//   k6 run --quiet --no-usage-report --summary-export OUT.json -e BASE=http://127.0.0.1:PORT browse-k6.js
// noCookiesReset keeps each VU's shop session for the whole run. The add-to-cart POST does
// not follow its 303 (redirects: 0), so http_reqs counts six requests per journey, as
// stampede and Locust do. Every step has one check; a failed step ends the iteration.
import http from 'k6/http';
import { check } from 'k6';
import { parseHTML } from 'k6/html';
import { Counter } from 'k6/metrics';

const BASE = __ENV.BASE || 'http://127.0.0.1:8080';
const CATEGORIES = ['shoes', 'jackets', 'electronics', 'toys', 'kitchen', 'books', 'garden', 'sports'];
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
  // 1 category: every product link (one picked at random) and the heading text.
  const cat = CATEGORIES[Math.floor(Math.random() * CATEGORIES.length)];
  let r = http.get(`${BASE}/category/${cat}`, { tags: { name: 'category' } });
  let doc = r.status === 200 ? parseHTML(r.body) : undefined;
  const links = doc ? doc.find('main ul.products > li a').map((_, a) => a.attr('href')) : [];
  const heading = doc ? doc.find('main > h1').text().trim() : '';
  if (!ok(r, 'category', links.length > 0 && heading.length > 0)) return;
  const product = links[Math.floor(Math.random() * links.length)];

  // 2 product: the CSRF token and the sku (text), from one parse.
  r = http.get(`${BASE}${product}`, { tags: { name: 'product' } });
  doc = r.status === 200 ? parseHTML(r.body) : undefined;
  const csrf = doc ? doc.find('main form input[name=csrf]').attr('value') : undefined;
  const sku = doc ? doc.find('main > p.sku').text().trim() : '';
  if (!ok(r, 'product', typeof csrf === 'string' && csrf.length > 0 && sku.length > 0)) return;

  // 3 add: form POST; the 303 to /cart is checked, not followed.
  r = http.post(`${BASE}/cart/items`, { sku: sku, qty: '1', csrf: csrf },
    { tags: { name: 'add' }, redirects: 0 });
  if (!ok(r, 'add', r.status === 303 && r.headers['Location'] === '/cart')) return;

  // 4 cart: the line's sku (text) and the checkout form's token, from one parse.
  r = http.get(`${BASE}/cart`, { tags: { name: 'cart' } });
  doc = r.status === 200 ? parseHTML(r.body) : undefined;
  const line = doc ? doc.find('table.cart tr > td:nth-child(2)').first().text().trim() : '';
  const token = doc ? doc.find('form[action="/checkout"] input[name=csrf]').attr('value') : undefined;
  if (!ok(r, 'cart', line.length > 0 && typeof token === 'string' && token.length > 0)) return;

  // 5 api-cart: JSON check and extraction.
  r = http.get(`${BASE}/api/cart`, { tags: { name: 'api-cart' } });
  const cartSku = r.status === 200 ? r.json('items.0.sku') : undefined;
  if (!ok(r, 'api-cart', r.status === 200 && r.json('items.0.qty') === 1 && typeof cartSku === 'string')) return;

  // 6 checkout: 201 with the order id (JSON extraction).
  r = http.post(`${BASE}/checkout`, { csrf: token }, { tags: { name: 'checkout' } });
  const order = r.status === 201 ? r.json('order_id') : undefined;
  ok(r, 'checkout', order !== undefined && order !== null);
}
