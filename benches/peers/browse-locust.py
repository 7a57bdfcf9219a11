"""Journey efficiency, second journey (benches/peers.sh browse): the same six-step
journey as browse.toml and browse-k6.js, with Locust's FastHttpUser. 50 users, no think
time, 10 s:

    locust -f browse-locust.py --headless -u 50 -r 50 -t 10s -H http://127.0.0.1:PORT \
        --only-summary --json-file OUT

Locust ships no HTML parser and no CSS selector engine: each page is parsed once with
Python's standard html.parser, keeping the stack of open elements, and each CSS selector
of browse.toml is matched by hand against that stack (as a Locust user would write it).
The add-to-cart POST does not follow its 303 (allow_redirects=False): six requests per
journey, as for stampede and k6.
"""
import random
from html.parser import HTMLParser

from locust import FastHttpUser, task

CATEGORIES = ["shoes", "jackets", "electronics", "toys", "kitchen", "books", "garden", "sports"]
VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"}


class Page(HTMLParser):
    """One parse; `wants` maps a name to (match(stack, tag, attrs), attribute or None for
    text). Found values land in `found[name]` in document order."""

    def __init__(self, wants):
        super().__init__()
        self.wants = wants
        self.stack = []  # (tag, attrs dict, index among element siblings)
        self.children = [0]
        self.found = {name: [] for name in wants}
        self.texts = []  # (name, depth) being read

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        self.children[-1] += 1
        index = self.children[-1]
        for name, (match, attr) in self.wants.items():
            if match(self.stack, tag, a, index):
                if attr is None:
                    self.found[name].append("")
                    self.texts.append((name, len(self.stack)))
                elif attr in a:
                    self.found[name].append(a[attr])
        if tag in VOID:
            self.texts = [t for t in self.texts if t[1] < len(self.stack)]
            return
        self.stack.append((tag, a, index))
        self.children.append(0)

    def handle_endtag(self, tag):
        while self.stack:
            open_tag = self.stack.pop()[0]
            self.children.pop()
            depth = len(self.stack)
            for name, d in [t for t in self.texts if t[1] >= depth]:
                self.found[name][-1] = self.found[name][-1].strip()
            self.texts = [t for t in self.texts if t[1] < depth]
            if open_tag == tag:
                break

    def handle_data(self, data):
        for name, _ in self.texts:
            self.found[name][-1] += data


def parse(html, wants):
    p = Page(wants)
    p.feed(html)
    p.close()
    return p.found


def inside(stack, tag):
    return any(t == tag for t, _, _ in stack)


WANT_CATEGORY = {
    # main ul.products > li a @href
    "links": (lambda s, t, a, i: t == "a" and inside(s, "main")
              and any(st == "li" and k > 0 and s[k - 1][0] == "ul" and "products" in s[k - 1][1].get("class", "").split()
                      for k, (st, _, _) in enumerate(s)), "href"),
    # main > h1 (text)
    "heading": (lambda s, t, a, i: t == "h1" and s and s[-1][0] == "main", None),
}
WANT_PRODUCT = {
    # main form input[name=csrf] @value
    "csrf": (lambda s, t, a, i: t == "input" and a.get("name") == "csrf" and inside(s, "form") and inside(s, "main"), "value"),
    # main > p.sku (text)
    "sku": (lambda s, t, a, i: t == "p" and "sku" in a.get("class", "").split() and s and s[-1][0] == "main", None),
}
WANT_CART = {
    # table.cart tr > td:nth-child(2) (text)
    "line": (lambda s, t, a, i: t == "td" and i == 2 and s and s[-1][0] == "tr"
             and any(st == "table" and "cart" in sa.get("class", "").split() for st, sa, _ in s), None),
    # form[action="/checkout"] input[name=csrf] @value
    "token": (lambda s, t, a, i: t == "input" and a.get("name") == "csrf"
              and any(st == "form" and sa.get("action") == "/checkout" for st, sa, _ in s), "value"),
}


class Browser(FastHttpUser):
    # no wait_time: no think time between tasks

    @task
    def browse(self):
        # 1 category: every product link (one picked at random) and the heading text.
        cat = random.choice(CATEGORIES)
        with self.client.get(f"/category/{cat}", name="category", catch_response=True) as r:
            found = parse(r.text, WANT_CATEGORY) if r.status_code == 200 else None
            if not found or not found["links"] or not found["heading"]:
                r.failure("no product links")
                return
            product = random.choice(found["links"])
        # 2 product: the CSRF token and the sku (text), from one parse.
        with self.client.get(product, name="product", catch_response=True) as r:
            found = parse(r.text, WANT_PRODUCT) if r.status_code == 200 else None
            if not found or not found["csrf"] or not found["sku"]:
                r.failure("no csrf or sku")
                return
            csrf, sku = found["csrf"][0], found["sku"][0]
        # 3 add: form POST; the 303 to /cart is checked, not followed.
        with self.client.post("/cart/items", data={"sku": sku, "qty": "1", "csrf": csrf}, name="add",
                              allow_redirects=False, catch_response=True) as r:
            if r.status_code != 303 or r.headers.get("location") != "/cart":
                r.failure(f"add: {r.status_code}")
                return
        # 4 cart: the line's sku (text) and the checkout form's token, from one parse.
        with self.client.get("/cart", name="cart", catch_response=True) as r:
            found = parse(r.text, WANT_CART) if r.status_code == 200 else None
            if not found or not found["line"] or not found["token"]:
                r.failure("no cart line or token")
                return
            token = found["token"][0]
        # 5 api-cart: JSON check and extraction.
        with self.client.get("/api/cart", name="api-cart", catch_response=True) as r:
            items = r.json().get("items") if r.status_code == 200 else None
            if not items or items[0].get("qty") != 1 or not items[0].get("sku"):
                r.failure("cart does not hold the line")
                return
        # 6 checkout: 201 with the order id (JSON extraction).
        with self.client.post("/checkout", data={"csrf": token}, name="checkout", catch_response=True) as r:
            order = r.json().get("order_id") if r.status_code == 201 else None
            if order is None:
                r.failure(f"checkout: {r.status_code}")
