//! `recsys-server export`: the shop under its own keys, in the import's formats. Rows are read
//! page by page in id order (memory does not grow with the shop), and an export imported into
//! an empty database exports again to the same bytes.

use std::collections::BTreeMap;

use recsys_store::Store;
use serde_json::Value;

use super::formats::{Format, Location, RowWriter};
use super::import::{ImportError, check_locations};
use super::records::{self, Entity};

/// Rows read from the database at a time.
const PAGE: i64 = 5000;

/// One file of an export.
#[derive(Debug, Clone)]
pub struct ExportFile {
    pub entity: Entity,
    pub location: Location,
    pub format: Format,
}

/// Writes each file; returns the rows written per entity.
pub async fn run(
    store: &Store,
    files: &[ExportFile],
) -> Result<BTreeMap<&'static str, u64>, ImportError> {
    check_locations(files.iter().map(|f| &f.location), "export")?;
    let mut written = BTreeMap::new();
    for file in files {
        let n = export_file(store, file).await?;
        written.insert(file.entity.name(), n);
    }
    Ok(written)
}

async fn export_file(store: &Store, file: &ExportFile) -> Result<u64, ImportError> {
    let name = file.location.name("stdout");
    let io = |e: std::io::Error| ImportError::Io(format!("{name}: {e}"));
    let db = |e: recsys_store::StoreError| ImportError::Store {
        context: format!("{name}: reading {}", file.entity.name()),
        source: e,
    };
    let mut out = RowWriter::create(&file.location, file.format, file.entity.fields().to_vec())
        .map_err(io)?;
    let mut rows = 0u64;
    let mut write = |out: &mut RowWriter, values: Vec<Value>| {
        rows += 1;
        out.write(&values)
    };
    let mut after = 0;
    macro_rules! pages {
        ($read:ident, $values:expr) => {
            loop {
                let page = store.$read(after, PAGE).await.map_err(db)?;
                let Some(last) = page.last().map(|r| r.0) else {
                    break;
                };
                for (_, record) in &page {
                    for values in $values(record) {
                        write(&mut out, values).map_err(io)?;
                    }
                }
                after = last;
            }
        };
    }
    match file.entity {
        Entity::Categories => {
            for c in store.export_categories().await.map_err(db)? {
                write(&mut out, records::category_values(&c)).map_err(io)?;
            }
        }
        Entity::Products => pages!(export_products, |r| [records::product_values(r)]),
        Entity::Customers => pages!(export_customers, |r| [records::customer_values(r)]),
        Entity::Orders => pages!(export_orders, records::order_values),
        Entity::Events => pages!(export_events, |r| [records::event_values(r)]),
    }
    out.finish().map_err(io)?;
    Ok(rows)
}
