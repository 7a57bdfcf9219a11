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

/// [`read_regular`] as UTF-8 text.
pub fn read_regular_text(path: &Path, max: u64, what: &str) -> Result<String, FileError> {
    let bytes = read_regular(path, max, what)?;
    String::from_utf8(bytes).map_err(|_| FileError(format!("{} is not UTF-8 text", path.display())))
}
