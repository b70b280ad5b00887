//! Shell-style patterns for include/exclude: `*` (any run within one path segment), `**`
//! (any run across segments), `?` (one character), `[abc]`, `[a-z]`, `[!abc]`, `\x` (a
//! literal x). A pattern with a `/` matches the whole relative path; one without matches the
//! file name alone. Matching is `globset`'s (compiled to automata, linear in the path), since
//! a backtracking matcher takes exponential time on patterns like `a*a*a*a*b`.

use globset::{GlobBuilder, GlobSet, GlobSetBuilder};

/// All the patterns of one list (include or exclude), matched together.
#[derive(Debug, Clone)]
pub struct Patterns {
    /// Patterns without `/`, matched against the file name.
    names: GlobSet,
    /// Patterns with `/`, matched against the relative path.
    paths: GlobSet,
    empty: bool,
}

impl Patterns {
    pub fn new(texts: &[String]) -> Result<Patterns, String> {
        let mut names = GlobSetBuilder::new();
        let mut paths = GlobSetBuilder::new();
        for text in texts {
            let glob = GlobBuilder::new(&literal_braces(text))
                .literal_separator(true)
                .backslash_escape(true)
                .build()
                .map_err(|e| format!("pattern {text:?}: {}", e.kind()))?;
            if text.contains('/') {
                paths.add(glob);
            } else {
                names.add(glob);
            }
        }
        let build = |set: GlobSetBuilder| set.build().map_err(|e| format!("patterns: {e}"));
        Ok(Patterns {
            names: build(names)?,
            paths: build(paths)?,
            empty: texts.is_empty(),
        })
    }

    pub fn is_empty(&self) -> bool {
        self.empty
    }

    /// `relative_path` uses `/` separators.
    pub fn matches(&self, relative_path: &str) -> bool {
        let name = relative_path.rsplit('/').next().unwrap_or(relative_path);
        self.names.is_match(name) || self.paths.is_match(relative_path)
    }
}

/// `{a,b}` is alternation to globset but was never part of our syntax: braces outside a
/// class are made one-character classes, so `a{1}.txt` still names the file `a{1}.txt`.
fn literal_braces(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars().peekable();
    let mut in_class = false;
    while let Some(c) = chars.next() {
        match c {
            '\\' if !in_class => {
                out.push(c);
                if let Some(next) = chars.next() {
                    out.push(next);
                }
            }
            '[' if !in_class => {
                in_class = true;
                out.push(c);
                // A `]` first in a class (after an optional negation) is a member.
                if let Some(&negation) = chars.peek().filter(|n| matches!(n, '!' | '^')) {
                    out.push(negation);
                    chars.next();
                }
                if let Some(&bracket) = chars.peek().filter(|n| **n == ']') {
                    out.push(bracket);
                    chars.next();
                }
            }
            ']' if in_class => {
                in_class = false;
                out.push(c);
            }
            '{' | '}' if !in_class => {
                out.push('[');
                out.push(c);
                out.push(']');
            }
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn m(pattern: &str, path: &str) -> bool {
        Patterns::new(&[pattern.to_string()]).unwrap().matches(path)
    }

    #[test]
    fn name_patterns_match_the_file_name_anywhere() {
        assert!(m("*.log", "a/b/c.log"));
        assert!(!m("*.log", "a/b/c.log.gz"));
        assert!(m("file?.txt", "dir/file1.txt"));
        assert!(m("[a-c]*.bin", "x/b9.bin"));
        assert!(!m("[!a-c]*.bin", "x/b9.bin"));
        assert!(m("中文 *.txt", "d/中文 1.txt"));
        assert!(m(r"\*.txt", "*.txt"));
        assert!(!m(r"\*.txt", "a.txt"));
    }

    #[test]
    fn path_patterns_match_the_whole_relative_path() {
        assert!(m("logs/*.log", "logs/x.log"));
        assert!(!m("logs/*.log", "logs/old/x.log"));
        assert!(m("logs/**/*.log", "logs/old/x.log"));
        assert!(m("logs/**/*.log", "logs/x.log"));
        assert!(m("**/tmp/**", "a/tmp/b/c"));
        assert!(!m("a/*", "a/b/c"));
        assert!(!m("a?b/c", "a/b/c"));
    }

    #[test]
    fn braces_are_literal_as_before() {
        assert!(m("a{1,2}.txt", "a{1,2}.txt"));
        assert!(!m("a{1,2}.txt", "a1.txt"));
        assert!(m("[{]x", "{x"));
        assert!(m("[]a]", "]"));
    }

    #[test]
    fn unclosed_class_is_an_error() {
        assert!(Patterns::new(&["[abc".to_string()]).is_err());
    }

    #[test]
    fn a_pathological_pattern_is_fast() {
        let name = "a".repeat(10_000);
        let started = std::time::Instant::now();
        assert!(!m("a*a*a*a*a*a*a*a*a*a*a*a*b", &name));
        assert!(started.elapsed() < std::time::Duration::from_secs(1));
    }
}
