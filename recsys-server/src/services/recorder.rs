//! Writes that must not slow a request down: recommendation impressions and clicks, and search
//! analytics. Requests queue them; one task writes them in batches (impressions summed per model
//! version and placement) at most a quarter second later. On shutdown the queue is closed and
//! drained before the process exits, so nothing queued is lost on a clean stop.
//!
//! Queueing a record is one push onto a channel and never wakes the writer while it waits out a
//! batch window: it drains the queue when the window ends (or a flush asks, or the stop), so a
//! busy server pays one task wake-up per batch, not one per request.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use recsys_store::{ExperimentEvent, ExperimentEventKind, Store, now_ms};
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
    while !stopping {
        // wait for the first message of a batch, then out the batch window, not polling the
        // queue meanwhile (so pushes do not wake this task); a flush or the stop ends it early
        tokio::select! {
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
        metrics::gauge!("recsys_recorder_batch").set(batch.len() as f64);
        for chunk in std::mem::take(&mut batch).chunks(MAX_BATCH) {
            flush(&store, chunk.to_vec()).await;
        }
        for done in waiting.drain(..) {
            let _ = done.send(());
        }
    }
    tracing::info!("recorder drained");
}

async fn flush(store: &Store, batch: Vec<Record>) {
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
    if let Err(e) = store.record_experiment_events(&experiment_events).await {
        tracing::warn!(error = %e, n = experiment_events.len(), "experiment events not recorded");
    }
    for (subject, kind, value_cents) in attributions {
        if let Err(e) = store
            .attribute_to_experiments(&subject, kind, value_cents)
            .await
        {
            tracing::warn!(error = %e, subject, "experiment attribution not recorded");
        }
    }
    let at = now_ms();
    for ((version, placement), (shown, clicked)) in impressions {
        if shown > 0
            && let Err(e) = store
                .record_impressions(version, &placement, shown, at)
                .await
        {
            tracing::warn!(error = %e, version, placement, "impressions not recorded");
        }
        if clicked > 0
            && let Err(e) = store.record_clicks(version, &placement, clicked, at).await
        {
            tracing::warn!(error = %e, version, placement, "clicks not recorded");
        }
    }
    for (query, results, user_id) in searches {
        if let Err(e) = store.record_search(&query, results, user_id).await {
            tracing::warn!(error = %e, "search not recorded");
        }
    }
}
