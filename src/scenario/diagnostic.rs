//! Errors in scenario files, shown the way a compiler shows them: the file, the
//! line and column, the offending line with a caret, what was expected, and a hint.

use std::fmt;
use std::ops::Range;
use std::path::{Path, PathBuf};

/// A problem in a scenario file, located in its source text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScenarioError {
    pub path: PathBuf,
    /// 1-based line and column; 0 when the problem has no place in the file
    /// (the file could not be read).
    pub line: usize,
    pub column: usize,
    pub message: String,
    /// The source line the error points at, and the caret's width.
    source_line: Option<(String, usize)>,
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
        ScenarioError {
            path: path.to_path_buf(),
            line,
            column,
            message: message.into(),
            source_line: Some((text.trim_end_matches('\r').to_string(), width)),
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
        if let Some((text, width)) = &self.source_line {
            let number = self.line.to_string();
            let pad = " ".repeat(number.len());
            let indent: String = text
                .chars()
                .take(self.column - 1)
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
}
