//! The JSON Schema of scenario files, for editors (taplo, Even Better TOML) and for
//! `stampede schema scenario`.
//!
//! The schema is derived (in tests) from the very serde types the parser uses
//! ([`super::raw`]); the value types with a hand-written syntax (durations, ratios,
//! think times, statuses, sizes) describe themselves here. The derived schema is
//! checked in at `scenarios/scenario.schema.json`, and a test fails when it drifts
//! from the code, so the copy embedded in the binary is always the code's.

/// The scenario schema, as checked in (and tested to match the parser's types).
pub const SCENARIO_SCHEMA: &str = include_str!("../../scenarios/scenario.schema.json");

/// A step's path: `/…`, a template `{{ … }}`, or a full URL (of an allowed host).
#[cfg(test)]
pub(super) const PATH: &str = r"^(/|\{\{|https?://)";

#[cfg(test)]
mod derive {
    use std::borrow::Cow;

    use schemars::{JsonSchema, Schema, SchemaGenerator, json_schema};

    use super::super::raw::{Dur, Ratio, StatusSpec, Think};
    use super::super::size::ByteSize;

    const UNIT: &str = "(nsec|ns|usec|us|µs|msec|millis|ms|seconds|second|secs|sec|s|minutes|minute|mins|min|m|hours|hour|hrs|hr|h|days|day|d|weeks|week|w|months|month|M|years|year|y)";
    const NUMBER: &str = r"[0-9]+(\.[0-9]+)?";

    impl JsonSchema for Dur {
        fn schema_name() -> Cow<'static, str> {
            "Duration".into()
        }
        fn json_schema(_: &mut SchemaGenerator) -> Schema {
            json_schema!({
                "description": "A duration with a unit: \"250ms\", \"30s\", \"2m\", \"1h 30m\".",
                "type": "string",
                "pattern": format!(r"^\s*{NUMBER}\s*{UNIT}(\s*{NUMBER}\s*{UNIT})*\s*$"),
                "examples": ["250ms", "30s", "2m"]
            })
        }
    }

    impl JsonSchema for Ratio {
        fn schema_name() -> Cow<'static, str> {
            "Ratio".into()
        }
        fn json_schema(_: &mut SchemaGenerator) -> Schema {
            json_schema!({
                "description": "A share: a percentage like \"1%\" or a fraction like 0.01.",
                "anyOf": [
                    { "type": "string", "pattern": r"^\s*(100(\.0+)?|[0-9]{1,2}(\.[0-9]+)?)\s*%\s*$" },
                    { "type": "number", "minimum": 0, "maximum": 1 }
                ],
                "examples": ["1%", 0.01]
            })
        }
    }

    impl JsonSchema for Think {
        fn schema_name() -> Cow<'static, str> {
            "Think".into()
        }
        fn json_schema(generator: &mut SchemaGenerator) -> Schema {
            let dur = generator.subschema_for::<Dur>();
            json_schema!({
                "description": "Think time: \"2s\", { uniform = [\"1s\", \"3s\"] }, { exponential = \"2s\" } (the mean) or { lognormal = { median = \"1s\", p90 = \"4s\" } }.",
                "anyOf": [
                    dur,
                    { "type": "object", "additionalProperties": false, "required": ["uniform"],
                      "properties": { "uniform": { "type": "array", "items": dur, "minItems": 2, "maxItems": 2 } } },
                    { "type": "object", "additionalProperties": false, "required": ["exponential"],
                      "properties": { "exponential": dur } },
                    { "type": "object", "additionalProperties": false, "required": ["lognormal"],
                      "properties": { "lognormal": {
                          "type": "object", "additionalProperties": false, "required": ["median", "p90"],
                          "properties": { "median": dur, "p90": dur } } } }
                ]
            })
        }
    }

    impl JsonSchema for StatusSpec {
        fn schema_name() -> Cow<'static, str> {
            "Status".into()
        }
        fn json_schema(_: &mut SchemaGenerator) -> Schema {
            let one = json_schema!({
                "anyOf": [
                    { "type": "integer", "minimum": 100, "maximum": 599 },
                    { "type": "string", "pattern": "^[1-5][xX][xX]$" }
                ]
            });
            json_schema!({
                "description": "Expected statuses: 200, \"2xx\", or a list of them like [200, \"3xx\"].",
                "anyOf": [ one, { "type": "array", "items": one, "minItems": 1 } ]
            })
        }
    }

    impl JsonSchema for ByteSize {
        fn schema_name() -> Cow<'static, str> {
            "ByteSize".into()
        }
        fn json_schema(_: &mut SchemaGenerator) -> Schema {
            json_schema!({
                "description": "A size: \"10MB\", \"512KiB\", or a number of bytes.",
                "anyOf": [
                    { "type": "string", "pattern": r"^\s*[0-9]+(\.[0-9]+)?\s*([bB]|[kKmMgG]([iI]?[bB])?)?\s*$" },
                    { "type": "integer", "minimum": 1 }
                ]
            })
        }
    }
}

#[cfg(test)]
mod tests {
    use std::path::{Path, PathBuf};

    use super::super::raw::RawScenario;

    const SCHEMA: &str = "scenarios/scenario.schema.json";

    fn root() -> &'static Path {
        Path::new(env!("CARGO_MANIFEST_DIR"))
    }

    /// The checked-in schema is the one the parser's types derive; regenerate it
    /// with `UPDATE_SCHEMA=1 cargo test --lib schema`.
    #[test]
    fn the_checked_in_scenario_schema_matches_the_parser() {
        let path = root().join(SCHEMA);
        let generated =
            serde_json::to_string_pretty(&schemars::schema_for!(RawScenario)).unwrap() + "\n";
        if std::env::var_os("UPDATE_SCHEMA").is_some() {
            std::fs::write(&path, &generated).unwrap();
        }
        let checked_in = std::fs::read_to_string(&path).unwrap_or_default();
        assert!(
            checked_in == generated,
            "{SCHEMA} is stale: run UPDATE_SCHEMA=1 cargo test --lib schema"
        );
    }

    fn validator() -> jsonschema::Validator {
        let schema: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(root().join(SCHEMA)).unwrap()).unwrap();
        jsonschema::validator_for(&schema).unwrap()
    }

    fn toml_files(dir: &str) -> Vec<PathBuf> {
        let mut files: Vec<PathBuf> = std::fs::read_dir(root().join(dir))
            .unwrap()
            .map(|e| e.unwrap().path())
            .filter(|p| p.extension().is_some_and(|e| e == "toml"))
            .collect();
        files.sort();
        files
    }

    /// The schema's verdict on a file: `None` when the TOML does not even parse.
    fn errors(validator: &jsonschema::Validator, path: &Path) -> Option<Vec<String>> {
        let text = std::fs::read_to_string(path).unwrap();
        let value: toml::Value = toml::from_str(&text).ok()?;
        let json = serde_json::to_value(value).unwrap();
        Some(
            validator
                .iter_errors(&json)
                .map(|e| e.to_string())
                .collect(),
        )
    }

    #[test]
    fn every_shipped_and_test_scenario_validates() {
        let validator = validator();
        let mut files = toml_files("scenarios");
        files.extend(toml_files("benches"));
        files.extend(toml_files("benches/peers"));
        assert!(files.len() >= 10, "{files:?}");
        for file in files {
            let found = errors(&validator, &file).expect("valid TOML");
            assert!(found.is_empty(), "{}: {found:?}", file.display());
            let text = std::fs::read_to_string(&file).unwrap();
            assert!(
                text.starts_with("#:schema "),
                "{} lacks the #:schema directive editors read",
                file.display()
            );
        }
    }

    /// Invalid fixtures whose fault is one of shape (a missing or unknown key, a
    /// wrong type, a malformed duration, status or share) fail the schema too; the
    /// rest need the parser's semantics (templates, gates, duplicates, bounds).
    #[test]
    fn the_invalid_fixtures_a_schema_can_catch_fail_it() {
        const CAUGHT: &[&str] = &[
            "bad-duration",
            "bad-percentage",
            "bad-size",
            "bad-status",
            "bare-number-duration",
            "empty-journeys",
            "journey-without-steps",
            "missing-name",
            "negative-weight",
            "no-load-profile",
            "path-without-slash",
            "step-without-method",
            "two-methods",
            "unknown-field",
            "unknown-model",
            "wrong-type",
            "zero-weight",
        ];
        let validator = validator();
        let mut passed = Vec::new();
        for file in toml_files("tests/fixtures/invalid") {
            let name = file.file_stem().unwrap().to_string_lossy().into_owned();
            let verdict = errors(&validator, &file);
            let fails = verdict.as_ref().is_none_or(|e| !e.is_empty());
            if CAUGHT.contains(&name.as_str()) {
                assert!(fails, "{name} should fail the schema");
            } else if !fails {
                passed.push(name);
            }
        }
        // Those the schema lets through are the faults only the parser's semantics
        // see; a new fixture must be sorted into one list or the other.
        const SEMANTIC: &[&str] = &[
            "bad-abort-on",
            "bad-gate-bound",
            "bad-regex",
            "bad-url",
            "bare-gate-ratio",
            "base-url-with-query",
            "data-not-a-file",
            "duplicate-journey",
            "gate-k6-threshold",
            "gate-unknown-journey",
            "gate-unknown-level",
            "gate-unknown-step",
            "gate-without-comparison",
            "max-below-start",
            "search-and-staircase",
            "search-bad-precision",
            "shop-keys-on-real-target",
            "stages-too-long",
            "staircase-too-many-levels",
            "step-think-too-long",
            "think-lognormal-too-wide",
            "too-long-timeout",
            "too-many-workers",
            "undefined-variable",
            "unknown-gate-metric",
            "unterminated-template",
            "zero-timeout",
        ];
        assert_eq!(passed, SEMANTIC);
    }
}
