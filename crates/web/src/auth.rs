//! Passwords, session tokens and sign-in throttling.
//!
//! Passwords are hashed with argon2id on the blocking pool (never on the async threads).
//! A session token is 32 random bytes shown once to the client; the database keeps only its
//! BLAKE2b hash, so a copy of the database does not let anyone sign in.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use argon2::Argon2;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use axum::http::StatusCode;
use blake2::{Blake2b512, Digest};
use chrono::{DateTime, Utc};
use rand::RngCore;
use rexian_store::User;

use crate::AppState;
use crate::error::ApiError;

pub const SESSION_COOKIE: &str = "rexian_session";

/// Hashes a password with argon2id and a random salt (blocking: call via spawn_blocking).
pub fn hash_password_blocking(password: &str) -> Result<String, argon2::password_hash::Error> {
    let mut salt_bytes = [0u8; 16];
    rand::rng().fill_bytes(&mut salt_bytes);
    let salt = SaltString::encode_b64(&salt_bytes)?;
    Ok(Argon2::default()
        .hash_password(password.as_bytes(), &salt)?
        .to_string())
}

pub async fn hash_password(password: String) -> Result<String, ApiError> {
    tokio::task::spawn_blocking(move || hash_password_blocking(&password))
        .await
        .map_err(|_| ApiError::internal())?
        .map_err(|e| {
            tracing::error!(error = %e, "password hashing failed");
            ApiError::internal()
        })
}

/// A hash of a password nobody has, verified when the username is unknown so that an
/// unknown name takes as long to refuse as a wrong password.
fn decoy_hash() -> &'static str {
    static DECOY: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    DECOY.get_or_init(|| hash_password_blocking("decoy password never used").unwrap_or_default())
}

async fn verify_password(password: String, hash: Option<String>) -> Result<bool, ApiError> {
    tokio::task::spawn_blocking(move || {
        let hash = hash.unwrap_or_else(|| decoy_hash().to_owned());
        let parsed = PasswordHash::new(&hash).ok()?;
        Some(
            Argon2::default()
                .verify_password(password.as_bytes(), &parsed)
                .is_ok(),
        )
    })
    .await
    .map_err(|_| ApiError::internal())
    .map(|ok| ok.unwrap_or(false))
}

pub fn new_token() -> String {
    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

pub fn token_hash(token: &str) -> String {
    let digest = Blake2b512::digest(token.as_bytes());
    digest[..32].iter().map(|b| format!("{b:02x}")).collect()
}

/// Limits on failed sign-ins, per username and per client address.
#[derive(Debug, Clone, Copy)]
pub struct ThrottleSettings {
    pub max_failures_per_user: usize,
    pub max_failures_per_ip: usize,
    pub window: Duration,
}

impl Default for ThrottleSettings {
    fn default() -> Self {
        ThrottleSettings {
            max_failures_per_user: 5,
            max_failures_per_ip: 20,
            window: Duration::from_secs(15 * 60),
        }
    }
}

/// How long a session checked against the database is trusted without reading it again.
/// Sign-out and deactivation through this server take effect at once (they drop entries);
/// a change made by another process takes effect within this time.
const SESSION_RECHECK: chrono::Duration = chrono::Duration::seconds(5);
/// Entries kept at most; past it the cache starts again empty (bounded memory).
const SESSION_CACHE_MAX: usize = 10_000;

/// Sessions recently checked against the database, by token hash, so that most requests do
/// not read the database to learn who sent them.
#[derive(Default)]
pub struct SessionCache {
    entries: Mutex<HashMap<String, (User, DateTime<Utc>)>>,
}

impl SessionCache {
    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, (User, DateTime<Utc>)>> {
        self.entries
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// The user of a session checked less than [`SESSION_RECHECK`] before `now`.
    pub fn get(&self, token_hash: &str, now: DateTime<Utc>) -> Option<User> {
        self.lock()
            .get(token_hash)
            .filter(|(_, checked)| now >= *checked && now - *checked < SESSION_RECHECK)
            .map(|(user, _)| user.clone())
    }

    pub fn put(&self, token_hash: &str, user: &User, now: DateTime<Utc>) {
        let mut entries = self.lock();
        if entries.len() >= SESSION_CACHE_MAX {
            entries.clear();
        }
        entries.insert(token_hash.to_owned(), (user.clone(), now));
    }

    /// Drops one session (signed out).
    pub fn forget(&self, token_hash: &str) {
        self.lock().remove(token_hash);
    }

    /// Drops every session (a user was deactivated).
    pub fn clear(&self) {
        self.lock().clear();
    }
}

/// Failed sign-ins in a sliding window, kept in memory (a restart forgets them, which only
/// gives an attacker one more window; the limits are per process).
#[derive(Debug, Default)]
pub struct LoginThrottle {
    settings: ThrottleSettings,
    failures: Mutex<HashMap<String, Vec<Instant>>>,
}

impl LoginThrottle {
    pub fn new(settings: ThrottleSettings) -> LoginThrottle {
        LoginThrottle {
            settings,
            failures: Mutex::default(),
        }
    }

    fn keys(username: &str, ip: Option<IpAddr>) -> [(String, bool); 2] {
        [
            (format!("u:{}", username.to_lowercase()), true),
            (
                format!("ip:{}", ip.map(|i| i.to_string()).unwrap_or_default()),
                false,
            ),
        ]
    }

    /// Seconds to wait before another attempt is allowed, if any.
    pub fn blocked_for(&self, username: &str, ip: Option<IpAddr>, now: Instant) -> Option<u64> {
        let mut map = self.failures.lock().unwrap_or_else(|p| p.into_inner());
        let window = self.settings.window;
        let mut wait = None;
        for (key, is_user) in Self::keys(username, ip) {
            let limit = if is_user {
                self.settings.max_failures_per_user
            } else {
                self.settings.max_failures_per_ip
            };
            if let Some(times) = map.get_mut(&key) {
                times.retain(|t| now.duration_since(*t) < window);
                if times.len() >= limit {
                    let oldest = times[times.len() - limit];
                    let secs = (window - now.duration_since(oldest)).as_secs().max(1);
                    wait = Some(wait.map_or(secs, |w: u64| w.max(secs)));
                }
            }
        }
        wait
    }

    pub fn record_failure(&self, username: &str, ip: Option<IpAddr>, now: Instant) {
        let mut map = self.failures.lock().unwrap_or_else(|p| p.into_inner());
        if map.len() > 100_000 {
            let window = self.settings.window;
            map.retain(|_, times| {
                times
                    .last()
                    .is_some_and(|t| now.duration_since(*t) < window)
            });
        }
        for (key, _) in Self::keys(username, ip) {
            map.entry(key).or_default().push(now);
        }
    }

    pub fn record_success(&self, username: &str) {
        let mut map = self.failures.lock().unwrap_or_else(|p| p.into_inner());
        map.remove(&format!("u:{}", username.to_lowercase()));
    }
}

/// A successful sign-in: the token to hand out once, and when it expires.
pub struct SignedIn {
    pub user: User,
    pub token: String,
    pub expires_at: DateTime<Utc>,
}

/// Checks a username and password, with throttling, and opens a session.
pub async fn sign_in(
    state: &AppState,
    username: &str,
    password: &str,
    ip: Option<IpAddr>,
) -> Result<SignedIn, ApiError> {
    let started = Instant::now();
    if let Some(secs) = state.throttle.blocked_for(username, ip, started) {
        return Err(ApiError {
            retry_after_secs: Some(secs),
            ..ApiError::new(
                StatusCode::TOO_MANY_REQUESTS,
                "too_many_attempts",
                format!(
                    "too many failed sign-ins; try again in {secs} s / 登录失败次数过多，请{secs}秒后再试"
                ),
            )
        });
    }
    let found = state.store.credentials(username).await?;
    let (user, hash) = match found {
        Some((user, hash)) => (Some(user), Some(hash)),
        None => (None, None),
    };
    let ok = verify_password(password.to_owned(), hash).await?;
    let user = match user {
        Some(u) if ok && u.active => u,
        _ => {
            state.throttle.record_failure(username, ip, started);
            tracing::info!(username_len = username.len(), "sign-in refused");
            return Err(ApiError::new(
                StatusCode::UNAUTHORIZED,
                "invalid_credentials",
                "wrong username or password / 用户名或密码错误",
            ));
        }
    };
    state.throttle.record_success(username);
    let token = new_token();
    let now = state.clock.now();
    let expires_at = now + state.settings.session_ttl;
    state
        .store
        .create_session(&user, &token_hash(&token), now, expires_at)
        .await?;
    Ok(SignedIn {
        user,
        token,
        expires_at,
    })
}

/// The `Set-Cookie` value for a session (or its removal when `token` is None).
pub fn session_cookie(token: Option<&str>, max_age_secs: i64, secure: bool) -> String {
    let secure = if secure { "; Secure" } else { "" };
    match token {
        Some(t) => format!(
            "{SESSION_COOKIE}={t}; Path=/; HttpOnly; SameSite=Lax; Max-Age={max_age_secs}{secure}"
        ),
        None => format!("{SESSION_COOKIE}=; Path=/; HttpOnly; SameSite=Lax; Max-Age=0{secure}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_cached_session_is_trusted_for_the_recheck_time_only_and_dropped_on_sign_out() {
        let cache = SessionCache::default();
        let t0: DateTime<Utc> = "2026-10-08T02:00:00Z".parse().unwrap();
        let user = User {
            id: 7,
            platform_id: 1,
            username: "agent1".into(),
            display_name: "坐席一".into(),
            role: rexian_domain::Role::Agent,
            department_id: None,
            active: true,
            created_at: t0,
        };
        assert!(cache.get("h", t0).is_none());
        cache.put("h", &user, t0);
        assert_eq!(
            cache.get("h", t0 + chrono::Duration::seconds(4)),
            Some(user.clone())
        );
        assert!(
            cache.get("h", t0 + SESSION_RECHECK).is_none(),
            "stale: read again"
        );
        assert!(
            cache.get("h", t0 - chrono::Duration::seconds(1)).is_none(),
            "clock went back"
        );
        cache.put("h", &user, t0);
        cache.forget("h");
        assert!(cache.get("h", t0).is_none());
        cache.put("h", &user, t0);
        cache.clear();
        assert!(cache.get("h", t0).is_none());
    }

    #[test]
    fn throttle_blocks_after_the_limit_and_forgives_after_the_window() {
        let t = LoginThrottle::new(ThrottleSettings {
            max_failures_per_user: 3,
            max_failures_per_ip: 100,
            window: Duration::from_secs(60),
        });
        let ip = Some("127.0.0.1".parse().unwrap());
        let t0 = Instant::now();
        for i in 0..3 {
            assert_eq!(t.blocked_for("Admin", ip, t0), None, "attempt {i}");
            t.record_failure("admin", ip, t0);
        }
        assert_eq!(t.blocked_for("ADMIN", ip, t0), Some(60));
        assert_eq!(
            t.blocked_for("admin", ip, t0 + Duration::from_secs(59)),
            Some(1)
        );
        assert_eq!(
            t.blocked_for("admin", ip, t0 + Duration::from_secs(60)),
            None
        );
        assert_eq!(t.blocked_for("other", ip, t0), None, "per user");
    }

    #[test]
    fn throttle_per_address_catches_spraying_many_names() {
        let t = LoginThrottle::new(ThrottleSettings {
            max_failures_per_user: 100,
            max_failures_per_ip: 2,
            window: Duration::from_secs(60),
        });
        let ip = Some("10.1.1.1".parse().unwrap());
        let t0 = Instant::now();
        t.record_failure("a", ip, t0);
        t.record_failure("b", ip, t0);
        assert!(t.blocked_for("c", ip, t0).is_some());
        assert!(
            t.blocked_for("c", Some("10.1.1.2".parse().unwrap()), t0)
                .is_none()
        );
    }

    #[test]
    fn passwords_verify_and_tokens_hash_stably() {
        let h = hash_password_blocking("correct horse").unwrap();
        assert!(h.starts_with("$argon2id$"));
        let parsed = PasswordHash::new(&h).unwrap();
        assert!(
            Argon2::default()
                .verify_password(b"correct horse", &parsed)
                .is_ok()
        );
        assert!(
            Argon2::default()
                .verify_password(b"wrong", &parsed)
                .is_err()
        );
        let tok = new_token();
        assert_eq!(tok.len(), 64);
        assert_eq!(token_hash(&tok), token_hash(&tok));
        assert_ne!(token_hash(&tok), token_hash(&new_token()));
    }
}
