//! The hot-spring example: the joint party-building committee of Conghua's hot-spring scenic area
//! (16 party organizations) and the villages around the Nanping·Jingxiu town (11 party
//! organizations), as described in the article the product is modelled on. Only data and
//! generators live here, with string keys instead of ids, so that the code that inserts them can
//! resolve keys in list order (parents always come first).
//!
//! Organization names follow real places; every person is fictional. Phone numbers and ID numbers
//! are generated from indexes so that they pass `Phone::parse` and `IdNumber::parse`, not taken
//! from anyone.

use chrono::NaiveDate;

use super::values::id_number_check_digit;

/// The name of the joint committee that links all member organizations.
pub const LINKAGE_GROUP_NAME: &str = "温泉景区与周边村镇党建联建委员会";

/// The key of the organization that leads the joint committee: the scenic area's party committee.
pub const LEAD_ORGANIZATION: &str = "scenic_committee";

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DemoArea {
    pub key: &'static str,
    pub name: &'static str,
    pub description: &'static str,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DemoOrg {
    pub key: &'static str,
    pub name: &'static str,
    pub short_name: &'static str,
    /// "COMMITTEE" | "GENERAL_BRANCH" | "BRANCH"
    pub level: &'static str,
    /// "VILLAGE" | "COMMUNITY" | "SCENIC_UNIT" | "ENTERPRISE" | "GOVERNMENT" | "SCHOOL" | "OTHER"
    pub unit_type: &'static str,
    /// A `DemoArea` key.
    pub area: &'static str,
    /// A `DemoOrg` key, always listed earlier.
    pub parent: Option<&'static str>,
    pub key_village: bool,
    pub remote: bool,
    /// Member of the joint committee (the linkage group).
    pub member: bool,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DemoPosition {
    /// SECRETARY, DEPUTY_SECRETARY, COMMITTEE_MEMBER, CADRE, FIRST_SECRETARY, GRID_WORKER,
    /// LEGAL_ADVISER or VOLUNTEER.
    pub position: &'static str,
    pub started_on: NaiveDate,
    pub ended_on: Option<NaiveDate>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DemoPerson {
    pub name: String,
    /// "MALE" | "FEMALE"
    pub gender: &'static str,
    pub phone: String,
    pub id_number: String,
    /// FULL_MEMBER | PROBATIONARY_MEMBER | LEAGUE_MEMBER | MASSES
    pub political_status: &'static str,
    /// A `DemoOrg` key.
    pub organization: &'static str,
    pub positions: Vec<DemoPosition>,
}

pub fn areas() -> Vec<DemoArea> {
    vec![
        DemoArea {
            key: "scenic",
            name: "温泉风景区",
            description: "从化流溪河畔的温泉风景区：宾馆、度假村、景区服务单位、学校和社区等16个党组织参加党建联建。",
        },
        DemoArea {
            key: "town",
            name: "温泉镇南平静修片区",
            description: "温泉镇南平静修小镇及周边行政村，含重点村和边远村，11个党组织参加党建联建。",
        },
    ]
}

/// A compact row for the organization table: key, name, short name, level, unit type, area,
/// parent, key village, remote, member.
type OrgRow = (
    &'static str,
    &'static str,
    &'static str,
    &'static str,
    &'static str,
    &'static str,
    Option<&'static str>,
    bool,
    bool,
    bool,
);

#[rustfmt::skip]
const ORGS: &[OrgRow] = &[
    // The scenic area: 16 members.
    ("scenic_committee", "中共从化温泉风景区委员会", "风景区党委", "COMMITTEE", "GOVERNMENT", "scenic", None, false, false, true),
    ("scenic_office", "温泉风景区管理办公室党支部", "管理办", "BRANCH", "GOVERNMENT", "scenic", Some("scenic_committee"), false, false, true),
    ("wenquan_community", "温泉社区党总支部", "温泉社区", "GENERAL_BRANCH", "COMMUNITY", "scenic", Some("scenic_committee"), false, false, true),
    ("biwan", "碧水湾温泉度假村党总支部", "碧水湾", "GENERAL_BRANCH", "ENTERPRISE", "scenic", Some("scenic_committee"), false, false, true),
    ("conghua_hotel", "从化宾馆党支部", "从化宾馆", "BRANCH", "ENTERPRISE", "scenic", Some("scenic_committee"), false, false, true),
    ("hotspring_hotel", "广东温泉宾馆党支部", "温泉宾馆", "BRANCH", "ENTERPRISE", "scenic", Some("scenic_committee"), false, false, true),
    ("visitor_center", "温泉风景区游客服务中心党支部", "游客中心", "BRANCH", "SCENIC_UNIT", "scenic", Some("scenic_committee"), false, false, true),
    ("greenway_station", "流溪河温泉段绿道管理站党支部", "绿道站", "BRANCH", "SCENIC_UNIT", "scenic", Some("scenic_committee"), false, false, true),
    ("sanitation_station", "温泉风景区环境卫生管理站党支部", "环卫站", "BRANCH", "SCENIC_UNIT", "scenic", Some("scenic_committee"), false, false, true),
    ("tourism_company", "从化温泉旅游开发有限公司党支部", "温泉旅游", "BRANCH", "ENTERPRISE", "scenic", Some("scenic_committee"), false, false, true),
    ("middle_school", "从化区温泉中学党支部", "温泉中学", "BRANCH", "SCHOOL", "scenic", Some("scenic_committee"), false, false, true),
    ("primary_school", "温泉镇中心小学党支部", "温泉小学", "BRANCH", "SCHOOL", "scenic", Some("scenic_committee"), false, false, true),
    // Units led by their own line of command are members without a parent here.
    ("police_station", "从化区公安分局温泉派出所党支部", "温泉派出所", "BRANCH", "GOVERNMENT", "scenic", None, false, false, true),
    ("health_center", "温泉镇卫生院党支部", "卫生院", "BRANCH", "OTHER", "scenic", Some("scenic_committee"), false, false, true),
    ("power_station", "温泉供电所党支部", "供电所", "BRANCH", "ENTERPRISE", "scenic", None, false, false, true),
    ("private_firms", "温泉风景区非公企业联合党支部", "非公联合", "BRANCH", "OTHER", "scenic", Some("scenic_committee"), false, false, true),
    // The town: 11 members.
    ("town_committee", "中共从化南平静修小镇委员会", "静修小镇党委", "COMMITTEE", "GOVERNMENT", "town", None, false, false, true),
    ("nanping", "温泉镇南平村党总支部", "南平村", "GENERAL_BRANCH", "VILLAGE", "town", Some("town_committee"), true, false, true),
    ("shikeng", "温泉镇石坑村党支部", "石坑村", "BRANCH", "VILLAGE", "town", Some("town_committee"), false, true, true),
    ("xinnan", "温泉镇新南村党支部", "新南村", "BRANCH", "VILLAGE", "town", Some("town_committee"), false, false, true),
    ("longgang", "温泉镇龙岗村党支部", "龙岗村", "BRANCH", "VILLAGE", "town", Some("town_committee"), true, false, true),
    ("yunxing", "温泉镇云星村党支部", "云星村", "BRANCH", "VILLAGE", "town", Some("town_committee"), false, true, true),
    ("weidong", "温泉镇卫东村党支部", "卫东村", "BRANCH", "VILLAGE", "town", Some("town_committee"), false, false, true),
    ("xuanxing", "温泉镇宣星村党支部", "宣星村", "BRANCH", "VILLAGE", "town", Some("town_committee"), true, true, true),
    ("taolian", "温泉镇桃莲村党支部", "桃莲村", "BRANCH", "VILLAGE", "town", Some("town_committee"), true, false, true),
    ("wushi", "温泉镇乌石村党支部", "乌石村", "BRANCH", "VILLAGE", "town", Some("town_committee"), false, false, true),
    ("town_tourism", "南平静修小镇文旅发展有限公司党支部", "小镇文旅", "BRANCH", "ENTERPRISE", "town", Some("town_committee"), false, false, true),
    // Sub-branches that are not members themselves; biwan_floating is four levels deep.
    ("biwan_operations", "碧水湾温泉度假村运营部党支部", "碧水湾运营", "BRANCH", "ENTERPRISE", "scenic", Some("biwan"), false, false, false),
    ("biwan_floating", "碧水湾温泉度假村流动党员党支部", "碧水湾流动", "BRANCH", "ENTERPRISE", "scenic", Some("biwan_operations"), false, false, false),
    ("community_retired", "温泉社区离退休党员党支部", "社区离退休", "BRANCH", "COMMUNITY", "scenic", Some("wenquan_community"), false, false, false),
    ("nanping_first", "温泉镇南平村第一党支部", "南平一支部", "BRANCH", "VILLAGE", "town", Some("nanping"), false, false, false),
    ("nanping_second", "温泉镇南平村第二党支部", "南平二支部", "BRANCH", "VILLAGE", "town", Some("nanping"), false, false, false),
];

pub fn organizations() -> Vec<DemoOrg> {
    ORGS.iter()
        .map(
            |&(
                key,
                name,
                short_name,
                level,
                unit_type,
                area,
                parent,
                key_village,
                remote,
                member,
            )| DemoOrg {
                key,
                name,
                short_name,
                level,
                unit_type,
                area,
                parent,
                key_village,
                remote,
                member,
            },
        )
        .collect()
}

/// A date of the tables below. Only used in constants, so a wrong date fails the build instead
/// of panicking at run time.
const fn date(year: i32, month: u32, day: u32) -> NaiveDate {
    match NaiveDate::from_ymd_opt(year, month, day) {
        Some(d) => d,
        None => panic!("invalid demo date"),
    }
}

/// One position held: position, started, ended.
type Post = (&'static str, NaiveDate, Option<NaiveDate>);

/// One person: organization key, political status, positions. Names, genders, phones and ID
/// numbers are derived from the index.
type Staff = (&'static str, &'static str, &'static [Post]);

/// Guangdong's village committees were re-elected in spring 2021, so many village posts start then.
const VILLAGE_TERM: NaiveDate = date(2021, 4, 1);

#[rustfmt::skip]
const STAFF: &[Staff] = &[
    // Secretaries of the 27 members.
    ("scenic_committee", "FULL_MEMBER", &[
        ("DEPUTY_SECRETARY", date(2019, 3, 1), Some(date(2021, 9, 1))),
        ("SECRETARY", date(2021, 9, 1), None),
    ]),
    ("scenic_office", "FULL_MEMBER", &[("SECRETARY", date(2020, 5, 11), None)]),
    ("wenquan_community", "FULL_MEMBER", &[("SECRETARY", VILLAGE_TERM, None)]),
    ("biwan", "FULL_MEMBER", &[("SECRETARY", date(2019, 7, 1), None)]),
    ("conghua_hotel", "FULL_MEMBER", &[("SECRETARY", date(2022, 1, 10), None)]),
    ("hotspring_hotel", "FULL_MEMBER", &[("SECRETARY", date(2020, 11, 2), None)]),
    ("visitor_center", "FULL_MEMBER", &[("SECRETARY", date(2023, 4, 3), None)]),
    ("greenway_station", "FULL_MEMBER", &[("SECRETARY", date(2021, 6, 15), None)]),
    ("sanitation_station", "FULL_MEMBER", &[("SECRETARY", date(2022, 8, 1), None)]),
    ("tourism_company", "FULL_MEMBER", &[("SECRETARY", date(2019, 12, 2), None)]),
    ("middle_school", "FULL_MEMBER", &[("SECRETARY", date(2020, 9, 1), None)]),
    ("primary_school", "FULL_MEMBER", &[("SECRETARY", date(2024, 2, 26), None)]),
    ("police_station", "FULL_MEMBER", &[("SECRETARY", date(2021, 1, 18), None)]),
    ("health_center", "FULL_MEMBER", &[("SECRETARY", date(2022, 5, 9), None)]),
    ("power_station", "FULL_MEMBER", &[("SECRETARY", date(2023, 7, 3), None)]),
    ("private_firms", "FULL_MEMBER", &[("SECRETARY", date(2024, 6, 28), None)]),
    ("town_committee", "FULL_MEMBER", &[
        ("COMMITTEE_MEMBER", date(2019, 6, 1), Some(date(2021, 10, 8))),
        ("SECRETARY", date(2021, 10, 8), None),
    ]),
    ("nanping", "FULL_MEMBER", &[("SECRETARY", VILLAGE_TERM, None)]),
    ("shikeng", "FULL_MEMBER", &[("SECRETARY", VILLAGE_TERM, None)]),
    ("xinnan", "FULL_MEMBER", &[("SECRETARY", VILLAGE_TERM, None)]),
    ("longgang", "FULL_MEMBER", &[("SECRETARY", VILLAGE_TERM, None)]),
    ("yunxing", "FULL_MEMBER", &[("SECRETARY", VILLAGE_TERM, None)]),
    ("weidong", "FULL_MEMBER", &[("SECRETARY", VILLAGE_TERM, None)]),
    ("xuanxing", "FULL_MEMBER", &[("SECRETARY", VILLAGE_TERM, None)]),
    ("taolian", "FULL_MEMBER", &[("SECRETARY", VILLAGE_TERM, None)]),
    ("wushi", "FULL_MEMBER", &[("SECRETARY", VILLAGE_TERM, None)]),
    ("town_tourism", "FULL_MEMBER", &[("SECRETARY", date(2023, 3, 20), None)]),
    // The former secretary of Weidong, who stayed on the committee after the election.
    ("weidong", "FULL_MEMBER", &[
        ("SECRETARY", date(2019, 1, 7), Some(VILLAGE_TERM)),
        ("COMMITTEE_MEMBER", VILLAGE_TERM, None),
    ]),
    // Secretaries of the sub-branches.
    ("biwan_operations", "FULL_MEMBER", &[("SECRETARY", date(2020, 3, 2), None)]),
    ("biwan_floating", "FULL_MEMBER", &[("SECRETARY", date(2022, 10, 17), None)]),
    ("community_retired", "FULL_MEMBER", &[("SECRETARY", date(2019, 10, 8), None)]),
    ("nanping_first", "FULL_MEMBER", &[("SECRETARY", VILLAGE_TERM, None)]),
    ("nanping_second", "FULL_MEMBER", &[("SECRETARY", VILLAGE_TERM, None)]),
    // Deputies and committee members of the two committees.
    ("scenic_committee", "FULL_MEMBER", &[
        ("COMMITTEE_MEMBER", date(2020, 4, 1), Some(date(2022, 3, 1))),
        ("DEPUTY_SECRETARY", date(2022, 3, 1), None),
    ]),
    ("town_committee", "FULL_MEMBER", &[("DEPUTY_SECRETARY", date(2021, 10, 8), None)]),
    ("town_committee", "FULL_MEMBER", &[("COMMITTEE_MEMBER", date(2024, 9, 2), None)]),
    // First secretaries sent to key and remote villages (their positions come from their
    // postings); Shikeng's first one finished a term.
    ("nanping", "FULL_MEMBER", &[("FIRST_SECRETARY", date(2021, 6, 1), None)]),
    ("shikeng", "FULL_MEMBER", &[("FIRST_SECRETARY", date(2019, 5, 6), Some(date(2021, 5, 31)))]),
    ("shikeng", "FULL_MEMBER", &[("FIRST_SECRETARY", date(2021, 6, 1), None)]),
    ("longgang", "FULL_MEMBER", &[("FIRST_SECRETARY", date(2023, 6, 5), None)]),
    ("yunxing", "FULL_MEMBER", &[("FIRST_SECRETARY", date(2022, 7, 4), None)]),
    ("xuanxing", "FULL_MEMBER", &[("FIRST_SECRETARY", date(2021, 6, 1), None)]),
    // Taolian's first secretary went back to the dispatching unit at the end of 2025, and the
    // key village waits for the next one.
    ("taolian", "FULL_MEMBER", &[("FIRST_SECRETARY", date(2024, 3, 11), Some(date(2025, 12, 31)))]),
    // Village cadres.
    ("nanping", "FULL_MEMBER", &[
        ("CADRE", VILLAGE_TERM, None),
        ("COMMITTEE_MEMBER", VILLAGE_TERM, None),
    ]),
    ("nanping", "PROBATIONARY_MEMBER", &[("CADRE", date(2025, 9, 1), None)]),
    ("shikeng", "FULL_MEMBER", &[("CADRE", VILLAGE_TERM, None)]),
    ("xinnan", "FULL_MEMBER", &[
        ("CADRE", VILLAGE_TERM, None),
        ("COMMITTEE_MEMBER", VILLAGE_TERM, None),
    ]),
    ("longgang", "FULL_MEMBER", &[("CADRE", VILLAGE_TERM, None)]),
    ("yunxing", "MASSES", &[("CADRE", date(2022, 2, 14), None)]),
    ("weidong", "FULL_MEMBER", &[("CADRE", VILLAGE_TERM, None)]),
    ("xuanxing", "FULL_MEMBER", &[("CADRE", VILLAGE_TERM, None)]),
    ("taolian", "FULL_MEMBER", &[("CADRE", date(2019, 4, 1), None)]),
    ("wushi", "LEAGUE_MEMBER", &[("CADRE", date(2026, 3, 2), None)]),
    // Grid workers.
    ("wenquan_community", "MASSES", &[("GRID_WORKER", date(2020, 8, 3), None)]),
    ("nanping", "FULL_MEMBER", &[("GRID_WORKER", date(2021, 5, 10), None)]),
    ("longgang", "MASSES", &[("GRID_WORKER", date(2020, 8, 3), Some(date(2023, 12, 31)))]),
    ("wushi", "LEAGUE_MEMBER", &[("GRID_WORKER", date(2024, 1, 2), None)]),
    // Village legal advisers.
    ("nanping", "MASSES", &[("LEGAL_ADVISER", date(2021, 1, 4), None)]),
    ("taolian", "FULL_MEMBER", &[("LEGAL_ADVISER", date(2023, 1, 3), None)]),
    // Volunteers.
    ("wenquan_community", "LEAGUE_MEMBER", &[("VOLUNTEER", date(2022, 7, 1), None)]),
    ("biwan", "MASSES", &[("VOLUNTEER", date(2025, 4, 12), None)]),
    ("xinnan", "LEAGUE_MEMBER", &[("VOLUNTEER", date(2026, 5, 4), None)]),
];

/// Common surnames of the area. With 20 surnames and 30 given names, the derivation in `people`
/// gives unique names for the first 200 indexes.
const SURNAMES: [&str; 20] = [
    "黄", "李", "陈", "刘", "邓", "何", "钟", "谢", "欧", "张", "梁", "罗", "骆", "潘", "朱", "吴",
    "曾", "徐", "林", "冯",
];

const GIVEN_NAMES: [(&str, &str); 30] = [
    ("志强", "MALE"),
    ("丽娟", "FEMALE"),
    ("建华", "MALE"),
    ("秀英", "FEMALE"),
    ("国华", "MALE"),
    ("美玲", "FEMALE"),
    ("伟明", "MALE"),
    ("慧敏", "FEMALE"),
    ("家豪", "MALE"),
    ("晓燕", "FEMALE"),
    ("俊杰", "MALE"),
    ("嘉欣", "FEMALE"),
    ("锦荣", "MALE"),
    ("静怡", "FEMALE"),
    ("永康", "MALE"),
    ("婉婷", "FEMALE"),
    ("振东", "MALE"),
    ("少芬", "FEMALE"),
    ("文辉", "MALE"),
    ("玉珍", "FEMALE"),
    ("海波", "MALE"),
    ("雪梅", "FEMALE"),
    ("健斌", "MALE"),
    ("碧霞", "FEMALE"),
    ("卓成", "MALE"),
    ("思琪", "FEMALE"),
    ("耀光", "MALE"),
    ("凤仪", "FEMALE"),
    ("日新", "MALE"),
    ("绮雯", "FEMALE"),
];

const PHONE_PREFIXES: [&str; 15] = [
    "138", "139", "137", "135", "136", "150", "151", "158", "159", "186", "188", "189", "133",
    "177", "199",
];

pub fn people() -> Vec<DemoPerson> {
    STAFF
        .iter()
        .enumerate()
        .map(|(i, &(organization, political_status, posts))| {
            let (given, gender) = GIVEN_NAMES[(7 * i + i / SURNAMES.len()) % GIVEN_NAMES.len()];
            DemoPerson {
                name: format!("{}{given}", SURNAMES[i % SURNAMES.len()]),
                gender,
                phone: phone_of(i),
                id_number: id_number_of(i, gender),
                political_status,
                organization,
                positions: posts
                    .iter()
                    .map(|&(position, started_on, ended_on)| DemoPosition {
                        position,
                        started_on,
                        ended_on,
                    })
                    .collect(),
            }
        })
        .collect()
}

/// The multiplier is coprime to 10^8, so the last eight digits differ for every index.
fn phone_of(i: usize) -> String {
    let tail = (i as u64 * 7_654_321 + 12_345_678) % 100_000_000;
    format!("{}{tail:08}", PHONE_PREFIXES[i % PHONE_PREFIXES.len()])
}

/// Conghua's address code (440184 before it became a district in 2014, 440117 since), a birth
/// date in 1960-2000 that differs for every index below 41 * 12, a sequence number whose last
/// digit is odd for men and even for women, and the check digit.
fn id_number_of(i: usize, gender: &str) -> String {
    let region = if i.is_multiple_of(3) {
        "440117"
    } else {
        "440184"
    };
    let year = 1960 + (i * 7) % 41;
    let month = 1 + (i * 5) % 12;
    let day = 1 + (i * 11) % 28;
    let parity = if gender == "MALE" { 1 } else { 0 };
    let sequence = format!("{:02}{}", 10 + (i * 13) % 90, 2 * (i % 5) + parity);
    let first17 = format!("{region}{year:04}{month:02}{day:02}{sequence}");
    // Always 17 digits by construction; the fallback only keeps this free of panics.
    let check = id_number_check_digit(&first17).unwrap_or('0');
    format!("{first17}{check}")
}

/// One step in the life of a demo supervision item, on a day counted from the day the demo is
/// loaded (negative: in the past).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LedgerStep {
    Start,
    /// The lead organization reports a percentage with a note.
    Report(i32, &'static str),
    /// A co-responsible organization (key) reports for itself.
    CoReport(&'static str, i32, &'static str),
    Submit,
    Reject(&'static str),
    Close,
    Reopen(&'static str),
    Cancel(&'static str),
    /// The deadline moves to this day (counted from the load day), for a reason.
    Extend(i64, &'static str),
}

/// A supervision item of the demo ledger.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DemoItem {
    pub title: &'static str,
    /// A `SupervisionSource` value.
    pub source: &'static str,
    /// NORMAL | HIGH | URGENT
    pub priority: &'static str,
    /// `DemoOrg` keys: the lead, then the co-responsible organizations.
    pub lead: &'static str,
    pub co: &'static [&'static str],
    /// Days from the load day: when it was opened, and its first due date.
    pub opened: i64,
    pub due: i64,
    pub steps: &'static [(i64, LedgerStep)],
}

/// The first day of the committee's supervision cadence, counted from the load day: rounds 1 to 4
/// lie in the past, round 5 holds the load day.
pub const CADENCE_STARTS: i64 = -63;

/// The committee's working-case ledger (工作案例台账) over the two months before the load day:
/// items in every state, some overdue at each rung of the escalation ladder relative to the load
/// day (with the 14-day cadence: REPORT more than 28 days late, SUPERVISE more than 14, URGE,
/// REMIND within 3 working days), some extended, some closed late.
pub fn ledger() -> Vec<DemoItem> {
    use LedgerStep::*;
    let item = |title, source, priority, lead, co, opened, due, steps| DemoItem {
        title,
        source,
        priority,
        lead,
        co,
        opened,
        due,
        steps,
    };
    vec![
        item(
            "南平村至温泉景区道路硬化",
            "RESIDENT_APPEAL",
            "HIGH",
            "nanping",
            &["scenic_office"],
            -58,
            -44,
            &[
                (-57, Start),
                (-50, Report(50, "路基完成，等待铺设沥青")),
                (-46, Submit),
                (-45, Close),
            ],
        ),
        item(
            "景区停车场夜间照明改造",
            "INSPECTION",
            "NORMAL",
            "scenic_office",
            &["power_station"],
            -56,
            -40,
            &[
                (-55, Start),
                (-48, Report(30, "灯杆采购完成")),
                (-42, Extend(-30, "供电线路改造需报区供电局审批")),
                (-33, Submit),
                (-32, Close),
            ],
        ),
        item(
            "石坑村生活污水管网接驳",
            "RESIDENT_APPEAL",
            "URGENT",
            "shikeng",
            &["sanitation_station"],
            -55,
            -35,
            &[
                (-54, Start),
                (-40, Report(40, "主管网铺设过半")),
                (-25, Submit),
                (-24, Close),
            ],
        ),
        item(
            "温泉社区老旧小区加装电梯协调",
            "RESIDENT_APPEAL",
            "NORMAL",
            "wenquan_community",
            &[],
            -52,
            -30,
            &[(-51, Start), (-35, Report(20, "两栋楼住户意见尚未统一"))],
        ),
        item(
            "流溪河温泉段绿道护栏修复",
            "INSPECTION",
            "HIGH",
            "greenway_station",
            &[],
            -50,
            -33,
            &[(-49, Start)],
        ),
        item(
            "游客服务中心无障碍设施整改",
            "SUPERIOR_ASSIGNMENT",
            "NORMAL",
            "visitor_center",
            &[],
            -45,
            -20,
            &[],
        ),
        item(
            "龙岗村农产品进景区展销",
            "JOINT_MEETING",
            "NORMAL",
            "longgang",
            &["tourism_company", "biwan"],
            -44,
            -18,
            &[
                (-43, Start),
                (-30, Report(60, "首批展位已落实")),
                (-30, CoReport("biwan", 50, "度假村大堂展销点已布置")),
            ],
        ),
        item(
            "云星村民宿消防安全检查",
            "INSPECTION",
            "URGENT",
            "yunxing",
            &["police_station"],
            -30,
            -6,
            &[(-29, Start), (-15, Report(70, "已检查民宿21家，整改5家"))],
        ),
        item(
            "卫东村垃圾分类收集点建设",
            "JOINT_MEETING",
            "NORMAL",
            "weidong",
            &["sanitation_station"],
            -25,
            -3,
            &[(-24, Start)],
        ),
        item(
            "宣星村留守儿童暑期托管",
            "RESIDENT_APPEAL",
            "HIGH",
            "xuanxing",
            &["primary_school"],
            -20,
            -1,
            &[],
        ),
        item(
            "桃莲村果园滴灌项目申报",
            "SUPERIOR_ASSIGNMENT",
            "NORMAL",
            "taolian",
            &[],
            -15,
            1,
            &[(-14, Start), (-5, Report(80, "申报材料已报镇农办"))],
        ),
        item(
            "乌石村山塘加固",
            "INSPECTION",
            "HIGH",
            "wushi",
            &["town_committee"],
            -12,
            2,
            &[(-11, Start)],
        ),
        item(
            "新南村文化室图书更新",
            "JOINT_MEETING",
            "NORMAL",
            "xinnan",
            &["middle_school"],
            -10,
            3,
            &[],
        ),
        item(
            "从化宾馆员工技能培训进村",
            "JOINT_MEETING",
            "NORMAL",
            "conghua_hotel",
            &["nanping"],
            -9,
            20,
            &[(-8, Start), (-3, Report(30, "首期培训报名42人"))],
        ),
        item(
            "广东温泉宾馆就业岗位对接",
            "JOINT_MEETING",
            "NORMAL",
            "hotspring_hotel",
            &["town_committee"],
            -8,
            25,
            &[],
        ),
        item(
            "碧水湾志愿服务队进社区",
            "JOINT_MEETING",
            "NORMAL",
            "biwan",
            &["wenquan_community"],
            -40,
            -26,
            &[(-39, Start), (-30, Submit), (-29, Close)],
        ),
        item(
            "温泉中学周边交通疏导",
            "RESIDENT_APPEAL",
            "HIGH",
            "middle_school",
            &["police_station"],
            -38,
            -24,
            &[
                (-37, Start),
                (-26, Submit),
                (-25, Reject("缺少上下学高峰时段的现场照片")),
                (-20, Submit),
                (-19, Close),
            ],
        ),
        item(
            "卫生院家庭医生签约进村",
            "SUPERIOR_ASSIGNMENT",
            "NORMAL",
            "health_center",
            &["shikeng", "xinnan"],
            -35,
            -10,
            &[
                (-34, Start),
                (-12, Submit),
                (-11, Close),
                (-4, Reopen("回访发现部分独居老人未签约")),
                (-3, Start),
            ],
        ),
        item(
            "景区非公企业党建指导员选派",
            "SUPERIOR_ASSIGNMENT",
            "NORMAL",
            "private_firms",
            &[],
            -33,
            -19,
            &[(-32, Cancel("并入区委组织部统一选派"))],
        ),
        item(
            "供电所老旧线路改造",
            "INSPECTION",
            "HIGH",
            "power_station",
            &["nanping"],
            -28,
            5,
            &[(-27, Start), (-2, Submit)],
        ),
        item(
            "派出所景区治安巡逻联勤",
            "JOINT_MEETING",
            "NORMAL",
            "police_station",
            &["scenic_office"],
            -27,
            -8,
            &[(-26, Start), (-5, Submit)],
        ),
        item(
            "旅游公司门票收入反哺村集体",
            "JOINT_MEETING",
            "HIGH",
            "tourism_company",
            &["town_committee"],
            -26,
            10,
            &[(-25, Start), (-10, Report(40, "分配方案已提交联席会议"))],
        ),
        item(
            "南平静修小镇文旅项目招商",
            "SUPERIOR_ASSIGNMENT",
            "NORMAL",
            "town_tourism",
            &[],
            -24,
            15,
            &[],
        ),
        item(
            "环卫站旅游旺季保洁",
            "INSPECTION",
            "NORMAL",
            "sanitation_station",
            &[],
            -22,
            -15,
            &[(-21, Start), (-16, Submit), (-14, Close)],
        ),
        item(
            "温泉镇小学课后服务",
            "RESIDENT_APPEAL",
            "NORMAL",
            "primary_school",
            &[],
            -18,
            -2,
            &[
                (-17, Start),
                (-10, Extend(8, "等待区教育局批复课后服务经费")),
            ],
        ),
        item(
            "碧水湾温泉污水排放整改",
            "INSPECTION",
            "URGENT",
            "biwan",
            &["sanitation_station"],
            -16,
            -12,
            &[(-15, Start), (-13, Report(50, "沉淀池已清淤"))],
        ),
        item(
            "社区离退休党员结对帮扶",
            "JOINT_MEETING",
            "NORMAL",
            "wenquan_community",
            &[],
            -14,
            30,
            &[],
        ),
        item(
            "南平村村道路灯安装",
            "RESIDENT_APPEAL",
            "NORMAL",
            "nanping",
            &["power_station"],
            -6,
            9,
            &[(-5, Start)],
        ),
        item(
            "联席会议纪要落实情况通报",
            "JOINT_MEETING",
            "NORMAL",
            "scenic_committee",
            &["town_committee"],
            -4,
            12,
            &[],
        ),
        item(
            "石坑村山体滑坡隐患排查",
            "INSPECTION",
            "URGENT",
            "shikeng",
            &["police_station"],
            -2,
            1,
            &[],
        ),
    ]
}

/// Who a demo pairing names: the `index`-th person of an organization holding a position now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Holder {
    pub organization: &'static str,
    pub position: &'static str,
    pub index: usize,
}

const fn holder(organization: &'static str, position: &'static str, index: usize) -> Holder {
    Holder {
        organization,
        position,
        index,
    }
}

/// A mentoring pairing (传帮带) of the demo, with its sessions, on days counted from the load day.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DemoPairing {
    pub mentor: Holder,
    pub mentee: Holder,
    /// A `DemoOrg` key: the mentee's village.
    pub organization: &'static str,
    pub goals: &'static str,
    pub starts: i64,
    /// (day, topic, minutes)
    pub sessions: &'static [(i64, &'static str, i32)],
    /// (day, COMPLETED | ENDED, outcome)
    pub end: Option<(i64, &'static str, &'static str)>,
}

/// A dozen pairings of first secretaries and village secretaries with village cadres, with a few
/// months of sessions: one neglected (its last session 45 days back) and one completed.
pub fn pairings() -> Vec<DemoPairing> {
    let fs = |org| holder(org, "FIRST_SECRETARY", 0);
    let sec = |org| holder(org, "SECRETARY", 0);
    let cadre = |org, index| holder(org, "CADRE", index);
    let pairing = |mentor, mentee, organization, goals, starts, sessions, end| DemoPairing {
        mentor,
        mentee,
        organization,
        goals,
        starts,
        sessions,
        end,
    };
    vec![
        pairing(
            fs("nanping"),
            cadre("nanping", 0),
            "nanping",
            "提升村务公开和集体经济台账管理能力",
            -120,
            &[
                (-110, "村务公开栏规范", 90),
                (-95, "集体经济台账", 120),
                (-80, "三资管理", 90),
                (-62, "议事规则", 60),
                (-45, "项目资金公示", 90),
                (-30, "年度预算编制", 120),
                (-14, "村民代表会议组织", 60),
            ],
            None,
        ),
        pairing(
            fs("nanping"),
            cadre("nanping", 1),
            "nanping",
            "熟悉党务工作流程，做好预备党员转正准备",
            -100,
            &[
                (-90, "三会一课", 60),
                (-70, "发展党员程序", 90),
                (-50, "党费收缴", 45),
                (-28, "主题党日策划", 60),
                (-7, "转正材料准备", 90),
            ],
            None,
        ),
        pairing(
            fs("nanping"),
            holder("nanping", "GRID_WORKER", 0),
            "nanping",
            "掌握网格走访与民情收集方法",
            -60,
            &[
                (-55, "入户走访技巧", 60),
                (-40, "民情台账", 45),
                (-21, "矛盾纠纷排查", 90),
                (-3, "诉求转办流程", 60),
            ],
            None,
        ),
        pairing(
            fs("shikeng"),
            cadre("shikeng", 0),
            "shikeng",
            "山区产业项目申报与管理",
            -150,
            &[
                (-140, "项目库建设", 120),
                (-120, "申报书撰写", 180),
                (-100, "预算编制", 120),
                (-75, "实地踏勘", 240),
                (-50, "招投标流程", 90),
                (-25, "项目验收", 90),
                (-5, "绩效自评", 60),
            ],
            None,
        ),
        pairing(
            fs("shikeng"),
            holder("weidong", "COMMITTEE_MEMBER", 0),
            "weidong",
            "换届后村两委班子协作与履职",
            -80,
            &[
                (-70, "村干部职责清单", 60),
                (-49, "会议记录规范", 45),
                (-35, "山塘安全巡查", 120),
                (-12, "汛期值班安排", 60),
            ],
            None,
        ),
        pairing(
            fs("longgang"),
            cadre("longgang", 0),
            "longgang",
            "乡村旅游与农产品销售",
            -130,
            &[
                (-120, "农产品品牌", 90),
                (-90, "直播带货", 120),
                (-60, "景区展销对接", 90),
                (-40, "合作社财务", 60),
                (-18, "游客接待", 60),
            ],
            None,
        ),
        pairing(
            fs("yunxing"),
            cadre("yunxing", 0),
            "yunxing",
            "民宿安全管理与消防知识",
            -90,
            &[
                (-85, "消防器材使用", 60),
                (-60, "民宿备案", 45),
                (-33, "应急预案", 90),
                (-9, "隐患整改复查", 120),
            ],
            None,
        ),
        pairing(
            fs("xuanxing"),
            cadre("xuanxing", 0),
            "xuanxing",
            "留守儿童关爱服务",
            -110,
            &[
                (-100, "留守儿童摸排", 90),
                (-76, "四点半课堂", 60),
                (-52, "志愿者招募", 60),
                (-26, "暑期托管方案", 120),
                (-2, "家访记录", 60),
            ],
            None,
        ),
        pairing(
            sec("weidong"),
            cadre("weidong", 0),
            "weidong",
            "垃圾分类与人居环境整治",
            -70,
            &[
                (-63, "分类收集点选址", 60),
                (-42, "村规民约修订", 90),
                (-20, "评比激励", 45),
            ],
            None,
        ),
        pairing(
            sec("xinnan"),
            cadre("xinnan", 0),
            "xinnan",
            "村级财务规范化",
            -95,
            &[
                (-88, "票据管理", 60),
                (-66, "报账流程", 60),
                (-44, "财务公开", 45),
                (-22, "审计整改", 90),
                (-1, "年终决算", 120),
            ],
            None,
        ),
        pairing(
            sec("taolian"),
            cadre("taolian", 0),
            "taolian",
            "果园滴灌项目申报与实施",
            -160,
            &[
                (-150, "项目选址", 120),
                (-120, "申报材料", 180),
                (-90, "施工监督", 120),
                (-60, "资金拨付", 60),
                (-35, "验收准备", 90),
            ],
            Some((-20, "COMPLETED", "已能独立负责滴灌项目申报和验收")),
        ),
        pairing(
            sec("wushi"),
            holder("wushi", "GRID_WORKER", 0),
            "wushi",
            "网格员入户走访与信息上报",
            -120,
            &[
                (-110, "网格划分", 60),
                (-85, "信息采集", 60),
                (-60, "上报流程", 45),
                (-45, "重点人员关爱", 60),
            ],
            None,
        ),
    ]
}

/// A resident's appeal of the demo, collected on a household visit.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DemoAppeal {
    /// A `DemoOrg` key: the village.
    pub village: &'static str,
    /// An `AppealCategory` value.
    pub category: &'static str,
    pub content: &'static str,
    pub received: AppealDay,
    pub outcome: AppealOutcome,
    /// Escalated to the committee's ledger this many days before the load day, led by the
    /// appeal's village.
    pub escalated_days_ago: Option<i64>,
    pub resident_name: String,
    pub resident_phone: String,
    pub address: String,
}

/// When an appeal was received: a fixed date, or days counted from the load day.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AppealDay {
    On(NaiveDate),
    DaysAgo(i64),
}

/// How far the loop went.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AppealOutcome {
    /// Still waiting to be accepted.
    Received,
    Accepted,
    /// Resolved after `days` days, with the resident's feedback when there is one.
    Resolved {
        days: i64,
        resolution: &'static str,
        feedback: Option<&'static str>,
    },
    Rejected(&'static str),
}

/// The villages appeals come from, with the name their addresses use.
const APPEAL_VILLAGES: [(&str, &str); 9] = [
    ("nanping", "南平村"),
    ("shikeng", "石坑村"),
    ("xinnan", "新南村"),
    ("longgang", "龙岗村"),
    ("yunxing", "云星村"),
    ("weidong", "卫东村"),
    ("xuanxing", "宣星村"),
    ("taolian", "桃莲村"),
    ("wushi", "乌石村"),
];

/// (category, content, resolution) of the appeals households raise most.
const APPEAL_KINDS: [(&str, &str, &str); 16] = [
    (
        "INFRASTRUCTURE",
        "村道路面破损，雨天积水，请求修补",
        "已协调镇建设办修补路面并疏通排水沟",
    ),
    (
        "ENVIRONMENT",
        "垃圾收集点清运不及时，夏天气味大",
        "已调整清运频次为每日一次",
    ),
    (
        "PUBLIC_SAFETY",
        "屋后山坡有滑坡隐患，请求排查",
        "已请地质专业人员排查并设置警示标志",
    ),
    (
        "DISPUTE",
        "邻里宅基地界线纠纷，请求调解",
        "经村调委会调解，双方签订协议",
    ),
    (
        "SOCIAL_SECURITY",
        "独居老人医保报销手续不清楚",
        "已由网格员陪同到卫生院办理",
    ),
    (
        "TOURISM",
        "希望农家乐进入景区推介名录",
        "已推荐至景区管委会，纳入推介名录",
    ),
    (
        "LEGAL",
        "务工被拖欠工资，请求法律援助",
        "已由驻村法律顾问协助申请劳动仲裁并追回工资",
    ),
    ("OTHER", "村务公开栏信息更新不及时", "已按月更新村务公开栏"),
    (
        "INFRASTRUCTURE",
        "路灯损坏，夜间出行不便",
        "已联系供电所更换路灯",
    ),
    (
        "ENVIRONMENT",
        "河涌有生活污水直排",
        "已排查排污口并接入污水管网",
    ),
    (
        "PUBLIC_SAFETY",
        "景区周边节假日停车混乱",
        "已与派出所联合设置临时停车点",
    ),
    (
        "DISPUTE",
        "土地承包合同到期续签分歧",
        "经调解按原合同条件续签",
    ),
    (
        "SOCIAL_SECURITY",
        "低保申请材料不会填写",
        "已协助填写并提交镇民政办",
    ),
    (
        "TOURISM",
        "民宿经营许可办理咨询",
        "已讲解办理流程并协助预约",
    ),
    (
        "LEGAL",
        "婚姻家庭纠纷咨询",
        "已由法律顾问提供咨询并转介调解",
    ),
    (
        "OTHER",
        "希望增加老年人文化活动场地",
        "已将村委会二楼改作老年活动室",
    ),
];

const REJECTIONS: [(usize, &str); 3] = [
    (
        17,
        "属个人商业合同纠纷，不属村级事务，已告知通过诉讼途径解决",
    ),
    (61, "诉求已由区信访局立案办理，村级不重复受理"),
    (110, "经核实反映情况不属实"),
];

/// The town's household-visit ledger since 2020: 148 appeals, 141 resolved, as the town reports.
/// 144 were received every fifteen days from 2020-03-02 across the nine villages: 141 resolved
/// (120 with feedback: 109 satisfied, 11 partly satisfied) and 3 rejected. Four came recently:
/// two accepted and past their handling time (and escalated to the committee's ledger last week),
/// two received days ago and still within it.
pub fn appeals() -> Vec<DemoAppeal> {
    let mut out = Vec::with_capacity(148);
    for i in 0..144usize {
        let (category, content, resolution) = APPEAL_KINDS[(i * 5) % APPEAL_KINDS.len()];
        let outcome = match REJECTIONS.iter().find(|(n, _)| *n == i) {
            Some((_, reason)) => AppealOutcome::Rejected(reason),
            None => AppealOutcome::Resolved {
                days: (i % 10) as i64 + 3,
                resolution,
                feedback: match (i % 7, i % 11) {
                    (0, _) => None,
                    (_, 0) => Some("PARTLY_SATISFIED"),
                    _ => Some("SATISFIED"),
                },
            },
        };
        out.push(appeal(
            i,
            category,
            content,
            AppealDay::On(date(2020, 3, 2) + chrono::Duration::days(15 * i as i64)),
            outcome,
        ));
    }
    // The two accepted ones were escalated to the committee's ledger last week.
    for (n, (days_ago, outcome, escalated)) in [
        (40, AppealOutcome::Accepted, Some(5)),
        (35, AppealOutcome::Accepted, Some(4)),
        (3, AppealOutcome::Received, None),
        (1, AppealOutcome::Received, None),
    ]
    .into_iter()
    .enumerate()
    {
        let (category, content, _) = APPEAL_KINDS[(3 * n + 1) % APPEAL_KINDS.len()];
        let mut recent = appeal(
            144 + n,
            category,
            content,
            AppealDay::DaysAgo(days_ago),
            outcome,
        );
        recent.escalated_days_ago = escalated;
        out.push(recent);
    }
    out
}

fn appeal(
    i: usize,
    category: &'static str,
    content: &'static str,
    received: AppealDay,
    outcome: AppealOutcome,
) -> DemoAppeal {
    let (village, place) = APPEAL_VILLAGES[i % APPEAL_VILLAGES.len()];
    DemoAppeal {
        village,
        category,
        content,
        received,
        outcome,
        resident_name: format!(
            "{}{}",
            SURNAMES[(i * 7) % SURNAMES.len()],
            if i.is_multiple_of(2) { "伯" } else { "姨" }
        ),
        resident_phone: phone_of(200 + i),
        escalated_days_ago: None,
        address: format!("{place}{}巷{}号", i % 12 + 1, i % 40 + 1),
    }
}

#[cfg(test)]
mod tests {
    use std::collections::{HashMap, HashSet};

    use super::*;
    use crate::services::values::{IdNumber, Phone};

    fn members_in(area: &str) -> usize {
        organizations()
            .iter()
            .filter(|o| o.member && o.area == area)
            .count()
    }

    #[test]
    fn two_areas_with_16_and_11_members() {
        let areas = areas();
        assert_eq!(areas.len(), 2);
        assert_eq!(areas[0].key, "scenic");
        assert_eq!(areas[1].key, "town");
        assert_eq!(members_in("scenic"), 16);
        assert_eq!(members_in("town"), 11);
        let extra: Vec<_> = organizations().into_iter().filter(|o| !o.member).collect();
        assert!((4..=6).contains(&extra.len()));
        assert!(
            extra
                .iter()
                .all(|o| o.level == "BRANCH" && o.parent.is_some())
        );
    }

    #[test]
    fn organizations_are_consistent() {
        let area_keys: HashSet<_> = areas().iter().map(|a| a.key).collect();
        let orgs = organizations();
        let mut seen: HashMap<&str, &DemoOrg> = HashMap::new();
        let mut names = HashSet::new();
        for org in &orgs {
            assert!(area_keys.contains(org.area), "{}", org.key);
            assert!(names.insert(org.name), "duplicate name {}", org.name);
            let short = org.short_name.chars().count();
            assert!((2..=6).contains(&short), "{}", org.short_name);
            assert!(["COMMITTEE", "GENERAL_BRANCH", "BRANCH"].contains(&org.level));
            assert!(
                [
                    "VILLAGE",
                    "COMMUNITY",
                    "SCENIC_UNIT",
                    "ENTERPRISE",
                    "GOVERNMENT",
                    "SCHOOL",
                    "OTHER"
                ]
                .contains(&org.unit_type)
            );
            if org.key_village || org.remote {
                assert_eq!(org.unit_type, "VILLAGE", "{}", org.key);
            }
            if let Some(parent) = org.parent {
                let parent = seen
                    .get(parent)
                    .unwrap_or_else(|| panic!("parent of {} not listed before it", org.key));
                assert_eq!(parent.area, org.area, "{}", org.key);
            }
            assert!(
                seen.insert(org.key, org).is_none(),
                "duplicate key {}",
                org.key
            );
        }
        let lead = seen.get(LEAD_ORGANIZATION).unwrap();
        assert!(lead.member);
        assert_eq!(lead.level, "COMMITTEE");
        let villages = orgs.iter().filter(|o| o.member && o.unit_type == "VILLAGE");
        assert!(villages.clone().count() >= 5);
        assert!(villages.clone().filter(|o| o.key_village).count() >= 2);
        assert!(villages.filter(|o| o.remote).count() >= 2);
    }

    #[test]
    fn there_is_a_chain_at_least_three_levels_below_a_root() {
        let orgs = organizations();
        let parent_of: HashMap<_, _> = orgs.iter().map(|o| (o.key, o.parent)).collect();
        let depth = |key: &str| {
            let mut depth = 0;
            let mut current = parent_of[key];
            while let Some(parent) = current {
                depth += 1;
                current = parent_of[parent];
            }
            depth
        };
        assert!(orgs.iter().map(|o| depth(o.key)).max().unwrap() >= 3);
    }

    #[test]
    fn about_sixty_unique_people_with_valid_contacts() {
        let people = people();
        assert!((55..=65).contains(&people.len()), "{}", people.len());
        let mut names = HashSet::new();
        let mut phones = HashSet::new();
        let mut ids = HashSet::new();
        for p in &people {
            assert!(names.insert(p.name.clone()), "duplicate name {}", p.name);
            let phone = Phone::parse("phone", &p.phone).unwrap();
            assert_eq!(phone.as_str(), p.phone);
            assert!(
                phones.insert(p.phone.clone()),
                "duplicate phone {}",
                p.phone
            );
            let id = IdNumber::parse("idNumber", &p.id_number).unwrap();
            assert_eq!(id.as_str(), p.id_number);
            assert!(
                ids.insert(p.id_number.clone()),
                "duplicate id {}",
                p.id_number
            );
            let region = &p.id_number[..6];
            assert!(region == "440117" || region == "440184");
            let year: i32 = p.id_number[6..10].parse().unwrap();
            assert!((1960..=2000).contains(&year), "{}", p.id_number);
            // The second-to-last digit is odd for men and even for women.
            let sex_digit = p.id_number.as_bytes()[16] - b'0';
            assert_eq!(sex_digit % 2 == 1, p.gender == "MALE", "{}", p.name);
            assert!(["MALE", "FEMALE"].contains(&p.gender));
            assert!(
                [
                    "FULL_MEMBER",
                    "PROBATIONARY_MEMBER",
                    "LEAGUE_MEMBER",
                    "MASSES"
                ]
                .contains(&p.political_status)
            );
        }
    }

    #[test]
    fn positions_are_plausible() {
        let orgs: HashMap<_, _> = organizations().into_iter().map(|o| (o.key, o)).collect();
        let earliest = NaiveDate::from_ymd_opt(2019, 1, 1).unwrap();
        let latest = NaiveDate::from_ymd_opt(2026, 6, 30).unwrap();
        let mut ended = 0;
        let mut counts: HashMap<&str, usize> = HashMap::new();
        for p in people() {
            let org = orgs.get(p.organization).unwrap();
            assert!(!p.positions.is_empty(), "{}", p.name);
            for pos in &p.positions {
                *counts.entry(pos.position).or_default() += 1;
                assert!(
                    (earliest..=latest).contains(&pos.started_on),
                    "{} {}",
                    p.name,
                    pos.started_on
                );
                if let Some(end) = pos.ended_on {
                    assert!(end > pos.started_on);
                    ended += 1;
                }
                match pos.position {
                    "FIRST_SECRETARY" => assert!(
                        org.unit_type == "VILLAGE" && (org.key_village || org.remote),
                        "{}",
                        p.name
                    ),
                    "CADRE" => assert_eq!(org.unit_type, "VILLAGE"),
                    "SECRETARY" | "DEPUTY_SECRETARY" | "COMMITTEE_MEMBER" | "GRID_WORKER"
                    | "LEGAL_ADVISER" | "VOLUNTEER" => {}
                    other => panic!("unknown position {other}"),
                }
                if matches!(
                    pos.position,
                    "SECRETARY" | "DEPUTY_SECRETARY" | "FIRST_SECRETARY"
                ) {
                    assert_eq!(p.political_status, "FULL_MEMBER", "{}", p.name);
                }
            }
        }
        assert!(ended >= 3);
        assert!(counts["FIRST_SECRETARY"] >= 4);
        assert!(counts["CADRE"] >= 5);
        for position in [
            "GRID_WORKER",
            "VOLUNTEER",
            "LEGAL_ADVISER",
            "COMMITTEE_MEMBER",
        ] {
            assert!(counts[position] >= 1, "{position}");
        }
    }

    #[test]
    fn every_member_has_a_current_secretary() {
        let people = people();
        for org in organizations().iter().filter(|o| o.member) {
            let secretaries = people
                .iter()
                .filter(|p| p.organization == org.key)
                .flat_map(|p| &p.positions)
                .filter(|pos| pos.position == "SECRETARY" && pos.ended_on.is_none())
                .count();
            assert_eq!(secretaries, 1, "{}", org.key);
        }
    }
}
