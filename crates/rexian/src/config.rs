//! Configuration: defaults (config/rexian.toml, embedded), then a TOML file, then REXIAN_*
//! environment variables; the command line overrides last.

use std::path::{Path, PathBuf};

use anyhow::{Context, bail};
use serde::Deserialize;

/// The annotated default file, printed by `rexian default-config`.
pub const DEFAULT_TOML: &str = include_str!("../../../config/rexian.toml");

/// A string that never shows in `Debug` output or logs.
#[derive(Clone, Default, Deserialize, PartialEq, Eq)]
#[serde(transparent)]
pub struct Secret(pub String);

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.0.is_empty() {
            f.write_str("\"\"")
        } else {
            f.write_str("[redacted]")
        }
    }
}

#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Config {
    pub data_dir: PathBuf,
    pub database_url: Secret,
    pub listen: String,
    /// Assessment rule files, one per version; empty for the embedded Baisha rules.
    pub assessment_rules: Vec<PathBuf>,
    pub log: LogConfig,
    pub sqlite: SqliteConfig,
    pub web: WebConfig,
    pub login: LoginConfig,
    pub bootstrap: BootstrapConfig,
    /// The live ACD of every sub-platform (queues, ring timeout, wrap-up, overflow).
    pub acd: rexian_acd::AcdConfig,
    pub operations: OperationsFileConfig,
    pub orders: OrdersFileConfig,
}

#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct LogConfig {
    pub format: LogFormat,
    pub level: String,
}

#[derive(Debug, Clone, Copy, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum LogFormat {
    Text,
    Json,
}

#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct SqliteConfig {
    pub durability: rexian_store::SqliteDurability,
}

#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct WebConfig {
    pub session_ttl_hours: u32,
    pub secure_cookies: bool,
    pub max_body_bytes: usize,
    pub request_timeout_secs: u64,
}

#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct LoginConfig {
    pub max_failures_per_user: usize,
    pub max_failures_per_ip: usize,
    pub window_secs: u64,
}

#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct OperationsFileConfig {
    /// Path of the operations rules file, or "" for the built-in defaults.
    pub rules_file: String,
}

#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct OrdersFileConfig {
    /// Path of the work-order time limits file, or "" for the built-in defaults.
    pub time_limits_file: String,
}

#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct BootstrapConfig {
    pub platform: String,
    pub admin_username: String,
    pub admin_password: Secret,
}

impl Config {
    /// Layers the defaults, `file` and the environment `env` (pairs of name and value; only
    /// names starting with `REXIAN_` count, and `REXIAN_TEST_*` belongs to the tests).
    pub fn load(
        file: Option<&Path>,
        env: impl IntoIterator<Item = (String, String)>,
    ) -> anyhow::Result<Config> {
        let mut builder = config::Config::builder().add_source(config::File::from_str(
            DEFAULT_TOML,
            config::FileFormat::Toml,
        ));
        if let Some(path) = file {
            if !path.is_file() {
                bail!("the configuration file {} does not exist", path.display());
            }
            builder = builder.add_source(config::File::from(path).format(config::FileFormat::Toml));
        }
        let vars: config::Map<String, String> = env
            .into_iter()
            .filter(|(k, _)| k.starts_with("REXIAN_") && !k.starts_with("REXIAN_TEST_"))
            .collect();
        builder = builder.add_source(
            config::Environment::with_prefix("REXIAN")
                .prefix_separator("_")
                .separator("__")
                .try_parsing(true)
                .source(Some(vars)),
        );
        let merged = builder.build().context("reading the configuration")?;
        let config: Config = merged.try_deserialize().map_err(|e| {
            anyhow::anyhow!(
                "configuration: {e}{}",
                file.map(|f| format!(" (file {})", f.display()))
                    .unwrap_or_default()
            )
        })?;
        config.validate()?;
        Ok(config)
    }

    fn validate(&self) -> anyhow::Result<()> {
        if self.web.session_ttl_hours == 0 {
            bail!("configuration: web.session_ttl_hours must be at least 1");
        }
        if self.login.max_failures_per_user == 0 || self.login.max_failures_per_ip == 0 {
            bail!("configuration: login.max_failures_* must be at least 1");
        }
        if self.web.request_timeout_secs == 0 {
            bail!("configuration: web.request_timeout_secs must be at least 1");
        }
        self.acd
            .validate()
            .map_err(|e| anyhow::anyhow!("configuration: acd.{}: {}", e.field, e.reason))?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_printed_defaults_are_the_defaults() {
        let c = Config::load(None, []).unwrap();
        assert_eq!(c.listen, "127.0.0.1:8080");
        assert_eq!(c.data_dir, PathBuf::from("./rexian-data"));
        assert_eq!(c.web.session_ttl_hours, 12);
        assert_eq!(c.bootstrap.platform, "baisha");
        assert_eq!(c.acd, rexian_acd::AcdConfig::default());
    }

    #[test]
    fn file_then_environment_override_the_defaults() {
        let dir = std::env::temp_dir().join(format!("rexian-cfg-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let file = dir.join("c.toml");
        std::fs::write(
            &file,
            "listen = \"0.0.0.0:9000\"\n[web]\nsession_ttl_hours = 8\n",
        )
        .unwrap();
        let env = [
            ("REXIAN_WEB__SESSION_TTL_HOURS".to_owned(), "4".to_owned()),
            ("REXIAN_TEST_POSTGRES_URL".to_owned(), "ignored".to_owned()),
            ("PATH".to_owned(), "/bin".to_owned()),
        ];
        let c = Config::load(Some(&file), env).unwrap();
        assert_eq!(c.listen, "0.0.0.0:9000");
        assert_eq!(c.web.session_ttl_hours, 4);
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn typos_and_bad_values_are_named() {
        let err = Config::load(None, [("REXIAN_LISTN".to_owned(), "x".to_owned())])
            .unwrap_err()
            .to_string();
        assert!(err.contains("listn"), "{err}");
        let err = Config::load(
            None,
            [("REXIAN_WEB__SESSION_TTL_HOURS".to_owned(), "0".to_owned())],
        )
        .unwrap_err()
        .to_string();
        assert!(err.contains("session_ttl_hours"), "{err}");
        let err = Config::load(Some(Path::new("/no/such/file.toml")), [])
            .unwrap_err()
            .to_string();
        assert!(err.contains("does not exist"), "{err}");
    }

    #[test]
    fn secrets_do_not_show_in_debug() {
        let env = [
            (
                "REXIAN_BOOTSTRAP__ADMIN_PASSWORD".to_owned(),
                "hunter2hunter2".to_owned(),
            ),
            (
                "REXIAN_DATABASE_URL".to_owned(),
                "postgres://u:pw@h/db".to_owned(),
            ),
        ];
        let c = Config::load(None, env).unwrap();
        let debug = format!("{c:?}");
        assert!(!debug.contains("hunter2"), "{debug}");
        assert!(!debug.contains("pw@"), "{debug}");
    }
}
