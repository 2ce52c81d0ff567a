//! Loading interactions from delimited text (`user,item[,value]`).

use std::io::BufRead;

use super::{Interactions, InteractionsBuilder};
use crate::error::{Error, Result};
use crate::ids::Id;

/// Whether the first line is a header.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Header {
    /// Decide from the first line: it is a header when its value field is not a number, or
    /// (without a value column) when its user and item fields are named like `user`/`user_id`
    /// and `item`/`item_id` (anything after a `:` is ignored, as in RecBole's `user_id:token`).
    #[default]
    Auto,
    /// The first line is a header.
    Present,
    /// Every line is data.
    Absent,
}

/// How to read a delimited interactions file.
///
/// Fields may be wrapped in double quotes; quoted delimiters are not supported. An id that is a
/// canonical integer (`42`, not `042` or `+42`) becomes [`Id::Int`], any other id [`Id::Str`],
/// so ids print back exactly as written.
#[derive(Clone, Debug)]
pub struct CsvOptions {
    /// Field separator (default `,`; `\t` for TSV).
    pub delimiter: u8,
    /// Header handling (default [`Header::Auto`]).
    pub header: Header,
    /// Column of the user id (default 0).
    pub user_column: usize,
    /// Column of the item id (default 1).
    pub item_column: usize,
    /// Column of the value; `None` gives every row the value 1 (default `Some(2)`, and a row
    /// with only two fields also counts as value 1).
    pub value_column: Option<usize>,
    /// Keep only rows whose value is at least this (e.g. ratings >= 4 as positives).
    pub min_value: Option<f32>,
}

impl Default for CsvOptions {
    fn default() -> Self {
        CsvOptions {
            delimiter: b',',
            header: Header::Auto,
            user_column: 0,
            item_column: 1,
            value_column: Some(2),
            min_value: None,
        }
    }
}

impl CsvOptions {
    /// Tab-separated input, otherwise the defaults.
    pub fn tsv() -> Self {
        CsvOptions {
            delimiter: b'\t',
            ..Self::default()
        }
    }
}

fn field(s: &str) -> &str {
    let s = s.trim();
    s.strip_prefix('"')
        .and_then(|s| s.strip_suffix('"'))
        .unwrap_or(s)
}

fn parse_id(s: &str) -> Id {
    match s.parse::<i64>() {
        Ok(i) if i.to_string() == s => Id::Int(i),
        _ => Id::from(s),
    }
}

fn looks_like_name(s: &str, names: &[&str]) -> bool {
    let base = s.split(':').next().unwrap_or(s).to_ascii_lowercase();
    names.contains(&base.as_str())
}

pub(super) fn read(reader: impl BufRead, opt: &CsvOptions) -> Result<Interactions> {
    let delim = opt.delimiter as char;
    let mut builder = InteractionsBuilder::new();
    let mut first = true;
    for (n, line) in reader.lines().enumerate() {
        let row = n + 1;
        let line = line.map_err(|e| Error::InvalidInput {
            row,
            reason: format!("cannot read line: {e}"),
        })?;
        if line.trim().is_empty() {
            continue;
        }
        let fields: Vec<&str> = line.split(delim).map(field).collect();
        let value_field = opt.value_column.and_then(|c| fields.get(c).copied());
        if std::mem::take(&mut first) {
            let header = match opt.header {
                Header::Present => true,
                Header::Absent => false,
                Header::Auto => match value_field {
                    Some(v) => v.parse::<f32>().is_err(),
                    None => {
                        let named = |c: usize, names: &[&str]| {
                            fields.get(c).is_some_and(|f| looks_like_name(f, names))
                        };
                        named(opt.user_column, &["user", "user_id", "userid"])
                            && named(opt.item_column, &["item", "item_id", "itemid"])
                    }
                },
            };
            if header {
                continue;
            }
        }
        let needed = opt.user_column.max(opt.item_column) + 1;
        if fields.len() < needed {
            return Err(Error::InvalidInput {
                row,
                reason: format!(
                    "expected at least {needed} fields separated by {:?}, got {}",
                    delim,
                    fields.len()
                ),
            });
        }
        let value = match value_field {
            None => 1.0,
            Some(v) => v.parse::<f32>().map_err(|_| Error::InvalidInput {
                row,
                reason: format!("value {v:?} is not a number"),
            })?,
        };
        super::check_value(row, value)?;
        if opt.min_value.is_some_and(|m| value < m) {
            continue;
        }
        let (user, item) = (fields[opt.user_column], fields[opt.item_column]);
        if user.is_empty() || item.is_empty() {
            return Err(Error::InvalidInput {
                row,
                reason: "user and item ids must not be empty".into(),
            });
        }
        builder
            .push(parse_id(user), parse_id(item), value)
            .map_err(|e| match e {
                Error::InvalidInput { reason, .. } => Error::InvalidInput { row, reason },
                e => e,
            })?;
    }
    Ok(builder.build())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn load(text: &str, opt: &CsvOptions) -> Result<Interactions> {
        Interactions::from_csv(text.as_bytes(), opt)
    }

    #[test]
    fn header_detected_and_ids_typed() {
        let d = load(
            "user,item,rating\n1,\"a\",2\n007,a,1.5\n",
            &CsvOptions::default(),
        )
        .unwrap();
        assert_eq!(d.n_users(), 2);
        assert!(d.users().index(&Id::Int(1)).is_some());
        assert!(d.users().index(&Id::from("007")).is_some());
        assert_eq!(d.by_item().row(0).1.iter().sum::<f32>(), 3.5);
    }

    #[test]
    fn two_columns_and_recbole_header() {
        let opt = CsvOptions {
            value_column: None,
            ..CsvOptions::tsv()
        };
        let d = load("user_id:token\titem_id:token\n1\t2\n1\t3\n", &opt).unwrap();
        assert_eq!(d.nnz(), 2);
        let d = load("5\t2\n", &opt).unwrap();
        assert_eq!(d.nnz(), 1);
    }

    #[test]
    fn min_value_filters_rows() {
        let opt = CsvOptions {
            min_value: Some(4.0),
            ..CsvOptions::default()
        };
        let d = load("1,1,5\n1,2,3\n2,1,4\n", &opt).unwrap();
        assert_eq!(d.nnz(), 2);
        assert_eq!(d.n_items(), 1);
    }

    #[test]
    fn bad_rows_are_named() {
        let err = load("1,1,1\n2,2,-3\n", &CsvOptions::default()).unwrap_err();
        assert!(err.to_string().contains("row 2"), "{err}");
        assert!(err.to_string().contains("negative"), "{err}");
        let err = load("1,1,1\n2,2,abc\n", &CsvOptions::default()).unwrap_err();
        assert!(
            err.to_string().contains("row 2") && err.to_string().contains("abc"),
            "{err}"
        );
        let err = load("1,1,1\n2\n", &CsvOptions::default()).unwrap_err();
        assert!(err.to_string().contains("row 2"), "{err}");
        let err = load("1,1,1\n2,3,nan\n", &CsvOptions::default()).unwrap_err();
        assert!(err.to_string().contains("row 2"), "{err}");
    }
}
