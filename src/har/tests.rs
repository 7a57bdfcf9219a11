//! Import of the synthetic HAR fixtures in tests/fixtures/har: one edge case each.
