//! Rows as the rest of rexian sees them. Every record belongs to one sub-platform.

use chrono::{DateTime, Utc};
use rexian_domain::Role;
use serde::{Deserialize, Serialize};

/// A sub-platform (二级分平台), e.g. 白沙县12345分平台. One installation holds many.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Platform {
    pub id: i64,
    /// Short stable code, e.g. `baisha`.
    pub code: String,
    pub name: String,
    /// Letters that start this sub-platform's order numbers, e.g. `BS`.
    pub order_prefix: String,
    pub created_at: DateTime<Utc>,
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct NewPlatform {
    pub code: String,
    pub name: String,
    pub order_prefix: String,
}

/// A town (镇) or township (乡) of the county.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Town {
    pub code: String,
    pub name: String,
    /// `town` (镇) or `township` (乡).
    pub kind: String,
}

/// A county body that handles dispatched orders (承办单位).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Department {
    pub id: i64,
    pub platform_id: i64,
    pub code: String,
    pub name: String,
    /// `bureau` (县直部门), `township` (乡镇政府), `enterprise` (供电、供水等企业).
    pub kind: String,
    pub active: bool,
    pub created_at: DateTime<Utc>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NewDepartment {
    pub code: String,
    pub name: String,
    pub kind: String,
}

/// An agent seat (坐席) rented from the call-centre platform.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Seat {
    pub code: String,
    pub name: String,
}

/// A staff position or person of the operator (班长、管理岗、客服代表).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StaffMember {
    pub code: String,
    pub name: String,
    /// `shift_leader`, `manager` or `agent`.
    pub position: String,
    /// Demo people are marked so nobody mistakes them for real staff.
    #[serde(default)]
    pub is_demo: bool,
}

/// A login of one sub-platform.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct User {
    pub id: i64,
    pub platform_id: i64,
    pub username: String,
    pub display_name: String,
    pub role: Role,
    /// Set exactly when the role is department handler.
    pub department_id: Option<i64>,
    pub active: bool,
    pub created_at: DateTime<Utc>,
}

/// A user to create. The password arrives already hashed: the store never sees a password.
#[derive(Clone, PartialEq, Eq)]
pub struct NewUser {
    pub username: String,
    pub display_name: String,
    pub role: Role,
    pub department_id: Option<i64>,
    pub password_hash: String,
}

impl std::fmt::Debug for NewUser {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("NewUser")
            .field("username", &self.username)
            .field("role", &self.role)
            .field("department_id", &self.department_id)
            .field("password_hash", &"[redacted]")
            .finish()
    }
}

/// The reference data a new sub-platform starts with (`rexian seed baisha`).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct PlatformSeed {
    pub platform: NewPlatform,
    pub towns: Vec<Town>,
    pub departments: Vec<NewDepartment>,
    pub seats: Vec<Seat>,
    pub staff: Vec<StaffMember>,
}

impl PlatformSeed {
    /// Baisha County's defaults: 4 towns and 7 townships, county departments, 10 seats,
    /// 13 staff positions (marked as demo until real people are entered).
    pub fn baisha() -> PlatformSeed {
        toml::from_str(include_str!("../../../config/seed-baisha.toml"))
            .expect("the embedded Baisha seed is valid (checked by a test)")
    }
}
