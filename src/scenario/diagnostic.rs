//! Errors in scenario files, shown the way a compiler shows them: the file, the
//! line and column, the offending line with a caret, what was expected, and a hint.

use std::fmt;
use std::ops::Range;
use std::path::{Path, PathBuf};

/// How many characters of a long line are shown, and how many of them before
/// the column.
const SHOWN: usize = 120;
const LEAD: usize = 40;

/// A problem in a scenario file, located in its source text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScenarioError {
    pub path: PathBuf,
    /// 1-based line and column; 0 when the problem has no place in the file
    /// (the file could not be read).
    pub line: usize,
    pub column: usize,
    pub message: String,
    /// The source line the error points at (a long one around the column),
    /// where the caret starts in it (in characters), and the caret's width.
    /// Boxed: every compile step returns this error, and it stays small.
    source_line: Option<Box<(String, usize, usize)>>,
    pub hint: Option<String>,
}

impl ScenarioError {
    /// An error at a byte span of `source`.
    pub fn at(path: &Path, source: &str, span: Range<usize>, message: impl Into<String>) -> Self {
        let start = span.start.min(source.len());
        let line_start = source[..start].rfind('\n').map_or(0, |i| i + 1);
        let line_end = source[start..]
            .find('\n')
            .map_or(source.len(), |i| start + i);
        let text = &source[line_start..line_end];
        let line = source[..start].matches('\n').count() + 1;
        let column = source[line_start..start].chars().count() + 1;
        let width = source[start..span.end.clamp(start, line_end)]
            .chars()
            .count()
            .max(1);
        let text = text.trim_end_matches('\r');
        // A long line (a minified blob, 50 MB on one line) is shown around
        // the column, not whole.
        let from = (column - 1).saturating_sub(LEAD);
        let mut shown: String = text.chars().skip(from).take(SHOWN).collect();
        let mut caret = column - 1 - from;
        if from > 0 {
            shown.insert(0, '…');
            caret += 1;
        }
        if text.chars().nth(from + SHOWN).is_some() {
            shown.push('…');
        }
        let width = width.min(shown.chars().count().saturating_sub(caret).max(1));
        ScenarioError {
            path: path.to_path_buf(),
            line,
            column,
            message: message.into(),
            source_line: Some(Box::new((shown, caret, width))),
            hint: None,
        }
    }

    /// An error about the file as a whole (it could not be read, say).
    pub fn whole_file(path: &Path, message: impl Into<String>) -> Self {
        ScenarioError {
            path: path.to_path_buf(),
            line: 0,
            column: 0,
            message: message.into(),
            source_line: None,
            hint: None,
        }
    }

    pub fn with_hint(mut self, hint: impl Into<String>) -> Self {
        self.hint = Some(hint.into());
        self
    }
}

impl fmt::Display for ScenarioError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.line == 0 {
            write!(f, "{}: {}", self.path.display(), self.message)?;
        } else {
            write!(
                f,
                "{}:{}:{}: {}",
                self.path.display(),
                self.line,
                self.column,
                self.message
            )?;
        }
        if let Some((text, caret, width)) = self.source_line.as_deref() {
            let number = self.line.to_string();
            let pad = " ".repeat(number.len());
            let indent: String = text
                .chars()
                .take(*caret)
                .map(|c| if c == '\t' { '\t' } else { ' ' })
                .collect();
            write!(
                f,
                "\n{pad} |\n{number} | {text}\n{pad} | {indent}{}",
                "^".repeat(*width)
            )?;
        }
        if let Some(hint) = &self.hint {
            write!(f, "\n  = hint: {hint}")?;
        }
        Ok(())
    }
}

impl std::error::Error for ScenarioError {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn points_at_line_and_column() {
        let source = "name = \"x\"\n[load]\nmodel = \"sideways\"\n";
        let start = source.find("\"sideways").unwrap();
        let err = ScenarioError::at(Path::new("s.toml"), source, start..start + 10, "bad model");
        assert_eq!((err.line, err.column), (3, 9));
        let shown = err.to_string();
        assert!(shown.starts_with("s.toml:3:9: bad model"), "{shown}");
        assert!(
            shown.contains("3 | model = \"sideways\"\n  |         ^^^^^^^^^^"),
            "{shown}"
        );
    }

    /// A long line is shown around the column, cut with `…` on either side,
    /// the caret still under the fault (a 1 MB line was echoed whole).
    #[test]
    fn a_long_line_is_shown_around_the_column() {
        let source = format!("name = \"{}\" wrong\n", "x".repeat(1_000_000));
        let start = source.find("wrong").unwrap();
        let err = ScenarioError::at(Path::new("s.toml"), &source, start..start + 5, "bad");
        assert_eq!((err.line, err.column), (1, start + 1));
        let shown = err.to_string();
        assert!(shown.len() < 600, "{} bytes", shown.len());
        let lines: Vec<&str> = shown.lines().collect();
        let text = lines[2].strip_prefix("1 | ").unwrap();
        assert!(
            text.starts_with('…') && text.ends_with("\" wrong"),
            "{text}"
        );
        let caret = lines[3].strip_prefix("  | ").unwrap();
        let at = caret.chars().position(|c| c == '^').unwrap();
        let under: String = text.chars().skip(at).take(5).collect();
        assert_eq!(under, "wrong");
        assert_eq!(caret.matches('^').count(), 5);
    }
}
