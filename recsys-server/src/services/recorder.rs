//! Writes that must not slow a request down: recommendation impressions and clicks, and search
//! analytics. Requests queue them; one task writes them in batches (impressions summed per model
//! version and placement) at most a quarter second later. On shutdown the queue is closed and
//! drained before the process exits, so nothing queued is lost on a clean stop.
//!
//! While the database is unavailable the records that could not be written are kept and tried
//! again every second, up to [`MAX_PENDING`] of them; beyond that the oldest are dropped, counted
//! in `recsys_recorder_dropped_total` and logged.
//!
//! Queueing a record is one push onto a channel and never wakes the writer while it waits out a
//! batch window: it drains the queue when the window ends (or a flush asks, or the stop), so a
//! busy server pays one task wake-up per batch, not one per request.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use recsys_store::{ExperimentEvent, ExperimentEventKind, Store, StoreError, now_ms};
use tokio::sync::{Notify, mpsc};
use tokio::task::JoinHandle;

/// One queued write.
#[derive(Debug, Clone, PartialEq)]
pub enum Record {
    /// `count` items of a list from `model_version_id` shown at `placement`.
    Impressions {
        model_version_id: i64,
        placement: String,
        count: i64,
    },
    /// A click on an item of such a list.
    Click {
        model_version_id: i64,
        placement: String,
    },
    /// An impression or click of an experiment's arm.
    Experiment(ExperimentEvent),
    /// A cart add or purchase of a subject, counted for the experiment arms they clicked.
    Attribution {
        subject: String,
        kind: ExperimentEventKind,
        value_cents: i64,
    },
    /// A search and how many results it found.
    Search {
        query: String,
        results: i64,
        user_id: Option<i64>,
    },
}

/// What the queue carries: a record, or a request to write what is queued now.
#[derive(Debug)]
enum Message {
    Record(Record),
    Flush(tokio::sync::oneshot::Sender<()>),
}

/// The queue's sending side (cheap to clone).
#[derive(Debug, Clone)]
pub struct Recorder {
    tx: mpsc::UnboundedSender<Message>,
    /// Ends the writer's batch window early: a flush is waiting.
    flush_now: Arc<Notify>,
}

/// How long queued writes wait at most, and how many are written at once at most.
const FLUSH_EVERY: Duration = Duration::from_millis(250);
const MAX_BATCH: usize = 10_000;
/// Records kept for another try while the database is unavailable, at most.
pub const MAX_PENDING: usize = 200_000;
/// How often kept records are tried again.
const RETRY_EVERY: Duration = Duration::from_secs(1);

/// The writer task; [`finish`](RecorderTask::finish) stops taking records, writes what is
/// queued and waits for it.
#[derive(Debug)]
pub struct RecorderTask {
    stop: tokio::sync::oneshot::Sender<()>,
    task: JoinHandle<()>,
}

impl RecorderTask {
    pub async fn finish(self) {
        let _ = self.stop.send(());
        let _ = self.task.await;
    }
}

impl Recorder {
    /// A recorder and its writer task.
    pub fn start(store: Store) -> (Recorder, RecorderTask) {
        let (tx, rx) = mpsc::unbounded_channel();
        let (stop, stopped) = tokio::sync::oneshot::channel();
        let flush_now = Arc::new(Notify::new());
        let task = tokio::spawn(write_loop(store, rx, stopped, Arc::clone(&flush_now)));
        (Recorder { tx, flush_now }, RecorderTask { stop, task })
    }

    /// Writes everything queued before this call, and returns when it is written.
    pub async fn flush(&self) {
        let (done, written) = tokio::sync::oneshot::channel();
        if self.tx.send(Message::Flush(done)).is_ok() {
            self.flush_now.notify_one();
            let _ = written.await;
        }
    }

    pub fn record(&self, record: Record) {
        if self.tx.send(Message::Record(record)).is_err() {
            // only after shutdown began: the writer has stopped taking records
            metrics::counter!("recsys_recorder_dropped_total").increment(1);
        }
    }
}

async fn write_loop(
    store: Store,
    mut rx: mpsc::UnboundedReceiver<Message>,
    mut stopped: tokio::sync::oneshot::Receiver<()>,
    flush_now: Arc<Notify>,
) {
    let mut batch = Vec::new();
    let mut waiting = Vec::new();
    let mut stopping = false;
    // a flush request ends the batch at once; the others wait in `waiting` until it is written
    let take = |m: Message, batch: &mut Vec<Record>, waiting: &mut Vec<_>| match m {
        Message::Record(r) => {
            batch.push(r);
            false
        }
        Message::Flush(done) => {
            waiting.push(done);
            true
        }
    };
    // what met an unavailable database, oldest first: tried again before the next batch
    let mut pending: Vec<Record> = Vec::new();
    while !stopping {
        // wait for the first message of a batch, then out the batch window, not polling the
        // queue meanwhile (so pushes do not wake this task); a flush or the stop ends it early;
        // kept records are tried again after a pause even when nothing new comes
        tokio::select! {
            _ = tokio::time::sleep(RETRY_EVERY), if !pending.is_empty() => {}
            first = rx.recv() => match first {
                Some(m) => {
                    if !take(m, &mut batch, &mut waiting) {
                        tokio::select! {
                            _ = tokio::time::sleep(FLUSH_EVERY) => {}
                            _ = flush_now.notified() => {}
                            _ = &mut stopped => stopping = true,
                        }
                    }
                }
                None => stopping = true,
            },
            _ = &mut stopped => stopping = true,
        }
        if stopping {
            // take no more; what is queued is still written
            rx.close();
            while let Some(m) = rx.recv().await {
                take(m, &mut batch, &mut waiting);
            }
        } else {
            while let Ok(m) = rx.try_recv() {
                take(m, &mut batch, &mut waiting);
            }
        }
        let mut records = std::mem::take(&mut pending);
        records.append(&mut batch);
        metrics::gauge!("recsys_recorder_batch").set(records.len() as f64);
        for chunk in records.chunks(MAX_BATCH) {
            if !pending.is_empty() {
                // the database was unavailable a moment ago: keep the rest for the next try
                pending.extend_from_slice(chunk);
                continue;
            }
            pending = flush(&store, chunk.to_vec()).await;
        }
        if pending.len() > MAX_PENDING {
            let dropped = pending.len() - MAX_PENDING;
            pending.drain(..dropped);
            metrics::counter!("recsys_recorder_dropped_total").increment(dropped as u64);
            tracing::error!(
                dropped,
                kept = MAX_PENDING,
                "the database is unavailable: the oldest queued impressions, clicks and searches \
                 were dropped"
            );
        }
        metrics::gauge!("recsys_recorder_pending").set(pending.len() as f64);
        if stopping && !pending.is_empty() {
            metrics::counter!("recsys_recorder_dropped_total").increment(pending.len() as u64);
            tracing::error!(
                dropped = pending.len(),
                "stopping while the database is unavailable: queued records were not written"
            );
        }
        for done in waiting.drain(..) {
            let _ = done.send(());
        }
    }
    tracing::info!("recorder drained");
}

/// Writes a batch: the records that met an unavailable database come back, to be tried again
/// (once the database is found unavailable the rest is not tried); any other failure is logged.
async fn flush(store: &Store, batch: Vec<Record>) -> Vec<Record> {
    let mut unwritten = Vec::new();
    let unavailable = |e: &StoreError| matches!(e, StoreError::Unavailable(_));
    let mut impressions: HashMap<(i64, String), (i64, i64)> = HashMap::new();
    let mut searches = Vec::new();
    let mut experiment_events = Vec::new();
    let mut attributions = Vec::new();
    for r in batch {
        match r {
            Record::Impressions {
                model_version_id,
                placement,
                count,
            } => {
                impressions
                    .entry((model_version_id, placement))
                    .or_default()
                    .0 += count
            }
            Record::Click {
                model_version_id,
                placement,
            } => {
                impressions
                    .entry((model_version_id, placement))
                    .or_default()
                    .1 += 1
            }
            Record::Search {
                query,
                results,
                user_id,
            } => searches.push((query, results, user_id)),
            Record::Experiment(e) => experiment_events.push(e),
            Record::Attribution {
                subject,
                kind,
                value_cents,
            } => attributions.push((subject, kind, value_cents)),
        }
    }
    // clicks first: a purchase in the same batch is attributed to a click written before it
    if !experiment_events.is_empty() {
        match store.record_experiment_events(&experiment_events).await {
            Err(e) if unavailable(&e) => {
                unwritten.extend(experiment_events.into_iter().map(Record::Experiment))
            }
            Err(e) => {
                tracing::warn!(error = %e, n = experiment_events.len(), "experiment events not recorded")
            }
            Ok(_) => {}
        }
    }
    for (subject, kind, value_cents) in attributions {
        if !unwritten.is_empty() {
            unwritten.push(Record::Attribution {
                subject,
                kind,
                value_cents,
            });
            continue;
        }
        match store
            .attribute_to_experiments(&subject, kind, value_cents)
            .await
        {
            Err(e) if unavailable(&e) => unwritten.push(Record::Attribution {
                subject,
                kind,
                value_cents,
            }),
            Err(e) => tracing::warn!(error = %e, subject, "experiment attribution not recorded"),
            Ok(_) => {}
        }
    }
    let at = now_ms();
    for ((version, placement), (shown, clicked)) in impressions {
        let mut shown_written = shown == 0;
        if !shown_written && unwritten.is_empty() {
            match store
                .record_impressions(version, &placement, shown, at)
                .await
            {
                Err(e) if unavailable(&e) => {}
                Err(e) => {
                    shown_written = true; // not to be tried again
                    tracing::warn!(error = %e, version, placement, "impressions not recorded")
                }
                Ok(_) => shown_written = true,
            }
        }
        if !shown_written {
            unwritten.push(Record::Impressions {
                model_version_id: version,
                placement: placement.clone(),
                count: shown,
            });
        }
        let mut clicks_written = clicked == 0;
        if !clicks_written && unwritten.is_empty() {
            match store.record_clicks(version, &placement, clicked, at).await {
                Err(e) if unavailable(&e) => {}
                Err(e) => {
                    clicks_written = true;
                    tracing::warn!(error = %e, version, placement, "clicks not recorded")
                }
                Ok(_) => clicks_written = true,
            }
        }
        if !clicks_written {
            unwritten.extend((0..clicked).map(|_| Record::Click {
                model_version_id: version,
                placement: placement.clone(),
            }));
        }
    }
    for (query, results, user_id) in searches {
        if unwritten.is_empty() {
            match store.record_search(&query, results, user_id).await {
                Err(e) if unavailable(&e) => {}
                Err(e) => {
                    tracing::warn!(error = %e, "search not recorded");
                    continue;
                }
                Ok(_) => continue,
            }
        }
        unwritten.push(Record::Search {
            query,
            results,
            user_id,
        });
    }
    if !unwritten.is_empty() {
        tracing::warn!(
            kept = unwritten.len(),
            "the database is unavailable: impressions, clicks and searches kept for the next try"
        );
    }
    unwritten
}
