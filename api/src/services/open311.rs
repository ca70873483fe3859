//! The Open311 GeoReport v2 read-only export of residents' appeals (DESIGN 3.4): the service list
//! (one service per appeal category) and the service requests a viewer may read.
//!
//! An appeal becomes a service request without any personal data: the resident's name, phone and
//! address are never read from the table, so they cannot reach the output.

use chrono::{DateTime, FixedOffset, NaiveDate, NaiveTime, SecondsFormat, TimeZone, Utc};
use chrono_tz::Tz;
use entities::{
    enums::{AppealCategory, AppealStatus},
    organization, resident_appeal,
};
use sea_orm::{
    ActiveEnum, ColumnTrait, ConnectionTrait, EntityTrait, FromQueryResult, Iterable, JoinType,
    QueryFilter, QueryOrder, QuerySelect, RelationDef,
};
use serde::Serialize;

use super::{Actor, appeals};
use crate::error::{AppError, AppResult};

/// The most requests one answer carries (the newest ones).
pub const MAX_REQUESTS: u64 = 1000;

/// A service of the GeoReport v2 service list.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Service {
    pub service_code: String,
    pub service_name: &'static str,
    pub description: &'static str,
    /// No service takes extra attributes.
    pub metadata: bool,
    #[serde(rename = "type")]
    pub kind: &'static str,
    pub keywords: &'static str,
    pub group: &'static str,
}

/// The Chinese name, description, keywords and group of a category.
fn labels(category: AppealCategory) -> (&'static str, &'static str, &'static str, &'static str) {
    match category {
        AppealCategory::Infrastructure => (
            "基础设施",
            "道路、桥梁、水电、路灯等村内基础设施问题",
            "道路,桥梁,供水,供电,路灯",
            "民生服务",
        ),
        AppealCategory::Environment => (
            "人居环境",
            "垃圾清运、污水、卫生、绿化等人居环境问题",
            "垃圾,污水,卫生,绿化",
            "民生服务",
        ),
        AppealCategory::PublicSafety => (
            "公共安全",
            "消防、交通、地质灾害等安全隐患",
            "消防,交通,隐患,防汛",
            "平安建设",
        ),
        AppealCategory::Dispute => (
            "矛盾纠纷",
            "邻里、土地、家庭等矛盾纠纷的调解",
            "邻里,土地,调解",
            "平安建设",
        ),
        AppealCategory::SocialSecurity => (
            "社会保障",
            "医保、养老、救助、就业等社会保障事项",
            "医保,养老,救助,就业",
            "民生服务",
        ),
        AppealCategory::Tourism => (
            "文旅服务",
            "景区、民宿、游客等文旅服务事项",
            "景区,民宿,游客",
            "产业发展",
        ),
        AppealCategory::Legal => (
            "法律服务",
            "法律咨询与法律援助",
            "法律咨询,法律援助",
            "平安建设",
        ),
        AppealCategory::Other => ("其他", "其他民情诉求", "其他", "其他"),
    }
}

/// One service per appeal category, in the categories' order.
pub fn services() -> Vec<Service> {
    AppealCategory::iter()
        .map(|category| {
            let (service_name, description, keywords, group) = labels(category);
            Service {
                service_code: category.to_value(),
                service_name,
                description,
                metadata: false,
                kind: "realtime",
                keywords,
                group,
            }
        })
        .collect()
}

/// GeoReport's two statuses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RequestStatus {
    Open,
    Closed,
}

impl RequestStatus {
    fn of(status: AppealStatus) -> Self {
        match status {
            AppealStatus::Received | AppealStatus::Accepted => Self::Open,
            AppealStatus::Resolved | AppealStatus::Rejected => Self::Closed,
        }
    }

    fn appeal_statuses(self) -> [AppealStatus; 2] {
        match self {
            Self::Open => [AppealStatus::Received, AppealStatus::Accepted],
            Self::Closed => [AppealStatus::Resolved, AppealStatus::Rejected],
        }
    }

    fn as_str(self) -> &'static str {
        match self {
            Self::Open => "open",
            Self::Closed => "closed",
        }
    }
}

/// The filters of `GET requests.json`, parsed and checked.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RequestQuery {
    /// Empty: every status.
    pub statuses: Vec<RequestStatus>,
    /// Empty: every category.
    pub categories: Vec<AppealCategory>,
    /// The first and last dates of receipt included.
    pub received_from: Option<NaiveDate>,
    pub received_to: Option<NaiveDate>,
}

/// A date-time in ISO 8601 with an offset (`2026-10-01T00:00:00+08:00`, `...Z`), or a plain date
/// (midnight in the deployment's time zone).
fn parse_instant(field: &str, value: &str, zone: Tz) -> AppResult<DateTime<Tz>> {
    let value = value.trim();
    if let Ok(t) = DateTime::parse_from_rfc3339(value) {
        return Ok(t.with_timezone(&zone));
    }
    if let Ok(day) = value.parse::<NaiveDate>() {
        return Ok(local_midnight(zone, day)
            .ok_or_else(|| AppError::bad_input(field, format!("{day} has no midnight")))?
            .with_timezone(&zone));
    }
    Err(AppError::bad_input(
        field,
        format!("{field} must be an ISO 8601 date-time such as 2026-10-01T00:00:00+08:00"),
    ))
}

impl RequestQuery {
    /// Reads the query string's parameters; unknown ones are ignored (`jurisdiction_id`, ...).
    /// `status` and `service_code` take comma-separated lists, as the specification allows.
    pub fn parse(params: &[(String, String)], zone: Tz) -> AppResult<Self> {
        let mut query = Self::default();
        let mut start: Option<DateTime<Tz>> = None;
        let mut end: Option<DateTime<Tz>> = None;
        for (name, value) in params {
            match name.as_str() {
                "status" => {
                    for part in value.split(',').map(str::trim).filter(|p| !p.is_empty()) {
                        let status = match part {
                            "open" => RequestStatus::Open,
                            "closed" => RequestStatus::Closed,
                            _ => {
                                return Err(AppError::bad_input(
                                    "status",
                                    "status must be open or closed",
                                ));
                            }
                        };
                        if !query.statuses.contains(&status) {
                            query.statuses.push(status);
                        }
                    }
                }
                "service_code" => {
                    for part in value.split(',').map(str::trim).filter(|p| !p.is_empty()) {
                        let category = AppealCategory::iter()
                            .find(|c| c.to_value() == part)
                            .ok_or_else(|| {
                                AppError::bad_input(
                                    "service_code",
                                    "service_code must be one of the codes of services.json",
                                )
                            })?;
                        if !query.categories.contains(&category) {
                            query.categories.push(category);
                        }
                    }
                }
                "start_date" => start = Some(parse_instant("start_date", value, zone)?),
                "end_date" => end = Some(parse_instant("end_date", value, zone)?),
                _ => {}
            }
        }
        if let (Some(start), Some(end)) = (start, end)
            && start > end
        {
            return Err(AppError::bad_input(
                "end_date",
                "end_date must not be before start_date",
            ));
        }
        // A request's requested_datetime is midnight of its day of receipt: it is at or after
        // `start` from the first midnight at or after `start`, and at or before `end` for every
        // day up to `end`'s own.
        if let Some(start) = start {
            let day = start.date_naive();
            query.received_from = Some(if start.time() == NaiveTime::MIN {
                day
            } else {
                day.succ_opt()
                    .ok_or_else(|| AppError::bad_input("start_date", "start_date is too late"))?
            });
        }
        query.received_to = end.map(|end| end.date_naive());
        Ok(query)
    }
}

/// A service request in GeoReport v2 form. `address` is always empty and the location and media
/// fields null: appeals carry no public location, and the resident's address is personal data.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ServiceRequest {
    pub service_request_id: String,
    pub status: &'static str,
    pub status_notes: Option<String>,
    pub service_name: &'static str,
    pub service_code: String,
    pub description: String,
    pub agency_responsible: String,
    pub service_notice: &'static str,
    pub requested_datetime: String,
    pub updated_datetime: String,
    pub expected_datetime: String,
    pub address: &'static str,
    pub address_id: Option<String>,
    pub zipcode: Option<String>,
    pub lat: Option<f64>,
    pub long: Option<f64>,
    pub media_url: Option<String>,
}

/// The columns read: nothing personal.
#[derive(Debug, FromQueryResult)]
struct Row {
    code: String,
    status: AppealStatus,
    category: AppealCategory,
    content: String,
    resolution: Option<String>,
    rejection_reason: Option<String>,
    received_on: NaiveDate,
    due_on: NaiveDate,
    updated_at: DateTime<Utc>,
    village_name: String,
}

fn local_midnight(zone: Tz, day: NaiveDate) -> Option<DateTime<FixedOffset>> {
    // The first hour that exists, should the zone skip midnight.
    (0..=3).find_map(|hour| {
        let local = day.and_hms_opt(hour, 0, 0)?;
        zone.from_local_datetime(&local)
            .earliest()
            .map(|t| t.fixed_offset())
    })
}

fn rfc3339(t: DateTime<FixedOffset>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Secs, false)
}

fn midnight_text(zone: Tz, day: NaiveDate) -> AppResult<String> {
    local_midnight(zone, day)
        .map(rfc3339)
        .ok_or_else(|| AppError::Internal(format!("{day} has no start in {zone}")))
}

/// The appeals the actor may read (DESIGN 4.1, `appeals::read_condition`) that match the query,
/// newest first (by date of receipt, then code), at most [`MAX_REQUESTS`].
pub async fn requests(
    db: &impl ConnectionTrait,
    actor: &Actor,
    zone: Tz,
    query: &RequestQuery,
) -> AppResult<Vec<ServiceRequest>> {
    use resident_appeal::Column as C;
    let scope = actor.scope("resident_appeal", "read")?;
    let mut select = resident_appeal::Entity::find()
        .select_only()
        .column(C::Code)
        .column(C::Status)
        .column(C::Category)
        .column(C::Content)
        .column(C::Resolution)
        .column(C::RejectionReason)
        .column(C::ReceivedOn)
        .column(C::DueOn)
        .column(C::UpdatedAt)
        .column_as(organization::Column::Name, "village_name")
        .join(
            JoinType::InnerJoin,
            RelationDef::from(
                resident_appeal::Entity::belongs_to(organization::Entity)
                    .from(C::VillageId)
                    .to(organization::Column::Id),
            ),
        )
        .filter(appeals::read_condition(&scope));
    if !query.statuses.is_empty() {
        let statuses: Vec<AppealStatus> = query
            .statuses
            .iter()
            .flat_map(|s| s.appeal_statuses())
            .collect();
        select = select.filter(C::Status.is_in(statuses));
    }
    if !query.categories.is_empty() {
        select = select.filter(C::Category.is_in(query.categories.clone()));
    }
    if let Some(from) = query.received_from {
        select = select.filter(C::ReceivedOn.gte(from));
    }
    if let Some(to) = query.received_to {
        select = select.filter(C::ReceivedOn.lte(to));
    }
    let rows = select
        .order_by_desc(C::ReceivedOn)
        .order_by_desc(C::Code)
        .order_by_desc(C::Id)
        .limit(MAX_REQUESTS)
        .into_model::<Row>()
        .all(db)
        .await?;
    rows.into_iter()
        .map(|row| {
            let status = RequestStatus::of(row.status);
            let status_notes = match row.status {
                AppealStatus::Resolved => row.resolution,
                AppealStatus::Rejected => row.rejection_reason,
                AppealStatus::Received | AppealStatus::Accepted => None,
            };
            Ok(ServiceRequest {
                service_request_id: row.code,
                status: status.as_str(),
                status_notes,
                service_name: labels(row.category).0,
                service_code: row.category.to_value(),
                description: row.content,
                agency_responsible: row.village_name,
                service_notice: "",
                requested_datetime: midnight_text(zone, row.received_on)?,
                updated_datetime: rfc3339(row.updated_at.with_timezone(&zone).fixed_offset()),
                expected_datetime: midnight_text(zone, row.due_on)?,
                address: "",
                address_id: None,
                zipcode: None,
                lat: None,
                long: None,
                media_url: None,
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn params(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect()
    }

    #[test]
    fn dates_become_days_of_receipt() {
        let zone = chrono_tz::Asia::Shanghai;
        let q = RequestQuery::parse(
            &params(&[
                ("start_date", "2026-10-01T00:00:00+08:00"),
                ("end_date", "2026-10-10T23:00:00Z"),
            ]),
            zone,
        )
        .unwrap();
        // 23:00 UTC on 10-10 is 07:00 on 10-11 in Shanghai.
        assert_eq!(q.received_from, "2026-10-01".parse().ok());
        assert_eq!(q.received_to, "2026-10-11".parse().ok());
        // 00:00 UTC is 08:00 local: that day's midnight is before it, so the next day is first.
        let q =
            RequestQuery::parse(&params(&[("start_date", "2026-10-01T00:00:00Z")]), zone).unwrap();
        assert_eq!(q.received_from, "2026-10-02".parse().ok());
    }

    #[test]
    fn bad_parameters_name_themselves() {
        let zone = chrono_tz::Asia::Shanghai;
        for (name, value) in [
            ("status", "pending"),
            ("service_code", "POTHOLE"),
            ("start_date", "yesterday"),
            ("end_date", "2026-13-01"),
        ] {
            match RequestQuery::parse(&params(&[(name, value)]), zone) {
                Err(AppError::BadUserInput { field, .. }) => assert_eq!(field, name),
                other => panic!("{name}={value}: {other:?}"),
            }
        }
    }
}
