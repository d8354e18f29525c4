//! The query language, read into a tree.
//!
//! ```text
//! query   := clause*                 every clause must match
//! clause  := unary ("OR" unary)*     at least one must match
//! unary   := ("-" | "NOT ") unary | primary
//! primary := "(" query ")" | "\"phrase\"" | key ":" value | "#" number | word
//! ```

use std::fmt;

/// A query, read.
#[derive(Debug, Clone, PartialEq)]
pub enum Node {
    /// Every part must match (an empty list matches every ticket).
    And(Vec<Node>),
    /// At least one part must match.
    Or(Vec<Node>),
    /// Must not match.
    Not(Box<Node>),
    /// A word, as typed.
    Word(String),
    /// Words that must appear in this order.
    Phrase(String),
    /// A filter such as `status:open`.
    Filter(Filter),
    /// `#1234`: that ticket.
    Ticket(u64),
}

/// The filters the query language knows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FilterKey {
    Status,
    Category,
    Priority,
    Type,
    Assignee,
    Group,
    Tag,
    Requester,
    Org,
    Channel,
    Lang,
    Has,
    In,
    Created,
    Updated,
    Solved,
}

impl FilterKey {
    /// Every filter, as written in queries.
    pub const ALL: [(&'static str, FilterKey); 16] = [
        ("status", FilterKey::Status),
        ("category", FilterKey::Category),
        ("priority", FilterKey::Priority),
        ("type", FilterKey::Type),
        ("assignee", FilterKey::Assignee),
        ("group", FilterKey::Group),
        ("tag", FilterKey::Tag),
        ("requester", FilterKey::Requester),
        ("org", FilterKey::Org),
        ("channel", FilterKey::Channel),
        ("lang", FilterKey::Lang),
        ("has", FilterKey::Has),
        ("in", FilterKey::In),
        ("created", FilterKey::Created),
        ("updated", FilterKey::Updated),
        ("solved", FilterKey::Solved),
    ];

    fn parse(key: &str) -> Option<FilterKey> {
        let key = key.to_ascii_lowercase();
        let key = match key.as_str() {
            "organization" | "organisation" => "org",
            "language" => "lang",
            "tags" => "tag",
            other => other,
        };
        FilterKey::ALL
            .iter()
            .find(|(name, _)| *name == key)
            .map(|(_, k)| *k)
    }

    /// The name as written in queries.
    pub fn name(self) -> &'static str {
        FilterKey::ALL
            .iter()
            .find(|(_, k)| *k == self)
            .map(|(n, _)| *n)
            .unwrap_or("?")
    }
}

/// A filter and where it was written.
#[derive(Debug, Clone, PartialEq)]
pub struct Filter {
    pub key: FilterKey,
    pub value: String,
    /// The column (counted in characters from 1) where the filter starts.
    pub column: usize,
}

/// What is wrong with a query, and where.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QueryError {
    pub message: String,
    /// Counted in characters from 1.
    pub column: usize,
}

impl QueryError {
    pub(crate) fn at(column: usize, message: impl Into<String>) -> QueryError {
        QueryError {
            message: message.into(),
            column,
        }
    }
}

impl fmt::Display for QueryError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} (at column {})", self.message, self.column)
    }
}

impl std::error::Error for QueryError {}

#[derive(Debug, Clone, PartialEq)]
enum Tok {
    Open,
    Close,
    Or,
    Not,
    Phrase(String),
    Filter(FilterKey, String),
    Ticket(u64),
    Word(String),
}

/// The longest query accepted, in characters.
pub const MAX_QUERY_CHARS: usize = 2000;
/// The deepest nesting of parentheses accepted.
const MAX_DEPTH: usize = 16;

fn lex(input: &str) -> Result<Vec<(usize, Tok)>, QueryError> {
    let chars: Vec<char> = input.chars().collect();
    if chars.len() > MAX_QUERY_CHARS {
        return Err(QueryError::at(
            MAX_QUERY_CHARS + 1,
            format!("a query may be at most {MAX_QUERY_CHARS} characters long"),
        ));
    }
    let mut out = Vec::new();
    let mut i = 0;
    let quoted = |start: usize| -> Result<(String, usize), QueryError> {
        // `start` is the opening quote.
        let mut j = start + 1;
        while j < chars.len() && chars[j] != '"' {
            j += 1;
        }
        if j >= chars.len() {
            return Err(QueryError::at(start + 1, "this quote is never closed"));
        }
        Ok((chars[start + 1..j].iter().collect(), j + 1))
    };
    let boundary = |c: char| c.is_whitespace() || c == '(' || c == ')' || c == '"';
    while i < chars.len() {
        let c = chars[i];
        let column = i + 1;
        if c.is_whitespace() {
            i += 1;
        } else if c == '(' {
            out.push((column, Tok::Open));
            i += 1;
        } else if c == ')' {
            out.push((column, Tok::Close));
            i += 1;
        } else if c == '"' {
            let (text, next) = quoted(i)?;
            out.push((column, Tok::Phrase(text)));
            i = next;
        } else if c == '-' && i + 1 < chars.len() && !chars[i + 1].is_whitespace() {
            out.push((column, Tok::Not));
            i += 1;
        } else {
            let start = i;
            while i < chars.len() && !boundary(chars[i]) && chars[i] != ':' {
                i += 1;
            }
            let head: String = chars[start..i].iter().collect();
            if i < chars.len() && chars[i] == ':' {
                if let Some(key) = FilterKey::parse(&head) {
                    i += 1;
                    let value = if i < chars.len() && chars[i] == '"' {
                        let (text, next) = quoted(i)?;
                        i = next;
                        text
                    } else {
                        let vstart = i;
                        while i < chars.len() && !boundary(chars[i]) {
                            i += 1;
                        }
                        chars[vstart..i].iter().collect()
                    };
                    if value.trim().is_empty() {
                        return Err(QueryError::at(
                            column,
                            format!("`{}:` needs a value, as in {}", key.name(), example(key)),
                        ));
                    }
                    out.push((column, Tok::Filter(key, value.trim().to_string())));
                    continue;
                }
                // Not a filter (a URL, "error:", "re:"): the whole run is a word.
                while i < chars.len() && !boundary(chars[i]) {
                    i += 1;
                }
            }
            let word: String = chars[start..i].iter().collect();
            let tok = match word.as_str() {
                "OR" => Tok::Or,
                "AND" => continue,
                "NOT" => Tok::Not,
                w => match w.strip_prefix('#').map(str::parse::<u64>) {
                    Some(Ok(n)) => Tok::Ticket(n),
                    _ => Tok::Word(word),
                },
            };
            out.push((column, tok));
        }
    }
    Ok(out)
}

/// An example of a filter, for error messages.
pub fn example(key: FilterKey) -> &'static str {
    match key {
        FilterKey::Status => "status:open",
        FilterKey::Category => "category:pending",
        FilterKey::Priority => "priority:urgent",
        FilterKey::Type => "type:incident",
        FilterKey::Assignee => "assignee:me, assignee:none or assignee:ana@example.com",
        FilterKey::Group => "group:billing",
        FilterKey::Tag => "tag:vip",
        FilterKey::Requester => "requester:ana@example.com",
        FilterKey::Org => "org:\"Acme Corp\"",
        FilterKey::Channel => "channel:email",
        FilterKey::Lang => "lang:sv",
        FilterKey::Has => "has:attachment",
        FilterKey::In => "in:notes or in:replies",
        FilterKey::Created => "created:>2025-01-01",
        FilterKey::Updated => "updated:<7d",
        FilterKey::Solved => "solved:2025-03",
    }
}

struct Parser {
    toks: Vec<(usize, Tok)>,
    pos: usize,
    end_column: usize,
}

impl Parser {
    fn peek(&self) -> Option<&Tok> {
        self.toks.get(self.pos).map(|(_, t)| t)
    }

    fn column(&self) -> usize {
        self.toks
            .get(self.pos)
            .map(|(c, _)| *c)
            .unwrap_or(self.end_column)
    }

    fn query(&mut self, depth: usize) -> Result<Node, QueryError> {
        let mut parts = Vec::new();
        while let Some(tok) = self.peek() {
            match tok {
                Tok::Close if depth > 0 => break,
                Tok::Close => {
                    return Err(QueryError::at(
                        self.column(),
                        "this closing parenthesis has no opening one",
                    ));
                }
                Tok::Or => {
                    return Err(QueryError::at(
                        self.column(),
                        "OR needs something to match on both sides",
                    ));
                }
                _ => parts.push(self.clause(depth)?),
            }
        }
        Ok(match parts.len() {
            1 => parts.remove(0),
            _ => Node::And(parts),
        })
    }

    fn clause(&mut self, depth: usize) -> Result<Node, QueryError> {
        let mut alternatives = vec![self.unary(depth)?];
        while self.peek() == Some(&Tok::Or) {
            let column = self.column();
            self.pos += 1;
            match self.peek() {
                None | Some(Tok::Close) | Some(Tok::Or) => {
                    return Err(QueryError::at(
                        column,
                        "OR needs something to match on both sides",
                    ));
                }
                _ => alternatives.push(self.unary(depth)?),
            }
        }
        Ok(match alternatives.len() {
            1 => alternatives.remove(0),
            _ => Node::Or(alternatives),
        })
    }

    fn unary(&mut self, depth: usize) -> Result<Node, QueryError> {
        let column = self.column();
        let Some((_, tok)) = self.toks.get(self.pos).cloned() else {
            return Err(QueryError::at(column, "the query ends too early"));
        };
        self.pos += 1;
        Ok(match tok {
            Tok::Not => match self.peek() {
                None | Some(Tok::Close) | Some(Tok::Or) => {
                    return Err(QueryError::at(column, "nothing follows this exclusion"));
                }
                _ => Node::Not(Box::new(self.unary(depth)?)),
            },
            Tok::Open => {
                if depth + 1 > MAX_DEPTH {
                    return Err(QueryError::at(
                        column,
                        format!("parentheses may nest at most {MAX_DEPTH} deep"),
                    ));
                }
                if self.peek() == Some(&Tok::Close) {
                    return Err(QueryError::at(column, "these parentheses are empty"));
                }
                let inner = self.query(depth + 1)?;
                if self.peek() != Some(&Tok::Close) {
                    return Err(QueryError::at(column, "this parenthesis is never closed"));
                }
                self.pos += 1;
                inner
            }
            Tok::Close | Tok::Or => {
                return Err(QueryError::at(column, "unexpected here"));
            }
            Tok::Phrase(p) => Node::Phrase(p),
            Tok::Filter(key, value) => Node::Filter(Filter { key, value, column }),
            Tok::Ticket(n) => Node::Ticket(n),
            Tok::Word(w) => Node::Word(w),
        })
    }
}

/// Reads a query. An empty query matches every ticket the reader may see.
pub fn parse(input: &str) -> Result<Node, QueryError> {
    let toks = lex(input)?;
    let mut parser = Parser {
        toks,
        pos: 0,
        end_column: input.chars().count() + 1,
    };
    parser.query(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn w(s: &str) -> Node {
        Node::Word(s.into())
    }

    fn f(key: FilterKey, value: &str, column: usize) -> Node {
        Node::Filter(Filter {
            key,
            value: value.into(),
            column,
        })
    }

    #[test]
    fn queries_read_as_expected() {
        let cases: Vec<(&str, Node)> = vec![
            ("", Node::And(vec![])),
            ("printer", w("printer")),
            ("printer jam", Node::And(vec![w("printer"), w("jam")])),
            ("printer AND jam", Node::And(vec![w("printer"), w("jam")])),
            (
                "\"paper jam\" printer",
                Node::And(vec![Node::Phrase("paper jam".into()), w("printer")]),
            ),
            ("a OR b", Node::Or(vec![w("a"), w("b")])),
            (
                "a b OR c d",
                Node::And(vec![w("a"), Node::Or(vec![w("b"), w("c")]), w("d")]),
            ),
            (
                "printer -toner",
                Node::And(vec![w("printer"), Node::Not(Box::new(w("toner")))]),
            ),
            (
                "printer NOT toner",
                Node::And(vec![w("printer"), Node::Not(Box::new(w("toner")))]),
            ),
            (
                "(a OR b) c",
                Node::And(vec![Node::Or(vec![w("a"), w("b")]), w("c")]),
            ),
            (
                "-(a b)",
                Node::Not(Box::new(Node::And(vec![w("a"), w("b")]))),
            ),
            ("status:open", f(FilterKey::Status, "open", 1)),
            ("Status:Open", f(FilterKey::Status, "Open", 1)),
            (
                "x org:\"Acme Corp\"",
                Node::And(vec![w("x"), f(FilterKey::Org, "Acme Corp", 3)]),
            ),
            ("-tag:vip", Node::Not(Box::new(f(FilterKey::Tag, "vip", 2)))),
            (
                "created:>2025-01-01",
                f(FilterKey::Created, ">2025-01-01", 1),
            ),
            (
                "created:2025-01-01..2025-02-01",
                f(FilterKey::Created, "2025-01-01..2025-02-01", 1),
            ),
            ("language:sv", f(FilterKey::Lang, "sv", 1)),
            ("#1234", Node::Ticket(1234)),
            ("#abc", w("#abc")),
            ("re:hello", w("re:hello")),
            ("https://example.com/x", w("https://example.com/x")),
            ("well-known", w("well-known")),
            ("a - b", Node::And(vec![w("a"), w("-"), w("b")])),
            ("билеты счёт", Node::And(vec![w("билеты"), w("счёт")])),
        ];
        for (input, expected) in cases {
            assert_eq!(parse(input), Ok(expected), "{input:?}");
        }
    }

    #[test]
    fn errors_say_what_and_where() {
        let cases = [
            ("\"paper jam", 1, "never closed"),
            ("printer \"paper", 9, "never closed"),
            ("(a b", 1, "never closed"),
            ("a b)", 4, "no opening"),
            ("()", 1, "empty"),
            ("OR a", 1, "both sides"),
            ("a OR", 3, "both sides"),
            ("a OR OR b", 3, "both sides"),
            ("x status:", 3, "needs a value"),
            ("status:\"\"", 1, "needs a value"),
        ];
        for (input, column, words) in cases {
            let err = parse(input).expect_err(input);
            assert_eq!(err.column, column, "{input:?}: {err}");
            assert!(err.message.contains(words), "{input:?}: {err}");
        }
        let deep = format!("{}a{}", "(".repeat(20), ")".repeat(20));
        assert!(parse(&deep).expect_err("deep").message.contains("nest"));
        let long = "a ".repeat(MAX_QUERY_CHARS);
        assert!(parse(&long).is_err());
    }
}
