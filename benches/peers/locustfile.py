"""Journey efficiency (benches/peers.sh journey): the same five-step journey as
journey.toml and k6.js, with Locust's FastHttpUser. 50 users, no think time, 10 s:

    locust -f locustfile.py --headless -u 50 -r 50 -t 10s -H http://127.0.0.1:PORT \
        --only-summary --csv OUT

FastHttpUser's client keeps each user's cookies (the shop's session cookie) for the
whole run, like a stampede shopper and a k6 VU with noCookiesReset. It follows the
303 after add-to-cart within the same request, and Locust counts that as one request,
as stampede does.

HTML extraction: Python's standard html.parser (a full tokenizing parse of the page;
Locust ships no HTML parser and no CSS selector engine), looking for the element a CSS
selector `input[name=csrf]` would match and taking its `value`. JSON: response.json().
A failed step is marked failed and ends the journey, as in stampede.
"""
import random
from html.parser import HTMLParser

from locust import FastHttpUser, task


class CsrfInput(HTMLParser):
    """value of the first <input name="csrf"> (css: input[name=csrf] @value)."""

    def __init__(self):
        super().__init__()
        self.value = None

    def handle_starttag(self, tag, attrs):
        if tag == "input" and self.value is None:
            a = dict(attrs)
            if a.get("name") == "csrf":
                self.value = a.get("value")


def csrf_of(html):
    p = CsrfInput()
    p.feed(html)
    p.close()
    return p.value


class Buyer(FastHttpUser):
    # no wait_time: no think time between tasks (Locust's default for a User without one)

    @task
    def buyer(self):
        # 1 api-product: a random product id in the URL; JSON extraction of the sku.
        pid = random.randint(1, 300)
        with self.client.get(f"/api/products/{pid}", name="api-product", catch_response=True) as r:
            sku = r.json().get("sku") if r.status_code == 200 else None
            if not sku:
                r.failure("no sku")
                return
        # 2 product: HTML extraction of the CSRF token.
        with self.client.get(f"/product/{sku}", name="product", catch_response=True) as r:
            csrf = csrf_of(r.text) if r.status_code == 200 else None
            if not csrf:
                r.failure("no csrf input")
                return
        # 3 add-to-cart: form POST with the session cookie and token -> 303 -> GET /cart.
        with self.client.post("/cart/items", data={"sku": sku, "qty": "1", "csrf": csrf},
                              name="add-to-cart", catch_response=True) as r:
            if r.status_code != 200 or 'action="/checkout"' not in r.text:
                r.failure(f"add-to-cart: {r.status_code}")
                return
        # 4 api-cart: the cart (JSON) holds the one line.
        with self.client.get("/api/cart", name="api-cart", catch_response=True) as r:
            items = r.json().get("items") if r.status_code == 200 else None
            if not items or items[0].get("qty") != 1:
                r.failure("cart does not hold the line")
                return
        # 5 checkout: 201 with the order id (JSON extraction).
        with self.client.post("/checkout", data={"csrf": csrf}, name="checkout", catch_response=True) as r:
            order = r.json().get("order_id") if r.status_code == 201 else None
            if order is None:
                r.failure(f"checkout: {r.status_code}")
