//! `recsys-server import`: a shop's files into the store, in two passes. The first reads every
//! file and checks every row (fields, duplicate keys, references to records in the database or
//! in the files of the same run, category cycles) without writing; a file with a bad row is
//! refused whole unless `--skip-invalid` says to write the good rows. The second reads the files
//! again and writes them in batches, each one transaction of upserts by the shop's keys, so
//! memory does not grow with a file, and a run killed at any moment leaves whole batches behind:
//! the same command run again ends in the same state with nothing written twice.

use std::collections::{HashMap, HashSet};
use std::io::{IsTerminal, Write};
use std::path::PathBuf;
use std::time::Instant;

use recsys_store::bulk::{CategoryRecord, Counts, KeyKind, OrderRecord};
use recsys_store::{NewAuditEntry, Store, StoreError};
use serde::Serialize;
use serde_json::{Value, json};

use super::formats::{self, Format, Location, Row, Rows};
use super::records::{self, Entity, FieldError};

/// How many problems a refused run lists (all are counted).
pub const MAX_LISTED_PROBLEMS: usize = 50;
/// Rows checked against the database at once (references), and events written per batch.
const CHECK_CHUNK: usize = 5000;
/// Records per write transaction of products, customers and orders.
const WRITE_BATCH: usize = 1000;

/// One file of an import.
#[derive(Debug, Clone)]
pub struct ImportFile {
    pub entity: Entity,
    pub location: Location,
    pub format: Format,
}

/// How to import.
#[derive(Debug, Clone, Default)]
pub struct ImportOptions {
    /// Check everything, write nothing.
    pub dry_run: bool,
    /// Write the good rows and put each bad one with its reason in this file (JSON Lines).
    pub skip_invalid: Option<PathBuf>,
    /// Unlist the active products that the products file does not name.
    pub deactivate_missing: bool,
    /// Show a progress line on standard error.
    pub progress: bool,
}

/// A row that cannot be imported: where it is and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Problem {
    pub file: String,
    pub line: u64,
    pub field: String,
    pub message: String,
}

impl std::fmt::Display for Problem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{}:{}: {}: {}",
            self.file, self.line, self.field, self.message
        )
    }
}

/// What one entity's file did.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct EntityReport {
    pub file: String,
    pub rows: u64,
    pub created: u64,
    pub updated: u64,
    pub unchanged: u64,
    /// Rows (for orders: orders) not written because they are bad.
    pub refused: u64,
    /// Products unlisted by `--deactivate-missing`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub deactivated: Option<u64>,
}

/// The outcome of a run.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct ImportReport {
    /// `done`, `dry_run` (checked, nothing written) or `refused` (bad rows, nothing written).
    pub status: &'static str,
    pub entities: std::collections::BTreeMap<&'static str, EntityReport>,
    /// How many problems were found in all.
    pub problems_found: u64,
    /// The first [`MAX_LISTED_PROBLEMS`] of them.
    pub problems: Vec<Problem>,
    pub seconds: f64,
}

/// Why a run could not be carried out at all.
#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    /// The command's words or files are not usable (exit code 2).
    #[error("{0}")]
    Usage(String),
    /// A file could not be read or written (exit code 1).
    #[error("{0}")]
    Io(String),
    /// The database failed (exit code 1). What was written before stays; run it again.
    #[error("{context}: {source}")]
    Store {
        context: String,
        #[source]
        source: StoreError,
    },
}

fn store_error(context: impl Into<String>) -> impl FnOnce(StoreError) -> ImportError {
    let context = context.into();
    move |source| ImportError::Store { context, source }
}

/// Keys of valid records of this run, by kind: what later files may name before the database
/// has them.
#[derive(Default)]
struct RunKeys(HashMap<KeyKind, HashSet<String>>);

impl RunKeys {
    fn add(&mut self, kind: KeyKind, key: &str) {
        self.0.entry(kind).or_default().insert(key.to_string());
    }
    fn remove(&mut self, kind: KeyKind, key: &str) {
        if let Some(set) = self.0.get_mut(&kind) {
            set.remove(key);
        }
    }
    fn has(&self, kind: KeyKind, key: &str) -> bool {
        self.0.get(&kind).is_some_and(|s| {
            s.contains(key) || (kind == KeyKind::Customer && s.contains(&key.to_lowercase()))
        })
    }
}

/// What the first pass learned about a file: the rows (or orders) to leave out.
#[derive(Default)]
struct Checked {
    rows: u64,
    rejected_lines: HashSet<u64>,
    rejected_orders: HashSet<String>,
    refused: u64,
    /// Every sku a products file names (for `--deactivate-missing`).
    named: HashSet<String>,
    /// Categories, valid ones in the order they can be written (parents first).
    categories: Vec<CategoryRecord>,
}

/// Collects problems: counts them all, keeps the first few, and writes each rejected row with
/// its reason to the `--skip-invalid` file.
struct Problems {
    found: u64,
    listed: Vec<Problem>,
    rejects: Option<(PathBuf, std::io::BufWriter<std::fs::File>)>,
}

impl Problems {
    fn add(&mut self, problem: Problem, row: Option<&Value>) -> Result<(), ImportError> {
        self.found += 1;
        if let Some((path, out)) = &mut self.rejects {
            let line = json!({
                "file": problem.file, "line": problem.line, "field": problem.field,
                "error": problem.message, "row": row.cloned().unwrap_or(Value::Null),
            });
            writeln!(out, "{line}")
                .map_err(|e| ImportError::Io(format!("{}: {e}", path.display())))?;
        }
        if self.listed.len() < MAX_LISTED_PROBLEMS {
            self.listed.push(problem);
        }
        Ok(())
    }
}

/// A row waiting for its references to be checked against the database.
struct Pending {
    line: u64,
    /// The key this row adds to the run (removed again if the row is refused).
    own: Option<(KeyKind, String)>,
    /// The order this row is a line of.
    order: Option<String>,
    refs: Vec<(&'static str, KeyKind, String)>,
    row: Option<Value>,
}

/// A progress line on standard error, at most four times a second.
struct Progress {
    on: bool,
    started: Instant,
    last: Instant,
}

impl Progress {
    fn new(on: bool) -> Progress {
        Progress {
            on,
            started: Instant::now(),
            last: Instant::now(),
        }
    }

    fn show(&mut self, what: &str, rows: u64, done: u64, size: Option<u64>) {
        if !self.on || self.last.elapsed().as_millis() < 250 {
            return;
        }
        self.last = Instant::now();
        let secs = self.started.elapsed().as_secs_f64().max(1e-3);
        let rate = rows as f64 / secs;
        let eta = match size {
            Some(size) if done > 0 && size >= done => {
                let left = secs * (size - done) as f64 / done as f64;
                format!(
                    ", {:.0}%, ETA {left:.0} s",
                    100.0 * done as f64 / size as f64
                )
            }
            _ => String::new(),
        };
        eprint!("\r\x1b[2K  {what}: {rows} rows, {rate:.0} rows/s{eta}");
    }

    fn restart(&mut self) {
        if self.on {
            eprint!("\r\x1b[2K");
        }
        self.started = Instant::now();
    }
}

/// Runs an import. A refused run (bad rows without `--skip-invalid`) returns its report with
/// status `refused` and writes nothing.
pub async fn run(
    store: &Store,
    files: &[ImportFile],
    options: &ImportOptions,
) -> Result<ImportReport, ImportError> {
    let started = Instant::now();
    let files = prepare(files)?;
    let rejects = match &options.skip_invalid {
        None => None,
        Some(path) => Some((
            path.clone(),
            std::io::BufWriter::new(
                std::fs::File::create(path)
                    .map_err(|e| ImportError::Io(format!("{}: {e}", path.display())))?,
            ),
        )),
    };
    let mut problems = Problems {
        found: 0,
        listed: Vec::new(),
        rejects,
    };
    let mut keys = RunKeys::default();
    let mut progress = Progress::new(options.progress);
    let mut checked = Vec::new();
    for file in &files {
        progress.restart();
        let c = check_file(
            store,
            file,
            &mut keys,
            &mut problems,
            options,
            &mut progress,
        )
        .await?;
        checked.push(c);
    }
    progress.restart();
    if let Some((path, mut out)) = problems.rejects.take() {
        out.flush()
            .map_err(|e| ImportError::Io(format!("{}: {e}", path.display())))?;
    }
    let mut report = ImportReport {
        status: "done",
        problems_found: problems.found,
        problems: problems.listed,
        ..Default::default()
    };
    for (file, c) in files.iter().zip(&checked) {
        report.entities.insert(
            file.entity.name(),
            EntityReport {
                file: file.name.clone(),
                rows: c.rows,
                refused: c.refused,
                ..Default::default()
            },
        );
    }
    if report.problems_found > 0 && options.skip_invalid.is_none() {
        report.status = "refused";
    } else if options.dry_run {
        report.status = "dry_run";
    } else {
        for (file, c) in files.iter().zip(&checked) {
            progress.restart();
            let (counts, deactivated) = write_file(store, file, c, options, &mut progress).await?;
            let e = report
                .entities
                .get_mut(file.entity.name())
                .expect("reported");
            (e.created, e.updated, e.unchanged, e.deactivated) = (
                counts.created,
                counts.updated,
                counts.unchanged,
                deactivated,
            );
        }
        progress.restart();
        store
            .append_audit(&NewAuditEntry {
                actor_id: None,
                api_key_id: None,
                client_addr: None,
                action: "import.run".into(),
                target_type: "import".into(),
                target_id: None,
                before: None,
                after: Some(json!({
                    "entities": report.entities,
                    "skip_invalid": options.skip_invalid.is_some(),
                    "deactivate_missing": options.deactivate_missing,
                })),
            })
            .await
            .map_err(store_error("the audit log"))?;
    }
    report.seconds = started.elapsed().as_secs_f64();
    Ok(report)
}

/// A file ready to be read twice: standard input is copied to a temporary file first.
struct Prepared {
    entity: Entity,
    path: PathBuf,
    name: String,
    format: Format,
    _spool: Option<Spool>,
}

/// A temporary copy of standard input, removed when dropped.
struct Spool(PathBuf);

impl Drop for Spool {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}

fn prepare(files: &[ImportFile]) -> Result<Vec<Prepared>, ImportError> {
    check_locations(files.iter().map(|f| &f.location), "import")?;
    let mut seen = HashSet::new();
    let mut out = Vec::new();
    for entity in Entity::ALL {
        for f in files.iter().filter(|f| f.entity == entity) {
            if !seen.insert(entity) {
                return Err(ImportError::Usage(format!(
                    "{} is named twice: one file per entity",
                    entity.name()
                )));
            }
            let (path, spool) = match &f.location {
                Location::Path(p) => {
                    if !p.is_file() {
                        return Err(ImportError::Usage(format!("{}: no such file", p.display())));
                    }
                    (p.clone(), None)
                }
                Location::Std => {
                    let path = std::env::temp_dir().join(format!(
                        "recsys-import-{}-{}.stdin",
                        std::process::id(),
                        entity.name()
                    ));
                    let spool = Spool(path.clone());
                    let mut file = std::fs::File::create(&path)
                        .map_err(|e| ImportError::Io(format!("{}: {e}", path.display())))?;
                    std::io::copy(&mut std::io::stdin().lock(), &mut file)
                        .map_err(|e| ImportError::Io(format!("standard input: {e}")))?;
                    (path, Some(spool))
                }
            };
            out.push(Prepared {
                entity,
                path,
                name: f.location.name("stdin"),
                format: f.format,
                _spool: spool,
            });
        }
    }
    Ok(out)
}

fn open_rows(file: &Prepared) -> Result<(Rows, Option<u64>, formats::BytesRead), ImportError> {
    let (reader, size, read) = formats::open(&file.path)
        .map_err(|e| ImportError::Io(format!("{}: {e}", file.path.display())))?;
    let rows = Rows::new(reader, file.format)
        .map_err(|e| ImportError::Io(format!("{}:{}: {}", file.name, e.line, e.message)))?;
    Ok((rows, size, read))
}

/// The first pass over one file.
async fn check_file(
    store: &Store,
    file: &Prepared,
    keys: &mut RunKeys,
    problems: &mut Problems,
    options: &ImportOptions,
    progress: &mut Progress,
) -> Result<Checked, ImportError> {
    let (mut rows, size, read) = open_rows(file)?;
    let mut checked = Checked::default();
    let header = rows.header();
    if let Some(e) = file
        .entity
        .unknown_field(&header.iter().map(String::as_str).collect::<Vec<_>>())
    {
        return Err(ImportError::Usage(format!(
            "{}:1: {}: {}",
            file.name, e.field, e.message
        )));
    }
    let keep_rows = options.skip_invalid.is_some();
    let mut seen_keys: HashSet<String> = HashSet::new();
    let mut seen_emails: HashSet<String> = HashSet::new();
    let mut orders_done: HashMap<String, u64> = HashMap::new();
    let mut current_order: Option<(String, OrderRecord)> = None;
    let mut pending: Vec<Pending> = Vec::new();
    let mut categories: Vec<(u64, CategoryRecord)> = Vec::new();
    let problem = |line: u64, e: FieldError| Problem {
        file: file.name.clone(),
        line,
        field: e.field,
        message: e.message,
    };
    while let Some(row) = rows.next_row() {
        let row = match row {
            Ok(row) => row,
            Err(e) => {
                checked.rows += 1;
                let e = problem(
                    e.line,
                    FieldError {
                        field: "row".into(),
                        message: e.message,
                    },
                );
                reject(&mut checked, problems, e, None, None)?;
                continue;
            }
        };
        checked.rows += 1;
        progress.show(
            &format!("checking {}", file.name),
            checked.rows,
            read.get(),
            size,
        );
        let line = row.line;
        let json_row = keep_rows.then(|| row.to_json());
        if file.format == Format::Jsonl
            && let Some(e) = file.entity.unknown_field(&row.names())
        {
            reject(
                &mut checked,
                problems,
                problem(line, e),
                json_row.as_ref(),
                None,
            )?;
            continue;
        }
        let parsed = parse_row(file.entity, &row);
        if file.entity == Entity::Products
            && let Some(sku) = row.get("sku")
        {
            checked.named.insert(sku.into_owned());
        }
        let item = match parsed {
            Ok(item) => item,
            Err(e) => {
                let order = (file.entity == Entity::Orders)
                    .then(|| row.get("external_id").map(|k| k.into_owned()))
                    .flatten();
                reject(
                    &mut checked,
                    problems,
                    problem(line, e),
                    json_row.as_ref(),
                    order,
                )?;
                continue;
            }
        };
        let mut p = Pending {
            line,
            own: None,
            order: None,
            refs: Vec::new(),
            row: json_row,
        };
        let twice = |field: &str, key: &str| FieldError {
            field: field.into(),
            message: format!("'{key}' appears more than once in the file"),
        };
        // what the row adds to the run, or why (and for which order) it is refused
        let admitted: Result<(), (FieldError, Option<String>)> = match item {
            Item::Category(c) if !seen_keys.insert(c.key.clone()) => {
                Err((twice("key", &c.key), None))
            }
            Item::Category(c) => {
                categories.push((line, c));
                continue;
            }
            Item::Product(r) if !seen_keys.insert(r.sku.clone()) => {
                Err((twice("sku", &r.sku), None))
            }
            Item::Product(r) => {
                if let Some(c) = &r.category {
                    p.refs.push(("category", KeyKind::Category, c.clone()));
                }
                p.own = Some((KeyKind::Product, r.sku));
                Ok(())
            }
            Item::Customer(r) => {
                // the importer's customers always have an address (records::customer)
                let email = r.email.as_deref().unwrap_or_default().trim().to_lowercase();
                let key = r.key();
                if !seen_keys.insert(key.clone()) {
                    Err((twice("external_id", &key), None))
                } else if !seen_emails.insert(email.clone()) {
                    Err((twice("email", &email), None))
                } else {
                    keys.add(KeyKind::Customer, &key);
                    keys.add(KeyKind::Customer, &email);
                    Ok(())
                }
            }
            Item::Order(r) => {
                let key = r.external_id.clone();
                let same_order = current_order.as_ref().filter(|(k, _)| *k == key);
                let message = match (same_order, orders_done.get(&key)) {
                    (Some((_, first)), _)
                        if (&first.customer, first.status, first.created_at)
                            != (&r.customer, r.status, r.created_at) =>
                    {
                        Some(format!(
                            "the lines of order '{key}' disagree on its customer, status or time"
                        ))
                    }
                    (Some(_), _) => None,
                    (None, Some(first)) => Some(format!(
                        "the lines of order '{key}' are not together: it started at line {first}"
                    )),
                    (None, None) => {
                        orders_done.insert(key.clone(), line);
                        p.refs
                            .push(("customer", KeyKind::Customer, r.customer.clone()));
                        None
                    }
                };
                p.refs.extend(
                    r.lines
                        .iter()
                        .map(|l| ("sku", KeyKind::Product, l.sku.clone())),
                );
                p.order = Some(key.clone());
                if current_order.as_ref().is_none_or(|(k, _)| *k != key) {
                    current_order = Some((key.clone(), r));
                }
                match message {
                    Some(message) => Err((
                        FieldError {
                            field: "external_id".into(),
                            message,
                        },
                        Some(key),
                    )),
                    None => Ok(()),
                }
            }
            Item::Event(r) => {
                p.refs.push(("customer", KeyKind::Customer, r.customer));
                p.refs.push(("sku", KeyKind::Product, r.sku));
                Ok(())
            }
        };
        if let Err((e, order)) = admitted {
            reject(
                &mut checked,
                problems,
                problem(line, e),
                p.row.as_ref(),
                order,
            )?;
            continue;
        }
        if let Some((kind, key)) = &p.own {
            keys.add(*kind, key);
        }
        pending.push(p);
        if pending.len() >= CHECK_CHUNK {
            check_references(store, file, &mut pending, keys, &mut checked, problems).await?;
        }
    }
    check_references(store, file, &mut pending, keys, &mut checked, problems).await?;
    if file.entity == Entity::Categories {
        checked.categories =
            check_categories(store, file, categories, keys, &mut checked, problems).await?;
    }
    // an order refused by one of its lines is refused whole: count orders, not lines
    checked.refused += checked.rejected_orders.len() as u64;
    Ok(checked)
}

fn reject(
    checked: &mut Checked,
    problems: &mut Problems,
    problem: Problem,
    row: Option<&Value>,
    order: Option<String>,
) -> Result<(), ImportError> {
    checked.rejected_lines.insert(problem.line);
    match order {
        Some(order) => {
            checked.rejected_orders.insert(order);
        }
        None => checked.refused += 1,
    }
    problems.add(problem, row)
}

enum Item {
    Category(CategoryRecord),
    Product(recsys_store::bulk::ProductRecord),
    Customer(recsys_store::bulk::CustomerRecord),
    Order(OrderRecord),
    Event(recsys_store::bulk::EventRecord),
}

fn parse_row(entity: Entity, row: &Row) -> Result<Item, FieldError> {
    Ok(match entity {
        Entity::Categories => Item::Category(records::category(row)?),
        Entity::Products => Item::Product(records::product(row)?),
        Entity::Customers => Item::Customer(records::customer(row)?),
        Entity::Orders => Item::Order(records::order_row(row)?),
        Entity::Events => Item::Event(records::event(row)?),
    })
}

/// Checks the references of the pending rows: each key must be a valid record of this run or
/// stored in the database. A row with an unknown one is refused (and its own key withdrawn).
async fn check_references(
    store: &Store,
    file: &Prepared,
    pending: &mut Vec<Pending>,
    keys: &mut RunKeys,
    checked: &mut Checked,
    problems: &mut Problems,
) -> Result<(), ImportError> {
    let mut asked: HashMap<KeyKind, HashSet<&str>> = HashMap::new();
    for p in pending.iter() {
        for (_, kind, key) in &p.refs {
            if !keys.has(*kind, key) {
                asked.entry(*kind).or_default().insert(key);
            }
        }
    }
    let mut stored: HashMap<KeyKind, HashSet<String>> = HashMap::new();
    for (kind, wanted) in asked {
        let wanted: Vec<&str> = wanted.into_iter().collect();
        let found = store
            .existing_keys(kind, &wanted)
            .await
            .map_err(store_error(format!("{}: checking references", file.name)))?;
        stored.insert(kind, found);
    }
    for p in pending.drain(..) {
        let missing = p.refs.iter().find(|(_, kind, key)| {
            !keys.has(*kind, key) && !stored.get(kind).is_some_and(|s| s.contains(key))
        });
        let Some((field, kind, key)) = missing else {
            continue;
        };
        let what = match kind {
            KeyKind::Category => "category has the key",
            KeyKind::Product => "product has the sku",
            KeyKind::Customer => "customer has the external_id or e-mail",
            KeyKind::Order => "order has the external_id",
        };
        let e = Problem {
            file: file.name.clone(),
            line: p.line,
            field: field.to_string(),
            message: format!("no {what} '{key}' (in the database or in this import)"),
        };
        if let Some((kind, key)) = &p.own {
            keys.remove(*kind, key);
        }
        reject(checked, problems, e, p.row.as_ref(), p.order.clone())?;
    }
    Ok(())
}

/// Checks the categories of a file as a whole (parents known, no cycle with each other or with
/// the stored ones) and orders the valid ones parents first.
async fn check_categories(
    store: &Store,
    file: &Prepared,
    rows: Vec<(u64, CategoryRecord)>,
    keys: &mut RunKeys,
    checked: &mut Checked,
    problems: &mut Problems,
) -> Result<Vec<CategoryRecord>, ImportError> {
    let stored = store
        .export_categories()
        .await
        .map_err(store_error(format!(
            "{}: reading the categories",
            file.name
        )))?;
    // the tree after this import: stored parents, then the file's
    let mut parent: HashMap<String, Option<String>> =
        stored.into_iter().map(|c| (c.key, c.parent)).collect();
    for (_, c) in &rows {
        parent.insert(c.key.clone(), c.parent.clone());
    }
    let mut bad: HashMap<String, (u64, FieldError)> = HashMap::new();
    for (line, c) in &rows {
        if let Some(p) = &c.parent
            && !parent.contains_key(p)
        {
            bad.insert(
                c.key.clone(),
                (
                    *line,
                    FieldError {
                        field: "parent".into(),
                        message: format!(
                            "no category has the key '{p}' (in the database or in this import)"
                        ),
                    },
                ),
            );
            continue;
        }
        // walk up: reaching the start again is a cycle
        let mut at = c.parent.clone();
        let mut steps = 0;
        while let Some(p) = at {
            if p == c.key || steps > parent.len() {
                bad.insert(
                    c.key.clone(),
                    (
                        *line,
                        FieldError {
                            field: "parent".into(),
                            message: format!(
                                "'{}' is below '{}' already: the categories would make a cycle",
                                c.parent.as_deref().unwrap_or_default(),
                                c.key
                            ),
                        },
                    ),
                );
                break;
            }
            at = parent.get(&p).cloned().flatten();
            steps += 1;
        }
    }
    // a category under a refused one is refused too
    loop {
        let more: Vec<(String, u64, String)> = rows
            .iter()
            .filter(|(_, c)| !bad.contains_key(&c.key))
            .filter_map(|(line, c)| {
                let p = c.parent.as_ref()?;
                bad.contains_key(p)
                    .then(|| (c.key.clone(), *line, p.clone()))
            })
            .collect();
        if more.is_empty() {
            break;
        }
        for (key, line, p) in more {
            bad.insert(
                key,
                (
                    line,
                    FieldError {
                        field: "parent".into(),
                        message: format!("its parent '{p}' is refused"),
                    },
                ),
            );
        }
    }
    let mut refused: Vec<(u64, CategoryRecord, FieldError)> = Vec::new();
    let mut good = Vec::new();
    for (line, c) in rows {
        match bad.remove(&c.key) {
            Some((_, e)) => refused.push((line, c, e)),
            None => good.push(c),
        }
    }
    for (line, c, e) in refused {
        reject(
            checked,
            problems,
            Problem {
                file: file.name.clone(),
                line,
                field: e.field,
                message: e.message,
            },
            Some(&json!({"key": c.key, "name": c.name, "parent": c.parent})),
            None,
        )?;
    }
    // parents first, otherwise in the file's order
    let mut written: HashSet<String> = HashSet::new();
    let in_file: HashSet<String> = good.iter().map(|c| c.key.clone()).collect();
    let mut out = Vec::with_capacity(good.len());
    let mut left = good;
    while !left.is_empty() {
        let (ready, rest): (Vec<_>, Vec<_>) = left.into_iter().partition(|c| {
            c.parent
                .as_ref()
                .is_none_or(|p| !in_file.contains(p) || written.contains(p))
        });
        if ready.is_empty() {
            break; // a cycle: refused above, cannot happen
        }
        for c in ready {
            written.insert(c.key.clone());
            keys.add(KeyKind::Category, &c.key);
            out.push(c);
        }
        left = rest;
    }
    Ok(out)
}

/// The second pass over one file: writes its valid rows in batches.
async fn write_file(
    store: &Store,
    file: &Prepared,
    checked: &Checked,
    options: &ImportOptions,
    progress: &mut Progress,
) -> Result<(Counts, Option<u64>), ImportError> {
    let context = |line: u64| format!("{}: writing the rows up to line {line}", file.name);
    if file.entity == Entity::Categories {
        let counts = store
            .upsert_categories(&checked.categories)
            .await
            .map_err(store_error(format!("{}: writing", file.name)))?;
        return Ok((counts, None));
    }
    let (mut rows, size, read) = open_rows(file)?;
    let mut counts = Counts::default();
    let mut batch: Vec<Item> = Vec::new();
    let mut order: Option<OrderRecord> = None;
    let mut written = 0u64;
    let mut last_line = 0;
    let batch_size = if file.entity == Entity::Events {
        CHECK_CHUNK
    } else {
        WRITE_BATCH
    };
    while let Some(row) = rows.next_row() {
        let Ok(row) = row else { continue };
        last_line = row.line;
        if checked.rejected_lines.contains(&row.line) {
            continue;
        }
        let item = parse_row(file.entity, &row).map_err(|e| {
            ImportError::Io(format!(
                "{}:{}: {}: {} (the file changed since it was checked)",
                file.name, row.line, e.field, e.message
            ))
        })?;
        written += 1;
        progress.show(&format!("writing {}", file.name), written, read.get(), size);
        match item {
            Item::Order(r) => {
                if checked.rejected_orders.contains(&r.external_id) {
                    continue;
                }
                match &mut order {
                    Some(o) if o.external_id == r.external_id => o.lines.extend(r.lines),
                    _ => {
                        if let Some(done) = order.replace(r) {
                            batch.push(Item::Order(done));
                        }
                    }
                }
            }
            other => batch.push(other),
        }
        if batch.len() >= batch_size {
            counts += write_batch(store, &mut batch)
                .await
                .map_err(store_error(context(last_line)))?;
        }
    }
    if let Some(done) = order.take() {
        batch.push(Item::Order(done));
    }
    counts += write_batch(store, &mut batch)
        .await
        .map_err(store_error(context(last_line)))?;
    let deactivated = if file.entity == Entity::Products && options.deactivate_missing {
        Some(
            store
                .deactivate_products_except(&checked.named)
                .await
                .map_err(store_error("--deactivate-missing"))?,
        )
    } else {
        None
    };
    Ok((counts, deactivated))
}

async fn write_batch(store: &Store, batch: &mut Vec<Item>) -> recsys_store::Result<Counts> {
    if batch.is_empty() {
        return Ok(Counts::default());
    }
    let items = std::mem::take(batch);
    macro_rules! records {
        ($variant:ident) => {
            items
                .into_iter()
                .filter_map(|i| match i {
                    Item::$variant(r) => Some(r),
                    _ => None,
                })
                .collect::<Vec<_>>()
        };
    }
    match &items[0] {
        Item::Category(_) => store.upsert_categories(&records!(Category)).await,
        Item::Product(_) => store.upsert_products(&records!(Product)).await,
        Item::Customer(_) => store.upsert_customers(&records!(Customer)).await,
        Item::Order(_) => store.upsert_orders(&records!(Order)).await,
        Item::Event(_) => store.import_events(&records!(Event)).await,
    }
}

/// The files an `import` or `export` names: at least one, and `-` (standard input or output)
/// for one of them at most.
pub fn check_locations<'a>(
    locations: impl Iterator<Item = &'a Location>,
    command: &str,
) -> Result<(), ImportError> {
    let (mut files, mut std) = (0, 0);
    for location in locations {
        files += 1;
        std += usize::from(*location == Location::Std);
    }
    if files == 0 {
        return Err(ImportError::Usage(format!(
            "nothing to {command}: name at least one file (--products FILE, ...)"
        )));
    }
    if std > 1 {
        let stream = if command == "import" {
            "read from standard input"
        } else {
            "written to standard output"
        };
        return Err(ImportError::Usage(format!(
            "only one file can be {stream} (-)"
        )));
    }
    Ok(())
}

/// The format of a file: from `--format`, or from its name.
pub fn format_of(location: &Location, given: Option<Format>) -> Result<Format, ImportError> {
    match (given, location) {
        (Some(f), _) => Ok(f),
        (None, Location::Path(p)) => Format::of_path(p).ok_or_else(|| {
            ImportError::Usage(format!(
                "{}: the format is not clear from the name (.csv, .jsonl, .ndjson, optionally .gz): give --format",
                p.display()
            ))
        }),
        (None, Location::Std) => Err(ImportError::Usage(
            "standard input (-) needs --format csv or --format jsonl".into(),
        )),
    }
}

/// Whether standard error is a terminal (a progress line is shown there).
pub fn stderr_is_terminal() -> bool {
    std::io::stderr().is_terminal()
}
