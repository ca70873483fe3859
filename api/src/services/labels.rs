//! The Chinese words spreadsheets use for the domain's enumerations. Exports write the label;
//! imports read the label or the API's own value (`VILLAGE`), so a file written by hand with
//! either, or a file exported earlier, reads back to the same value.

use entities::enums::{
    ActivityKind, ActivityStatus, AppealCategory, AppealStatus, EscalationLevel, Gender,
    OrganizationLevel, PoliticalStatus, Position, Priority, RoundStatus, SupervisionSource,
    SupervisionStatus, UnitType,
};
use sea_orm::Iterable;

/// An enumeration with a Chinese label for each value.
pub trait Label: Sized + Copy + Iterable {
    /// The label a spreadsheet shows.
    fn label(self) -> &'static str;

    /// The API's name of the value (`SCENIC_UNIT`).
    fn api_name(self) -> String;

    /// The value whose label or API name is `text` (surrounding spaces ignored, API names in any
    /// case); `None` for anything else.
    fn from_label(text: &str) -> Option<Self> {
        let text = text.trim();
        Self::iter().find(|v| v.label() == text || v.api_name().eq_ignore_ascii_case(text))
    }

    /// Every label, in the enumeration's order: for an error message that lists what is allowed.
    fn labels() -> Vec<&'static str> {
        Self::iter().map(Self::label).collect()
    }
}

macro_rules! labels {
    ($ty:ty { $($variant:ident => $label:literal),+ $(,)? }) => {
        impl Label for $ty {
            fn label(self) -> &'static str {
                match self {
                    $(<$ty>::$variant => $label,)+
                }
            }

            fn api_name(self) -> String {
                api_name(self)
            }
        }
    };
}

/// The value as the API spells it: its serialized name (`SCENIC_UNIT`, `URGENT`).
fn api_name<T: serde::Serialize>(value: T) -> String {
    match serde_json::to_value(value) {
        Ok(serde_json::Value::String(name)) => name,
        _ => String::new(),
    }
}

labels!(OrganizationLevel {
    Committee => "党委",
    GeneralBranch => "党总支",
    Branch => "党支部",
});

labels!(UnitType {
    Village => "村",
    Community => "社区",
    ScenicUnit => "景区单位",
    Enterprise => "企业",
    Government => "机关",
    School => "学校",
    Other => "其他",
});

labels!(Gender {
    Male => "男",
    Female => "女",
});

labels!(PoliticalStatus {
    FullMember => "中共党员",
    ProbationaryMember => "中共预备党员",
    LeagueMember => "共青团员",
    Masses => "群众",
});

labels!(Position {
    Secretary => "书记",
    DeputySecretary => "副书记",
    CommitteeMember => "委员",
    Cadre => "村干部",
    FirstSecretary => "第一书记",
    GridWorker => "网格员",
    LegalAdviser => "法律顾问",
    Volunteer => "志愿者",
});

labels!(ActivityKind {
    ThemedPartyDay => "主题党日",
    StudySession => "学习会",
    VolunteerService => "志愿服务",
    Patrol => "巡查",
    Mediation => "矛盾调解",
    Publicity => "宣传",
    JointMeeting => "联席会议",
    Other => "其他",
});

labels!(ActivityStatus {
    Planned => "计划中",
    Confirmed => "已确认",
    Completed => "已完成",
    Cancelled => "已取消",
});

labels!(SupervisionSource {
    JointMeeting => "联席会议",
    ResidentAppeal => "群众诉求",
    Inspection => "督导检查",
    SuperiorAssignment => "上级交办",
    Other => "其他",
});

labels!(Priority {
    Urgent => "紧急",
    High => "高",
    Normal => "一般",
});

labels!(SupervisionStatus {
    Open => "待办理",
    InProgress => "办理中",
    PendingReview => "待审核",
    Closed => "已办结",
    Reopened => "重新办理",
    Cancelled => "已撤销",
});

labels!(EscalationLevel {
    None => "无",
    Remind => "提醒",
    Urge => "催办",
    Supervise => "督办",
    Report => "通报",
});

labels!(RoundStatus {
    Open => "进行中",
    Closed => "已结束",
});

labels!(AppealStatus {
    Received => "已受理登记",
    Accepted => "办理中",
    Resolved => "已办结",
    Rejected => "不予受理",
});

labels!(AppealCategory {
    Infrastructure => "基础设施",
    Environment => "人居环境",
    PublicSafety => "公共安全",
    Dispute => "矛盾纠纷",
    SocialSecurity => "社会保障",
    Tourism => "文旅服务",
    Legal => "法律服务",
    Other => "其他",
});

/// 是 / 否 for a yes-or-no column.
pub fn yes_no(value: bool) -> &'static str {
    if value { "是" } else { "否" }
}

/// A yes-or-no cell: 是/否, true/false, yes/no, 1/0 (any case); `None` for anything else.
pub fn parse_yes_no(text: &str) -> Option<bool> {
    match text.trim().to_ascii_lowercase().as_str() {
        "是" | "true" | "yes" | "y" | "1" => Some(true),
        "否" | "false" | "no" | "n" | "0" => Some(false),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashSet;

    use super::*;

    fn distinct<T: Label>() {
        let labels = T::labels();
        let unique: HashSet<_> = labels.iter().collect();
        assert_eq!(unique.len(), labels.len(), "{labels:?}");
        for value in T::iter() {
            assert_eq!(
                T::from_label(value.label()).map(T::api_name),
                Some(value.api_name())
            );
            assert_eq!(
                T::from_label(&value.api_name().to_lowercase()).map(T::api_name),
                Some(value.api_name())
            );
        }
    }

    #[test]
    fn every_label_reads_back_to_its_value() {
        distinct::<OrganizationLevel>();
        distinct::<UnitType>();
        distinct::<Gender>();
        distinct::<PoliticalStatus>();
        distinct::<Position>();
        distinct::<ActivityKind>();
        distinct::<ActivityStatus>();
        distinct::<SupervisionSource>();
        distinct::<Priority>();
        distinct::<SupervisionStatus>();
        distinct::<EscalationLevel>();
        distinct::<RoundStatus>();
        distinct::<AppealStatus>();
        distinct::<AppealCategory>();
    }

    #[test]
    fn labels_as_written_by_hand() {
        assert_eq!(UnitType::from_label(" 村 "), Some(UnitType::Village));
        assert_eq!(
            UnitType::from_label("scenic_unit"),
            Some(UnitType::ScenicUnit)
        );
        assert_eq!(UnitType::from_label("乡镇"), None);
        assert_eq!(Gender::Female.label(), "女");
        assert_eq!(EscalationLevel::Supervise.label(), "督办");
        assert_eq!(parse_yes_no("是"), Some(true));
        assert_eq!(parse_yes_no("FALSE"), Some(false));
        assert_eq!(parse_yes_no("maybe"), None);
    }
}
