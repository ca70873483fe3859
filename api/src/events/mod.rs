//! Subscription events, shared by every replica on one database. A mutation queues its events on
//! its `services::Write`; at commit they are written to the outbox table in the same transaction
//! (and, on PostgreSQL, announced with `NOTIFY`), so an event exists exactly when its change does.
//! Each process runs one dispatcher (`dispatch`) that reads new outbox rows in position order and
//! hands them to its own subscribers; a subscriber may start from an earlier position and is
//! given what it missed from the outbox (`EventBus::subscribe`).
//!
//! An event carries ids and small values, never a copy of a record: what a subscriber receives is
//! read at delivery, with the subscriber's grants of that moment.

pub mod dispatch;
pub mod outbox;

use std::{collections::VecDeque, sync::Arc};

use chrono::{DateTime, Utc};
use entities::enums::EscalationLevel;
use futures_util::Stream;
use sea_orm::DatabaseConnection;
use serde::{Deserialize, Serialize};
use tokio::sync::{Notify, broadcast};
use uuid::Uuid;

use crate::error::{AppError, AppResult};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type")]
pub enum DomainEvent {
    AreaCreated {
        area: Uuid,
    },
    /// A joint activity was scheduled or changed; `action` names the mutation's effect.
    JointActivityChanged {
        action: ActivityAction,
        activity: Uuid,
    },
    /// A supervision item changed; `event` is the timeline entry the change wrote.
    SupervisionItemChanged {
        item: Uuid,
        event: Uuid,
    },
    /// An item reached a higher escalation level (the daily pass).
    DeadlineAlert {
        item: Uuid,
        level: EscalationLevel,
        at: DateTime<Utc>,
    },
    /// A resident appeal was recorded or changed; `event` is the timeline entry the change wrote.
    ResidentAppealChanged {
        appeal: Uuid,
        event: Uuid,
    },
}

impl DomainEvent {
    /// The event's type, as the outbox's `kind` column shows it.
    pub fn kind(&self) -> &'static str {
        match self {
            Self::AreaCreated { .. } => "AreaCreated",
            Self::JointActivityChanged { .. } => "JointActivityChanged",
            Self::SupervisionItemChanged { .. } => "SupervisionItemChanged",
            Self::DeadlineAlert { .. } => "DeadlineAlert",
            Self::ResidentAppealChanged { .. } => "ResidentAppealChanged",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum ActivityAction {
    Scheduled,
    Rescheduled,
    Confirmed,
    Cancelled,
    Completed,
    AttendanceRecorded,
}

/// An event and its place in the outbox: positions grow with commit order on every engine.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Envelope {
    pub position: i64,
    pub event: DomainEvent,
}

/// This process's end of the event stream: the dispatcher sends into it, subscribers read from
/// it. Cheap to clone.
#[derive(Debug, Clone)]
pub struct EventBus {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    sender: broadcast::Sender<Arc<Envelope>>,
    /// The last position sent to subscribers. Held while sending, so that a new subscriber
    /// learns exactly which events it will hear live and which it must read from the outbox.
    delivered: std::sync::Mutex<i64>,
    /// Rings the dispatcher: a local commit wrote events, or a NOTIFY arrived.
    wake: Notify,
}

/// Events a live subscriber may fall behind by before it reads the rest from the outbox.
const BUFFER: usize = 1024;

impl EventBus {
    pub fn new() -> Self {
        let (sender, _) = broadcast::channel(BUFFER);
        Self {
            inner: Arc::new(Inner {
                sender,
                delivered: std::sync::Mutex::new(0),
                wake: Notify::new(),
            }),
        }
    }

    /// Tells the dispatcher that the outbox may hold new events.
    pub fn wake(&self) {
        self.inner.wake.notify_one();
    }

    async fn woken(&self) {
        self.inner.wake.notified().await
    }

    fn delivered(&self) -> i64 {
        *self.delivered_lock()
    }

    /// The position through which this process has handed events to its subscribers; a
    /// subscriber without `after` hears what comes later.
    pub fn position(&self) -> i64 {
        self.delivered()
    }

    /// The last delivered position, locked. A panic while it was held cannot leave it half
    /// written (it is one integer), so a poisoned lock is used as it stands.
    fn delivered_lock(&self) -> std::sync::MutexGuard<'_, i64> {
        self.inner
            .delivered
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Sends `envelopes` (in position order, each after the last delivered) to subscribers.
    fn send(&self, envelopes: impl IntoIterator<Item = Envelope>, through: i64) {
        let mut delivered = self.delivered_lock();
        for envelope in envelopes {
            if envelope.position > *delivered {
                *delivered = envelope.position;
                // Nobody listening is fine.
                let _ = self.inner.sender.send(Arc::new(envelope));
            }
        }
        *delivered = (*delivered).max(through);
    }

    /// Starts the position count where the outbox stands (`dispatch::start` does, once).
    fn start_at(&self, position: i64) {
        let mut delivered = self.delivered_lock();
        *delivered = (*delivered).max(position);
    }

    /// The events after `after` (or, without it, those committed from now on), in position
    /// order, each once.
    /// Refused (BAD_USER_INPUT on `after`) when events after `after` were pruned or `after` lies
    /// beyond the newest event: the client must read the current state and subscribe afresh.
    pub async fn subscribe(
        &self,
        db: &DatabaseConnection,
        after: Option<i64>,
    ) -> AppResult<impl Stream<Item = Arc<Envelope>> + Send + 'static + use<>> {
        let (receiver, now) = {
            let delivered = self.delivered_lock();
            (self.inner.sender.subscribe(), *delivered)
        };
        let (last, backlog) = match after {
            // From now on: past what this process has delivered, and past every event already
            // committed, even one its dispatcher has not read yet (the receiver above already
            // catches everything committed after this read).
            None => (now.max(outbox::newest_row(db).await?.unwrap_or(0)), false),
            Some(after) => {
                let bounds = outbox::bounds(db).await?;
                if after < bounds.pruned_through {
                    return Err(AppError::bad_input(
                        "after",
                        format!(
                            "events up to position {} are no longer kept; read the current \
                             state and subscribe without `after`",
                            bounds.pruned_through
                        ),
                    ));
                }
                if after > bounds.newest {
                    return Err(AppError::bad_input(
                        "after",
                        "no event has that position yet; pass a position an event carried",
                    ));
                }
                (after, true)
            }
        };
        let state = Follow {
            db: db.clone(),
            receiver,
            last,
            backlog,
            pending: VecDeque::new(),
        };
        Ok(futures_util::stream::unfold(state, Follow::next))
    }
}

impl Default for EventBus {
    fn default() -> Self {
        Self::new()
    }
}

/// One subscriber's place in the stream: reading the outbox (`backlog`) until it meets the live
/// events, then following the dispatcher; a subscriber that fell behind reads the outbox again.
struct Follow {
    db: DatabaseConnection,
    receiver: broadcast::Receiver<Arc<Envelope>>,
    /// The last position given to (or skipped for) this subscriber.
    last: i64,
    backlog: bool,
    pending: VecDeque<Arc<Envelope>>,
}

/// Outbox rows read per statement while catching up.
const PAGE: u64 = 200;

impl Follow {
    async fn next(mut self) -> Option<(Arc<Envelope>, Self)> {
        loop {
            if let Some(envelope) = self.pending.pop_front() {
                return Some((envelope, self));
            }
            if self.backlog {
                match outbox::read_after(&self.db, self.last, PAGE).await {
                    Ok(page) => {
                        if page.through <= self.last {
                            self.backlog = false;
                        } else {
                            self.last = page.through;
                            self.pending
                                .extend(page.envelopes.into_iter().map(Arc::new));
                        }
                    }
                    Err(e) => {
                        tracing::error!(error = %e, "a subscriber could not read the outbox; its stream ends");
                        return None;
                    }
                }
                continue;
            }
            match self.receiver.recv().await {
                Ok(envelope) if envelope.position > self.last => {
                    self.last = envelope.position;
                    return Some((envelope, self));
                }
                Ok(_) => {}
                Err(broadcast::error::RecvError::Lagged(_)) => self.backlog = true,
                Err(broadcast::error::RecvError::Closed) => return None,
            }
        }
    }
}
