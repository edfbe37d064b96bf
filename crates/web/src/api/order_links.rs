//! Related orders (关联工单) and attachment metadata (附件信息) of a work order. Both follow
//! the order's visibility: another sub-platform's order, or one a department does not lead or
//! assist, is 404.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use chrono::{DateTime, Utc};
use rexian_store::{Attachment, NewAttachment, StoreError, WorkOrder};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::orders::{OrderResult, load_visible, order_actor};
use crate::AppState;
use crate::error::{ApiError, ErrorBody};
use crate::extract::{ApiJson, ApiPath, Authed, perm};

/// The largest attachment recorded (bytes): 100 MiB.
pub const MAX_ATTACHMENT_BYTES: i64 = 100 * 1024 * 1024;

#[derive(Serialize, ToSchema)]
pub struct RelatedOrder {
    id: i64,
    number: String,
    kind: String,
    state: String,
    title: String,
}

impl From<&WorkOrder> for RelatedOrder {
    fn from(o: &WorkOrder) -> Self {
        RelatedOrder {
            id: o.id,
            number: o.number.clone(),
            kind: o.kind.code().to_owned(),
            state: o.state.code().to_owned(),
            title: o.title.clone(),
        }
    }
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RelateRequest {
    /// The other order's number, e.g. `BS202611270003`.
    number: String,
}

/// Orders related to this one.
#[utoipa::path(get, path = "/api/v1/orders/{id}/related", tag = "orders",
    security(("bearer" = [])), params(("id" = i64, Path)),
    responses((status = 200, body = [RelatedOrder]), (status = 404, body = ErrorBody)))]
pub async fn list_related(
    State(state): State<AppState>,
    auth: Authed<perm::ViewPlatform>,
    ApiPath(id): ApiPath<i64>,
) -> OrderResult<Json<Vec<RelatedOrder>>> {
    let actor = order_actor(&state, &auth.user).await?;
    load_visible(&state, &auth.user, &actor, id).await?;
    let related = state.store.related_orders(auth.platform_id(), id).await?;
    Ok(Json(related.iter().map(RelatedOrder::from).collect()))
}

/// Relates this order to another of the same sub-platform (both list each other). Relating
/// them again is harmless (200 instead of 201).
#[utoipa::path(post, path = "/api/v1/orders/{id}/related", tag = "orders",
    security(("bearer" = [])), params(("id" = i64, Path)), request_body = RelateRequest,
    responses((status = 201, body = [RelatedOrder]), (status = 200, body = [RelatedOrder]),
              (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
              (status = 422, body = ErrorBody)))]
pub async fn relate(
    State(state): State<AppState>,
    auth: Authed<perm::RelateOrders>,
    ApiPath(id): ApiPath<i64>,
    ApiJson(req): ApiJson<RelateRequest>,
) -> OrderResult<(StatusCode, Json<Vec<RelatedOrder>>)> {
    let pid = auth.platform_id();
    let actor = order_actor(&state, &auth.user).await?;
    load_visible(&state, &auth.user, &actor, id).await?;
    let other = state
        .store
        .order_by_number(pid, req.number.trim())
        .await?
        .ok_or_else(|| {
            ApiError::invalid("number", "no order with this number in this sub-platform")
        })?;
    if other.id == id {
        return Err(ApiError::invalid("number", "an order cannot be related to itself").into());
    }
    let added = state
        .store
        .relate_orders(pid, id, other.id, &auth.actor(), state.clock.now())
        .await?;
    let related = state.store.related_orders(pid, id).await?;
    let status = if added {
        StatusCode::CREATED
    } else {
        StatusCode::OK
    };
    Ok((
        status,
        Json(related.iter().map(RelatedOrder::from).collect()),
    ))
}

#[derive(Serialize, ToSchema)]
pub struct AttachmentView {
    id: i64,
    file_name: String,
    content_type: String,
    size_bytes: i64,
    sha256: Option<String>,
    uploaded_by: String,
    uploaded_at: DateTime<Utc>,
}

impl From<Attachment> for AttachmentView {
    fn from(a: Attachment) -> Self {
        AttachmentView {
            id: a.id,
            file_name: a.file_name,
            content_type: a.content_type,
            size_bytes: a.size_bytes,
            sha256: a.sha256,
            uploaded_by: a.uploaded_by,
            uploaded_at: a.uploaded_at,
        }
    }
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AddAttachment {
    /// The file's name as the user sees it, without a directory: `现场照片.jpg`.
    file_name: String,
    /// A media type: `image/jpeg`, `application/pdf`.
    content_type: String,
    /// 1 byte to 100 MiB.
    size_bytes: i64,
    /// 64 hexadecimal digits, if known.
    sha256: Option<String>,
}

/// Checks an attachment's metadata; the first problem names its field.
pub fn validate_attachment(a: &AddAttachment) -> Result<NewAttachment, ApiError> {
    let name = a.file_name.trim();
    let name_chars = name.chars().count();
    if name_chars == 0 || name_chars > 200 {
        return Err(ApiError::invalid("file_name", "1 to 200 characters"));
    }
    if name.contains(['/', '\\'])
        || name.chars().any(char::is_control)
        || name == "."
        || name == ".."
    {
        return Err(ApiError::invalid(
            "file_name",
            "a file name only, without a directory or control characters",
        ));
    }
    let ct = a.content_type.trim().to_ascii_lowercase();
    let ct_ok = ct.len() <= 100
        && ct.split_once('/').is_some_and(|(t, s)| {
            let token = |x: &str| {
                !x.is_empty()
                    && x.bytes()
                        .all(|b| b.is_ascii_alphanumeric() || b"!#$&^_.+-".contains(&b))
            };
            token(t) && token(s)
        });
    if !ct_ok {
        return Err(ApiError::invalid(
            "content_type",
            "a media type such as image/jpeg",
        ));
    }
    if !(1..=MAX_ATTACHMENT_BYTES).contains(&a.size_bytes) {
        return Err(ApiError::invalid("size_bytes", "1 byte to 100 MiB"));
    }
    let sha256 = match &a.sha256 {
        None => None,
        Some(h) => {
            let h = h.trim().to_ascii_lowercase();
            if h.len() != 64 || !h.bytes().all(|b| b.is_ascii_hexdigit()) {
                return Err(ApiError::invalid("sha256", "64 hexadecimal digits"));
            }
            Some(h)
        }
    };
    Ok(NewAttachment {
        file_name: name.to_owned(),
        content_type: ct,
        size_bytes: a.size_bytes,
        sha256,
    })
}

/// The attachments recorded on this order.
#[utoipa::path(get, path = "/api/v1/orders/{id}/attachments", tag = "orders",
    security(("bearer" = [])), params(("id" = i64, Path)),
    responses((status = 200, body = [AttachmentView]), (status = 404, body = ErrorBody)))]
pub async fn list_attachments(
    State(state): State<AppState>,
    auth: Authed<perm::ViewPlatform>,
    ApiPath(id): ApiPath<i64>,
) -> OrderResult<Json<Vec<AttachmentView>>> {
    let actor = order_actor(&state, &auth.user).await?;
    load_visible(&state, &auth.user, &actor, id).await?;
    let list = state.store.attachments(auth.platform_id(), id).await?;
    Ok(Json(list.into_iter().map(AttachmentView::from).collect()))
}

/// Records an attachment's metadata (the file itself is kept by the provincial platform or
/// a file store; `sha256` ties the record to the file).
#[utoipa::path(post, path = "/api/v1/orders/{id}/attachments", tag = "orders",
    security(("bearer" = [])), params(("id" = i64, Path)), request_body = AddAttachment,
    responses((status = 201, body = AttachmentView), (status = 403, body = ErrorBody),
              (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn add_attachment(
    State(state): State<AppState>,
    auth: Authed<perm::AttachToOrders>,
    ApiPath(id): ApiPath<i64>,
    ApiJson(req): ApiJson<AddAttachment>,
) -> OrderResult<(StatusCode, Json<AttachmentView>)> {
    let actor = order_actor(&state, &auth.user).await?;
    load_visible(&state, &auth.user, &actor, id).await?;
    let new = validate_attachment(&req)?;
    let att = state
        .store
        .add_attachment(
            auth.platform_id(),
            id,
            &new,
            &auth.actor(),
            state.clock.now(),
        )
        .await
        .map_err(|e| match e {
            StoreError::NotFound(_) => ApiError::not_found("order"),
            other => other.into(),
        })?;
    Ok((StatusCode::CREATED, Json(att.into())))
}
