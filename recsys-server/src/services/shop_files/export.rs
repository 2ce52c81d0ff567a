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
    let mut after = 0;
    loop {
        let (values, next) = page(store, file.entity, after, PAGE).await.map_err(db)?;
        for v in &values {
            out.write(v).map_err(io)?;
        }
        rows += values.len() as u64;
        match next {
            Some(next) => after = next,
            None => break,
        }
    }
    out.finish().map_err(io)?;
    Ok(rows)
}

/// One page of an entity's export rows, read in id order after `after` (0: from the start), at
/// most `limit` records (an order gives a row per line): the rows, each in [`Entity::fields`]'
/// order, and the id to read on from, `None` after the last page. Categories come in one page.
/// The file export and the service API's export read through it.
pub async fn page(
    store: &Store,
    entity: Entity,
    after: i64,
    limit: i64,
) -> recsys_store::Result<(Vec<Vec<Value>>, Option<i64>)> {
    let mut rows = Vec::new();
    macro_rules! read {
        ($read:ident, $values:expr) => {{
            let page = store.$read(after, limit).await?;
            let next = (page.len() as i64 == limit)
                .then(|| page.last().map(|r| r.0))
                .flatten();
            for (_, record) in &page {
                rows.extend($values(record));
            }
            next
        }};
    }
    let next = match entity {
        Entity::Categories => {
            rows.extend(
                store
                    .export_categories()
                    .await?
                    .iter()
                    .map(records::category_values),
            );
            None
        }
        Entity::Products => read!(export_products, |r| [records::product_values(r)]),
        Entity::Customers => read!(export_customers, |r| [records::customer_values(r)]),
        Entity::Orders => read!(export_orders, records::order_values),
        Entity::Events => read!(export_events, |r| [records::event_values(r)]),
    };
    Ok((rows, next))
}
