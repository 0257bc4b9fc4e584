//! `DELETE … LIMIT` and `UPDATE … LIMIT` (with `ORDER BY`, `OFFSET` and
//! `RETURNING`), which D1 accepts: SQLite has them only when its parser is
//! generated with `SQLITE_ENABLE_UPDATE_DELETE_LIMIT`, and the amalgamation
//! bundled from crates.io was generated without it. A statement SQLite
//! refuses is rewritten the way SQLite itself runs one with the option on:
//!
//! ```sql
//! DELETE FROM t WHERE w RETURNING r ORDER BY o LIMIT n
//! -- becomes
//! DELETE FROM t WHERE rowid IN (SELECT rowid FROM t WHERE w ORDER BY o LIMIT n) RETURNING r
//! ```
//!
//! Parameters keep their numbers (`?` becomes the `?N` it stood for), so
//! values bind as they would have. Only statements that fail to prepare
//! are rewritten, and only those whose clauses read plainly (no `WITH`,
//! `UPDATE … FROM`, named parameters or repeated clauses); anything else
//! keeps SQLite's error.

use super::tokens::Tokens;

/// The clauses that can follow the table, in the order SQLite takes them.
const CLAUSES: [&str; 4] = ["where", "returning", "order", "limit"];

/// `sql` (one statement) rewritten without `ORDER BY`/`LIMIT` on its
/// `DELETE` or `UPDATE`, or None if it has none or cannot be read plainly.
pub fn rewrite(sql: &str) -> Option<String> {
    let sql = number_parameters(sql.trim_end().trim_end_matches(';'))?;
    let tokens: Vec<&str> = Tokens(&sql).collect();
    let verb = tokens.first()?.to_ascii_lowercase();
    if verb != "delete" && verb != "update" {
        return None;
    }
    let offset = |i: usize| tokens.get(i).map_or(sql.len(), |t| at(&sql, t));
    // Where each top-level clause starts, by token index.
    let mut starts: [Option<usize>; 4] = [None; 4];
    let mut depth = 0usize;
    for (i, token) in tokens.iter().enumerate() {
        match *token {
            "(" => depth += 1,
            ")" => depth = depth.saturating_sub(1),
            ";" => return None,
            _ if depth > 0 => {}
            word if verb == "update" && word.eq_ignore_ascii_case("from") => return None,
            word => {
                if let Some(clause) = CLAUSES.iter().position(|c| word.eq_ignore_ascii_case(c)) {
                    if starts[clause..].iter().any(Option::is_some) {
                        return None;
                    }
                    starts[clause] = Some(i);
                }
            }
        }
    }
    starts[3]?;
    let first_clause = starts.iter().flatten().next().copied()?;
    let clause = |index: usize| {
        starts[index].map_or("", |start| {
            let end = starts[index + 1..].iter().flatten().next().copied();
            sql[offset(start)..end.map_or(sql.len(), offset)].trim()
        })
    };
    // The table: after DELETE FROM, or after UPDATE [OR action] up to SET.
    let table = if verb == "delete" {
        if !tokens.get(1)?.eq_ignore_ascii_case("from") {
            return None;
        }
        &sql[offset(2)..offset(first_clause)]
    } else {
        let start = if tokens.get(1)?.eq_ignore_ascii_case("or") {
            3
        } else {
            1
        };
        let set = tokens.iter().position(|t| t.eq_ignore_ascii_case("set"))?;
        &sql[offset(start)..offset(set)]
    };
    Some(format!(
        "{} WHERE rowid IN (SELECT rowid FROM {} {} {} {}) {}",
        sql[..offset(first_clause)].trim(),
        table.trim(),
        clause(0),
        clause(2),
        clause(3),
        clause(1),
    ))
}

/// Where `token`, a slice of `sql`, starts in it.
fn at(sql: &str, token: &str) -> usize {
    token.as_ptr() as usize - sql.as_ptr() as usize
}

/// `sql` with every anonymous `?` written as the `?N` SQLite numbers it;
/// None if it has named parameters, whose numbers would move with the text.
fn number_parameters(sql: &str) -> Option<String> {
    let tokens: Vec<&str> = Tokens(sql).collect();
    let mut out = String::with_capacity(sql.len() + 8);
    let mut copied = 0;
    let mut highest = 0u32;
    for (i, token) in tokens.iter().enumerate() {
        match *token {
            ":" | "@" | "$" => return None,
            "?" => {
                let start = at(sql, token);
                let explicit = tokens
                    .get(i + 1)
                    .filter(|next| at(sql, next) == start + 1)
                    .and_then(|next| next.parse::<u32>().ok());
                let number = explicit.unwrap_or(highest + 1);
                highest = highest.max(number);
                if explicit.is_none() {
                    out.push_str(&sql[copied..start]);
                    out.push_str(&format!("?{number}"));
                    copied = start + 1;
                }
            }
            _ => {}
        }
    }
    out.push_str(&sql[copied..]);
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn squeeze(sql: &str) -> String {
        sql.split_whitespace().collect::<Vec<_>>().join(" ")
    }

    #[test]
    fn delete_and_update_with_limit_become_rowid_subqueries() {
        assert_eq!(
            squeeze(
                &rewrite("DELETE FROM todos WHERE done = ? ORDER BY id DESC LIMIT ?;").unwrap()
            ),
            "DELETE FROM todos WHERE rowid IN (SELECT rowid FROM todos WHERE done = ?1 \
             ORDER BY id DESC LIMIT ?2)"
        );
        assert_eq!(
            squeeze(&rewrite("DELETE FROM t WHERE a > ? RETURNING *, ? LIMIT ? OFFSET 1").unwrap()),
            "DELETE FROM t WHERE rowid IN (SELECT rowid FROM t WHERE a > ?1 LIMIT ?3 OFFSET 1) \
             RETURNING *, ?2"
        );
        assert_eq!(
            squeeze(
                &rewrite("UPDATE OR IGNORE t SET x = (SELECT 1 LIMIT 1) WHERE y LIMIT 2").unwrap()
            ),
            "UPDATE OR IGNORE t SET x = (SELECT 1 LIMIT 1) WHERE rowid IN (SELECT rowid FROM t \
             WHERE y LIMIT 2)"
        );
    }

    #[test]
    fn anything_unplain_is_left_alone() {
        for sql in [
            "DELETE FROM t WHERE a = 1",
            "SELECT * FROM t LIMIT 1",
            "DELETE FROM t WHERE a = :a LIMIT 1",
            "WITH x AS (SELECT 1) DELETE FROM t LIMIT 1",
            "UPDATE t SET a = 1 FROM u WHERE t.id = u.id LIMIT 1",
            "DELETE FROM t LIMIT 1; DELETE FROM u",
            "DELETE FROM t LIMIT 1 WHERE a = 1",
        ] {
            assert_eq!(rewrite(sql), None, "{sql}");
        }
    }
}
