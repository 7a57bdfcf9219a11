//! The demo shop's catalog: N products generated deterministically from a seed,
//! immutable once built, with lookups by id or SKU, by category and by name.

use rand::{RngExt, SeedableRng};
use rand_xoshiro::Xoshiro256PlusPlus;
use serde::Serialize;

/// The eight category slugs, in the order the home page lists them.
pub const CATEGORIES: [&str; 8] = [
    "shoes",
    "jackets",
    "electronics",
    "toys",
    "kitchen",
    "books",
    "garden",
    "sports",
];

const ADJECTIVES: [&str; 24] = [
    "Amber", "Bold", "Breezy", "Classic", "Cosy", "Crimson", "Deluxe", "Electric", "Feather",
    "Golden", "Granite", "Handy", "Indigo", "Lunar", "Mighty", "Nimble", "Polar", "Rapid",
    "Rustic", "Silver", "Sleek", "Sunny", "Urban", "Vintage",
];

/// Nouns per category, indexed like [`CATEGORIES`].
const NOUNS: [[&str; 6]; 8] = [
    [
        "Sneaker",
        "Trail Runner",
        "Boot",
        "Loafer",
        "Sandal",
        "High-Top",
    ],
    [
        "Parka",
        "Windbreaker",
        "Rain Shell",
        "Bomber",
        "Fleece",
        "Puffer",
    ],
    [
        "Headphones",
        "Smartwatch",
        "Speaker",
        "Tablet",
        "Charger",
        "Drone",
    ],
    [
        "Robot",
        "Puzzle",
        "Kite",
        "Train Set",
        "Plush Bear",
        "Yo-Yo",
    ],
    [
        "Kettle",
        "Skillet",
        "Blender",
        "Knife Set",
        "Teapot",
        "Toaster",
    ],
    [
        "Cookbook",
        "Atlas",
        "Novel",
        "Field Guide",
        "Notebook",
        "Almanac",
    ],
    ["Trowel", "Planter", "Hose", "Lantern", "Birdhouse", "Rake"],
    [
        "Football",
        "Yoga Mat",
        "Racket",
        "Dumbbell",
        "Helmet",
        "Jump Rope",
    ],
];

/// One product, as the JSON API shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Product {
    pub id: u32,
    pub sku: String,
    pub name: String,
    pub category: &'static str,
    pub price_cents: u64,
    pub stock: u32,
}

/// All products, id 1..=N stored at index id - 1.
#[derive(Debug)]
pub struct Catalog {
    products: Vec<Product>,
    /// Lower-cased names, for case-insensitive search.
    lower_names: Vec<String>,
}

/// The SKU of product `id`, e.g. `SKU-00042`.
pub fn sku_of(id: u32) -> String {
    format!("SKU-{id:05}")
}

impl Catalog {
    /// `count` products; the same seed always gives the same catalog.
    /// Categories go round-robin so every category has products once N >= 8.
    pub fn generate(count: u32, seed: u64) -> Self {
        let mut rng = Xoshiro256PlusPlus::seed_from_u64(seed);
        let products: Vec<Product> = (1..=count)
            .map(|id| {
                let cat = (id as usize - 1) % CATEGORIES.len();
                let adjective = ADJECTIVES[rng.random_range(0..ADJECTIVES.len())];
                let noun = NOUNS[cat][rng.random_range(0..NOUNS[cat].len())];
                let dollars: u64 = rng.random_range(2..=499);
                Product {
                    id,
                    sku: sku_of(id),
                    name: format!("{adjective} {noun}"),
                    category: CATEGORIES[cat],
                    price_cents: dollars * 100 + 99,
                    stock: rng.random_range(0..=500),
                }
            })
            .collect();
        let lower_names = products.iter().map(|p| p.name.to_lowercase()).collect();
        Catalog {
            products,
            lower_names,
        }
    }

    pub fn get(&self, id: u32) -> Option<&Product> {
        let index = usize::try_from(id).ok()?.checked_sub(1)?;
        self.products.get(index)
    }

    /// A product by SKU (`SKU-00042`, case-insensitive).
    pub fn by_sku(&self, sku: &str) -> Option<&Product> {
        let prefix = sku.get(..4).filter(|p| p.eq_ignore_ascii_case("SKU-"))?;
        let id: u32 = sku.get(prefix.len()..)?.parse().ok()?;
        self.get(id).filter(|p| p.sku.eq_ignore_ascii_case(sku))
    }

    /// A product by the key a URL carries: a numeric id or a SKU.
    pub fn by_key(&self, key: &str) -> Option<&Product> {
        match key.parse::<u32>() {
            Ok(id) => self.get(id),
            Err(_) => self.by_sku(key),
        }
    }

    /// Whether `slug` names a category.
    pub fn is_category(slug: &str) -> bool {
        CATEGORIES.contains(&slug)
    }

    /// The products of one category, in id order.
    pub fn in_category<'a>(&'a self, slug: &'a str) -> impl Iterator<Item = &'a Product> + 'a {
        self.products.iter().filter(move |p| p.category == slug)
    }

    /// Products whose name contains `query` (case-insensitive), optionally
    /// within one category, at most `limit`.
    pub fn search(&self, query: &str, category: Option<&str>, limit: usize) -> Vec<&Product> {
        let needle = query.to_lowercase();
        self.products
            .iter()
            .zip(&self.lower_names)
            .filter(|(p, _)| category.is_none_or(|c| p.category == c))
            .filter(|(_, name)| name.contains(&needle))
            .map(|(p, _)| p)
            .take(limit)
            .collect()
    }

    /// About a dozen products spread evenly over the catalog.
    pub fn featured(&self) -> Vec<&Product> {
        let n = self.products.len();
        let count = n.min(12);
        let mut picks: Vec<&Product> = (0..count)
            .filter_map(|i| self.products.get(i * n / count))
            .collect();
        picks.dedup_by_key(|p| p.id);
        picks
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_seed_same_catalog() {
        let a = Catalog::generate(300, 7);
        let b = Catalog::generate(300, 7);
        let c = Catalog::generate(300, 8);
        assert_eq!(a.products, b.products);
        assert_ne!(a.products, c.products);
        assert_eq!(a.products.len(), 300);
    }

    #[test]
    fn products_are_well_formed() {
        let catalog = Catalog::generate(100, 1);
        for (i, p) in catalog.products.iter().enumerate() {
            assert_eq!(p.id as usize, i + 1);
            assert_eq!(p.sku, sku_of(p.id));
            assert!(Catalog::is_category(p.category));
            assert!(p.price_cents >= 299 && p.price_cents % 100 == 99);
            assert!(p.stock <= 500);
        }
        for slug in CATEGORIES {
            assert!(catalog.in_category(slug).count() >= 12);
        }
    }

    #[test]
    fn lookups_by_id_and_sku() {
        let catalog = Catalog::generate(50, 1);
        assert_eq!(sku_of(42), "SKU-00042");
        assert_eq!(catalog.get(42).map(|p| p.id), Some(42));
        assert_eq!(catalog.by_key("42").map(|p| p.id), Some(42));
        assert_eq!(catalog.by_key("SKU-00042").map(|p| p.id), Some(42));
        assert_eq!(catalog.by_key("sku-00042").map(|p| p.id), Some(42));
        assert!(catalog.get(0).is_none());
        assert!(catalog.by_key("51").is_none());
        assert!(catalog.by_key("SKU-42").is_none());
        assert!(catalog.by_key("SKU-").is_none());
        assert!(catalog.by_key("é").is_none());
        assert!(catalog.by_key("").is_none());
    }

    #[test]
    fn search_is_case_insensitive_and_bounded() {
        let catalog = Catalog::generate(300, 1);
        let first = &catalog.products[0];
        let word = first.name.split(' ').next().unwrap_or_default();
        let hits = catalog.search(&word.to_uppercase(), None, 50);
        assert!(hits.iter().any(|p| p.id == first.id));
        assert!(hits.iter().all(|p| p.name.contains(word)));
        assert!(catalog.search("", None, 50).len() == 50);
        let shoes = catalog.search("", Some("shoes"), 1000);
        assert!(!shoes.is_empty() && shoes.iter().all(|p| p.category == "shoes"));
        assert!(catalog.search("no such thing", None, 50).is_empty());
    }

    #[test]
    fn featured_spreads_over_catalog() {
        let catalog = Catalog::generate(300, 1);
        let featured = catalog.featured();
        assert_eq!(featured.len(), 12);
        assert_eq!(featured[0].id, 1);
        assert_eq!(Catalog::generate(3, 1).featured().len(), 3);
        assert!(Catalog::generate(0, 1).featured().is_empty());
    }
}
