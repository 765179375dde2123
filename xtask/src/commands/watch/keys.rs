//! What the learner types while watching.
//!
//! On a terminal each key acts at once (see `terminal::RawMode`). Through
//! a pipe (a test, a script, an editor's task runner) the reader takes
//! whole lines instead: `h`, `l`, `c`, `q`, and an empty line checks
//! again. Either way, the end of the input quits.

use std::io::{BufRead, Read};
use std::sync::mpsc::Sender;

use anyhow::{Context, Result};

use super::Event;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Key {
    /// `h`: the next level of hints.
    Hint,
    /// `l`: every exercise and its status.
    List,
    /// `c` or Enter: check again now.
    Check,
    /// `q`, Ctrl-D (or Ctrl-C where it arrives as a key).
    Quit,
    /// A line that means nothing here (a pipe only; stray keys on a
    /// terminal, such as the arrows' escape sequences, are ignored).
    Unknown(String),
}

impl Key {
    /// The key one byte typed on a terminal stands for. Only lower-case
    /// letters count: an arrow key sends `ESC [ C`, and that `C` is not
    /// a request to check.
    pub fn from_byte(byte: u8) -> Option<Key> {
        match byte {
            b'h' => Some(Key::Hint),
            b'l' => Some(Key::List),
            b'c' | b'\n' | b'\r' => Some(Key::Check),
            b'q' | 0x03 | 0x04 => Some(Key::Quit),
            _ => None,
        }
    }

    /// The key one line of piped input stands for.
    pub fn from_line(line: &str) -> Key {
        match line.trim().to_ascii_lowercase().as_str() {
            "" | "c" | "check" => Key::Check,
            "h" | "hint" => Key::Hint,
            "l" | "list" => Key::List,
            "q" | "quit" | "exit" => Key::Quit,
            _ => Key::Unknown(line.trim().to_string()),
        }
    }
}

/// Reads stdin on a thread of its own and sends what it reads, then
/// `Event::InputClosed` at the end of the input.
pub fn spawn_reader(events: Sender<Event>, single_keys: bool) -> Result<()> {
    std::thread::Builder::new()
        .name("watch-keys".into())
        .spawn(move || {
            if single_keys {
                read_keys(&events);
            } else {
                read_lines(&events);
            }
            let _ = events.send(Event::InputClosed);
        })
        .context("starting the thread that reads your keys")?;
    Ok(())
}

fn read_keys(events: &Sender<Event>) {
    let mut stdin = std::io::stdin().lock();
    let mut buffer = [0u8; 64];
    loop {
        let read = match stdin.read(&mut buffer) {
            Ok(0) => return,
            Ok(n) => n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(_) => return,
        };
        for key in buffer[..read].iter().filter_map(|&b| Key::from_byte(b)) {
            if events.send(Event::Key(key)).is_err() {
                return;
            }
        }
    }
}

fn read_lines(events: &Sender<Event>) {
    for line in std::io::stdin().lock().lines() {
        let Ok(line) = line else { return };
        if events.send(Event::Key(Key::from_line(&line))).is_err() {
            return;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn single_keys() {
        assert_eq!(Key::from_byte(b'h'), Some(Key::Hint));
        assert_eq!(Key::from_byte(b'\r'), Some(Key::Check));
        assert_eq!(Key::from_byte(b'q'), Some(Key::Quit));
        assert_eq!(Key::from_byte(0x03), Some(Key::Quit));
        assert_eq!(Key::from_byte(b'C'), None, "the right arrow ends in C");
        assert_eq!(Key::from_byte(0x1b), None);
    }

    #[test]
    fn lines() {
        assert_eq!(Key::from_line(""), Key::Check);
        assert_eq!(Key::from_line("  h \r"), Key::Hint);
        assert_eq!(Key::from_line("Quit"), Key::Quit);
        assert_eq!(Key::from_line("x"), Key::Unknown("x".into()));
    }
}
