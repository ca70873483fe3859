//! Loads the hot-spring example (`demo_data`) into an empty database, in one transaction, through
//! the same service functions the API uses (so it is validated and audited like any other write).

use std::collections::HashMap;

use chrono::NaiveDate;
use entities::{area, linkage_group};
use sea_orm::{
    ActiveEnum, ColumnTrait, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter,
    TransactionSession, TransactionTrait,
};
use uuid::Uuid;

use super::{
    Actor, areas, demo_data, linkage_groups, organizations, people,
    people::{NewPerson, NewPosition},
};
use crate::error::{AppError, AppResult};

/// What `load` did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DemoOutcome {
    Loaded {
        areas: usize,
        organizations: usize,
        people: usize,
    },
    /// The example was loaded before; nothing was written.
    AlreadyLoaded,
}

fn parse_enum<T: ActiveEnum<Value = String>>(what: &str, value: &str) -> AppResult<T> {
    T::try_from_value(&value.to_owned())
        .map_err(|_| AppError::internal(format!("demo data has an unknown {what}: {value}")))
}

pub async fn load<C>(db: &C, today: NaiveDate) -> AppResult<DemoOutcome>
where
    C: ConnectionTrait + TransactionTrait,
{
    let tx = db.begin().await?;
    let group_exists = linkage_group::Entity::find()
        .filter(linkage_group::Column::Name.eq(demo_data::LINKAGE_GROUP_NAME))
        .one(&tx)
        .await?
        .is_some();
    if group_exists {
        return Ok(DemoOutcome::AlreadyLoaded);
    }
    if area::Entity::find().count(&tx).await? > 0 {
        return Err(AppError::conflict(
            "the database already holds data: demo data loads only into an empty database",
        ));
    }
    let actor = Actor {
        user_id: None,
        request_id: Some("demo-data".to_owned()),
    };

    let mut area_ids: HashMap<&str, Uuid> = HashMap::new();
    let demo_areas = demo_data::areas();
    for a in &demo_areas {
        let created = areas::create(
            &tx,
            &actor,
            areas::NewArea {
                name: a.name.to_owned(),
                description: Some(a.description.to_owned()),
            },
        )
        .await?;
        area_ids.insert(a.key, created.id);
    }

    let mut org_ids: HashMap<&str, Uuid> = HashMap::new();
    let mut members = Vec::new();
    let demo_orgs = demo_data::organizations();
    for o in &demo_orgs {
        let lookup = |ids: &HashMap<&str, Uuid>, key: &str| {
            ids.get(key)
                .copied()
                .ok_or_else(|| AppError::internal(format!("demo data refers to unknown {key}")))
        };
        let created = organizations::create(
            &tx,
            &actor,
            organizations::NewOrganization {
                name: o.name.to_owned(),
                short_name: Some(o.short_name.to_owned()),
                level: parse_enum("level", o.level)?,
                unit_type: parse_enum("unit type", o.unit_type)?,
                area_id: lookup(&area_ids, o.area)?,
                parent_id: o.parent.map(|p| lookup(&org_ids, p)).transpose()?,
                external_code: None,
                contact: None,
                key_village: o.key_village,
                remote: o.remote,
            },
        )
        .await?;
        org_ids.insert(o.key, created.id);
        if o.member {
            members.push(created.id);
        }
    }
    let lead = org_ids
        .get(demo_data::LEAD_ORGANIZATION)
        .copied()
        .ok_or_else(|| AppError::internal("demo data has no lead organization"))?;
    linkage_groups::create(
        &tx,
        &actor,
        linkage_groups::NewLinkageGroup {
            name: demo_data::LINKAGE_GROUP_NAME.to_owned(),
            description: Some(
                "景区16个党组织与周边村镇11个党组织组成的党建联建委员会：定期开展联合党组织活动，建立工作台账，两周督办。"
                    .to_owned(),
            ),
            lead_organization_id: lead,
            member_organization_ids: members,
            cadence_days: Some(linkage_groups::DEFAULT_CADENCE_DAYS),
            cadence_starts_on: None,
        },
        today,
    )
    .await?;

    let demo_people = demo_data::people();
    for p in &demo_people {
        let positions = p
            .positions
            .iter()
            .map(|pos| {
                Ok(NewPosition {
                    position: parse_enum("position", pos.position)?,
                    started_on: pos.started_on,
                    ended_on: pos.ended_on,
                })
            })
            .collect::<AppResult<Vec<_>>>()?;
        people::create(
            &tx,
            &actor,
            NewPerson {
                name: p.name.clone(),
                gender: Some(parse_enum("gender", p.gender)?),
                phone: Some(p.phone.clone()),
                id_number: Some(p.id_number.clone()),
                political_status: parse_enum("political status", p.political_status)?,
                organization_id: org_ids.get(p.organization).copied().ok_or_else(|| {
                    AppError::internal(format!("demo person in unknown {}", p.organization))
                })?,
                positions,
            },
        )
        .await?;
    }
    tx.commit().await?;
    Ok(DemoOutcome::Loaded {
        areas: demo_areas.len(),
        organizations: demo_orgs.len(),
        people: demo_people.len(),
    })
}
