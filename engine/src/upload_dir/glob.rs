//! Shell-style patterns for include/exclude: `*` (any run within one path segment), `**`
//! (any run across segments), `?` (one character), `[abc]`, `[a-z]`, `[!abc]`. A pattern with
//! a `/` matches the whole relative path; one without matches the file name alone.

#[derive(Debug, Clone)]
pub struct Pattern {
    tokens: Vec<Token>,
    whole_path: bool,
}

#[derive(Debug, Clone, PartialEq)]
enum Token {
    Literal(char),
    AnyInSegment,
    AnyAcrossSegments,
    One,
    Class {
        negated: bool,
        ranges: Vec<(char, char)>,
    },
}

impl Pattern {
    pub fn new(text: &str) -> Result<Pattern, String> {
        let chars: Vec<char> = text.chars().collect();
        let mut tokens = Vec::new();
        let mut i = 0;
        while i < chars.len() {
            match chars[i] {
                '*' if chars.get(i + 1) == Some(&'*') => {
                    tokens.push(Token::AnyAcrossSegments);
                    i += 2;
                    // `**/` also matches zero directories.
                    if chars.get(i) == Some(&'/') {
                        i += 1;
                    }
                    continue;
                }
                '*' => tokens.push(Token::AnyInSegment),
                '?' => tokens.push(Token::One),
                '[' => {
                    let (token, next) = parse_class(&chars, i)
                        .ok_or_else(|| format!("pattern {text:?}: unclosed '['"))?;
                    tokens.push(token);
                    i = next;
                    continue;
                }
                '\\' if i + 1 < chars.len() => {
                    tokens.push(Token::Literal(chars[i + 1]));
                    i += 1;
                }
                c => tokens.push(Token::Literal(c)),
            }
            i += 1;
        }
        Ok(Pattern {
            tokens,
            whole_path: text.contains('/'),
        })
    }

    /// `relative_path` uses `/` separators.
    pub fn matches(&self, relative_path: &str) -> bool {
        let subject = if self.whole_path {
            relative_path
        } else {
            relative_path.rsplit('/').next().unwrap_or(relative_path)
        };
        let text: Vec<char> = subject.chars().collect();
        match_from(&self.tokens, &text)
    }
}

fn parse_class(chars: &[char], start: usize) -> Option<(Token, usize)> {
    let mut i = start + 1;
    let negated = matches!(chars.get(i), Some('!') | Some('^'));
    if negated {
        i += 1;
    }
    let mut ranges = Vec::new();
    let mut first = true;
    while i < chars.len() {
        let c = chars[i];
        if c == ']' && !first {
            return Some((Token::Class { negated, ranges }, i + 1));
        }
        if chars.get(i + 1) == Some(&'-') && chars.get(i + 2).is_some_and(|e| *e != ']') {
            ranges.push((c, chars[i + 2]));
            i += 3;
        } else {
            ranges.push((c, c));
            i += 1;
        }
        first = false;
    }
    None
}

fn match_from(tokens: &[Token], text: &[char]) -> bool {
    let Some((token, rest)) = tokens.split_first() else {
        return text.is_empty();
    };
    match token {
        Token::AnyAcrossSegments => (0..=text.len()).any(|skip| match_from(rest, &text[skip..])),
        Token::AnyInSegment => {
            let limit = text.iter().position(|c| *c == '/').unwrap_or(text.len());
            (0..=limit).any(|skip| match_from(rest, &text[skip..]))
        }
        Token::One => text.first().is_some_and(|c| *c != '/') && match_from(rest, &text[1..]),
        Token::Literal(c) => text.first() == Some(c) && match_from(rest, &text[1..]),
        Token::Class { negated, ranges } => {
            text.first().is_some_and(|c| {
                *c != '/' && ranges.iter().any(|(lo, hi)| (lo..=hi).contains(&c)) != *negated
            }) && match_from(rest, &text[1..])
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn m(pattern: &str, path: &str) -> bool {
        Pattern::new(pattern).unwrap().matches(path)
    }

    #[test]
    fn name_patterns_match_the_file_name_anywhere() {
        assert!(m("*.log", "a/b/c.log"));
        assert!(!m("*.log", "a/b/c.log.gz"));
        assert!(m("file?.txt", "dir/file1.txt"));
        assert!(m("[a-c]*.bin", "x/b9.bin"));
        assert!(!m("[!a-c]*.bin", "x/b9.bin"));
        assert!(m("中文 *.txt", "d/中文 1.txt"));
    }

    #[test]
    fn path_patterns_match_the_whole_relative_path() {
        assert!(m("logs/*.log", "logs/x.log"));
        assert!(!m("logs/*.log", "logs/old/x.log"));
        assert!(m("logs/**/*.log", "logs/old/x.log"));
        assert!(m("logs/**/*.log", "logs/x.log"));
        assert!(m("**/tmp/**", "a/tmp/b/c"));
        assert!(!m("a/*", "a/b/c"));
    }

    #[test]
    fn unclosed_class_is_an_error() {
        assert!(Pattern::new("[abc").is_err());
    }
}
