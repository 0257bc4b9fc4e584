//! SQL's tokens, as far as the host needs to read statements: their first
//! words (confine.rs) and their top-level clauses (limit.rs). SQLite's own
//! tokenizer is not exposed through its C API, and a full SQL parser would
//! be a heavy dependency for this much.

/// SQL's tokens: comments and whitespace skipped, quoted names and
/// strings kept whole, each a slice of the text it was read from.
pub struct Tokens<'a>(pub &'a str);

impl<'a> Iterator for Tokens<'a> {
    type Item = &'a str;

    fn next(&mut self) -> Option<&'a str> {
        loop {
            self.0 = self.0.trim_start();
            if let Some(rest) = self.0.strip_prefix("--") {
                self.0 = rest.split_once('\n').map_or("", |(_, after)| after);
            } else if let Some(rest) = self.0.strip_prefix("/*") {
                self.0 = rest.split_once("*/").map_or("", |(_, after)| after);
            } else {
                break;
            }
        }
        let first = self.0.chars().next()?;
        let len = match first {
            '"' | '`' | '\'' => quoted_len(self.0, first),
            '[' => self.0.find(']').map_or(self.0.len(), |end| end + 1),
            c if c.is_alphanumeric() || c == '_' || c == '$' => self
                .0
                .find(|c: char| !(c.is_alphanumeric() || c == '_' || c == '$'))
                .unwrap_or(self.0.len()),
            c => c.len_utf8(),
        };
        let (token, rest) = self.0.split_at(len);
        self.0 = rest;
        Some(token)
    }
}

/// The length of the quoted token at the start of `sql` (a doubled quote
/// stands for itself), or all of `sql` if it is not closed.
fn quoted_len(sql: &str, quote: char) -> usize {
    let mut at = 1;
    while let Some(offset) = sql[at..].find(quote) {
        at += offset + 1;
        if !sql[at..].starts_with(quote) {
            return at;
        }
        at += 1;
    }
    sql.len()
}
