//! Identifiers of stored records. The store assigns them; this crate only compares them.
//! Each is its own type so a staff id cannot be passed where an asset id is expected.

use serde::{Deserialize, Serialize};

macro_rules! id_type {
    ($($(#[$meta:meta])* $name:ident),+ $(,)?) => {$(
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        #[serde(transparent)]
        pub struct $name(pub i64);

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                write!(f, "{}", self.0)
            }
        }
    )+};
}

id_type!(
    /// A person on the operator's staff (a staff record, not a login).
    StaffId,
    /// A login of the platform (manager, shift leader, county office user...): who did something.
    UserId,
    /// A leased line, telephone, seat or other piece of equipment.
    AssetId,
    /// One daily inspection of one asset.
    InspectionId,
    /// A reported fault.
    FaultId,
    /// An emergency (突发事件).
    EmergencyId,
    /// A complaint about an agent.
    ComplaintId,
    /// A praise (call, letter or banner).
    PraiseId,
    /// A quality-control review of one call or order.
    ReviewId,
    /// A training session.
    TrainingId,
    /// A shift swap request.
    SwapId,
);
