//! A D1 database's file is named after its id, in the state directory: an
//! id from a config must not be able to name any other path (`../x`,
//! `/etc/x`, `a\b`), a hidden file, or a Windows device.

/// Windows devices, which a file name opens whatever its extension.
const DEVICES: &[&str] = &[
    "con", "prn", "aux", "nul", "com1", "com2", "com3", "com4", "com5", "com6", "com7", "com8",
    "com9", "lpt1", "lpt2", "lpt3", "lpt4", "lpt5", "lpt6", "lpt7", "lpt8", "lpt9",
];

/// Checks that `id` can name a D1 database's file inside its directory:
/// ASCII letters, digits, `-`, `_` and `.`, not first and never two in a
/// row. The error names the id and what is wrong with it.
pub fn validate_database_id(id: &str) -> Result<(), String> {
    let problem = if id.is_empty() {
        "it is empty".to_string()
    } else if let Some(c) = id
        .chars()
        .find(|c| !(c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.')))
    {
        match c {
            '/' | '\\' => format!("it contains the path separator {c:?}"),
            '\0' => "it contains a NUL character".to_string(),
            c if c.is_control() => format!("it contains the control character {c:?}"),
            c => format!(
                "it contains {c:?}; only ASCII letters, digits, '-', '_' and '.' are allowed"
            ),
        }
    } else if id.starts_with('.') {
        "it starts with '.'".to_string()
    } else if id.contains("..") {
        "it contains '..'".to_string()
    } else if DEVICES.iter().any(|device| {
        id.split('.')
            .next()
            .is_some_and(|stem| stem.eq_ignore_ascii_case(device))
    }) {
        "it names a Windows device".to_string()
    } else {
        return Ok(());
    };
    Err(format!(
        "the D1 database id {id:?} cannot be used as a file name: {problem}"
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_that_stay_in_their_directory_pass() {
        for id in [
            "db",
            "my-database_2",
            "v1.2",
            "a.b.sqlite",
            "00000000-0000-4000-8000-000000000000",
            "CONSOLE",
            "nul_not",
        ] {
            assert_eq!(validate_database_id(id), Ok(()), "{id}");
        }
    }

    #[test]
    fn ids_that_could_leave_it_are_refused_with_the_reason() {
        let refused = |id: &str| validate_database_id(id).unwrap_err();
        assert_eq!(
            refused(""),
            "the D1 database id \"\" cannot be used as a file name: it is empty"
        );
        assert_eq!(
            refused("../other"),
            "the D1 database id \"../other\" cannot be used as a file name: it contains the path separator '/'"
        );
        assert_eq!(
            refused("a\\b"),
            "the D1 database id \"a\\\\b\" cannot be used as a file name: it contains the path separator '\\\\'"
        );
        assert_eq!(
            refused("/etc/passwd"),
            "the D1 database id \"/etc/passwd\" cannot be used as a file name: it contains the path separator '/'"
        );
        assert_eq!(
            refused(".."),
            "the D1 database id \"..\" cannot be used as a file name: it starts with '.'"
        );
        assert_eq!(
            refused(".hidden"),
            "the D1 database id \".hidden\" cannot be used as a file name: it starts with '.'"
        );
        assert_eq!(
            refused("a..b"),
            "the D1 database id \"a..b\" cannot be used as a file name: it contains '..'"
        );
        assert_eq!(
            refused("a\0b"),
            "the D1 database id \"a\\0b\" cannot be used as a file name: it contains a NUL character"
        );
        assert_eq!(
            refused("a\nb"),
            "the D1 database id \"a\\nb\" cannot be used as a file name: it contains the control character '\\n'"
        );
        assert_eq!(
            refused("my db"),
            "the D1 database id \"my db\" cannot be used as a file name: it contains ' '; only ASCII letters, digits, '-', '_' and '.' are allowed"
        );
        assert!(refused("données").contains("it contains 'é'"));
        assert!(refused("C:").contains("it contains ':'"));
        assert!(refused("~").contains("it contains '~'"));
        assert_eq!(
            refused("nul.db"),
            "the D1 database id \"nul.db\" cannot be used as a file name: it names a Windows device"
        );
        assert!(refused("COM1").ends_with("it names a Windows device"));
    }
}
