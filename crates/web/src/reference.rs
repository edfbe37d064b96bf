//! A sub-platform's reference data as the order endpoints check it (departments, towns,
//! matter categories), cached by the server for a few seconds: every registration, dispatch
//! and department action would otherwise read it from the database again.
//!
//! A lookup that finds nothing reloads at once before it answers "unknown", so a department
//! or category added a moment ago (by `rexian seed`, an import, another process) is found
//! on its first use. A change to an existing entry (a department deactivated) is seen within
//! `CACHE_TTL`.

use std::collections::HashMap;
use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant};

use rexian_store::{Department, MatterCategory, Store, StoreResult, Town};

const CACHE_TTL: Duration = Duration::from_secs(10);

/// One sub-platform's reference data at one moment.
#[derive(Debug, Default)]
pub struct Reference {
    pub departments: Vec<Department>,
    pub towns: Vec<Town>,
    pub categories: Vec<MatterCategory>,
}

/// Reference data and when it was read.
type Cached = (Instant, Arc<Reference>);

/// Each sub-platform's reference data, cached by the server (one per `AppState`).
#[derive(Clone, Default)]
pub struct ReferenceCache(Arc<RwLock<HashMap<i64, Cached>>>);

impl ReferenceCache {
    /// The sub-platform's reference data: cached if younger than `CACHE_TTL` and `fresh` is
    /// false, else read now.
    async fn get(
        &self,
        store: &dyn Store,
        platform_id: i64,
        fresh: bool,
    ) -> StoreResult<Arc<Reference>> {
        if !fresh
            && let Some((at, r)) = self
                .0
                .read()
                .unwrap_or_else(|p| p.into_inner())
                .get(&platform_id)
            && at.elapsed() < CACHE_TTL
        {
            return Ok(r.clone());
        }
        let loaded = Arc::new(Reference {
            departments: store.list_departments(platform_id).await?,
            towns: store.list_towns(platform_id).await?,
            categories: store.list_matter_categories(platform_id).await?,
        });
        self.0
            .write()
            .unwrap_or_else(|p| p.into_inner())
            .insert(platform_id, (Instant::now(), loaded.clone()));
        Ok(loaded)
    }

    /// The first entry `find` finds: from the cache, else after one reload.
    async fn lookup<T>(
        &self,
        store: &dyn Store,
        platform_id: i64,
        find: impl Fn(&Reference) -> Option<T>,
    ) -> StoreResult<Option<T>> {
        if let Some(found) = find(&*self.get(store, platform_id, false).await?) {
            return Ok(Some(found));
        }
        Ok(find(&*self.get(store, platform_id, true).await?))
    }

    /// The department with this id on the sub-platform (active or not).
    pub async fn department(
        &self,
        store: &dyn Store,
        platform_id: i64,
        id: i64,
    ) -> StoreResult<Option<Department>> {
        self.lookup(store, platform_id, |r| {
            r.departments.iter().find(|d| d.id == id).cloned()
        })
        .await
    }

    /// Whether the sub-platform has a town with this code.
    pub async fn has_town(
        &self,
        store: &dyn Store,
        platform_id: i64,
        code: &str,
    ) -> StoreResult<bool> {
        let found = self
            .lookup(store, platform_id, |r| {
                r.towns.iter().any(|t| t.code == code).then_some(())
            })
            .await?;
        Ok(found.is_some())
    }

    /// The matter category with this code (active or not).
    pub async fn category(
        &self,
        store: &dyn Store,
        platform_id: i64,
        code: &str,
    ) -> StoreResult<Option<MatterCategory>> {
        self.lookup(store, platform_id, |r| {
            r.categories.iter().find(|c| c.code == code).cloned()
        })
        .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{TimeZone, Utc};
    use rexian_domain::Actor;
    use rexian_store::{NewDepartment, PlatformSeed, testing};

    /// A department added after the cache was filled is found at once (a miss reloads);
    /// one that is not there is `None` on every backend.
    #[tokio::test]
    async fn a_miss_reloads_before_answering_unknown() {
        for db in testing::all_backends().await {
            let s = db.store.clone();
            let now = Utc.with_ymd_and_hms(2026, 11, 2, 1, 0, 0).unwrap();
            let cli = Actor::Cli {
                os_user: "test".into(),
            };
            let p = s
                .seed_platform(&PlatformSeed::baisha(), &cli, now)
                .await
                .unwrap()
                .id;
            let cache = ReferenceCache::default();
            let first = s.list_departments(p).await.unwrap()[0].clone();
            let hit = cache.department(s.as_ref(), p, first.id).await.unwrap();
            assert_eq!(hit.map(|d| d.code), Some(first.code));
            assert!(cache.has_town(s.as_ref(), p, "yacha").await.unwrap());
            assert!(!cache.has_town(s.as_ref(), p, "nowhere").await.unwrap());

            let new = NewDepartment {
                code: "newbody".into(),
                name: "新设单位".into(),
                kind: "bureau".into(),
            };
            let added = s.create_department(p, &new, &cli, now).await.unwrap();
            let found = cache.department(s.as_ref(), p, added.id).await.unwrap();
            assert_eq!(found.map(|d| d.code), Some("newbody".to_owned()));
            assert!(
                cache
                    .department(s.as_ref(), p, 999_999)
                    .await
                    .unwrap()
                    .is_none()
            );
            assert!(
                cache
                    .category(s.as_ref(), p, "99.99")
                    .await
                    .unwrap()
                    .is_none()
            );
        }
    }
}
