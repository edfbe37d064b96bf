//! The contract, its bill of quantities (default from `config/operations.toml`), monthly
//! cost records, budget versus actual, and the final-payment settlement for a payment ratio.
//! Money is integer fen (分) throughout: 100 fen = 1 yuan.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use chrono::NaiveDate;
use rexian_operations::contract::{
    BillLine, BudgetReport, Contract, CostRecord, Fen, Settlement, budget_vs_actual, settlement,
};
use rexian_operations::time::YearMonth;
use rexian_store::operations::Stored;
use serde::Deserialize;
use utoipa::{IntoParams, ToSchema};

use super::{RULES, ctx, max_chars, today};
use crate::AppState;
use crate::error::{ApiError, ApiResult, ErrorBody};
use crate::extract::{ApiJson, ApiPath, ApiQuery, Authed, perm};

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateContract {
    /// The buyer, e.g. 白沙黎族自治县12345热线办公室.
    buyer: String,
    /// The operator.
    operator: String,
    start: NaiveDate,
    /// Last day; default one year from `start`, less a day.
    end: Option<NaiveDate>,
    /// Share of the total paid as the final payment, settled by the assessment, in basis
    /// points (3000 = 30 %); default from configuration.
    final_payment_share_bp: Option<u32>,
    /// The bill of quantities: code, section (`labour`, `operations`), name_zh, unit,
    /// quantity, unit_price (fen), note; default the configured (example) bill.
    #[schema(value_type = Option<Vec<Object>>)]
    lines: Option<Vec<BillLine>>,
    /// The signed total in fen; when given it must equal the bill's sum.
    #[schema(value_type = Option<i64>)]
    total_amount: Option<Fen>,
}

/// Records the contract (managers); a term overlapping another contract's is 409.
#[utoipa::path(post, path = "/api/v1/contracts", tag = "operations", security(("bearer" = [])),
    request_body = CreateContract,
    responses((status = 201, body = Object), (status = 403, body = ErrorBody),
              (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn create_contract(
    State(state): State<AppState>,
    auth: Authed<perm::ManageContract>,
    ApiJson(req): ApiJson<CreateContract>,
) -> ApiResult<(StatusCode, Json<Stored<Contract>>)> {
    max_chars("buyer", &req.buyer, 100)?;
    max_chars("operator", &req.operator, 100)?;
    let share = req
        .final_payment_share_bp
        .unwrap_or(RULES.contract.final_payment_share_bp);
    let lines = req.lines.unwrap_or_else(|| RULES.contract.bill.clone());
    let mut c = Contract::from_bill(&req.buyer, &req.operator, req.start, share, lines)?;
    if let Some(end) = req.end {
        c.end = end;
        c.validate()?;
    }
    if let Some(total) = req.total_amount
        && total != c.total_amount
    {
        return Err(ApiError::invalid(
            "total_amount",
            format!(
                "the bill adds up to {} yuan but the total given is {} yuan",
                c.total_amount, total
            ),
        ));
    }
    let stored = state.store.create_contract(&ctx(&auth, &state), &c).await?;
    Ok((StatusCode::CREATED, Json(stored)))
}

/// Contracts, by start (managers, county office).
#[utoipa::path(get, path = "/api/v1/contracts", tag = "operations", security(("bearer" = [])),
    responses((status = 200, body = [Object]), (status = 403, body = ErrorBody)))]
pub async fn list_contracts(
    State(state): State<AppState>,
    auth: Authed<perm::ViewContract>,
) -> ApiResult<Json<Vec<Stored<Contract>>>> {
    Ok(Json(state.store.contracts(auth.platform_id()).await?))
}

async fn contract_by_id(state: &AppState, platform_id: i64, id: i64) -> Result<Contract, ApiError> {
    state
        .store
        .contracts(platform_id)
        .await?
        .into_iter()
        .find(|c| c.id == id)
        .map(|c| c.record)
        .ok_or_else(|| ApiError::not_found("contract"))
}

/// One contract.
#[utoipa::path(get, path = "/api/v1/contracts/{id}", tag = "operations",
    security(("bearer" = [])), params(("id" = i64, Path)),
    responses((status = 200, body = Object), (status = 404, body = ErrorBody)))]
pub async fn get_contract(
    State(state): State<AppState>,
    auth: Authed<perm::ViewContract>,
    ApiPath(id): ApiPath<i64>,
) -> ApiResult<Json<Stored<Contract>>> {
    let record = contract_by_id(&state, auth.platform_id(), id).await?;
    Ok(Json(Stored { id, record }))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CostIn {
    /// A line code of the contract's bill.
    line_code: String,
    /// `YYYY-MM`.
    month: String,
    /// What was spent, in fen (negative for a refund).
    amount: i64,
    /// Units actually used (e.g. telephones rented), when the line is paid as incurred.
    quantity: Option<u32>,
    note: Option<String>,
}

/// Records a month's cost against a line of the bill (managers).
#[utoipa::path(post, path = "/api/v1/contracts/{id}/costs", tag = "operations",
    security(("bearer" = [])), params(("id" = i64, Path)), request_body = CostIn,
    responses((status = 201, body = Object), (status = 404, body = ErrorBody),
              (status = 422, body = ErrorBody)))]
pub async fn add_cost(
    State(state): State<AppState>,
    auth: Authed<perm::ManageContract>,
    ApiPath(id): ApiPath<i64>,
    ApiJson(req): ApiJson<CostIn>,
) -> ApiResult<(StatusCode, Json<Stored<CostRecord>>)> {
    if let Some(n) = &req.note {
        max_chars("note", n, 500)?;
    }
    let month: YearMonth = req
        .month
        .parse()
        .map_err(|_| ApiError::invalid("month", "a month is written YYYY-MM"))?;
    let cost = CostRecord {
        line_code: req.line_code,
        month,
        amount: Fen(req.amount),
        quantity: req.quantity,
        note: req.note.filter(|n| !n.trim().is_empty()),
    };
    let stored = state
        .store
        .add_cost(&ctx(&auth, &state), id, &cost)
        .await
        .map_err(|e| match e {
            rexian_store::OpsStoreError::Rule(rexian_operations::OpsError::Unknown {
                what: "bill line",
                value,
            }) => ApiError::invalid(
                "line_code",
                format!("no line `{value}` in this contract's bill"),
            ),
            other => other.into(),
        })?;
    Ok((StatusCode::CREATED, Json(stored)))
}

/// Cost records of a contract.
#[utoipa::path(get, path = "/api/v1/contracts/{id}/costs", tag = "operations",
    security(("bearer" = [])), params(("id" = i64, Path)),
    responses((status = 200, body = [Object]), (status = 404, body = ErrorBody)))]
pub async fn list_costs(
    State(state): State<AppState>,
    auth: Authed<perm::ViewContract>,
    ApiPath(id): ApiPath<i64>,
) -> ApiResult<Json<Vec<Stored<CostRecord>>>> {
    contract_by_id(&state, auth.platform_id(), id).await?;
    Ok(Json(state.store.costs(auth.platform_id(), id).await?))
}

#[derive(Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
pub struct BudgetQuery {
    /// Costs through this month, `YYYY-MM`; default this month.
    through: Option<String>,
}

/// Budget versus actual per line of the bill, through a month: the budget to date is the
/// line's amount in proportion to the days of the term elapsed.
#[utoipa::path(get, path = "/api/v1/contracts/{id}/budget", tag = "operations",
    security(("bearer" = [])), params(("id" = i64, Path), BudgetQuery),
    responses((status = 200, body = Object), (status = 404, body = ErrorBody)))]
pub async fn budget(
    State(state): State<AppState>,
    auth: Authed<perm::ViewContract>,
    ApiPath(id): ApiPath<i64>,
    ApiQuery(q): ApiQuery<BudgetQuery>,
) -> ApiResult<Json<BudgetReport>> {
    let contract = contract_by_id(&state, auth.platform_id(), id).await?;
    let through = match &q.through {
        Some(t) => t
            .parse()
            .map_err(|_| ApiError::invalid("through", "a month is written YYYY-MM"))?,
        None => YearMonth::containing(today(&state)),
    };
    let costs: Vec<CostRecord> = state
        .store
        .costs(auth.platform_id(), id)
        .await?
        .into_iter()
        .map(|c| c.record)
        .collect();
    Ok(Json(budget_vs_actual(&contract, &costs, through)?))
}

#[derive(Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
pub struct SettlementQuery {
    /// The payment ratio from the assessment, 0 to 1 (e.g. 0.95).
    ratio: f64,
    /// The contract; default the one in force today (else the latest).
    contract_id: Option<i64>,
}

/// The final payment due for a payment ratio: total × final-payment share × ratio, rounded
/// half away from zero to the fen. (The assessment will supply the ratio.)
#[utoipa::path(get, path = "/api/v1/contract/settlement", tag = "operations",
    security(("bearer" = [])), params(SettlementQuery),
    responses((status = 200, body = Object), (status = 404, body = ErrorBody),
              (status = 422, body = ErrorBody)))]
pub async fn get_settlement(
    State(state): State<AppState>,
    auth: Authed<perm::ViewContract>,
    ApiQuery(q): ApiQuery<SettlementQuery>,
) -> ApiResult<Json<Settlement>> {
    if !q.ratio.is_finite() || !(0.0..=1.0).contains(&q.ratio) {
        return Err(ApiError::invalid(
            "ratio",
            "a payment ratio is between 0 and 1",
        ));
    }
    let contracts = state.store.contracts(auth.platform_id()).await?;
    let day = today(&state);
    let chosen = match q.contract_id {
        Some(id) => contracts.into_iter().find(|c| c.id == id),
        None => {
            let current = contracts
                .iter()
                .find(|c| c.record.start <= day && day <= c.record.end)
                .cloned();
            current.or_else(|| contracts.into_iter().last())
        }
    };
    let contract = chosen.ok_or_else(|| ApiError::not_found("contract"))?;
    Ok(Json(settlement(&contract.record, q.ratio)?))
}

/// The default bill of quantities (configuration; example prices until the signed ones).
#[utoipa::path(get, path = "/api/v1/contract/bill-defaults", tag = "operations",
    security(("bearer" = [])),
    responses((status = 200, body = [Object]), (status = 403, body = ErrorBody)))]
pub async fn bill_defaults(_auth: Authed<perm::ViewContract>) -> Json<Vec<BillLine>> {
    Json(RULES.contract.bill.clone())
}
