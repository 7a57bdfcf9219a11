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
    /// The columns some JSON objects lack (their rows hold "" there).
    pub gaps: Vec<Gap>,
    /// The columns where some JSON objects hold a string and others a number,
    /// boolean, array or object: the column is text (see `typed`), its values
    /// sent as strings; counted by the objects holding a string.
    pub mixed: Vec<Gap>,
    /// Per column: it holds JSON values, not strings (a JSON file's numbers,
    /// booleans, arrays or objects, written as JSON text): a whole `"{{ … }}"`
    /// in a JSON body sends them with their type.
    pub typed: Vec<bool>,
    /// A CSV file's: the line each row starts at (empty for JSON, whose rows
    /// are its objects).
    pub lines: Vec<u32>,
    /// The file, as the scenario names it.
    pub file: String,
    pub pick: FeedPick,
    pub when_exhausted: Exhausted,
}

/// A column and some objects of a JSON data file: those that lack it (a gap),
/// or that hold a string in it where others hold JSON values (mixed).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Gap {
    pub column: usize,
    /// How many objects.
    pub objects: usize,
    /// The first of them, counted from 1.
    pub first: usize,
}

/// A data file as read: its columns, its rows, the columns some rows lack, and
/// those of JSON values (see [`Feeder::typed`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Table {
    pub columns: Vec<String>,
    pub rows: Vec<Vec<String>>,
    pub gaps: Vec<Gap>,
    pub mixed: Vec<Gap>,
    pub typed: Vec<bool>,
    /// A CSV file's: the line each row starts at (empty for JSON).
    pub lines: Vec<u32>,
}

/// The largest data file (64 MiB): every row is kept in memory for the whole run.
pub const MAX_DATA_FILE: u64 = 64 * 1024 * 1024;

/// The most columns a data file may have (a journey reads a few).
pub const MAX_COLUMNS: usize = 1_000;

/// The most values (rows × columns) a data file may hold: each is a string of
/// its own in memory, some 50 bytes beside its text, so that a file of short
/// rows costs many times its size (64 MiB of one-letter rows asked for 3 GB).
pub const MAX_VALUES: usize = 4_000_000;

fn too_many_values(rows: usize, columns: usize, max_values: usize) -> String {
    format!(
        "{rows} rows of {columns} columns are more than the {max_values} values a data file may hold (each is kept in memory for the whole run): keep the rows and columns the journeys use"
    )
}

/// Why a data file cannot be used, said for a person.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct DataError(pub String);

impl Feeder {
    /// Reads `path` (`.csv`, or `.json` for an array of objects) into columns and rows.
    pub fn read(path: &Path) -> Result<Table, DataError> {
        Self::read_rows(path).map_err(DataError)
    }

    fn read_rows(path: &Path) -> Result<Table, String> {
        let text =
            crate::files::read_regular_text(path, MAX_DATA_FILE, "a data file").map_err(|e| e.0)?;
        let is_json = path
            .extension()
            .is_some_and(|e| e.eq_ignore_ascii_case("json"));
        // The data file's own fault, named: the scenario only points at it.
        let in_file = |why: String| format!("{}: {why}", path.display());
        let table = if is_json {
            read_json(&text, MAX_VALUES).map_err(in_file)?
        } else {
            let (columns, rows, lines) = read_csv(&text, MAX_VALUES).map_err(in_file)?;
            Table {
                typed: vec![false; columns.len()],
                columns,
                rows,
                gaps: Vec::new(),
                mixed: Vec::new(),
                lines,
            }
        };
        if table.rows.is_empty() {
            return Err(format!("{} holds no rows", path.display()));
        }
        Ok(table)
    }

    pub fn column(&self, name: &str) -> Option<usize> {
        self.columns.iter().position(|c| c == name)
    }

    /// Where row `row` (from 0) is in the file, as an editor finds it: a CSV
    /// row's line (`rows.csv, line 1402`), a JSON file's object (`object 3`).
    pub fn place(&self, row: usize) -> String {
        match self.lines.get(row) {
            Some(line) => format!("{}, line {line}", self.file),
            None => format!("{}, object {}", self.file, row + 1),
        }
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

/// Columns and rows, at most `max_values` values in all ([`MAX_VALUES`]).
/// The header, the rows, and the line each row starts at.
type Csv = (Vec<String>, Vec<Vec<String>>, Vec<u32>);

/// The line a byte of a text is on, as an editor counts lines (the CSV
/// reader's own count skips blank lines and, after a `\r\n`, is one short).
/// Asked in order, each newline is counted once.
struct Lines<'t> {
    text: &'t [u8],
    at: usize,
    line: u64,
}

impl<'t> Lines<'t> {
    fn new(text: &'t str) -> Self {
        Lines {
            text: text.as_bytes(),
            at: 0,
            line: 1,
        }
    }

    /// The line a record starts on: the reader's position is where it began
    /// reading, before the line ends (and blank lines) it passed over.
    fn of(&mut self, position: &csv::Position) -> u64 {
        let mut to =
            usize::try_from(position.byte()).map_or(self.text.len(), |b| b.min(self.text.len()));
        while self.text.get(to).is_some_and(|&b| b == b'\r' || b == b'\n') {
            to += 1;
        }
        if to < self.at {
            (self.at, self.line) = (0, 1);
        }
        self.line += memchr::memchr_iter(b'\n', &self.text[self.at..to]).count() as u64;
        self.at = to;
        self.line
    }
}

fn read_csv(text: &str, max_values: usize) -> Result<Csv, String> {
    let mut reader = csv::ReaderBuilder::new()
        .trim(csv::Trim::All)
        .from_reader(text.as_bytes());
    let columns: Vec<String> = reader
        .headers()
        .map_err(|e| format!("CSV header: {e}"))?
        .iter()
        .map(str::to_string)
        .collect();
    if columns.len() > MAX_COLUMNS {
        return Err(format!(
            "CSV header: {} columns, at most {MAX_COLUMNS}",
            columns.len()
        ));
    }
    // `{{ p.sku }}` would read one of two `sku` columns without a word of which.
    let mut seen = std::collections::HashSet::new();
    if let Some((at, name)) = columns
        .iter()
        .enumerate()
        .find(|(_, c)| !seen.insert(c.as_str()))
    {
        return Err(format!(
            "CSV header: column {} is named `{name}` as an earlier one is: name each column once",
            at + 1
        ));
    }
    let mut rows: Vec<Vec<String>> = Vec::new();
    let mut lines: Vec<u32> = Vec::new();
    let mut counted = Lines::new(text);
    let mut values = 0usize;
    // The line of the last record, when a value of it spans lines.
    let mut spanning = None;
    for record in reader.records() {
        let record = record.map_err(|e| csv_error(&e, text, &mut counted))?;
        values += record.len().max(1);
        if values > max_values {
            return Err(too_many_values(rows.len() + 1, columns.len(), max_values));
        }
        let line = record.position().map_or(0, |p| counted.of(p));
        spanning = record.iter().any(|v| v.contains('\n')).then_some(line);
        lines.push(u32::try_from(line).unwrap_or(u32::MAX));
        rows.push(record.iter().map(str::to_string).collect());
    }
    // A quote never closed takes the rest of the file into one value, and the
    // reader says nothing: a quoted value over lines ends with its quote.
    if let Some(line) = spanning
        && !text.trim_end().ends_with('"')
    {
        return Err(format!(
            "line {line}: a quote opened there is never closed: it takes the rest of the file into one value"
        ));
    }
    Ok((columns, rows, lines))
}

/// A CSV reader's error in the file's own terms: a row of too few or too many
/// values names its line and the header's count, or the quote left open on it
/// (which joins the lines after it into one value: the reader saw a short row).
fn csv_error(e: &csv::Error, text: &str, lines: &mut Lines<'_>) -> String {
    let csv::ErrorKind::UnequalLengths {
        pos: Some(pos),
        expected_len,
        len,
    } = e.kind()
    else {
        return e.to_string();
    };
    let line = lines.of(pos);
    let raw = usize::try_from(line)
        .ok()
        .and_then(|n| text.lines().nth(n.saturating_sub(1)))
        .unwrap_or("");
    match raw.matches('"').count() % 2 {
        1 => format!(
            "line {line}: a quote opened there is not closed on its line: it takes the lines after it into one value, up to the next quote"
        ),
        _ => format!(
            "line {line}: {len} value{}, where the header names {expected_len} columns",
            if *len == 1 { "" } else { "s" }
        ),
    }
}

/// An array of objects, read as it streams, never built whole (a value tree
/// of 8 MiB of small objects took 827 MB): each object's (column, value)
/// pairs are kept as they come, the columns being every key in order of first
/// use, then laid out as rows. A key an object lacks is "" in its row (and
/// counted in the table's gaps); a string is its text, anything else its JSON
/// (a column of no strings is typed: its values are JSON).
fn read_json(text: &str, max_values: usize) -> Result<Table, String> {
    use serde::de::{DeserializeSeed, Deserializer, Error, MapAccess, SeqAccess, Visitor};

    #[derive(Default)]
    struct Objects {
        columns: Vec<String>,
        index: std::collections::HashMap<String, usize>,
        /// Each object's values by column, as written.
        objects: Vec<Vec<(usize, String)>>,
        /// The columns where some object has a string: how many, the first.
        strings: std::collections::HashMap<usize, Gap>,
        /// The columns where some object has a number, boolean, array or object.
        values_seen: std::collections::HashSet<usize>,
        values: usize,
        max_values: usize,
        /// Rows and columns when the values went past the cap: reading stops.
        over: Option<(usize, usize)>,
    }
    impl<'de> DeserializeSeed<'de> for &mut Objects {
        type Value = ();
        fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
            d.deserialize_seq(self)
        }
    }
    impl<'de> Visitor<'de> for &mut Objects {
        type Value = ();
        fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
            f.write_str("a JSON array of objects")
        }
        fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
            while seq.next_element_seed(Object(&mut *self))?.is_some() {}
            Ok(())
        }
    }
    /// One element of the array, added to the table.
    struct Object<'t>(&'t mut Objects);
    impl<'de> DeserializeSeed<'de> for Object<'_> {
        type Value = ();
        fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
            d.deserialize_map(self)
        }
    }
    impl<'de> Visitor<'de> for Object<'_> {
        type Value = ();
        fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
            f.write_str("a JSON array of objects")
        }
        fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
            let table = self.0;
            let mut row = Vec::new();
            while let Some(key) = map.next_key::<String>()? {
                let (value, string) = match map.next_value::<serde_json::Value>()? {
                    serde_json::Value::String(s) => (s, true),
                    serde_json::Value::Null => (String::new(), false),
                    other => (other.to_string(), false),
                };
                let column = match table.index.get(&key) {
                    Some(&column) => column,
                    None if table.columns.len() == MAX_COLUMNS => {
                        return Err(A::Error::custom(format!(
                            "more than {MAX_COLUMNS} keys, at most {MAX_COLUMNS} columns"
                        )));
                    }
                    None => {
                        table.index.insert(key.clone(), table.columns.len());
                        table.columns.push(key);
                        table.columns.len() - 1
                    }
                };
                if string {
                    let object = table.objects.len() + 1;
                    let gap = table.strings.entry(column).or_insert(Gap {
                        column,
                        objects: 0,
                        first: object,
                    });
                    gap.objects += 1;
                } else if !value.is_empty() {
                    // (A null is "": no value of either kind.)
                    table.values_seen.insert(column);
                }
                table.values += 1;
                if table.values > table.max_values {
                    table.over = Some((table.objects.len() + 1, table.columns.len()));
                    return Err(A::Error::custom("too many values"));
                }
                row.push((column, value));
            }
            table.objects.push(row);
            Ok(())
        }
    }

    let mut table = Objects {
        max_values,
        ..Objects::default()
    };
    let mut reader = serde_json::Deserializer::from_str(text);
    let read = (&mut table)
        .deserialize(&mut reader)
        .and_then(|()| reader.end());
    if let Some((rows, columns)) = table.over {
        return Err(too_many_values(rows, columns, max_values));
    }
    read.map_err(|e| format!("JSON: {e}"))?;
    let Objects {
        columns,
        objects,
        strings,
        values_seen,
        ..
    } = table;
    // Laid out, a value for every column of every object: within the cap too.
    if objects.len().saturating_mul(columns.len().max(1)) > max_values {
        return Err(too_many_values(objects.len(), columns.len(), max_values));
    }
    // By column: a lookup per missing key (a search of the gaps so far was
    // columns² per object: minutes for a file of 1,000 sparse columns).
    let mut gaps: Vec<Option<Gap>> = vec![None; columns.len()];
    let mut present = vec![false; columns.len()];
    let rows = objects
        .into_iter()
        .enumerate()
        .map(|(object, pairs)| {
            let mut row = vec![String::new(); columns.len()];
            present.fill(false);
            for (column, value) in pairs {
                row[column] = value;
                present[column] = true;
            }
            for column in present
                .iter()
                .enumerate()
                .filter(|(_, p)| !**p)
                .map(|(c, _)| c)
            {
                let gap = gaps[column].get_or_insert(Gap {
                    column,
                    objects: 0,
                    first: object + 1,
                });
                gap.objects += 1;
            }
            row
        })
        .collect();
    let typed = (0..columns.len())
        .map(|c| !strings.contains_key(&c))
        .collect();
    let mut mixed: Vec<Gap> = (strings.into_values())
        .filter(|g| values_seen.contains(&g.column))
        .collect();
    mixed.sort_by_key(|g| g.column);
    Ok(Table {
        columns,
        rows,
        gaps: gaps.into_iter().flatten().collect(),
        mixed,
        typed,
        lines: Vec::new(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;

    fn feeder(pick: FeedPick, when_exhausted: Exhausted) -> Feeder {
        let refused = read_csv("sku,sku\nA,B\n", 10).unwrap_err();
        assert_eq!(
            refused,
            "CSV header: column 2 is named `sku` as an earlier one is: name each column once"
        );
        let (columns, rows, lines) = read_csv("sku, price\nA,1\nB,2\nC,3\n", 10).unwrap();
        Feeder {
            name: "p".into(),
            columns,
            rows,
            gaps: Vec::new(),
            mixed: Vec::new(),
            typed: vec![false; 2],
            lines,
            file: "p.csv".into(),
            pick,
            when_exhausted,
        }
    }

    #[test]
    fn reads_csv_and_json() {
        let f = feeder(FeedPick::Random, Exhausted::Stop);
        assert_eq!(f.columns, ["sku", "price"]);
        assert_eq!(f.rows[2], ["C", "3"]);
        let table = read_json(
            r#"[{"sku": "A", "qty": 2}, {"sku": "B", "note": null}, {"sku": "C"}]"#,
            10,
        )
        .unwrap();
        // Columns in the order the file first names them.
        assert_eq!(table.columns, ["sku", "qty", "note"]);
        assert_eq!(table.rows[0], ["A", "2", ""]);
        // A key an object lacks is "", and said (a null is a value: "").
        let gap = |column, objects, first| Gap {
            column,
            objects,
            first,
        };
        assert_eq!(table.gaps, [gap(1, 2, 2), gap(2, 2, 1)]);
        assert!(read_json(r#"{"sku": "A"}"#, 10).is_err());
    }

    /// A data file's own fault names that file, once ("CSV CSV error: …" at
    /// the scenario's line before).
    #[test]
    fn a_bad_data_file_is_named() {
        let dir = tempfile::tempdir().unwrap();
        let ragged = dir.path().join("ragged.csv");
        std::fs::write(&ragged, "a,b\n1,2\n3\n").unwrap();
        let err = Feeder::read(&ragged).unwrap_err().0;
        assert_eq!(
            err,
            format!(
                "{}: line 3: 1 value, where the header names 2 columns",
                ragged.display()
            )
        );
        // A quote left open mid-file: the reader sees a short row, the message
        // names the quote (it said "found record with 2 fields").
        std::fs::write(&ragged, "sku,qty,x\nA,1,2\nB,\"1,2\nC,1,2\n").unwrap();
        let err = Feeder::read(&ragged).unwrap_err().0;
        assert!(
            err.ends_with("line 3: a quote opened there is not closed on its line: it takes the lines after it into one value, up to the next quote"),
            "{err}"
        );
        let broken = dir.path().join("broken.csv");
        std::fs::write(&broken, b"a,b\n\xff,1\n").unwrap();
        let err = Feeder::read(&broken).unwrap_err().0;
        assert!(!err.contains("CSV CSV"), "{err}");
        let cut = dir.path().join("cut.json");
        std::fs::write(&cut, "[{\"sku\": ").unwrap();
        let err = Feeder::read(&cut).unwrap_err().0;
        assert!(
            err.starts_with(&format!("{}: JSON: ", cut.display())),
            "{err}"
        );
    }

    /// A file of many short rows costs many times its size in memory (64 MiB
    /// of one-letter rows asked for 3 GB and aborted `validate`), and a header
    /// of 400,000 columns took minutes (a QA helper's findings): both are
    /// refused, as is an array of other than objects; a JSON file streams.
    #[test]
    fn a_data_file_too_wide_or_of_too_many_values_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let write = |name: &str, text: &str| {
            let path = dir.path().join(name);
            std::fs::write(&path, text).unwrap();
            path
        };
        // At most so many values (the cap given here is small; a file's is
        // MAX_VALUES): counted as rows stream, before any more are kept.
        let err = read_csv(&format!("s\n{}", "a\n".repeat(11)), 10).unwrap_err();
        assert_eq!(err, too_many_values(11, 1, 10));
        assert!(
            err.starts_with(
                "11 rows of 1 columns are more than the 10 values a data file may hold"
            ),
            "{err}"
        );
        read_csv(&format!("s\n{}", "a\n".repeat(10)), 10).unwrap();
        // A quote never closed swallowed the rest of the file into one value.
        let err = read_csv("sku,note\nA,\"soft\nB,x\nC,y\n", 10).unwrap_err();
        assert_eq!(
            err,
            "line 2: a quote opened there is never closed: it takes the rest of the file into one value"
        );
        // A value quoted over two lines, closed, reads.
        let (_, rows, _) = read_csv("sku,note\nA,\"two\nlines\"\nB,x\n", 10).unwrap();
        assert_eq!(rows, [["A", "two\nlines"], ["B", "x"]]);
        let (_, rows, _) = read_csv("sku,note\nB,x\nA,\"two\nlines\"\n", 10).unwrap();
        assert_eq!(rows[1], ["A", "two\nlines"]);
        // Each row's line, as an editor counts it: after a value over two
        // lines and a blank line, the next row is on line 5.
        let (_, _, a) = read_csv("sku,note\nA,\"two\nlines\"\nB,x\n", 10).unwrap();
        let (_, _, b) = read_csv("sku,note\nA,x\n\nB,x\n", 10).unwrap();
        let (_, _, c) = read_csv("sku,note\r\nA,x\r\n\r\nB,x\r\n", 10).unwrap();
        assert_eq!((a, b, c), (vec![2, 4], vec![2, 4], vec![2, 4]));
        // A short row is named on its line too (the reader said line 2).
        let err = read_csv("a,b\r\nA,1\r\n\r\nB\r\n", 10).unwrap_err();
        assert_eq!(err, "line 4: 1 value, where the header names 2 columns");
        let header: Vec<String> = (0..=MAX_COLUMNS).map(|i| format!("c{i}")).collect();
        let wide = write("wide.csv", &format!("{}\n", header.join(",")));
        let err = Feeder::read(&wide).unwrap_err().0;
        assert!(
            err.ends_with("CSV header: 1001 columns, at most 1000"),
            "{err}"
        );
        let objects = format!("[{}{{\"s\":1}}]", "{\"s\":1},".repeat(10));
        assert_eq!(
            read_json(&objects, 10).unwrap_err(),
            too_many_values(11, 1, 10)
        );
        read_json(&objects, 11).unwrap();
        let numbers = write("numbers.json", "[1, 2]");
        let err = Feeder::read(&numbers).unwrap_err().0;
        assert!(
            err.contains("JSON: invalid type: integer `1`, expected a JSON array of objects"),
            "{err}"
        );
        // What fits reads as before: keys in order of first use, "" where missing.
        let json = write("ok.json", r#"[{"a":"x","b":2},{"c":null,"a":"y"}]"#);
        let table = Feeder::read(&json).unwrap();
        assert_eq!(table.columns, ["a", "b", "c"]);
        assert_eq!(table.rows, [["x", "2", ""], ["y", "", ""]]);
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
        assert_eq!(Feeder::read(&small).unwrap().rows, [["A"]]);
    }
}
