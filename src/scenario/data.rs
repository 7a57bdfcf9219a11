//! Data feeders: rows from a CSV file (first line: column names) or a JSON array of
//! objects, read once when the scenario loads. A journey takes one row of each
//! feeder it uses, so `{{ products.sku }}` and `{{ products.price }}` agree.

use std::path::Path;
use std::sync::atomic::{AtomicUsize, Ordering};

use rand::RngExt;
use rand_xoshiro::Xoshiro256PlusPlus;

/// How a journey gets its row.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FeedPick {
    Random,
    /// In order, all shoppers sharing one cursor, starting over at the end.
    Sequential,
    /// Each row once, across all shoppers.
    Unique,
}

/// What `unique` does when every row has been used.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Exhausted {
    /// End the run (the report says why).
    Stop,
    Recycle,
}

#[derive(Debug, Clone)]
pub struct Feeder {
    pub name: String,
    pub columns: Vec<String>,
    pub rows: Vec<Vec<String>>,
    pub pick: FeedPick,
    pub when_exhausted: Exhausted,
}

/// The largest data file (64 MiB): every row is kept in memory for the whole run.
pub const MAX_DATA_FILE: u64 = 64 * 1024 * 1024;

/// Why a data file cannot be used, said for a person.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct DataError(pub String);

impl Feeder {
    /// Reads `path` (`.csv`, or `.json` for an array of objects) into columns and rows.
    pub fn read(path: &Path) -> Result<(Vec<String>, Vec<Vec<String>>), DataError> {
        Self::read_rows(path).map_err(DataError)
    }

    fn read_rows(path: &Path) -> Result<(Vec<String>, Vec<Vec<String>>), String> {
        let text =
            crate::files::read_regular_text(path, MAX_DATA_FILE, "a data file").map_err(|e| e.0)?;
        let is_json = path
            .extension()
            .is_some_and(|e| e.eq_ignore_ascii_case("json"));
        // The data file's own fault, named: the scenario only points at it.
        let in_file = |why: String| format!("{}: {why}", path.display());
        let (columns, rows) = if is_json {
            read_json(&text).map_err(in_file)?
        } else {
            read_csv(&text).map_err(in_file)?
        };
        if rows.is_empty() {
            return Err(format!("{} holds no rows", path.display()));
        }
        Ok((columns, rows))
    }

    pub fn column(&self, name: &str) -> Option<usize> {
        self.columns.iter().position(|c| c == name)
    }

    /// The row for one journey; `None` when `unique` rows ran out and the run
    /// should stop. `cursor` is the run's shared position in this feeder.
    pub fn next_row(
        &self,
        cursor: &AtomicUsize,
        rng: &mut Xoshiro256PlusPlus,
    ) -> Option<&[String]> {
        let n = self.rows.len();
        let index = match self.pick {
            FeedPick::Random => rng.random_range(0..n),
            FeedPick::Sequential => cursor.fetch_add(1, Ordering::Relaxed) % n,
            FeedPick::Unique => {
                let taken = cursor.fetch_add(1, Ordering::Relaxed);
                match self.when_exhausted {
                    Exhausted::Stop if taken >= n => return None,
                    _ => taken % n,
                }
            }
        };
        Some(&self.rows[index])
    }
}

fn read_csv(text: &str) -> Result<(Vec<String>, Vec<Vec<String>>), String> {
    let mut reader = csv::ReaderBuilder::new()
        .trim(csv::Trim::All)
        .from_reader(text.as_bytes());
    let columns: Vec<String> = reader
        .headers()
        .map_err(|e| format!("CSV header: {e}"))?
        .iter()
        .map(str::to_string)
        .collect();
    // `{{ p.sku }}` would read one of two `sku` columns without a word of which.
    if let Some((at, name)) = columns
        .iter()
        .enumerate()
        .find(|(i, c)| columns[..*i].contains(c))
    {
        return Err(format!(
            "CSV header: column {} is named `{name}` as an earlier one is: name each column once",
            at + 1
        ));
    }
    let mut rows = Vec::new();
    for record in reader.records() {
        let record = record.map_err(|e| e.to_string())?;
        rows.push(record.iter().map(str::to_string).collect());
    }
    Ok((columns, rows))
}

fn read_json(text: &str) -> Result<(Vec<String>, Vec<Vec<String>>), String> {
    let value: serde_json::Value = serde_json::from_str(text).map_err(|e| format!("JSON: {e}"))?;
    let items = value.as_array().ok_or("expected a JSON array of objects")?;
    let mut columns: Vec<String> = Vec::new();
    for item in items {
        let object = item.as_object().ok_or("expected a JSON array of objects")?;
        for key in object.keys() {
            if !columns.contains(key) {
                columns.push(key.clone());
            }
        }
    }
    let rows = items
        .iter()
        .map(|item| {
            columns
                .iter()
                .map(|c| match item.get(c) {
                    Some(serde_json::Value::String(s)) => s.clone(),
                    Some(serde_json::Value::Null) | None => String::new(),
                    Some(other) => other.to_string(),
                })
                .collect()
        })
        .collect();
    Ok((columns, rows))
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;

    fn feeder(pick: FeedPick, when_exhausted: Exhausted) -> Feeder {
        let refused = read_csv("sku,sku\nA,B\n").unwrap_err();
        assert_eq!(
            refused,
            "CSV header: column 2 is named `sku` as an earlier one is: name each column once"
        );
        let (columns, rows) = read_csv("sku, price\nA,1\nB,2\nC,3\n").unwrap();
        Feeder {
            name: "p".into(),
            columns,
            rows,
            pick,
            when_exhausted,
        }
    }

    #[test]
    fn reads_csv_and_json() {
        let f = feeder(FeedPick::Random, Exhausted::Stop);
        assert_eq!(f.columns, ["sku", "price"]);
        assert_eq!(f.rows[2], ["C", "3"]);
        let (columns, rows) =
            read_json(r#"[{"sku": "A", "qty": 2}, {"sku": "B", "note": null}]"#).unwrap();
        // serde_json keeps object keys sorted.
        assert_eq!(columns, ["qty", "sku", "note"]);
        assert_eq!(rows[0], ["2", "A", ""]);
        assert!(read_json(r#"{"sku": "A"}"#).is_err());
    }

    /// A data file's own fault names that file, once ("CSV CSV error: …" at
    /// the scenario's line before).
    #[test]
    fn a_bad_data_file_is_named() {
        let dir = tempfile::tempdir().unwrap();
        let ragged = dir.path().join("ragged.csv");
        std::fs::write(&ragged, "a,b\n1,2\n3\n").unwrap();
        let err = Feeder::read(&ragged).unwrap_err().0;
        assert!(
            err.starts_with(&format!("{}: CSV error: ", ragged.display())),
            "{err}"
        );
        assert!(!err.contains("CSV CSV"), "{err}");
        let cut = dir.path().join("cut.json");
        std::fs::write(&cut, "[{\"sku\": ").unwrap();
        let err = Feeder::read(&cut).unwrap_err().0;
        assert!(
            err.starts_with(&format!("{}: JSON: ", cut.display())),
            "{err}"
        );
    }

    #[test]
    fn picks_rows_as_configured() {
        let mut rng = Xoshiro256PlusPlus::seed_from_u64(1);
        let cursor = AtomicUsize::new(0);
        let f = feeder(FeedPick::Sequential, Exhausted::Stop);
        let skus: Vec<&str> = (0..4)
            .map(|_| f.next_row(&cursor, &mut rng).unwrap()[0].as_str())
            .collect();
        assert_eq!(skus, ["A", "B", "C", "A"]);

        let cursor = AtomicUsize::new(0);
        let f = feeder(FeedPick::Unique, Exhausted::Stop);
        assert!((0..3).all(|_| f.next_row(&cursor, &mut rng).is_some()));
        assert!(f.next_row(&cursor, &mut rng).is_none());
        let cursor = AtomicUsize::new(0);
        let f = feeder(FeedPick::Unique, Exhausted::Recycle);
        assert!((0..7).all(|_| f.next_row(&cursor, &mut rng).is_some()));
    }

    #[test]
    fn a_data_file_must_be_a_regular_file_under_the_cap() {
        // /dev/zero never ends: it used to hang `validate` and `run`.
        let err = Feeder::read(Path::new("/dev/zero")).unwrap_err();
        assert!(err.0.contains("/dev/zero is not a regular file"), "{err}");
        assert!(err.0.contains("at most 64 MiB"), "{err}");
        let dir = tempfile::tempdir().unwrap();
        let err = Feeder::read(dir.path()).unwrap_err();
        assert!(err.0.contains("is not a regular file"), "{err}");

        let big = dir.path().join("big.csv");
        let file = std::fs::File::create(&big).unwrap();
        file.set_len(MAX_DATA_FILE + 1).unwrap();
        let err = Feeder::read(&big).unwrap_err();
        assert!(err.0.contains("larger than the 64 MiB"), "{err}");

        let small = dir.path().join("small.csv");
        std::fs::write(&small, "sku\nA\n").unwrap();
        assert_eq!(Feeder::read(&small).unwrap().1, [["A"]]);
    }
}
