//! Server-rendered HTML for the demo shop: small, valid, and escaped. Every
//! function here is pure (data in, markup out) so pages are easy to test.

use std::fmt::Write;

use super::catalog::{CATEGORIES, Product};

/// Products per category page.
pub const PAGE_SIZE: usize = 24;

/// Escapes text for HTML element content and quoted attribute values.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            _ => out.push(c),
        }
    }
    out
}

/// `1234` cents -> `$12.34`.
pub fn price(cents: u64) -> String {
    format!("${}.{:02}", cents / 100, cents % 100)
}

/// Wraps `body` (already markup) in the page layout.
pub fn layout(title: &str, body: &str) -> String {
    let title = escape(title);
    format!(
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
         <title>{title} - Stampede Demo Shop</title>\n</head>\n<body>\n<header>\n\
         <a href=\"/\">Stampede Demo Shop</a> | <a href=\"/cart\">Cart</a>\n\
         <form method=\"get\" action=\"/search\"><input type=\"search\" name=\"q\" \
         aria-label=\"Search\"> <button type=\"submit\">Search</button></form>\n\
         </header>\n<main>\n<h1>{title}</h1>\n{body}</main>\n</body>\n</html>\n"
    )
}

fn product_list(products: &[&Product]) -> String {
    if products.is_empty() {
        return "<p>No products.</p>\n".to_string();
    }
    let mut out = String::from("<ul class=\"products\">\n");
    for p in products {
        let _ = writeln!(
            out,
            "<li><a href=\"/product/{}\">{}</a> {}</li>",
            p.id,
            escape(&p.name),
            price(p.price_cents)
        );
    }
    out.push_str("</ul>\n");
    out
}

/// The home page: every category and the featured products.
pub fn home(featured: &[&Product]) -> String {
    let mut body = String::from("<h2>Categories</h2>\n<ul class=\"categories\">\n");
    for slug in CATEGORIES {
        let _ = writeln!(body, "<li><a href=\"/category/{slug}\">{slug}</a></li>");
    }
    body.push_str("</ul>\n<h2>Featured</h2>\n");
    body.push_str(&product_list(featured));
    layout("Welcome", &body)
}

/// One page (1-based) of a category's products, with page links.
pub fn category(slug: &str, products: &[&Product], page: usize) -> String {
    let pages = products.len().div_ceil(PAGE_SIZE).max(1);
    let shown: Vec<&Product> = products
        .iter()
        .skip(page.saturating_sub(1).saturating_mul(PAGE_SIZE))
        .take(PAGE_SIZE)
        .copied()
        .collect();
    let mut body = format!("<p>Page {page} of {pages}</p>\n");
    body.push_str(&product_list(&shown));
    let mut nav = String::new();
    if page > 1 {
        let _ = writeln!(
            nav,
            "<a rel=\"prev\" href=\"/category/{slug}?page={}\">Previous</a>",
            page - 1
        );
    }
    if page < pages {
        let _ = writeln!(
            nav,
            "<a rel=\"next\" href=\"/category/{slug}?page={}\">Next</a>",
            page + 1
        );
    }
    if !nav.is_empty() {
        let _ = write!(body, "<nav class=\"pages\">\n{nav}</nav>\n");
    }
    layout(&format!("Category: {slug}"), &body)
}

/// Search results for `query`.
pub fn search(query: &str, results: &[&Product]) -> String {
    let body = format!(
        "<p>{} result(s) for &quot;{}&quot;</p>\n{}",
        results.len(),
        escape(query),
        product_list(results)
    );
    layout("Search", &body)
}

/// A product page with its add-to-cart form.
pub fn product(p: &Product, csrf: &str) -> String {
    let body = format!(
        "<p class=\"sku\">{sku}</p>\n<p class=\"category\">Category: \
         <a href=\"/category/{cat}\">{cat}</a></p>\n\
         <p class=\"price\">{price}</p>\n<p class=\"stock\">{stock} in stock</p>\n\
         <form method=\"post\" action=\"/cart/items\">\n\
         <input type=\"hidden\" name=\"csrf\" value=\"{csrf}\">\n\
         <input type=\"hidden\" name=\"sku\" value=\"{sku}\">\n\
         <label>Quantity <input type=\"number\" name=\"qty\" value=\"1\" min=\"1\" max=\"999\"></label>\n\
         <button type=\"submit\">Add to cart</button>\n</form>\n",
        sku = escape(&p.sku),
        cat = p.category,
        price = price(p.price_cents),
        stock = p.stock,
        csrf = escape(csrf),
    );
    layout(&p.name, &body)
}

/// One cart line ready to render: the product and its quantity.
pub struct Line<'a> {
    pub product: &'a Product,
    pub qty: u32,
}

/// The cart: lines, total and the checkout form.
pub fn cart(lines: &[Line<'_>], total_cents: u64, csrf: &str) -> String {
    let mut body = String::new();
    if lines.is_empty() {
        body.push_str("<p>Your cart is empty.</p>\n");
    } else {
        body.push_str("<table class=\"cart\">\n<tr><th>Product</th><th>SKU</th><th>Qty</th><th>Price</th></tr>\n");
        for line in lines {
            let p = line.product;
            let _ = writeln!(
                body,
                "<tr><td><a href=\"/product/{}\">{}</a></td><td>{}</td><td>{}</td><td>{}</td></tr>",
                p.id,
                escape(&p.name),
                escape(&p.sku),
                line.qty,
                price(p.price_cents)
            );
        }
        body.push_str("</table>\n");
    }
    let _ = write!(
        body,
        "<p class=\"total\">Total: {}</p>\n\
         <form method=\"post\" action=\"/checkout\">\n\
         <input type=\"hidden\" name=\"csrf\" value=\"{}\">\n\
         <button type=\"submit\">Check out</button>\n</form>\n",
        price(total_cents),
        escape(csrf)
    );
    layout("Your cart", &body)
}

/// A short error page (404 and friends).
pub fn error(title: &str, message: &str) -> String {
    layout(title, &format!("<p>{}</p>\n", escape(message)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::shop::catalog::Catalog;

    #[test]
    fn escapes_markup() {
        assert_eq!(
            escape("<a href=\"x\">&'</a>"),
            "&lt;a href=&quot;x&quot;&gt;&amp;&#39;&lt;/a&gt;"
        );
        let page = search("<script>alert(1)</script>", &[]);
        assert!(!page.contains("<script>"));
        assert!(page.contains("&lt;script&gt;"));
    }

    #[test]
    fn formats_prices() {
        assert_eq!(price(0), "$0.00");
        assert_eq!(price(1999), "$19.99");
        assert_eq!(price(100_005), "$1000.05");
    }

    #[test]
    fn home_links_categories_and_products() {
        let catalog = Catalog::generate(300, 1);
        let page = home(&catalog.featured());
        for slug in CATEGORIES {
            assert!(page.contains(&format!("href=\"/category/{slug}\"")));
        }
        assert_eq!(page.matches("href=\"/product/").count(), 12);
        assert!(page.starts_with("<!DOCTYPE html>"));
    }

    #[test]
    fn category_pages_hold_24_with_links() {
        let catalog = Catalog::generate(300, 1);
        let shoes: Vec<&Product> = catalog.in_category("shoes").collect();
        assert_eq!(shoes.len(), 38);
        let first = category("shoes", &shoes, 1);
        assert_eq!(first.matches("href=\"/product/").count(), 24);
        assert!(first.contains("href=\"/category/shoes?page=2\""));
        let second = category("shoes", &shoes, 2);
        assert_eq!(second.matches("href=\"/product/").count(), 14);
        assert!(second.contains("?page=1"));
        assert!(!second.contains("?page=3"));
        let beyond = category("shoes", &shoes, 9);
        assert!(beyond.contains("No products."));
    }

    #[test]
    fn product_page_has_the_cart_form() {
        let catalog = Catalog::generate(5, 1);
        let Some(p) = catalog.get(3) else {
            panic!("product 3 missing");
        };
        let page = product(p, "tok123");
        assert!(page.contains("<form method=\"post\" action=\"/cart/items\">"));
        assert!(page.contains("<input type=\"hidden\" name=\"csrf\" value=\"tok123\">"));
        assert!(page.contains("<input type=\"hidden\" name=\"sku\" value=\"SKU-00003\">"));
        assert!(page.contains("name=\"qty\""));
    }

    #[test]
    fn cart_page_shows_lines_total_and_checkout() {
        let catalog = Catalog::generate(5, 1);
        let Some(p) = catalog.get(2) else {
            panic!("product 2 missing");
        };
        let page = cart(&[Line { product: p, qty: 2 }], 2 * p.price_cents, "tok");
        assert!(page.contains(&price(2 * p.price_cents)));
        assert!(page.contains("action=\"/checkout\""));
        assert!(page.contains("name=\"csrf\" value=\"tok\""));
        assert!(cart(&[], 0, "tok").contains("empty"));
    }
}
