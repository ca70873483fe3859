//! Accounts: `login`, `viewer`, users, passwords and role grants.

use async_graphql::{Context, Enum, ID, InputObject, Object, Result, SimpleObject};
use entities::user_account;
use uuid::Uuid;

use super::{
    context::ContextExt,
    ids::{self, NodeKind},
    linkage_groups::LinkageGroup,
    node::Node,
    organizations::Organization,
    people::Person,
    scalars::DateTime,
};
use crate::{
    authz,
    error::AppError,
    services::{
        accounts::{self, GrantScope, NewUser},
        people,
    },
};

/// A role a grant gives (DESIGN 4.1).
#[derive(Enum, Copy, Clone, Debug, PartialEq, Eq)]
#[graphql(remote = "authz::Role")]
pub enum Role {
    Admin,
    CommitteeStaff,
    Supervisor,
    OrgSecretary,
    FirstSecretary,
    Member,
}

/// A sign-in account.
#[derive(Debug, Clone)]
pub struct User(pub user_account::Model);

/// A role in a scope; `scope` null means the whole system.
#[derive(SimpleObject, Clone)]
pub struct Grant {
    pub role: Role,
    /// The organization or linkage group the role applies to.
    pub scope: Option<Node>,
}

/// The grants of a user, batched with those of the other users of the page being resolved.
async fn grants_of(ctx: &Context<'_>, user_id: Uuid) -> Result<Vec<Grant>> {
    let loaders = ctx.loaders()?;
    let grants = loaders.grants.load_one(user_id).await?.unwrap_or_default();
    let group_ids = grants.iter().filter_map(|(g, _)| g.linkage_group_id);
    let org_ids = grants.iter().filter_map(|(g, _)| g.organization_id);
    let (groups, orgs) = tokio::try_join!(
        loaders.grant_groups.load_many(group_ids),
        loaders.organizations.load_many(org_ids),
    )?;
    let (groups, orgs): (Vec<_>, Vec<_>) =
        (groups.into_values().collect(), orgs.into_values().collect());
    Ok(grants
        .into_iter()
        .map(|(g, info)| Grant {
            role: info.role.into(),
            scope: match (g.organization_id, g.linkage_group_id) {
                (Some(id), _) => orgs
                    .iter()
                    .find(|o| o.id == id)
                    .cloned()
                    .map(|o| Node::Organization(Organization(o))),
                (None, Some(id)) => groups
                    .iter()
                    .find(|x| x.id == id)
                    .cloned()
                    .map(|x| Node::LinkageGroup(LinkageGroup(x))),
                (None, None) => None,
            },
        })
        .collect())
}

/// The person of an account: the viewer always sees their own; others need read access.
async fn person_of(ctx: &Context<'_>, user: &user_account::Model) -> Result<Option<Person>> {
    let Some(person_id) = user.person_id else {
        return Ok(None);
    };
    let viewer = ctx.viewer()?;
    let scope = if viewer.id() == user.id {
        authz::Scope::everything()
    } else {
        viewer.scope("person", "read")
    };
    Ok(
        people::get_many(&ctx.state()?.db.read, &[person_id], &scope)
            .await?
            .into_iter()
            .next()
            .map(Person),
    )
}

#[Object]
impl User {
    pub async fn id(&self) -> ID {
        ids::encode(NodeKind::User, self.0.id)
    }

    async fn username(&self) -> &str {
        &self.0.username
    }

    async fn disabled(&self) -> bool {
        self.0.disabled
    }

    async fn person(&self, ctx: &Context<'_>) -> Result<Option<Person>> {
        person_of(ctx, &self.0).await
    }

    async fn grants(&self, ctx: &Context<'_>) -> Result<Vec<Grant>> {
        grants_of(ctx, self.0.id).await
    }

    async fn created_at(&self, ctx: &Context<'_>) -> DateTime {
        DateTime::in_zone(self.0.created_at, ctx.timezone())
    }
}

/// The signed-in user, the person behind the account and the roles it holds.
pub struct Viewer(pub user_account::Model);

#[Object]
impl Viewer {
    async fn user(&self) -> User {
        User(self.0.clone())
    }

    async fn person(&self, ctx: &Context<'_>) -> Result<Option<Person>> {
        person_of(ctx, &self.0).await
    }

    async fn grants(&self, ctx: &Context<'_>) -> Result<Vec<Grant>> {
        grants_of(ctx, self.0.id).await
    }
}

#[derive(Default)]
pub struct AccountQuery;

#[Object]
impl AccountQuery {
    /// Who is signed in.
    async fn viewer(&self, ctx: &Context<'_>) -> Result<Viewer> {
        Ok(Viewer(ctx.viewer()?.user.clone()))
    }
}

#[derive(InputObject)]
pub struct LoginInput {
    pub username: String,
    pub password: String,
}

#[derive(SimpleObject)]
pub struct LoginPayload {
    /// Send as `Authorization: Bearer <token>`.
    pub token: String,
    pub expires_at: DateTime,
    pub viewer: Viewer,
}

#[derive(InputObject)]
pub struct ChangePasswordInput {
    pub current_password: String,
    pub new_password: String,
}

#[derive(SimpleObject)]
pub struct ChangePasswordPayload {
    pub user: User,
    /// A new token: every token issued before the change no longer works.
    pub token: String,
    pub expires_at: DateTime,
}

#[derive(InputObject)]
pub struct ResetPasswordInput {
    pub user_id: ID,
    pub new_password: String,
}

#[derive(SimpleObject)]
pub struct ResetPasswordPayload {
    pub user: User,
}

#[derive(InputObject)]
pub struct CreateUserInput {
    pub username: String,
    pub password: String,
    pub person_id: Option<ID>,
}

#[derive(SimpleObject)]
pub struct CreateUserPayload {
    pub user: User,
}

#[derive(InputObject)]
pub struct GrantRoleInput {
    pub user_id: ID,
    pub role: Role,
    /// An Organization or LinkageGroup id; absent for the whole system.
    pub scope_id: Option<ID>,
}

#[derive(InputObject)]
pub struct RevokeRoleInput {
    pub user_id: ID,
    pub role: Role,
    pub scope_id: Option<ID>,
}

#[derive(SimpleObject)]
pub struct GrantRolePayload {
    pub user: User,
}

#[derive(SimpleObject)]
pub struct RevokeRolePayload {
    pub user: User,
}

fn grant_scope(scope_id: Option<&ID>) -> Result<GrantScope, AppError> {
    let Some(id) = scope_id else {
        return Ok(GrantScope::System);
    };
    let global = ids::decode("scopeId", id)?;
    match global.kind {
        Some(NodeKind::Organization) => Ok(GrantScope::Organization(global.id)),
        Some(NodeKind::LinkageGroup) => Ok(GrantScope::LinkageGroup(global.id)),
        _ => Err(AppError::bad_input(
            "scopeId",
            "scopeId must be the id of an Organization or a LinkageGroup",
        )),
    }
}

#[derive(Default)]
pub struct AccountMutation;

#[Object]
impl AccountMutation {
    /// Signs in. Five failures for one account within 15 minutes (or twenty from one address)
    /// give RATE_LIMITED with `retryAfter` in seconds.
    async fn login(&self, ctx: &Context<'_>, input: LoginInput) -> Result<LoginPayload> {
        let state = ctx.state()?;
        let request = ctx
            .data_opt::<super::context::RequestContext>()
            .cloned()
            .unwrap_or_default();
        let signed_in = accounts::login(
            &state.db.write,
            &state.tokens,
            &request.actor,
            &input.username,
            &input.password,
            &request.address,
        )
        .await
        .map_err(|e| match e {
            AppError::Unauthenticated => {
                AppError::bad_input("password", "wrong username or password")
            }
            other => other,
        })?;
        Ok(LoginPayload {
            token: signed_in.token,
            expires_at: DateTime::in_zone(signed_in.expires_at, ctx.timezone()),
            viewer: Viewer(signed_in.user),
        })
    }

    async fn change_password(
        &self,
        ctx: &Context<'_>,
        input: ChangePasswordInput,
    ) -> Result<ChangePasswordPayload> {
        let state = ctx.state()?;
        let viewer = ctx.viewer()?;
        let user = accounts::change_password(
            &state.db.write,
            &ctx.actor(),
            viewer.id(),
            &input.current_password,
            input.new_password,
        )
        .await?;
        let (token, expires_at) = state.tokens.issue(user.id, user.token_version)?;
        Ok(ChangePasswordPayload {
            user: User(user),
            token,
            expires_at: DateTime::in_zone(expires_at, ctx.timezone()),
        })
    }

    async fn reset_password(
        &self,
        ctx: &Context<'_>,
        input: ResetPasswordInput,
    ) -> Result<ResetPasswordPayload> {
        let user_id = ids::decode_as("userId", NodeKind::User, &input.user_id)?;
        let user = accounts::reset_password(
            &ctx.state()?.db.write,
            &ctx.actor(),
            user_id,
            input.new_password,
        )
        .await?;
        Ok(ResetPasswordPayload { user: User(user) })
    }

    async fn create_user(
        &self,
        ctx: &Context<'_>,
        input: CreateUserInput,
    ) -> Result<CreateUserPayload> {
        let person_id = input
            .person_id
            .as_ref()
            .map(|id| ids::decode_as("personId", NodeKind::Person, id))
            .transpose()?;
        let user = accounts::create_user(
            &ctx.state()?.db.write,
            &ctx.actor(),
            NewUser {
                username: input.username,
                password: input.password,
                person_id,
            },
        )
        .await?;
        Ok(CreateUserPayload { user: User(user) })
    }

    /// Takes effect on the next request.
    async fn grant_role(
        &self,
        ctx: &Context<'_>,
        input: GrantRoleInput,
    ) -> Result<GrantRolePayload> {
        let state = ctx.state()?;
        let user_id = ids::decode_as("userId", NodeKind::User, &input.user_id)?;
        let scope = grant_scope(input.scope_id.as_ref())?;
        let user = accounts::grant_role(
            &state.db.write,
            &ctx.actor(),
            user_id,
            input.role.into(),
            scope,
        )
        .await?;
        Ok(GrantRolePayload { user: User(user) })
    }

    /// Takes effect on the next request.
    async fn revoke_role(
        &self,
        ctx: &Context<'_>,
        input: RevokeRoleInput,
    ) -> Result<RevokeRolePayload> {
        let state = ctx.state()?;
        let user_id = ids::decode_as("userId", NodeKind::User, &input.user_id)?;
        let scope = grant_scope(input.scope_id.as_ref())?;
        let user = accounts::revoke_role(
            &state.db.write,
            &ctx.actor(),
            user_id,
            input.role.into(),
            scope,
        )
        .await?;
        Ok(RevokeRolePayload { user: User(user) })
    }
}
