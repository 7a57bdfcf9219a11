//! Reading a file the user named, in one place: a regular file of at most a
//! stated size. A device (`/dev/zero`), a pipe or a directory is refused
//! before it is opened: reading one may never end (or opening it, for a
//! pipe), and a size is checked before the bytes are held. A leaf: it knows
//! nothing of the crate.

use std::io::Read;
use std::path::Path;

/// Why a file was not read; the message names the file and says what it must be.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct FileError(pub String);

/// The bytes of `path`, a regular file of at most `max` bytes; `what` names
/// it in a refusal ("a data file", "a report").
pub fn read_regular(path: &Path, max: u64, what: &str) -> Result<Vec<u8>, FileError> {
    let shown = path.display();
    let cannot = |e: std::io::Error| FileError(format!("cannot read {shown}: {e}"));
    let too_big = || {
        FileError(format!(
            "{shown} is larger than the {} {what} may hold",
            crate::units::show_size(max)
        ))
    };
    let metadata = std::fs::metadata(path).map_err(cannot)?;
    if !metadata.is_file() {
        return Err(FileError(format!(
            "{shown} is not a regular file: {what} must be a regular file of at most {}",
            crate::units::show_size(max)
        )));
    }
    if metadata.len() > max {
        return Err(too_big());
    }
    // The file may grow between the check and the read: read one byte past the cap.
    let mut bytes = Vec::new();
    std::fs::File::open(path)
        .and_then(|f| f.take(max + 1).read_to_end(&mut bytes))
        .map_err(cannot)?;
    if bytes.len() as u64 > max {
        return Err(too_big());
    }
    Ok(bytes)
}

/// [`read_regular`] as UTF-8 text; refused at the line and column of the
/// first byte that is not.
pub fn read_regular_text(path: &Path, max: u64, what: &str) -> Result<String, FileError> {
    let bytes = read_regular(path, max, what)?;
    String::from_utf8(bytes).map_err(|e| {
        let (line, column) = line_column(e.as_bytes(), e.utf8_error().valid_up_to());
        FileError(format!(
            "{}:{line}:{column}: {}",
            path.display(),
            not_utf8(e.as_bytes(), e.utf8_error().valid_up_to())
        ))
    })
}

/// The 1-based line and column (in characters) of byte `at` of `bytes`,
/// UTF-8 before it.
pub fn line_column(bytes: &[u8], at: usize) -> (usize, usize) {
    let before = &bytes[..at.min(bytes.len())];
    let line_start = before
        .iter()
        .rposition(|&b| b == b'\n')
        .map_or(0, |i| i + 1);
    let line = before.iter().filter(|&&b| b == b'\n').count() + 1;
    // Characters: every byte but UTF-8's continuation bytes starts one.
    let column = before[line_start..]
        .iter()
        .filter(|&&b| b & 0xC0 != 0x80)
        .count()
        + 1;
    (line, column)
}

/// Why the text is refused at byte `at`, the first that is not UTF-8.
pub fn not_utf8(bytes: &[u8], at: usize) -> String {
    match bytes.get(at) {
        Some(byte) => format!("not UTF-8 text (byte 0x{byte:02X}); save the file as UTF-8"),
        None => "not UTF-8 text (it ends inside a character); save the file as UTF-8".to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_that_is_not_utf8_is_refused_where_it_stops_being_so() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("skus.csv");
        std::fs::write(&file, b"sku,name\nA-1,caf\xC3\xA9 \xFF\n").unwrap();
        let refused = read_regular_text(&file, 1024, "a data file").unwrap_err();
        let expected = format!(
            "{}:2:10: not UTF-8 text (byte 0xFF); save the file as UTF-8",
            file.display()
        );
        assert_eq!(refused.0, expected);
        assert_eq!(line_column(b"ab", 2), (1, 3));
        assert_eq!(line_column(b"a\n", 2), (2, 1));
    }
}
