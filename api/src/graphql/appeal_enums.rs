//! GraphQL enums of residents' appeals (民情诉求, DESIGN 3.4), mirrored from the stored enums of
//! the `entities` crate. Kept apart so that the statistics and the appeals module share one
//! definition of each.

use async_graphql::Enum;
use entities::enums;

#[derive(Enum, Copy, Clone, Debug, PartialEq, Eq)]
#[graphql(remote = "enums::AppealStatus")]
pub enum AppealStatus {
    /// Recorded, not yet taken on.
    Received,
    /// Taken on by the village.
    Accepted,
    Resolved,
    Rejected,
}

#[derive(Enum, Copy, Clone, Debug, PartialEq, Eq)]
#[graphql(remote = "enums::AppealCategory")]
pub enum AppealCategory {
    /// 基础设施
    Infrastructure,
    /// 人居环境
    Environment,
    /// 公共安全
    PublicSafety,
    /// 矛盾纠纷
    Dispute,
    /// 社会保障
    SocialSecurity,
    /// 文旅服务
    Tourism,
    /// 法律服务
    Legal,
    /// 其他
    Other,
}

#[derive(Enum, Copy, Clone, Debug, PartialEq, Eq)]
#[graphql(remote = "enums::Satisfaction")]
pub enum Satisfaction {
    Satisfied,
    PartlySatisfied,
    NotSatisfied,
}

/// What happened to an appeal (an entry of its timeline).
#[derive(Enum, Copy, Clone, Debug, PartialEq, Eq)]
#[graphql(remote = "enums::AppealEventKind")]
pub enum AppealEventKind {
    Recorded,
    Accepted,
    Resolved,
    Rejected,
    /// Raised to a linkage group's supervision ledger.
    Escalated,
    /// The resident's feedback on a resolved appeal.
    Feedback,
    /// The resident was not satisfied: the appeal is handled again.
    Reopened,
}
