//! In-process event bus feeding GraphQL subscriptions. Services queue events on their
//! `services::Write`, which publishes them only after the transaction has committed, so
//! subscribers never see a change that was rolled back.

use entities::{area, enums::EscalationLevel, joint_activity, supervision_event, supervision_item};
use tokio::sync::broadcast;

#[derive(Debug, Clone)]
pub enum DomainEvent {
    AreaCreated(area::Model),
    /// A joint activity was scheduled or changed; `action` names the mutation's effect.
    JointActivityChanged {
        action: ActivityAction,
        activity: joint_activity::Model,
    },
    /// A supervision item changed; `event` is the timeline entry the change wrote.
    SupervisionItemChanged {
        item: supervision_item::Model,
        event: supervision_event::Model,
    },
    /// An item reached a higher escalation level (the daily pass).
    DeadlineAlert {
        item: supervision_item::Model,
        level: EscalationLevel,
        at: chrono::DateTime<chrono::Utc>,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ActivityAction {
    Scheduled,
    Rescheduled,
    Confirmed,
    Cancelled,
    Completed,
    AttendanceRecorded,
}

#[derive(Debug, Clone)]
pub struct EventBus {
    sender: broadcast::Sender<DomainEvent>,
}

impl EventBus {
    pub fn new() -> Self {
        let (sender, _) = broadcast::channel(1024);
        Self { sender }
    }

    /// Publishes an event; nobody listening is fine.
    pub fn publish(&self, event: DomainEvent) {
        let _ = self.sender.send(event);
    }

    pub fn subscribe(&self) -> broadcast::Receiver<DomainEvent> {
        self.sender.subscribe()
    }
}

impl Default for EventBus {
    fn default() -> Self {
        Self::new()
    }
}
