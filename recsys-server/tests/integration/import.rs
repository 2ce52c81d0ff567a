//! `recsys-server import` and `export` on both backends: the example shop (examples/shop-data)
//! into an empty database; the same files again (nothing changes); a changed file (exactly the
//! changes); bad files, each refused whole with its message; `--dry-run`; `--skip-invalid`;
//! `--deactivate-missing`; the export round trip to the same bytes; and, against the real
//! binary, an import killed with SIGKILL half-way and run again.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use recsys_server::services::shop_files::export::{self, ExportFile};
use recsys_server::services::shop_files::formats::{Format, Location};
use recsys_server::services::shop_files::import::{self, ImportFile, ImportOptions, ImportReport};
use recsys_server::services::shop_files::records::Entity;
use recsys_store::testing::TestDatabase;
use recsys_store::{AuditFilter, OrderFilter, Page, ProductQuery, Store, UserFilter};

fn example(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../examples/shop-data")
        .join(name)
}

const EXAMPLE: [(Entity, &str); 5] = [
    (Entity::Categories, "categories.csv"),
    (Entity::Products, "products.csv"),
    (Entity::Customers, "customers.csv"),
    (Entity::Orders, "orders.csv"),
    (Entity::Events, "events.jsonl"),
];

fn file(entity: Entity, path: &Path) -> ImportFile {
    ImportFile {
        entity,
        location: Location::Path(path.to_path_buf()),
        format: Format::of_path(path).unwrap(),
    }
}

fn example_files() -> Vec<ImportFile> {
    EXAMPLE.iter().map(|(e, n)| file(*e, &example(n))).collect()
}

/// A scratch folder for the files a test writes.
struct Scratch(PathBuf);

impl Scratch {
    fn new() -> Scratch {
        let dir = std::env::temp_dir().join(recsys_store::testing::unique_name("recsys_import"));
        std::fs::create_dir_all(&dir).unwrap();
        Scratch(dir)
    }
    fn write(&self, name: &str, text: &str) -> PathBuf {
        let path = self.0.join(name);
        std::fs::write(&path, text).unwrap();
        path
    }
    fn path(&self, name: &str) -> PathBuf {
        self.0.join(name)
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// How many rows each table holds: what "nothing written" and "no duplicate" are checked by.
async fn tally(store: &Store) -> BTreeMap<&'static str, i64> {
    let page = Page::new(1, 0);
    BTreeMap::from([
        (
            "categories",
            store.list_categories().await.unwrap().len() as i64,
        ),
        (
            "products",
            store
                .list_products(&ProductQuery::default(), page)
                .await
                .unwrap()
                .total,
        ),
        (
            "customers",
            store
                .list_users(&UserFilter::default(), page)
                .await
                .unwrap()
                .total,
        ),
        (
            "orders",
            store
                .list_orders(&OrderFilter::default(), page)
                .await
                .unwrap()
                .total,
        ),
        ("events", store.count_events().await.unwrap()),
    ])
}

fn counts(report: &ImportReport, entity: &str) -> (u64, u64, u64, u64) {
    let e = &report.entities[entity];
    (e.created, e.updated, e.unchanged, e.refused)
}

async fn import_example(store: &Store) -> ImportReport {
    let report = import::run(store, &example_files(), &ImportOptions::default())
        .await
        .unwrap();
    assert_eq!(report.status, "done", "{:?}", report.problems);
    report
}

async fn the_example_shop_imports_and_a_second_import_changes_nothing(store: Store) {
    let report = import_example(&store).await;
    assert_eq!(counts(&report, "categories"), (10, 0, 0, 0));
    assert_eq!(counts(&report, "products"), (60, 0, 0, 0));
    assert_eq!(counts(&report, "customers"), (42, 0, 0, 0));
    assert_eq!(counts(&report, "orders"), (50, 0, 0, 0));
    assert_eq!(counts(&report, "events"), (1500, 0, 0, 0));
    let before = tally(&store).await;
    // 60 products, 42 customers, 50 orders; each order line is also a purchase event
    let lines = std::fs::read_to_string(example("orders.csv"))
        .unwrap()
        .lines()
        .count() as i64
        - 1;
    assert_eq!(before["events"], 1500 + lines);
    assert_eq!(before["customers"], 42);

    // the tree: phones under tech although the file names phones first
    let cats = store.list_categories().await.unwrap();
    let tech = cats.iter().find(|c| c.slug == "tech").unwrap();
    let phones = cats.iter().find(|c| c.slug == "phones").unwrap();
    assert_eq!(phones.parent_id, Some(tech.id));
    // a decimal price became cents, attributes and the time as given, the last one unlisted
    let p = store.product_by_sku("P0001").await.unwrap().unwrap();
    assert_eq!(p.price_cents, 10910);
    assert_eq!(p.attributes["brand"], "Cobalt");
    assert_eq!(
        p.created_at,
        recsys_store::parse_timestamp("2025-01-01T00:00:00Z").unwrap()
    );
    assert!(!store.product_by_sku("P0060").await.unwrap().unwrap().active);
    // an old platform's bcrypt hash is kept; a customer without one has no password
    let c1 = store
        .user_by_email("customer1@shop.example")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(c1.external_id.as_deref(), Some("C001"));
    assert_eq!(c1.password_hash.unwrap().scheme(), "2b");
    let c3 = store
        .user_by_email("customer3@shop.example")
        .await
        .unwrap()
        .unwrap();
    assert!(c3.password_hash.is_none());
    let c41 = store
        .user_by_email("customer41@shop.example")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(c41.external_id, None);

    let again = import_example(&store).await;
    assert_eq!(counts(&again, "categories"), (0, 0, 10, 0));
    assert_eq!(counts(&again, "products"), (0, 0, 60, 0));
    assert_eq!(counts(&again, "customers"), (0, 0, 42, 0));
    assert_eq!(counts(&again, "orders"), (0, 0, 50, 0));
    assert_eq!(counts(&again, "events"), (0, 0, 1500, 0));
    assert_eq!(tally(&store).await, before);
    // one audit entry per run, with its counts
    let audit = store
        .audit_log(
            &AuditFilter {
                action: Some("import.run".into()),
                ..Default::default()
            },
            Page::new(10, 0),
        )
        .await
        .unwrap();
    assert_eq!(audit.total, 2);
    assert_eq!(
        audit.items[0].after.as_ref().unwrap()["entities"]["products"]["unchanged"],
        60
    );
}

async fn a_changed_file_updates_exactly_what_changed(store: Store) {
    import_example(&store).await;
    let dir = Scratch::new();
    let original = std::fs::read_to_string(example("products.csv")).unwrap();
    let changed: String = original
        .lines()
        .map(|l| {
            if l.starts_with("P0001,") {
                l.replace(",109.10,19,", ",99.00,19,")
            } else if l.starts_with("P0002,") {
                l.replace(",audio,", ",phones,")
                    .replace(",44,true,", ",0,true,")
            } else {
                l.to_string()
            }
        })
        .chain(["P0061,New kettle,,kitchen,5,3,,,".to_string()])
        .collect::<Vec<_>>()
        .join("\n");
    let path = dir.write("products.csv", &changed);
    let report = import::run(
        &store,
        &[file(Entity::Products, &path)],
        &ImportOptions::default(),
    )
    .await
    .unwrap();
    assert_eq!(counts(&report, "products"), (1, 2, 58, 0));
    let p1 = store.product_by_sku("P0001").await.unwrap().unwrap();
    assert_eq!((p1.price_cents, p1.stock), (9900, 19));
    let p2 = store.product_by_sku("P0002").await.unwrap().unwrap();
    let phones = store
        .list_categories()
        .await
        .unwrap()
        .into_iter()
        .find(|c| c.slug == "phones")
        .unwrap();
    assert_eq!((p2.category_id, p2.stock), (Some(phones.id), 0));
    let new = store.product_by_sku("P0061").await.unwrap().unwrap();
    assert_eq!(
        (new.price_cents, new.active, new.description.as_str()),
        (500, true, "")
    );

    // a full catalog file without P0003..: --deactivate-missing unlists the rest
    let path = dir.write(
        "full.csv",
        &changed.lines().take(3).collect::<Vec<_>>().join("\n"),
    );
    let report = import::run(
        &store,
        &[file(Entity::Products, &path)],
        &ImportOptions {
            deactivate_missing: true,
            ..Default::default()
        },
    )
    .await
    .unwrap();
    // P0003..P0059 and P0061 were active; P0060 was unlisted already
    assert_eq!(report.entities["products"].deactivated, Some(58));
    assert!(!store.product_by_sku("P0061").await.unwrap().unwrap().active);
    assert!(store.product_by_sku("P0002").await.unwrap().unwrap().active);

    // an order's status follows the file (every line of the first order says cancelled)
    let text = std::fs::read_to_string(example("orders.csv")).unwrap();
    let first = text
        .lines()
        .nth(1)
        .unwrap()
        .split(',')
        .next()
        .unwrap()
        .to_string();
    let orders: String = text
        .lines()
        .map(|l| {
            let mut cells: Vec<&str> = l.split(',').collect();
            if cells[0] == first {
                cells[2] = "cancelled";
            }
            cells.join(",") + "\n"
        })
        .collect();
    let path = dir.write("orders.csv", &orders);
    let report = import::run(
        &store,
        &[file(Entity::Orders, &path)],
        &ImportOptions::default(),
    )
    .await
    .unwrap();
    let changed = u64::from(!text.lines().nth(1).unwrap().contains(",cancelled,"));
    assert_eq!(counts(&report, "orders"), (0, changed, 50 - changed, 0));
    let cancelled = store
        .list_orders(
            &OrderFilter {
                status: Some(recsys_store::OrderStatus::Cancelled),
                ..Default::default()
            },
            Page::new(100, 0),
        )
        .await
        .unwrap();
    assert!(
        cancelled
            .items
            .iter()
            .any(|o| o.external_id.as_deref() == Some(first.as_str()))
    );

    // a customer named by e-mail only keeps the external id it has; the name follows the file
    let path = dir.write(
        "customers.csv",
        "email,name\nCustomer3@Shop.Example,Renamed\n",
    );
    let report = import::run(
        &store,
        &[file(Entity::Customers, &path)],
        &ImportOptions::default(),
    )
    .await
    .unwrap();
    assert_eq!(counts(&report, "customers"), (0, 1, 0, 0));
    let c3 = store
        .user_by_email("customer3@shop.example")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        (c3.external_id.as_deref(), c3.display_name.as_str()),
        (Some("C003"), "Renamed")
    );
}

/// One bad file: refused whole, with this message first, and nothing written.
async fn refused(store: &Store, entity: Entity, name: &str, text: &str, message: &str) {
    let dir = Scratch::new();
    let path = dir.write(name, text);
    let before = tally(store).await;
    let outcome = import::run(store, &[file(entity, &path)], &ImportOptions::default()).await;
    match outcome {
        Ok(report) => {
            assert_eq!(report.status, "refused", "{name}: {report:?}");
            assert_eq!(report.problems[0].to_string(), message, "{name}");
        }
        Err(e) => assert_eq!(e.to_string(), message, "{name}"),
    }
    assert_eq!(tally(store).await, before, "{name}: something was written");
}

async fn bad_files_are_refused_whole_with_a_message_naming_file_line_and_field(store: Store) {
    import_example(&store).await;
    let products_head = "sku,name,category,price,stock\n";
    let ok = "Z1,Fine,kitchen,1.00,1\n";
    for (text, message) in [
        (
            format!("{products_head}{ok}Z2,Comma,kitchen,\"12,50\",1\n"),
            "products.csv:3: price: \"12,50\" is not a price (a decimal with a dot and at most two decimals, such as 12.50; or give the cents as a whole number in price_cents)",
        ),
        (
            format!("{products_head}{ok}Z2,Negative,kitchen,1.00,-4\n"),
            "products.csv:3: stock: must be >= 0, got -4",
        ),
        (
            format!("{products_head}{ok}Z1,Twice,kitchen,1.00,1\n"),
            "products.csv:3: sku: 'Z1' appears more than once in the file",
        ),
        (
            format!("{products_head}{ok}Z2,Lost,no-such-aisle,1.00,1\n"),
            "products.csv:3: category: no category has the key 'no-such-aisle' (in the database or in this import)",
        ),
        (
            format!("{products_head}{ok}Z2,,kitchen,1.00,1\n"),
            "products.csv:3: name: is required",
        ),
        (
            format!("{products_head}{ok}Z2,Short,kitchen,1.00\n"),
            "products.csv:3: row: the row has 4 fields where the header has 5",
        ),
        (
            "sku,name,prcie,stock\nZ1,A,1,1\n".to_string(),
            "products.csv:1: prcie: is not a field of products (known: sku, name, description, category, price_cents, stock, active, attributes, image_url, created_at, price)",
        ),
    ] {
        refused(&store, Entity::Products, "products.csv", &text, message).await;
    }
    let future = recsys_store::format_timestamp(recsys_store::now_ms() + 3 * 86_400_000);
    for (text, message) in [
        (
            format!("{{\"customer\":\"C001\",\"sku\":\"P0001\",\"kind\":\"view\",\"at\":\"{future}\"}}\n"),
            format!("events.jsonl:1: at: {future} is more than a day in the future"),
        ),
        (
            "{\"customer\":\"C001\",\"sku\":\"P0001\",\"kind\":\"view\",\"at\":\"2025-01-01T00:00:00Z\"}\n{\"customer\":\"nobody\",\"sku\":\"P0001\",\"kind\":\"view\",\"at\":\"2025-01-01T00:00:00Z\"}\n".into(),
            "events.jsonl:2: customer: no customer has the external_id or e-mail 'nobody' (in the database or in this import)".into(),
        ),
        (
            "{\"customer\":\"C001\",\"sku\":\"P0001\",\"kind\":\"like\",\"at\":\"2025-01-01T00:00:00Z\"}\n".into(),
            "events.jsonl:1: kind: \"like\" is not a kind (view, click, add_to_cart, purchase, rating)".into(),
        ),
        (
            "{\"customer\":\"C001\",\"sku\":\"P0001\",\"kind\":\"view\",\"at\":\"yesterday\"}\n".into(),
            "events.jsonl:1: at: \"yesterday\" is not a time (RFC 3339 such as 2024-05-01T09:30:00Z, a date such as 2024-05-01, or milliseconds since 1970-01-01)".into(),
        ),
        (
            "{\"customer\":\"C001\",\"sku\":\"P0001\",\"kind\":\"view\",\"at\":\"2025-01-01\"\n".into(),
            "events.jsonl:1: row: not JSON: EOF while parsing an object at line 2 column 0".into(),
        ),
    ] {
        refused(&store, Entity::Events, "events.jsonl", &text, &message).await;
    }
    refused(
        &store,
        Entity::Orders,
        "orders.csv",
        "external_id,customer,created_at,sku,quantity\nN1,C001,2025-02-01,P0001,1\nN1,C001,2025-02-01,P9999,1\n",
        "orders.csv:3: sku: no product has the sku 'P9999' (in the database or in this import)",
    )
    .await;
    refused(
        &store,
        Entity::Orders,
        "orders.csv",
        "external_id,customer,created_at,sku,quantity\nN1,C001,2025-02-01,P0001,1\nN2,C001,2025-02-01,P0001,1\nN1,C001,2025-02-01,P0002,1\n",
        "orders.csv:4: external_id: the lines of order 'N1' are not together: it started at line 2",
    )
    .await;
    refused(
        &store,
        Entity::Categories,
        "categories.csv",
        "key,name,parent\ntech,Tech,phones\n",
        "categories.csv:2: parent: 'phones' is below 'tech' already: the categories would make a cycle",
    )
    .await;
    refused(
        &store,
        Entity::Customers,
        "customers.csv",
        "external_id,email,password\nX1,x1@shop.example,hunter2\n",
        "customers.csv:1: password: passwords in clear are not accepted: give password_hash (bcrypt or argon2), or leave it out and an admin sets a password",
    )
    .await;
    refused(
        &store,
        Entity::Customers,
        "customers.csv",
        "external_id,email\nX1,not-an-address\n",
        "customers.csv:2: email: 'not-an-address' is not an e-mail address: it has no '@'",
    )
    .await;
}

async fn dry_run_writes_nothing_and_skip_invalid_writes_the_good_rows(store: Store) {
    let before = tally(&store).await;
    let report = import::run(
        &store,
        &example_files(),
        &ImportOptions {
            dry_run: true,
            ..Default::default()
        },
    )
    .await
    .unwrap();
    assert_eq!(report.status, "dry_run");
    assert_eq!(report.problems_found, 0);
    assert_eq!(report.entities["events"].rows, 1500);
    assert_eq!(tally(&store).await, before);

    let dir = Scratch::new();
    let products = dir.write(
        "products.jsonl",
        "{\"sku\":\"A1\",\"name\":\"Good\",\"price_cents\":100,\"stock\":1}\n\
         {\"sku\":\"A2\",\"name\":\"Bad\",\"price_cents\":-1,\"stock\":1}\n\
         {\"sku\":\"A3\",\"name\":\"Good too\",\"price\":2.5,\"stock\":0,\"attributes\":{\"size\":\"M\"}}\n",
    );
    let events = dir.write(
        "events.csv",
        "customer,sku,kind,at\nz@shop.example,A1,view,2025-01-01\nz@shop.example,A2,view,2025-01-01\n",
    );
    let customers = dir.write("customers.csv", "email\nz@shop.example\n");
    let rejects = dir.path("rejects.jsonl");
    let report = import::run(
        &store,
        &[
            file(Entity::Products, &products),
            file(Entity::Customers, &customers),
            file(Entity::Events, &events),
        ],
        &ImportOptions {
            skip_invalid: Some(rejects.clone()),
            ..Default::default()
        },
    )
    .await
    .unwrap();
    assert_eq!(report.status, "done");
    assert_eq!(counts(&report, "products"), (2, 0, 0, 1));
    // the event naming the refused product is refused too
    assert_eq!(counts(&report, "events"), (1, 0, 0, 1));
    assert_eq!(
        store
            .product_by_sku("A3")
            .await
            .unwrap()
            .unwrap()
            .attributes["size"],
        "M"
    );
    assert!(store.product_by_sku("A2").await.unwrap().is_none());
    let rejected: Vec<serde_json::Value> = std::fs::read_to_string(&rejects)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(rejected.len(), 2);
    assert_eq!(rejected[0]["file"], "products.jsonl");
    assert_eq!(rejected[0]["line"], 2);
    assert_eq!(rejected[0]["field"], "price_cents");
    assert_eq!(rejected[0]["row"]["name"], "Bad");
    assert_eq!(rejected[1]["file"], "events.csv");
    assert_eq!(rejected[1]["row"]["sku"], "A2");
}

async fn export_then_import_into_an_empty_database_exports_the_same_bytes(store: Store) {
    import_example(&store).await;
    for (format, ext) in [(Format::Csv, "csv"), (Format::Jsonl, "jsonl.gz")] {
        let first = Scratch::new();
        let files = |dir: &Scratch| -> Vec<ExportFile> {
            EXAMPLE
                .iter()
                .map(|(e, _)| ExportFile {
                    entity: *e,
                    location: Location::Path(dir.path(&format!("{}.{ext}", e.name()))),
                    format,
                })
                .collect()
        };
        let written = export::run(&store, &files(&first)).await.unwrap();
        assert_eq!(written["products"], 60);
        assert_eq!(written["customers"], 42);

        let fresh = TestDatabase::sqlite("recsys_export");
        let other = Store::connect(&fresh.url).await.unwrap();
        let report = import::run(
            &other,
            &EXAMPLE
                .iter()
                .map(|(e, _)| file(*e, &first.path(&format!("{}.{ext}", e.name()))))
                .collect::<Vec<_>>(),
            &ImportOptions::default(),
        )
        .await
        .unwrap();
        assert_eq!(report.status, "done", "{:?}", report.problems);
        let second = Scratch::new();
        export::run(&other, &files(&second)).await.unwrap();
        for (e, _) in EXAMPLE {
            let name = format!("{}.{ext}", e.name());
            let a = read_maybe_gz(&first.path(&name));
            let b = read_maybe_gz(&second.path(&name));
            assert!(a == b, "{name} differs after the round trip");
        }
        other.close().await;
        fresh.remove().await;
    }
}

fn read_maybe_gz(path: &Path) -> Vec<u8> {
    use std::io::Read;
    let bytes = std::fs::read(path).unwrap();
    if path.extension().is_some_and(|e| e == "gz") {
        let mut out = Vec::new();
        flate2::read::MultiGzDecoder::new(&bytes[..])
            .read_to_end(&mut out)
            .unwrap();
        out
    } else {
        bytes
    }
}

macro_rules! on_both_backends {
    ($($name:ident),* $(,)?) => {
        mod sqlite {
            use super::*;
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    let db = TestDatabase::sqlite("recsys_import");
                    let store = Store::connect(&db.url).await.unwrap();
                    super::$name(store.clone()).await;
                    store.close().await;
                    db.remove().await;
                }
            )*
        }
        mod postgres {
            use super::*;
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                #[ignore = "needs Postgres: RECSYS_TEST_POSTGRES_URL, run with --include-ignored (scripts/test.sh does)"]
                async fn $name() {
                    let db = TestDatabase::postgres("recsys_import").await;
                    let store = Store::connect(&db.url).await.unwrap();
                    super::$name(store.clone()).await;
                    store.close().await;
                    db.remove().await;
                }
            )*
        }
    };
}

on_both_backends!(
    the_example_shop_imports_and_a_second_import_changes_nothing,
    a_changed_file_updates_exactly_what_changed,
    bad_files_are_refused_whole_with_a_message_naming_file_line_and_field,
    dry_run_writes_nothing_and_skip_invalid_writes_the_good_rows,
    export_then_import_into_an_empty_database_exports_the_same_bytes,
);

/// The binary, as an operator runs it: (exit code, stdout, stderr).
fn command(database_url: &str, args: &[&str]) -> (i32, String, String) {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_recsys-server"))
        .arg("import")
        .args(["--database-url", database_url])
        .args(args)
        .output()
        .expect("run recsys-server import");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into(),
        String::from_utf8_lossy(&out.stderr).into(),
    )
}

/// A shop of 300 customers and 100 products, and `events` distinct events over them.
fn big_shop(dir: &Scratch, events: usize) -> (PathBuf, PathBuf, PathBuf) {
    use std::fmt::Write as _;
    let mut products = String::from("sku,name,price_cents,stock\n");
    for p in 0..100 {
        let _ = writeln!(products, "S{p},Product {p},{},5", 100 + p);
    }
    let mut customers = String::from("external_id,email\n");
    for c in 0..300 {
        let _ = writeln!(customers, "K{c},k{c}@shop.example");
    }
    let mut lines = String::from("customer,sku,kind,at\n");
    for i in 0..events {
        // (customer, product, time) differs for every row: each one is a new event
        let _ = writeln!(
            lines,
            "K{},S{},view,{}",
            i % 300,
            (i / 300) % 100,
            1_700_000_000_000u64 + i as u64
        );
    }
    (
        dir.write("products.csv", &products),
        dir.write("customers.csv", &customers),
        dir.write("events.csv", &lines),
    )
}

async fn killed_half_way_and_run_again_ends_with_every_event_once(db: &TestDatabase) {
    const EVENTS: usize = 400_000;
    let dir = Scratch::new();
    let (products, customers, events) = big_shop(&dir, EVENTS);
    let (code, _, err) = command(
        &db.url,
        &[
            "--products",
            products.to_str().unwrap(),
            "--customers",
            customers.to_str().unwrap(),
        ],
    );
    assert_eq!(code, 0, "{err}");
    let store = Store::connect(&db.url).await.unwrap();
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_recsys-server"))
        .args([
            "import",
            "--database-url",
            &db.url,
            "--events",
            events.to_str().unwrap(),
        ])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    // wait until a quarter of the batches are in, then SIGKILL
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(120);
    while store.count_events().await.unwrap() < EVENTS as i64 / 4
        && std::time::Instant::now() < deadline
    {
        tokio::time::sleep(std::time::Duration::from_millis(5)).await;
    }
    let killed = child.kill();
    child.wait().unwrap();
    killed.unwrap();
    let at_kill = store.count_events().await.unwrap();
    assert!(
        at_kill > 0 && (at_kill as usize) < EVENTS,
        "the import was not caught half-way: {at_kill} of {EVENTS} events"
    );
    // whole batches only: the kill never leaves a part of one
    assert_eq!(at_kill % 5000, 0, "{at_kill} events: a batch was cut");
    let (code, out, err) = command(&db.url, &["--events", events.to_str().unwrap()]);
    assert_eq!(code, 0, "{err}");
    let report: serde_json::Value = serde_json::from_str(out.trim()).unwrap();
    assert_eq!(
        report["entities"]["events"]["created"],
        EVENTS as i64 - at_kill
    );
    assert_eq!(report["entities"]["events"]["unchanged"], at_kill);
    assert_eq!(store.count_events().await.unwrap(), EVENTS as i64);
    store.close().await;
}

async fn the_command_reports_for_people_and_scripts_with_exit_codes(db: &TestDatabase) {
    let dir = Scratch::new();
    let bad = dir.write("products.csv", "sku,name,price,stock\nB1,Bad,\"12,50\",1\n");
    let (code, out, err) = command(&db.url, &["--products", bad.to_str().unwrap()]);
    assert_eq!(code, 1);
    assert!(
        err.contains("products.csv:2: price: \"12,50\" is not a price"),
        "{err}"
    );
    let report: serde_json::Value = serde_json::from_str(out.trim()).unwrap();
    assert_eq!(report["status"], "refused");
    assert_eq!(report["problems_found"], 1);

    let (code, _, err) = command(&db.url, &[]);
    assert_eq!(code, 2);
    assert!(err.contains("nothing to import"), "{err}");
    let (code, _, err) = command(&db.url, &["--products", "/no/such/file.csv"]);
    assert_eq!(code, 2);
    assert!(err.contains("/no/such/file.csv: no such file"), "{err}");
    let (code, _, err) = command(&db.url, &["--products", "-"]);
    assert_eq!(code, 2);
    assert!(err.contains("needs --format"), "{err}");

    // standard input, gzip-compressed, with --format
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_recsys-server"))
        .args([
            "import",
            "--database-url",
            &db.url,
            "--products",
            "-",
            "--format",
            "jsonl",
        ])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    {
        use std::io::Write;
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        gz.write_all(b"{\"sku\":\"G1\",\"name\":\"Piped\",\"price\":\"3.10\",\"stock\":2}\n")
            .unwrap();
        child
            .stdin
            .take()
            .unwrap()
            .write_all(&gz.finish().unwrap())
            .unwrap();
    }
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let store = Store::connect(&db.url).await.unwrap();
    assert_eq!(
        store
            .product_by_sku("G1")
            .await
            .unwrap()
            .unwrap()
            .price_cents,
        310
    );

    // export to standard output
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_recsys-server"))
        .args([
            "export",
            "--database-url",
            &db.url,
            "--products",
            "-",
            "--format",
            "csv",
        ])
        .output()
        .unwrap();
    assert!(out.status.success());
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.starts_with("sku,name,description,category,price_cents,stock,active,attributes,image_url,created_at\nG1,Piped,,,310,2,true,{},,"), "{text}");
    store.close().await;
}

macro_rules! processes_on_both_backends {
    ($($name:ident),* $(,)?) => {
        mod process_sqlite {
            use super::*;
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    let db = TestDatabase::sqlite("recsys_import_cli");
                    super::$name(&db).await;
                    db.remove().await;
                }
            )*
        }
        mod process_postgres {
            use super::*;
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                #[ignore = "needs Postgres: RECSYS_TEST_POSTGRES_URL, run with --include-ignored (scripts/test.sh does)"]
                async fn $name() {
                    let db = TestDatabase::postgres("recsys_import_cli").await;
                    super::$name(&db).await;
                    db.remove().await;
                }
            )*
        }
    };
}

processes_on_both_backends!(
    killed_half_way_and_run_again_ends_with_every_event_once,
    the_command_reports_for_people_and_scripts_with_exit_codes,
);
