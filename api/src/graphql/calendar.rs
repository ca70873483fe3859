//! Calendar feeds: `issueCalendarToken` and `revokeCalendarToken`. The feed itself is served at
//! `GET /calendar/{token}.ics` (see `http::calendar`).

use async_graphql::{Context, ID, InputObject, Object, Result, SimpleObject};

use super::{
    context::ContextExt,
    ids::{self, NodeKind},
};
use crate::services::calendar;

#[derive(InputObject, Default)]
pub struct IssueCalendarTokenInput {
    /// Narrows the feed to the activities this organization takes part in.
    pub organization_id: Option<ID>,
}

#[derive(SimpleObject)]
pub struct IssueCalendarTokenPayload {
    /// The secret that opens the feed. It is shown only now: the server keeps a digest of it.
    pub token: String,
    /// Where the feed is served: a path relative to the server's address
    /// (`/calendar/<token>.ics`), to be prefixed with the server's public origin.
    pub url: String,
}

#[derive(InputObject)]
pub struct RevokeCalendarTokenInput {
    /// A token the viewer issued.
    pub token: String,
}

#[derive(SimpleObject)]
pub struct RevokeCalendarTokenPayload {
    /// True when this call revoked the token; false when it was revoked before.
    pub revoked: bool,
}

#[derive(Default)]
pub struct CalendarMutation;

#[Object]
impl CalendarMutation {
    /// Issues a token for a calendar feed (RFC 5545) of the joint activities the viewer may read,
    /// from 90 days ago to 400 days ahead. Anyone holding the URL can read the feed until the
    /// token is revoked.
    async fn issue_calendar_token(
        &self,
        ctx: &Context<'_>,
        input: IssueCalendarTokenInput,
    ) -> Result<IssueCalendarTokenPayload> {
        let viewer = ctx.viewer()?;
        let organization_id = input
            .organization_id
            .as_ref()
            .map(|id| ids::decode_as("organizationId", NodeKind::Organization, id))
            .transpose()?;
        let token = calendar::issue(
            &ctx.state()?.db.write,
            &ctx.actor(),
            viewer.id(),
            organization_id,
        )
        .await?;
        let url = format!("/calendar/{token}.ics");
        Ok(IssueCalendarTokenPayload { token, url })
    }

    /// Revokes one of the viewer's calendar tokens: its feed answers 404 from now on. A token the
    /// viewer did not issue is NOT_FOUND.
    async fn revoke_calendar_token(
        &self,
        ctx: &Context<'_>,
        input: RevokeCalendarTokenInput,
    ) -> Result<RevokeCalendarTokenPayload> {
        let viewer = ctx.viewer()?;
        let revoked = calendar::revoke(
            &ctx.state()?.db.write,
            &ctx.actor(),
            viewer.id(),
            &input.token,
        )
        .await?;
        Ok(RevokeCalendarTokenPayload { revoked })
    }
}
