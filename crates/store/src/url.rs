//! Which database to use: the default SQLite file under the data directory, an explicit
//! `sqlite:` file, or a `postgres://` server. Anything else is an error, never a silent new
//! empty database.

use std::path::{Path, PathBuf};

use crate::StoreError;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// How hard SQLite works to keep a commit: `normal` (WAL default: survives a killed or
/// crashed process, may lose the last commits on power loss) or `full` (fsync each commit).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Deserialize, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum SqliteDurability {
    #[default]
    Normal,
    Full,
}

#[derive(Clone, PartialEq, Eq)]
pub enum DatabaseLocation {
    /// A SQLite file. `create` is true only for the default location under the data dir.
    Sqlite {
        path: PathBuf,
        create: bool,
        durability: SqliteDurability,
    },
    /// A PostgreSQL URL (may hold a password: never printed whole).
    Postgres { url: String },
}

impl std::fmt::Debug for DatabaseLocation {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.describe())
    }
}

impl DatabaseLocation {
    /// Reads `--database-url`; without one, the default file `<data_dir>/rexian.db`.
    pub fn resolve(
        url: Option<&str>,
        data_dir: &Path,
        durability: SqliteDurability,
    ) -> Result<DatabaseLocation, StoreError> {
        let Some(url) = url.map(str::trim).filter(|u| !u.is_empty()) else {
            return Ok(DatabaseLocation::Sqlite {
                path: data_dir.join("rexian.db"),
                create: true,
                durability,
            });
        };
        if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            return Ok(DatabaseLocation::Postgres {
                url: url.to_owned(),
            });
        }
        if let Some(rest) = url.strip_prefix("sqlite:") {
            let path = rest.strip_prefix("//").unwrap_or(rest);
            let path = path.split('?').next().unwrap_or_default();
            if path.is_empty() || path.starts_with(':') {
                return Err(StoreError::Url(format!(
                    "{url:?} names no file; use sqlite:/path/to/rexian.db"
                )));
            }
            return Ok(DatabaseLocation::Sqlite {
                path: PathBuf::from(path),
                create: false,
                durability,
            });
        }
        Err(StoreError::Url(format!(
            "{:?} is not a database URL rexian knows; use sqlite:/path/to/file.db or \
             postgres://user@host/db (or leave it out for <data-dir>/rexian.db)",
            redact(url)
        )))
    }

    pub fn backend(&self) -> super::Backend {
        match self {
            DatabaseLocation::Sqlite { .. } => Backend::Sqlite,
            DatabaseLocation::Postgres { .. } => Backend::Postgres,
        }
    }

    /// For logs and messages: the password of a PostgreSQL URL is hidden.
    pub fn describe(&self) -> String {
        match self {
            DatabaseLocation::Sqlite { path, .. } => format!("sqlite:{}", path.display()),
            DatabaseLocation::Postgres { url } => redact(url),
        }
    }
}

/// `postgres://user:secret@host/db` → `postgres://user:***@host/db`.
pub fn redact(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_owned();
    };
    let Some((userinfo, host)) = rest.rsplit_once('@') else {
        return url.to_owned();
    };
    match userinfo.split_once(':') {
        Some((user, _)) => format!("{scheme}://{user}:***@{host}"),
        None => url.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_is_a_creatable_sqlite_file_under_the_data_dir() {
        let loc =
            DatabaseLocation::resolve(None, Path::new("/d"), SqliteDurability::Normal).unwrap();
        assert_eq!(
            loc,
            DatabaseLocation::Sqlite {
                path: "/d/rexian.db".into(),
                create: true,
                durability: SqliteDurability::Normal
            }
        );
    }

    #[test]
    fn explicit_sqlite_path_is_never_created() {
        for url in [
            "sqlite:/x/y.db",
            "sqlite:///x/y.db",
            "sqlite:/x/y.db?mode=rwc",
        ] {
            let loc = DatabaseLocation::resolve(Some(url), Path::new("/d"), SqliteDurability::Full)
                .unwrap();
            match loc {
                DatabaseLocation::Sqlite { path, create, .. } => {
                    assert_eq!(path, PathBuf::from("/x/y.db"), "{url}");
                    assert!(!create);
                }
                other => panic!("{other:?}"),
            }
        }
    }

    #[test]
    fn unknown_or_ambiguous_urls_are_errors_that_hide_passwords() {
        for url in [
            "mysql://a:pw@h/db",
            "rexian.db",
            "sqlite::memory:",
            "sqlite:",
            "http://x",
        ] {
            let err = DatabaseLocation::resolve(Some(url), Path::new("/d"), Default::default())
                .unwrap_err()
                .to_string();
            assert!(!err.contains("pw@"), "{err}");
        }
        assert_eq!(
            redact("postgres://u:pw@h:5432/db"),
            "postgres://u:***@h:5432/db"
        );
        assert_eq!(redact("postgres://u@h/db"), "postgres://u@h/db");
    }
}
