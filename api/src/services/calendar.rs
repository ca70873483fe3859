//! Calendar feeds: a secret token in a URL lets a calendar app read one user's joint activities
//! without a bearer token. Only the SHA-256 digest of a token is stored, the token itself is shown
//! once, and neither goes into the audit trail.

use chrono::{DateTime, Duration, Utc};
use chrono_tz::Tz;
use entities::{calendar_token, enums::ActivityStatus, joint_activity, organization};
use icalendar::{Calendar, CalendarDateTime, Component, Event, EventLike, EventStatus, Property};
use rand::{Rng, distr::Alphanumeric};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, Set, TransactionTrait,
};
use serde_json::json;
use sha2::{Digest, Sha256};
use uuid::Uuid;

use super::{
    Actor, Change, Write,
    accounts::{self, grants_of},
    activities::{self, ActivityFilter},
    pagination::PageRequest,
};
use crate::{
    authz::{Authz, Viewer},
    error::{AppError, AppResult},
};

/// Characters of a token: 43 of 62 possible characters carry a little over 256 bits.
pub const TOKEN_CHARS: usize = 43;
/// The window a feed covers, around the moment it is read.
pub const FEED_PAST_DAYS: i64 = 90;
pub const FEED_FUTURE_DAYS: i64 = 400;
/// Rows per page while collecting a feed, and the most pages read.
pub const FEED_PAGE_SIZE: u64 = 100;
pub const FEED_MAX_PAGES: usize = 50;

/// The hex SHA-256 digest of a token: what the database keeps.
pub fn digest(token: &str) -> String {
    format!("{:x}", Sha256::digest(token.as_bytes()))
}

fn new_token() -> String {
    rand::rng()
        .sample_iter(&Alphanumeric)
        .take(TOKEN_CHARS)
        .map(char::from)
        .collect()
}

/// Whether `token` can be one this server issued; anything else is never looked up.
fn well_formed(token: &str) -> bool {
    token.len() == TOKEN_CHARS && token.bytes().all(|b| b.is_ascii_alphanumeric())
}

/// Issues a token for `user_id`, narrowed to one organization's activities when given.
pub async fn issue<C>(
    db: &C,
    actor: &Actor,
    user_id: Uuid,
    organization_id: Option<Uuid>,
) -> AppResult<String>
where
    C: TransactionTrait,
{
    let token = new_token();
    let w = Write::begin(db, actor).await?;
    if let Some(org) = organization_id
        && organization::Entity::find_by_id(org)
            .one(&w)
            .await?
            .is_none()
    {
        return Err(AppError::bad_input(
            "organizationId",
            "organizationId names no organization",
        ));
    }
    let row = calendar_token::ActiveModel {
        id: Set(super::new_id()),
        token_digest: Set(digest(&token)),
        user_id: Set(user_id),
        organization_id: Set(organization_id),
        created_at: Set(super::now()),
        revoked_at: Set(None),
    }
    .insert(&w)
    .await?;
    w.audit(
        Change::of("issueCalendarToken", "User", user_id)
            .after(json!({ "calendarTokenId": row.id, "organizationId": organization_id })),
    )
    .await?;
    w.commit().await?;
    Ok(token)
}

/// Revokes a token of `user_id`. Returns whether this call revoked it (false: it was revoked
/// before); a token that is not the user's is NOT_FOUND.
pub async fn revoke<C>(db: &C, actor: &Actor, user_id: Uuid, token: &str) -> AppResult<bool>
where
    C: TransactionTrait,
{
    let not_found = AppError::NotFound("calendar token");
    if !well_formed(token) {
        return Err(not_found);
    }
    let w = Write::begin(db, actor).await?;
    let row = calendar_token::Entity::find()
        .filter(calendar_token::Column::TokenDigest.eq(digest(token)))
        .filter(calendar_token::Column::UserId.eq(user_id))
        .one(&w)
        .await?
        .ok_or(not_found)?;
    if row.revoked_at.is_some() {
        return Ok(false);
    }
    let now = super::now();
    let updated = calendar_token::Entity::update_many()
        .set(calendar_token::ActiveModel {
            revoked_at: Set(Some(now)),
            ..Default::default()
        })
        .filter(calendar_token::Column::Id.eq(row.id))
        .filter(calendar_token::Column::RevokedAt.is_null())
        .exec(&w)
        .await?;
    if updated.rows_affected != 1 {
        return Ok(false);
    }
    w.audit(
        Change::of("revokeCalendarToken", "User", user_id)
            .before(json!({ "calendarTokenId": row.id, "revokedAt": null }))
            .after(json!({ "calendarTokenId": row.id, "revokedAt": now })),
    )
    .await?;
    w.commit().await?;
    Ok(true)
}

/// The token's row, unless it is unknown or revoked.
pub async fn resolve(
    db: &impl ConnectionTrait,
    token: &str,
) -> AppResult<Option<calendar_token::Model>> {
    if !well_formed(token) {
        return Ok(None);
    }
    Ok(calendar_token::Entity::find()
        .filter(calendar_token::Column::TokenDigest.eq(digest(token)))
        .filter(calendar_token::Column::RevokedAt.is_null())
        .one(db)
        .await?)
}

/// The viewer a feed is read as: the token's user with its current grants, unless the account
/// is gone or disabled.
pub async fn viewer_for_user(
    db: &impl ConnectionTrait,
    authz: &std::sync::Arc<Authz>,
    user_id: Uuid,
    today: chrono::NaiveDate,
) -> AppResult<Option<Viewer>> {
    let Some(user) = accounts::get(db, user_id).await?.filter(|u| !u.disabled) else {
        return Ok(None);
    };
    let grants = grants_of(db, user.id, today)
        .await?
        .into_iter()
        .map(|(_, g)| g)
        .collect();
    Ok(Some(Viewer::new(user, grants, authz.clone())))
}

/// The activities a feed shows: those the viewer may read from `FEED_PAST_DAYS` ago to
/// `FEED_FUTURE_DAYS` ahead, of one organization when the token is narrowed.
pub async fn feed_activities(
    db: &impl ConnectionTrait,
    actor: &super::Actor,
    organization_id: Option<Uuid>,
    now: DateTime<Utc>,
) -> AppResult<Vec<joint_activity::Model>> {
    let filter = ActivityFilter {
        from: Some(now - Duration::days(FEED_PAST_DAYS)),
        to: Some(now + Duration::days(FEED_FUTURE_DAYS)),
        organization_id,
        ..ActivityFilter::default()
    };
    let mut out = Vec::new();
    let mut after = None;
    for _ in 0..FEED_MAX_PAGES {
        let page = activities::list(
            db,
            actor,
            &filter,
            &PageRequest {
                limit: FEED_PAGE_SIZE,
                after: after.take(),
                ..PageRequest::default()
            },
        )
        .await?;
        after = page.rows.last().map(|(cursor, _)| cursor.clone());
        out.extend(page.rows.into_iter().map(|(_, a)| a));
        if !page.has_next || after.is_none() {
            break;
        }
    }
    Ok(out)
}

fn event_status(status: ActivityStatus) -> EventStatus {
    match status {
        ActivityStatus::Planned => EventStatus::Tentative,
        ActivityStatus::Confirmed | ActivityStatus::Completed => EventStatus::Confirmed,
        ActivityStatus::Cancelled => EventStatus::Cancelled,
    }
}

/// TEXT as RFC 5545 allows it: line breaks as `\n` only (the crate escapes those, and `\`, `,`
/// and `;`, but not a bare carriage return), and no other control characters.
fn text(value: &str) -> String {
    value
        .replace("\r\n", "\n")
        .replace('\r', "\n")
        .chars()
        .filter(|c| !c.is_control() || matches!(c, '\n' | '\t'))
        .collect()
}

/// A local time with a `TZID` parameter naming the deployment's time zone.
fn local(at: DateTime<Utc>, tz: Tz) -> CalendarDateTime {
    CalendarDateTime::WithTimezone {
        date_time: at.with_timezone(&tz).naive_local(),
        tzid: tz.name().to_owned(),
    }
}

/// An RFC 5545 calendar of `activities`, times in `tz`. No VTIMEZONE is included (the
/// `icalendar` crate cannot write one); `TZID` names an IANA zone, which calendar apps resolve.
pub fn feed(activities: &[joint_activity::Model], tz: Tz, name: &str) -> String {
    let mut calendar = Calendar::empty();
    calendar
        .append_property(Property::new("VERSION", "2.0"))
        .append_property(Property::new("PRODID", "-//lianjian//joint activities//ZH"))
        .append_property(Property::new("CALSCALE", "GREGORIAN"))
        .append_property(Property::new("METHOD", "PUBLISH"))
        .append_property(Property::new("X-WR-CALNAME", text(name)))
        .append_property(Property::new("X-WR-TIMEZONE", tz.name()))
        .ttl(&Duration::hours(1));
    for activity in activities {
        let mut event = Event::new();
        event
            .uid(&format!("{}@lianjian", activity.id))
            .timestamp(activity.updated_at)
            .starts(local(activity.starts_at, tz))
            .ends(local(activity.ends_at, tz))
            .summary(&text(&activity.title))
            .location(&text(&activity.venue))
            .sequence(u32::try_from(activity.version.saturating_sub(1)).unwrap_or(0))
            .status(event_status(activity.status));
        if let Some(description) = &activity.description {
            event.description(&text(description));
        }
        calendar.push(event.done());
    }
    calendar.to_string()
}

#[cfg(test)]
mod tests {
    use super::*;
    use entities::enums::ActivityKind;

    fn activity(status: ActivityStatus, description: Option<&str>) -> joint_activity::Model {
        let at = |s: &str| DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc);
        joint_activity::Model {
            id: Uuid::nil(),
            title: "Lesson, part 1; \\ basics".into(),
            kind: ActivityKind::StudySession,
            linkage_group_id: None,
            host_organization_id: Uuid::nil(),
            venue: "Room 1".into(),
            venue_key: "room 1".into(),
            starts_at: at("2026-12-01T09:30:00+08:00"),
            ends_at: at("2026-12-01T11:00:00+08:00"),
            capacity: None,
            description: description.map(str::to_owned),
            status,
            cancel_reason: None,
            summary: None,
            completed_at: None,
            version: 3,
            created_at: at("2026-11-01T00:00:00Z"),
            updated_at: at("2026-11-02T03:04:05Z"),
        }
    }

    #[test]
    fn events_carry_local_times_and_escaped_text() {
        let text = feed(
            &[activity(ActivityStatus::Completed, Some("one\r\ntwo\u{7}"))],
            chrono_tz::Asia::Shanghai,
            "Joint activities: A, B",
        );
        for line in [
            "BEGIN:VEVENT",
            "UID:00000000-0000-0000-0000-000000000000@lianjian",
            "DTSTAMP:20261102T030405Z",
            "DTSTART;TZID=Asia/Shanghai:20261201T093000",
            "DTEND;TZID=Asia/Shanghai:20261201T110000",
            "SUMMARY:Lesson\\, part 1\\; \\\\ basics",
            "LOCATION:Room 1",
            "DESCRIPTION:one\\ntwo",
            "STATUS:CONFIRMED",
            "SEQUENCE:2",
            "X-WR-CALNAME:Joint activities: A\\, B",
        ] {
            assert!(
                text.contains(&format!("{line}\r\n")),
                "{line} missing in {text}"
            );
        }
    }

    #[test]
    fn statuses_map_to_rfc_5545() {
        for (status, expected) in [
            (ActivityStatus::Planned, "STATUS:TENTATIVE"),
            (ActivityStatus::Confirmed, "STATUS:CONFIRMED"),
            (ActivityStatus::Completed, "STATUS:CONFIRMED"),
            (ActivityStatus::Cancelled, "STATUS:CANCELLED"),
        ] {
            let text = feed(&[activity(status, None)], chrono_tz::Asia::Shanghai, "x");
            assert!(text.contains(expected), "{text}");
            assert!(!text.contains("DESCRIPTION"), "{text}");
        }
    }

    #[test]
    fn digests_are_hex_sha256() {
        assert_eq!(
            digest("abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
        let token = new_token();
        assert!(well_formed(&token));
        assert!(!well_formed(&token[1..]));
        assert!(!well_formed(&format!("{}-", &token[1..])));
    }
}
