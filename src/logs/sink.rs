//! Where log lines go: stdout, buffered, as text or JSON lines. A closed pipe
//! (`| head`) ends the output quietly.

use std::io::{BufWriter, ErrorKind, Stdout, Write};

use super::format::{self, Colours, Line};
use crate::aws::logs::Event;
use crate::term::Palette;

pub struct Sink {
    out: BufWriter<Stdout>,
    json: bool,
    palette: Palette,
    colours: Colours,
    zone: super::zone::Zone,
    pub written: u64,
    /// The reader went away.
    pub closed: bool,
}

/// An event with what `logs` knows of its origin.
pub struct Labelled<'a> {
    pub event: &'a Event,
    pub group: &'a str,
    pub container: String,
    pub task: String,
    pub source: Option<&'a str>,
}

impl Sink {
    /// Times in UTC rather than in the local zone (`--utc`).
    pub fn utc(mut self, utc: bool) -> Self {
        self.zone = super::zone::Zone::new(utc);
        self
    }

    pub fn new(json: bool, palette: Palette, colours: Colours) -> Self {
        Sink {
            out: BufWriter::with_capacity(64 * 1024, std::io::stdout()),
            json,
            palette,
            colours,
            zone: super::zone::Zone::new(false),
            written: 0,
            closed: false,
        }
    }

    /// Writes one event; `false` once the reader has gone.
    pub fn write(&mut self, l: &Labelled) -> bool {
        if self.closed {
            return false;
        }
        let line = Line {
            timestamp: l.event.timestamp,
            ingestion_time: l.event.ingestion_time,
            group: l.group,
            stream: &l.event.stream,
            container: &l.container,
            task: &l.task,
            message: &l.event.message,
            event_id: &l.event.event_id,
            source: l.source,
        };
        let text = if self.json {
            format::json(&line)
        } else {
            format::text(&line, self.palette, &self.colours, &self.zone)
        };
        match self.out.write_all(text.as_bytes()) {
            Ok(()) => {
                self.written += 1;
                true
            }
            Err(e) => {
                self.note(e);
                false
            }
        }
    }

    /// Flushes; `false` once the reader has gone.
    pub fn flush(&mut self) -> bool {
        if self.closed {
            return false;
        }
        if let Err(e) = self.out.flush() {
            self.note(e);
        }
        !self.closed
    }

    fn note(&mut self, e: std::io::Error) {
        if e.kind() == ErrorKind::BrokenPipe {
            self.closed = true;
        } else {
            eprintln!("sidecarctl: cannot write to stdout: {e}");
            self.closed = true;
        }
    }
}
