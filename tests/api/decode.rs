//! Models read by position (`entities::decode`) are the models SeaORM reads by name, on the
//! engine under test: the oracle is SeaORM's own derived reader, over the demo's rows.

use std::fmt::Debug;

use entities::{
    area,
    decode::{Columns, Decode, Decoded},
    joint_activity, organization, person, person_position, resident_appeal, supervision_item,
    user_account,
};
use sea_orm::{
    ConnectionTrait, DatabaseConnection, EntityTrait, FromQueryResult, QueryTrait, Statement,
};

use crate::helpers::TestApp;

/// Every row of `E`, read both ways, and the first row's columns found where they are expected.
async fn same_both_ways<E>(db: &DatabaseConnection)
where
    E: EntityTrait,
    E::Model: Decode + PartialEq + Debug,
{
    let by_name = E::find().all(db).await.unwrap();
    assert!(!by_name.is_empty(), "no rows to compare");
    let by_position: Vec<E::Model> = E::find()
        .into_model::<Decoded<E::Model>>()
        .all(db)
        .await
        .unwrap()
        .into_iter()
        .map(|Decoded(m)| m)
        .collect();
    assert_eq!(by_name, by_position);
    let statement = E::find().build(db.get_database_backend());
    let row = db.query_one_raw(statement).await.unwrap().unwrap();
    let columns = <E::Model as Decode>::COLUMNS;
    assert!(
        Columns::find(&row, "", columns[0]).positioned(columns),
        "read by name, not by position"
    );
}

#[tokio::test]
async fn models_read_by_position_are_the_models_read_by_name() {
    let app = TestApp::spawn().await;
    app.load_demo().await;
    let db = &app.state.db.write;
    same_both_ways::<organization::Entity>(db).await;
    same_both_ways::<person::Entity>(db).await;
    same_both_ways::<person_position::Entity>(db).await;
    same_both_ways::<area::Entity>(db).await;
    same_both_ways::<joint_activity::Entity>(db).await;
    same_both_ways::<supervision_item::Entity>(db).await;
    same_both_ways::<resident_appeal::Entity>(db).await;
    same_both_ways::<user_account::Entity>(db).await;
}

/// A join reads the second model after the first (`B_` after `A_`), and a row without a parent
/// reads as `None`, as SeaORM's reader has it.
#[tokio::test]
async fn a_joined_model_is_read_by_position_and_a_missing_one_is_none() {
    let app = TestApp::spawn().await;
    app.load_demo().await;
    let db = &app.state.db.write;
    let by_name = organization::Entity::find()
        .find_also_linked(organization::ParentLink)
        .all(db)
        .await
        .unwrap();
    let by_position: Vec<_> = organization::Entity::find()
        .find_also_linked(organization::ParentLink)
        .into_model::<Decoded<organization::Model>, Decoded<organization::Model>>()
        .all(db)
        .await
        .unwrap()
        .into_iter()
        .map(|(Decoded(o), p)| (o, p.map(|Decoded(p)| p)))
        .collect();
    assert_eq!(by_name, by_position);
    assert!(by_position.iter().any(|(_, p)| p.is_none()), "a root");
    assert!(by_position.iter().any(|(_, p)| p.is_some()), "a child");
    for (o, p) in &by_position {
        assert_eq!(o.parent_id, p.as_ref().map(|p| p.id));
    }
}

/// Columns in another order than the model's are read by name: the same models.
#[tokio::test]
async fn columns_out_of_order_are_read_by_name() {
    let app = TestApp::spawn().await;
    app.load_demo().await;
    let db = &app.state.db.write;
    let mut reversed = <organization::Model as Decode>::COLUMNS.to_vec();
    reversed.reverse();
    let sql = format!(
        "SELECT {} FROM organization ORDER BY id",
        reversed.join(", ")
    );
    let by_position: Vec<organization::Model> = Decoded::<organization::Model>::find_by_statement(
        Statement::from_string(db.get_database_backend(), sql.clone()),
    )
    .all(db)
    .await
    .unwrap()
    .into_iter()
    .map(|Decoded(m)| m)
    .collect();
    let by_name = organization::Model::find_by_statement(Statement::from_string(
        db.get_database_backend(),
        sql,
    ))
    .all(db)
    .await
    .unwrap();
    assert!(!by_name.is_empty());
    assert_eq!(by_name, by_position);
}
