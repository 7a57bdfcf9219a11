//! Tests of templates: names, constants, slots, rows, generators, typed
//! expressions, conversions, quoted text and URL escaping.

use super::*;
use rand::SeedableRng;

/// A data file of text columns, whole (a test's feeder lives for the test run).
fn feeder(file: &str, rows: &[&[&str]]) -> &'static crate::scenario::data::Feeder {
    let rows: Vec<Vec<String>> = rows
        .iter()
        .map(|row| row.iter().map(|v| v.to_string()).collect())
        .collect();
    // A CSV file's rows on the lines after its header.
    let lines = match file.ends_with(".csv") {
        true => (2..).take(rows.len()).collect(),
        false => Vec::new(),
    };
    Box::leak(Box::new(crate::scenario::data::Feeder {
        name: "p".into(),
        columns: vec![String::new(); rows[0].len()],
        typed: vec![false; rows[0].len()],
        rows,
        gaps: Vec::new(),
        mixed: Vec::new(),
        lines,
        file: file.into(),
        pick: crate::scenario::data::FeedPick::Random,
        when_exhausted: crate::scenario::data::Exhausted::Stop,
    }))
}

fn resolve(name: &str) -> Resolved<'static> {
    match name {
        "shop" => Resolved::Constant("acme".into()),
        "csrf" => Resolved::Slot(0),
        "order.id" => Resolved::Slot(1),
        "products.sku" => Resolved::Data {
            feeder: 0,
            column: 1,
            data: feeder("products.csv", &[&["A-1", "7"]]),
        },
        "sizes.label" => Resolved::Data {
            feeder: 1,
            column: 0,
            data: feeder("sizes.csv", &[&["12"], &["M"]]),
        },
        "uuid" => Resolved::Generated(Generator::Uuid),
        "seq" => Resolved::Generated(Generator::Sequence),
        "shopper" => Resolved::Generated(Generator::Shopper),
        _ => Resolved::Unknown,
    }
}

fn render(t: &Template, slots: &[Vec<Value>], rows: &[Vec<String>], seed: u64) -> String {
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(seed);
    let mut sequence = 0;
    t.render(&mut Scope {
        slots,
        rows,
        rng: &mut rng,
        sequence: &mut sequence,
        shopper: 7,
    })
    .unwrap()
}

fn typed(source: &str, slots: &[Vec<Value>]) -> Result<Value, RenderError> {
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(1);
    let mut sequence = 0;
    let e = Expression::compile_whole(source, &mut resolve)
        .unwrap()
        .expect("one expression");
    e.render(&mut Scope {
        slots,
        rows: &[vec!["1".into(), "7".into()]],
        rng: &mut rng,
        sequence: &mut sequence,
        shopper: 7,
    })
}

#[test]
fn a_whole_expression_keeps_its_type_and_filters_convert_it() {
    use serde_json::json;
    let slots = vec![vec![json!(3)], vec![json!({"id": 1}), json!(true)]];
    assert_eq!(typed("{{ csrf }}", &slots), Ok(json!(3)));
    assert_eq!(typed("{{ order.id | last }}", &slots), Ok(json!(true)));
    assert_eq!(typed("{{ order.id }}", &slots), Ok(json!({"id": 1})));
    assert_eq!(typed("{{ seq }}", &slots), Ok(json!(1)));
    // The shopper's number, the same at every use (the scope's: 7).
    assert_eq!(typed("{{ shopper }}", &slots), Ok(json!(7)));
    let t = Template::compile("user{{ shopper }}-{{ shopper }}", &mut resolve).unwrap();
    assert_eq!(render(&t, &slots, &[], 1), "user7-7");
    assert_eq!(typed("{{ products.sku }}", &slots), Ok(json!("7")));
    assert_eq!(typed("{{ products.sku | int }}", &slots), Ok(json!(7)));
    // Every row of a data column is tried at load: one the conversion
    // refuses would fail every journey that took that row.
    let refused = Template::compile("{{ sizes.label | int }}", &mut resolve).unwrap_err();
    assert_eq!(
        refused.to_string(),
        "cannot convert: \"M\" is not an int (sizes.csv, line 3)"
    );
    Template::compile("{{ sizes.label }}", &mut resolve).unwrap();
    assert_eq!(typed("{{ csrf | string }}", &slots), Ok(json!("3")));
    assert_eq!(typed("{{ 'a}}b' }}", &slots), Ok(json!("a}}b")));
    assert!(typed("{{ order.id | last | int }}", &slots).is_err());
    // A list whole, each element converted as asked.
    let ids = vec![vec![json!("1"), json!("22")]];
    assert_eq!(typed("{{ csrf | all }}", &ids), Ok(json!(["1", "22"])));
    assert_eq!(typed("{{ csrf | all | int }}", &ids), Ok(json!([1, 22])));
    assert_eq!(typed("{{ csrf | all }}", &[vec![]]), Ok(json!([])));
    let list = Template::compile("ids={{ csrf | all | int }}", &mut resolve).unwrap();
    assert_eq!(render(&list, &ids, &[], 1), "ids=[1,22]");
    for not_whole in [
        "x{{ csrf }}",
        "{{ csrf }} ",
        "{{ csrf }}{{ csrf }}",
        "plain",
    ] {
        let e = Expression::compile_whole(not_whole, &mut resolve).unwrap();
        assert!(e.is_none(), "{not_whole}");
    }
    assert!(matches!(
        Expression::compile_whole("{{ shop | int }}", &mut resolve),
        Err(TemplateError::Convert { .. })
    ));
}

#[test]
fn quoted_text_writes_braces_and_urls_escape_values() {
    let t = Template::compile("{{ '{{' }} name }}", &mut resolve).unwrap();
    assert_eq!(t.as_constant(), Some("{{ name }}"));
    let url = Template::compile_url("{{ csrf }}/x/{{ csrf }}?q={{ shop }}", &mut resolve).unwrap();
    let slots = vec![vec!["/p/1".into()]];
    assert_eq!(render(&url, &slots, &[], 1), "/p/1/x/%2Fp%2F1?q=acme");
    let raw = Template::compile_url("/go?next={{ csrf | raw }}", &mut resolve).unwrap();
    let slots = vec![vec!["%2Fcart".into()]];
    assert_eq!(render(&raw, &slots, &[], 1), "/go?next=%2Fcart");
}

#[test]
fn inlines_constants_and_renders_slots_rows_and_lists() {
    let t = Template::compile(
        "/{{shop}}/x/{{ csrf }}?o={{ order.id | last }}&s={{ products.sku }}",
        &mut resolve,
    )
    .unwrap();
    assert_eq!(t.as_constant(), None);
    let slots = vec![vec!["tok".into()], vec!["41".into(), "42".into()]];
    let rows = vec![vec!["1".into(), "SKU-9".into()]];
    assert_eq!(render(&t, &slots, &rows, 1), "/acme/x/tok?o=42&s=SKU-9");
    assert_eq!(t.feeders().collect::<Vec<_>>(), [0]);
    let c = Template::compile("/{{ shop }}/home", &mut resolve).unwrap();
    assert_eq!(c.as_constant(), Some("/acme/home"));
    let r = Template::compile("{{ order.id | random }}", &mut resolve).unwrap();
    let seen: std::collections::BTreeSet<String> =
        (0..40).map(|s| render(&r, &slots, &rows, s)).collect();
    assert_eq!(seen.len(), 2);
}

#[test]
fn generators_make_fresh_values_from_the_seed() {
    let t = Template::compile("{{ uuid }} {{ seq }} {{ seq }}", &mut resolve).unwrap();
    let a = render(&t, &[], &[], 7);
    assert_eq!(a, render(&t, &[], &[], 7));
    assert_ne!(a, render(&t, &[], &[], 8));
    let (uuid, rest) = a.split_once(' ').unwrap();
    assert_eq!(rest, "1 2");
    assert_eq!(uuid.len(), 36);
    assert_eq!(&uuid[14..15], "4");
}

/// Finding 7 (as the README says): a `[vars]` generator draws at every use,
/// even twice in one template; a data column reads the journey's one row.
#[test]
fn a_generator_draws_at_each_use_and_a_data_row_is_read_the_same_each_time() {
    let mut resolve = |name: &str| match name {
        "size" => Resolved::Generated(Generator::OneOf((0..20).map(Value::from).collect())),
        other => resolve(other),
    };
    let t = Template::compile("{{ size }} {{ size }}", &mut resolve).unwrap();
    let differ = (0..20)
        .map(|seed| render(&t, &[], &[], seed))
        .filter(|r| r.split_once(' ').is_some_and(|(a, b)| a != b))
        .count();
    assert!(differ > 10, "{differ} of 20 draws differ");
    let d = Template::compile("{{ products.sku }} {{ products.sku }}", &mut resolve).unwrap();
    let rows = vec![vec!["1".into(), "SKU-9".into()]];
    assert_eq!(render(&d, &[], &rows, 3), "SKU-9 SKU-9");
}

#[test]
fn reports_errors_with_offsets() {
    assert_eq!(
        Template::compile("/a/{{ csrf", &mut resolve),
        Err(TemplateError::Unterminated { offset: 3 })
    );
    assert_eq!(
        Template::compile("/{{ nope }}", &mut resolve),
        Err(TemplateError::Undefined {
            offset: 1,
            name: "nope".into()
        })
    );
    assert!(matches!(
        Template::compile("{{ a b }}", &mut resolve),
        Err(TemplateError::BadName { .. })
    ));
    assert!(matches!(
        Template::compile("{{}}", &mut resolve),
        Err(TemplateError::BadName { .. })
    ));
    assert!(matches!(
        Template::compile("{{ csrf | upper }}", &mut resolve),
        Err(TemplateError::BadFilter { .. })
    ));
}
