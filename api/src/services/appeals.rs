//! Residents' appeals (民情诉求, DESIGN 3.4): the loop from a household visit to a resolution,
//! escalation to the supervision ledger, residents' feedback, and who may read them.

use entities::resident_appeal;
use sea_orm::{ColumnTrait, Condition};

use crate::authz::Scope;

/// Appeals the scope may read: those of villages in an organization subtree in scope, and of the
/// current member organizations of a group in scope.
pub fn read_condition(scope: &Scope) -> Condition {
    scope.organization_condition(resident_appeal::Column::VillageId)
}

/// Appeals of one village, for counts that must stay within what is readable.
pub fn of_village(village: uuid::Uuid) -> Condition {
    Condition::all().add(resident_appeal::Column::VillageId.eq(village))
}
