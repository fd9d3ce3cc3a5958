//! Snapshots copied a bounded number of objects at a time ([`SnapshotCopy`]),
//! so that the lock a namespace's reader needs is never held for a whole
//! copy, with the changes made meanwhile logged ([`ChangeLog`]) and copied
//! again. It never changes the view.

use super::*;

/// Most changes kept for the snapshots being copied: past it the log is
/// dropped and those copies start again (at most [`RESTARTS`] times).
pub(super) const LOG_CAP: usize = 1 << 16;

/// Times a copy starts again (changes outran it) before it copies what remains
/// in one go, stalling the reader as long as that takes but always ending.
pub(super) const RESTARTS: u32 = 2;

/// The keys changed since the oldest snapshot copy in progress began.
#[derive(Debug, Default)]
pub(super) struct ChangeLog {
    pub(super) keys: Vec<Key>,
    /// The position of `keys[0]` since the namespace was first watched.
    pub(super) start: u64,
    /// Copies in progress.
    pub(super) copies: usize,
    /// Bumped when the log is dropped: copies of an older epoch start again.
    pub(super) epoch: u64,
}

impl ChangeLog {
    pub(super) fn end(&self) -> u64 {
        self.start + self.keys.len() as u64
    }

    pub(super) fn record(&mut self, key: Key) {
        if self.copies == 0 {
            return;
        }
        if self.keys.len() >= LOG_CAP {
            // The copies in progress are outrun (or abandoned): they restart.
            self.start = self.end();
            self.keys = Vec::new();
            self.copies = 0;
            self.epoch += 1;
            return;
        }
        self.keys.push(key);
    }
}

/// A snapshot being copied a bounded number of objects at a time, so that the
/// lock its namespace's reader needs is never held for a whole copy: between
/// steps the reader goes on, and what it changes meanwhile is logged and copied
/// again before the last step. The result is the view exactly as it was at the
/// end of the last step.
#[derive(Debug)]
pub(crate) struct SnapshotCopy {
    pub(super) kinds: Vec<ObjectKind>,
    /// The kind being copied (an index into `kinds`), and the last key copied.
    pub(super) kind_at: usize,
    pub(super) after: Option<Key>,
    pub(super) copy: Copied,
    /// A copy given up (outrun by changes), to drop outside the lock.
    pub(super) stale: Option<Copied>,
    /// How far the change log has been applied to `copy`.
    pub(super) pos: u64,
    /// The log's epoch when this copy began; `None` before it has.
    pub(super) epoch: Option<u64>,
    pub(super) restarts: u32,
}

impl SnapshotCopy {
    /// A copy of the `kinds` given, to be made by [`NsState::copy_step`].
    pub(crate) fn new(kinds: &[ObjectKind]) -> Self {
        SnapshotCopy {
            kinds: kinds.to_vec(),
            kind_at: 0,
            after: None,
            copy: Copied::default(),
            stale: None,
            pos: 0,
            epoch: None,
            restarts: 0,
        }
    }

    /// Drops a copy given up by the last step (call it with the lock let go).
    pub(crate) fn drop_stale(&mut self) {
        self.stale = None;
    }

    /// The copy, once [`NsState::copy_step`] said it is complete.
    pub(crate) fn into_snapshot(self, netns: NetnsTag, seq: u64, synced: bool) -> Snapshot {
        self.copy.into_snapshot(netns, seq, synced)
    }
}

/// The objects of `copied` (in key order) with `changed` applied: what was
/// changed since replaces what was copied, `None` removes it, and keys copied
/// only in `changed` come in their place.
pub(super) fn merge<K: Ord, V>(copied: Vec<(K, V)>, changed: BTreeMap<K, Option<V>>) -> Vec<V> {
    if changed.is_empty() {
        return copied.into_iter().map(|(_, v)| v).collect();
    }
    let mut out = Vec::with_capacity(copied.len() + changed.len());
    let mut changed = changed.into_iter().peekable();
    for (k, v) in copied {
        // Keys before this one that came since the copy.
        while let Some((_, now)) = changed.next_if(|(c, _)| *c < k) {
            out.extend(now);
        }
        match changed.next_if(|(c, _)| *c == k) {
            // The change is newer than the copy.
            Some((_, now)) => out.extend(now),
            None => out.push(v),
        }
    }
    out.extend(changed.filter_map(|(_, now)| now));
    out
}

impl NsState {
    /// Copies up to about `budget` objects into `c` (objects first, then the
    /// changes made since `c` began); `true` when `c` is complete: it then holds
    /// exactly what this view holds now.
    pub(crate) fn copy_step(&mut self, c: &mut SnapshotCopy, budget: usize) -> bool {
        if c.epoch != Some(self.log.epoch) {
            if c.epoch.is_some() {
                c.restarts += 1;
            }
            c.kind_at = 0;
            c.after = None;
            // Dropped by the caller, after letting the lock go.
            c.stale = Some(std::mem::take(&mut c.copy));
            c.pos = self.log.end();
            c.epoch = Some(self.log.epoch);
            self.log.copies += 1;
        }
        let mut left = if c.restarts >= RESTARTS {
            usize::MAX
        } else {
            budget.max(1)
        };
        while left > 0 && c.kind_at < c.kinds.len() {
            let kind = c.kinds[c.kind_at];
            let (n, last) = self.tables.copy_range(&mut c.copy, kind, c.after, left);
            if n < left {
                c.kind_at += 1;
                c.after = None;
            } else {
                c.after = last;
            }
            left -= n;
        }
        if c.kind_at < c.kinds.len() {
            return false;
        }
        let from = (c.pos - self.log.start) as usize;
        let pending = self.log.keys.len() - from;
        // A change copied again costs about four objects copied in order (a
        // lookup and an insertion into an ordered map).
        let take = pending.min((left / 4).max(1));
        for key in &self.log.keys[from..from + take] {
            if c.kinds.contains(&key.kind()) {
                self.tables.copy_key(&mut c.copy, key);
            }
        }
        c.pos += take as u64;
        if take < pending {
            return false;
        }
        // Complete: this copy no longer needs the log.
        self.log.copies -= 1;
        if self.log.copies == 0 {
            self.log.start = self.log.end();
            self.log.keys.clear();
            if self.log.keys.capacity() > LOG_CAP / 16 {
                self.log.keys = Vec::new();
            }
        }
        true
    }
}
