//! The two file formats of import and export, CSV with a header row and JSON Lines, as rows of
//! named text fields; `.gz` read and written transparently; `-` is standard input or output.

use std::fs::File;
use std::io::{self, BufRead, BufReader, BufWriter, Read, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use serde_json::Value;

/// A file's format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// Comma-separated values with a header row (RFC 4180 quoting).
    Csv,
    /// One JSON object per line.
    Jsonl,
}

impl Format {
    /// The format a file name says (`.csv`, `.jsonl`, `.ndjson`, each optionally `.gz`).
    pub fn of_path(path: &Path) -> Option<Format> {
        let name = path.file_name()?.to_str()?.to_ascii_lowercase();
        let name = name.strip_suffix(".gz").unwrap_or(&name);
        if name.ends_with(".csv") {
            Some(Format::Csv)
        } else if name.ends_with(".jsonl") || name.ends_with(".ndjson") {
            Some(Format::Jsonl)
        } else {
            None
        }
    }
}

/// Where a file is: a path, or standard input / output (`-`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Location {
    Path(PathBuf),
    Std,
}

impl Location {
    pub fn parse(text: &str) -> Location {
        if text == "-" {
            Location::Std
        } else {
            Location::Path(PathBuf::from(text))
        }
    }

    /// The name errors give the file: its file name, or `stdin` / `stdout`.
    pub fn name(&self, std: &str) -> String {
        match self {
            Location::Std => std.to_string(),
            Location::Path(p) => p
                .file_name()
                .map_or_else(|| p.display().to_string(), |n| n.to_string_lossy().into()),
        }
    }
}

/// Bytes read so far from a file (before decompression), for progress and its estimate.
#[derive(Debug, Clone, Default)]
pub struct BytesRead(Arc<AtomicU64>);

impl BytesRead {
    pub fn get(&self) -> u64 {
        self.0.load(Ordering::Relaxed)
    }
}

struct Counting<R> {
    inner: R,
    read: BytesRead,
}

impl<R: Read> Read for Counting<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.read.0.fetch_add(n as u64, Ordering::Relaxed);
        Ok(n)
    }
}

/// Opens a file for reading, decompressing it when it starts with gzip's magic bytes (so a
/// `.gz` file, or gzip on standard input, needs no flag). Returns the reader, the file's size
/// when it has one, and the counter of bytes read.
pub fn open(path: &Path) -> io::Result<(Box<dyn BufRead + Send>, Option<u64>, BytesRead)> {
    let file = File::open(path)?;
    let size = file
        .metadata()
        .ok()
        .filter(|m| m.is_file())
        .map(|m| m.len());
    let read = BytesRead::default();
    let mut raw = BufReader::with_capacity(
        1 << 16,
        Counting {
            inner: file,
            read: read.clone(),
        },
    );
    let gz = raw.fill_buf()?.starts_with(&[0x1f, 0x8b]);
    let reader: Box<dyn BufRead + Send> = if gz {
        Box::new(BufReader::with_capacity(
            1 << 16,
            flate2::bufread::MultiGzDecoder::new(raw),
        ))
    } else {
        Box::new(raw)
    };
    Ok((reader, size, read))
}

/// A row's fields by name, as text: CSV cells as they are, JSON values as their text (a string
/// without its quotes, a number or `true` as written, an object as compact JSON); an empty cell
/// and a JSON `null` are missing.
pub struct Row {
    /// Line of the file where the row starts (1 is the CSV header).
    pub line: u64,
    fields: Fields,
}

enum Fields {
    Csv(Arc<Vec<String>>, csv::StringRecord),
    Json(serde_json::Map<String, Value>),
}

impl Row {
    /// A row from a JSON object that did not come from a file (a record of the service API);
    /// `line` is its index.
    pub fn from_object(line: u64, object: serde_json::Map<String, Value>) -> Row {
        Row {
            line,
            fields: Fields::Json(object),
        }
    }

    pub fn get(&self, field: &str) -> Option<std::borrow::Cow<'_, str>> {
        use std::borrow::Cow;
        match &self.fields {
            Fields::Csv(header, record) => {
                let i = header.iter().position(|h| h == field)?;
                record.get(i).filter(|v| !v.is_empty()).map(Cow::Borrowed)
            }
            Fields::Json(map) => match map.get(field)? {
                Value::Null => None,
                Value::String(s) if s.is_empty() => None,
                Value::String(s) => Some(Cow::Borrowed(s)),
                other => Some(Cow::Owned(other.to_string())),
            },
        }
    }

    /// The names of the fields this row has (a CSV row: the header's).
    pub fn names(&self) -> Vec<&str> {
        match &self.fields {
            Fields::Csv(header, _) => header.iter().map(String::as_str).collect(),
            Fields::Json(map) => map.keys().map(String::as_str).collect(),
        }
    }

    /// The row as a JSON object (what a file of rejected rows shows).
    pub fn to_json(&self) -> Value {
        match &self.fields {
            Fields::Csv(header, record) => Value::Object(
                header
                    .iter()
                    .zip(record.iter())
                    .map(|(h, v)| (h.clone(), Value::String(v.to_string())))
                    .collect(),
            ),
            Fields::Json(map) => Value::Object(map.clone()),
        }
    }
}

/// Why a row could not be read at all.
#[derive(Debug)]
pub struct RowError {
    pub line: u64,
    pub message: String,
    /// The file itself cannot be read on (as opposed to one bad row).
    pub fatal: bool,
}

/// The rows of a file, one at a time (memory does not grow with the file).
pub struct Rows {
    inner: RowsInner,
    /// Set after an error reading the file itself (not a bad row): nothing more is read.
    broken: bool,
}

enum RowsInner {
    Csv {
        reader: csv::Reader<Box<dyn BufRead + Send>>,
        header: Arc<Vec<String>>,
        record: csv::StringRecord,
    },
    Jsonl {
        reader: Box<dyn BufRead + Send>,
        line: u64,
        buf: String,
    },
}

impl Rows {
    /// Reads the header (CSV) and gets ready for the rows.
    pub fn new(reader: Box<dyn BufRead + Send>, format: Format) -> Result<Rows, RowError> {
        let inner = match format {
            Format::Csv => {
                let mut reader = csv::ReaderBuilder::new()
                    .has_headers(true)
                    .flexible(false)
                    .from_reader(reader);
                let header: Vec<String> = reader
                    .headers()
                    .map_err(|e| csv_error(e, 1))?
                    .iter()
                    .map(|h| h.trim().trim_start_matches('\u{feff}').to_string())
                    .collect();
                if header.iter().all(String::is_empty) {
                    return Err(RowError {
                        line: 1,
                        message: "the file is empty: a CSV file starts with a header row".into(),
                        fatal: true,
                    });
                }
                if let Some(dup) = header
                    .iter()
                    .enumerate()
                    .find(|(i, h)| header[..*i].contains(h))
                {
                    return Err(RowError {
                        line: 1,
                        message: format!("the column '{}' is named twice", dup.1),
                        fatal: true,
                    });
                }
                RowsInner::Csv {
                    reader,
                    header: Arc::new(header),
                    record: csv::StringRecord::new(),
                }
            }
            Format::Jsonl => RowsInner::Jsonl {
                reader,
                line: 0,
                buf: String::new(),
            },
        };
        Ok(Rows {
            inner,
            broken: false,
        })
    }

    /// The CSV header (empty for JSON Lines, whose rows name their own fields).
    pub fn header(&self) -> Vec<String> {
        match &self.inner {
            RowsInner::Csv { header, .. } => header.to_vec(),
            RowsInner::Jsonl { .. } => Vec::new(),
        }
    }

    /// The next row, `None` at the end.
    pub fn next_row(&mut self) -> Option<Result<Row, RowError>> {
        if self.broken {
            return None;
        }
        let next = self.read_next();
        if let Some(Err(e)) = &next {
            self.broken = e.fatal;
        }
        next
    }

    fn read_next(&mut self) -> Option<Result<Row, RowError>> {
        match &mut self.inner {
            RowsInner::Csv {
                reader,
                header,
                record,
            } => {
                let line = reader.position().line() + 1;
                match reader.read_record(record) {
                    Ok(false) => None,
                    Ok(true) => Some(Ok(Row {
                        line: record.position().map_or(line, |p| p.line()),
                        fields: Fields::Csv(header.clone(), record.clone()),
                    })),
                    Err(e) => Some(Err(csv_error(e, line))),
                }
            }
            RowsInner::Jsonl { reader, line, buf } => loop {
                buf.clear();
                *line += 1;
                match reader.read_line(buf) {
                    Ok(0) => return None,
                    Ok(_) if buf.trim().is_empty() => continue,
                    Ok(_) => {
                        return Some(match serde_json::from_str::<Value>(buf) {
                            Ok(Value::Object(map)) => Ok(Row {
                                line: *line,
                                fields: Fields::Json(map),
                            }),
                            Ok(_) => Err(RowError {
                                line: *line,
                                message: "a line must hold one JSON object".into(),
                                fatal: false,
                            }),
                            Err(e) => Err(RowError {
                                line: *line,
                                message: format!("not JSON: {e}"),
                                fatal: false,
                            }),
                        });
                    }
                    Err(e) => {
                        return Some(Err(RowError {
                            line: *line,
                            message: read_error(&e),
                            fatal: true,
                        }));
                    }
                }
            },
        }
    }
}

fn read_error(e: &io::Error) -> String {
    match e.kind() {
        io::ErrorKind::InvalidData => {
            "not UTF-8 text (or a damaged gzip stream): save the file as UTF-8".into()
        }
        _ => format!("cannot be read: {e}"),
    }
}

fn csv_error(e: csv::Error, line: u64) -> RowError {
    let line = e.position().map_or(line, |p| p.line());
    let fatal = matches!(e.kind(), csv::ErrorKind::Io(_));
    let message = match e.kind() {
        csv::ErrorKind::UnequalLengths {
            expected_len, len, ..
        } => format!("the row has {len} fields where the header has {expected_len}"),
        csv::ErrorKind::Utf8 { .. } => "not UTF-8 text: save the file as UTF-8".into(),
        csv::ErrorKind::Io(io) => read_error(io),
        _ => format!("not CSV: {e}"),
    };
    RowError {
        line,
        message,
        fatal,
    }
}

/// Where written rows go: a file, a gzip-compressed file, or standard output.
enum Output {
    File(BufWriter<File>),
    Gzip(flate2::write::GzEncoder<BufWriter<File>>),
    Stdout(BufWriter<io::Stdout>),
}

impl Write for Output {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        match self {
            Output::File(w) => w.write(buf),
            Output::Gzip(w) => w.write(buf),
            Output::Stdout(w) => w.write(buf),
        }
    }

    fn flush(&mut self) -> io::Result<()> {
        match self {
            Output::File(w) => w.flush(),
            Output::Gzip(w) => w.flush(),
            Output::Stdout(w) => w.flush(),
        }
    }
}

impl Output {
    /// Flushes everything to the file (a gzip stream gets its trailer) and syncs it to disk.
    fn finish(self) -> io::Result<()> {
        let file = match self {
            Output::File(w) => w.into_inner().map_err(|e| e.into_error())?,
            Output::Gzip(w) => w.finish()?.into_inner().map_err(|e| e.into_error())?,
            Output::Stdout(mut w) => return w.flush(),
        };
        file.sync_all()
    }
}

/// A row of named values as the JSON object JSON Lines holds: missing values (`Null`) left out.
pub fn json_object(header: &[&str], values: &[Value]) -> serde_json::Map<String, Value> {
    header
        .iter()
        .zip(values)
        .filter(|(_, v)| !v.is_null())
        .map(|(h, v)| (h.to_string(), v.clone()))
        .collect()
}

/// Writes rows of named values to a file in either format, gzip-compressed when the name ends
/// in `.gz`. Missing values (`Null`) are an empty cell in CSV and left out in JSON Lines.
pub struct RowWriter {
    header: Vec<&'static str>,
    out: RowOutput,
}

enum RowOutput {
    Csv(Box<csv::Writer<Output>>),
    Jsonl(Output),
}

impl RowWriter {
    pub fn create(
        location: &Location,
        format: Format,
        header: Vec<&'static str>,
    ) -> io::Result<RowWriter> {
        let out = match location {
            Location::Std => Output::Stdout(BufWriter::new(io::stdout())),
            Location::Path(path) => {
                let file = BufWriter::with_capacity(1 << 16, File::create(path)?);
                if path.extension().is_some_and(|e| e == "gz") {
                    Output::Gzip(flate2::write::GzEncoder::new(
                        file,
                        flate2::Compression::default(),
                    ))
                } else {
                    Output::File(file)
                }
            }
        };
        let out = match format {
            Format::Csv => {
                let mut w = csv::WriterBuilder::new().from_writer(out);
                w.write_record(&header)?;
                RowOutput::Csv(Box::new(w))
            }
            Format::Jsonl => RowOutput::Jsonl(out),
        };
        Ok(RowWriter { header, out })
    }

    /// One row: the values in the header's order.
    pub fn write(&mut self, values: &[Value]) -> io::Result<()> {
        debug_assert_eq!(values.len(), self.header.len());
        match &mut self.out {
            RowOutput::Csv(w) => {
                let cells = values.iter().map(|v| match v {
                    Value::Null => String::new(),
                    Value::String(s) => s.clone(),
                    other => other.to_string(),
                });
                w.write_record(cells).map_err(io::Error::other)
            }
            RowOutput::Jsonl(out) => {
                serde_json::to_writer(&mut *out, &json_object(&self.header, values))?;
                out.write_all(b"\n")
            }
        }
    }

    /// Flushes and closes the file (a gzip stream gets its trailer).
    pub fn finish(self) -> io::Result<()> {
        match self.out {
            RowOutput::Csv(w) => w
                .into_inner()
                .map_err(|e| io::Error::other(e.to_string()))?
                .finish(),
            RowOutput::Jsonl(out) => out.finish(),
        }
    }
}
