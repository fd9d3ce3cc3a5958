//! Shell-style globs for interface names (`*`, `?`, `[...]`), compiled once when a
//! filter is built and matched without allocating.
//!
//! This module only matches strings; it knows nothing of events.

use std::fmt;

/// A compiled glob. Every token but `Star` matches exactly one character, so the
/// matcher needs to remember only the last `*` to backtrack to: on a mismatch it
/// lets that star swallow one more character and retries. That is the classic
/// linear-space wildcard algorithm, O(pattern × name) in the worst case, with no
/// recursion and no allocation.
#[derive(Clone, PartialEq, Eq)]
pub(crate) struct Glob {
    pattern: Box<str>,
    tokens: Box<[Token]>,
}

#[derive(Clone, PartialEq, Eq)]
enum Token {
    Literal(char),
    AnyOne,
    Star,
    Class {
        negated: bool,
        /// Inclusive ranges; a single character `c` is `(c, c)`.
        ranges: Box<[(char, char)]>,
    },
}

impl Token {
    fn matches(&self, c: char) -> bool {
        match self {
            Token::Literal(l) => *l == c,
            Token::AnyOne => true,
            Token::Star => false,
            Token::Class { negated, ranges } => {
                ranges.iter().any(|&(lo, hi)| lo <= c && c <= hi) != *negated
            }
        }
    }
}

impl fmt::Debug for Glob {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&*self.pattern, f)
    }
}

impl Glob {
    pub(crate) fn new(pattern: &str) -> Self {
        let chars: Vec<char> = pattern.chars().collect();
        let mut tokens = Vec::new();
        let mut i = 0;
        while i < chars.len() {
            let c = chars[i];
            i += 1;
            match c {
                '*' => {
                    // `**` is `*`; keeping one star keeps the backtracking simple.
                    if tokens.last() != Some(&Token::Star) {
                        tokens.push(Token::Star);
                    }
                }
                '?' => tokens.push(Token::AnyOne),
                '\\' => match chars.get(i) {
                    Some(&next) => {
                        tokens.push(Token::Literal(next));
                        i += 1;
                    }
                    None => tokens.push(Token::Literal('\\')),
                },
                '[' => match parse_class(&chars[i..]) {
                    Some((token, used)) => {
                        tokens.push(token);
                        i += used;
                    }
                    None => tokens.push(Token::Literal('[')),
                },
                c => tokens.push(Token::Literal(c)),
            }
        }
        Glob {
            pattern: pattern.into(),
            tokens: tokens.into(),
        }
    }

    pub(crate) fn matches(&self, name: &str) -> bool {
        let tokens = &self.tokens;
        let (mut p, mut t) = (0, 0);
        // Where to resume after the last star: (token after it, name position).
        let mut resume: Option<(usize, usize)> = None;
        loop {
            let next = name[t..].chars().next();
            match tokens.get(p) {
                Some(Token::Star) => {
                    p += 1;
                    resume = Some((p, t));
                    continue;
                }
                Some(token) => {
                    if let Some(c) = next.filter(|&c| token.matches(c)) {
                        p += 1;
                        t += c.len_utf8();
                        continue;
                    }
                }
                None if next.is_none() => return true,
                None => {}
            }
            // Mismatch: let the last star take one more character, if any is left.
            match resume {
                Some((after_star, from)) => match name[from..].chars().next() {
                    Some(c) => {
                        let from = from + c.len_utf8();
                        resume = Some((after_star, from));
                        p = after_star;
                        t = from;
                    }
                    None => return false,
                },
                None => return false,
            }
        }
    }
}

/// Parses a class after its `[`; returns the token and the characters used
/// including the closing `]`, or `None` if there is no closing `]`.
fn parse_class(chars: &[char]) -> Option<(Token, usize)> {
    let mut i = 0;
    let negated = matches!(chars.first(), Some('!' | '^'));
    if negated {
        i += 1;
    }
    let mut members: Vec<char> = Vec::new();
    // Whether members[k] came from an escape or a leading `]` (never a range dash).
    let mut literal: Vec<bool> = Vec::new();
    let first = i;
    loop {
        let c = *chars.get(i)?;
        i += 1;
        match c {
            ']' if i - 1 > first => break,
            '\\' => {
                let e = *chars.get(i)?;
                i += 1;
                members.push(e);
                literal.push(true);
            }
            c => {
                members.push(c);
                literal.push(c == ']');
            }
        }
    }
    let mut ranges = Vec::new();
    let mut k = 0;
    while k < members.len() {
        let lo = members[k];
        let dash = members.get(k + 1) == Some(&'-') && !literal.get(k + 1).copied().unwrap_or(true);
        match members.get(k + 2) {
            Some(&hi) if dash => {
                ranges.push((lo, hi));
                k += 3;
            }
            _ => {
                ranges.push((lo, lo));
                k += 1;
            }
        }
    }
    Some((
        Token::Class {
            negated,
            ranges: ranges.into(),
        },
        i,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn glob(p: &str, name: &str) -> bool {
        Glob::new(p).matches(name)
    }

    #[test]
    fn glob_literals_question_marks_and_stars() {
        let cases = [
            ("eth0", "eth0", true),
            ("eth0", "eth1", false),
            ("eth0", "eth00", false),
            ("eth0", "eth", false),
            ("", "", true),
            ("", "x", false),
            ("eth?", "eth0", true),
            ("eth?", "eth", false),
            ("eth?", "eth10", false),
            ("*", "", true),
            ("*", "anything", true),
            ("veth*", "veth", true),
            ("veth*", "veth0abc", true),
            ("veth*", "xveth0", false),
            ("*0", "veth0", true),
            ("*0", "veth01", false),
            ("*eth*", "veth0", true),
            ("*eth*", "vet0", false),
            ("a*b*c", "aXbYc", true),
            ("a*b*c", "abcbc", true),
            ("a*b*c", "acb", false),
            ("a**b", "ab", true),
            ("*a*a*a", "aaaa", true),
            ("*a*a*a*", "aa", false),
            ("br-?*", "br-", false),
            ("br-?*", "br-1234", true),
            ("??", "é1", true), // one character, two bytes
            ("é*", "é", true),
        ];
        for (p, name, want) in cases {
            assert_eq!(glob(p, name), want, "pattern {p:?} on {name:?}");
        }
    }

    #[test]
    fn glob_classes_ranges_negation_and_escapes() {
        let cases = [
            ("eth[0-3]", "eth2", true),
            ("eth[0-3]", "eth4", false),
            ("eth[0-3]", "eth", false),
            ("[ab]x", "bx", true),
            ("[ab]x", "cx", false),
            ("[a-cx-z]", "y", true),
            ("[a-cx-z]", "d", false),
            ("eth[!0-3]", "eth4", true),
            ("eth[!0-3]", "eth2", false),
            ("eth[^0-3]", "ethx", true),
            ("[]]", "]", true),
            ("[]a]", "a", true),
            ("[!]]", "]", false),
            ("[!]]", "x", true),
            ("[-a]", "-", true),
            ("[a-]", "-", true),
            ("[a-]", "b", false),
            ("[a\\-z]", "-", true),
            ("[a\\-z]", "m", false),
            ("[\\]]", "]", true),
            ("\\*", "*", true),
            ("\\*", "x", false),
            ("a\\?", "a?", true),
            ("a\\?", "ab", false),
            ("x\\", "x\\", true),
            // No closing bracket: the `[` is literal.
            ("eth[0", "eth[0", true),
            ("eth[0", "eth0", false),
            ("[", "[", true),
            ("[!", "[!", true),
            ("*[0-9][0-9]", "veth42", true),
            ("*[0-9][0-9]", "veth4x", false),
        ];
        for (p, name, want) in cases {
            assert_eq!(glob(p, name), want, "pattern {p:?} on {name:?}");
        }
    }
}
