//! [`ChunkMap`]: the ordered map the state view keeps its objects and indexes
//! in, a sorted list of sorted chunks that packs entries added in order.
//!
//! Why not `std`'s `BTreeMap`: its nodes hold 11 entries, and an insertion at
//! the right edge of a node splits a full node 6 | 5 and never fills the left
//! half again. Objects mostly come in key order (ifindexes, addresses and
//! prefixes created in order, and the kernel's dumps), so every map stayed 55 %
//! full: measured, a link entry cost 466 bytes for 252 of data, and the maps
//! were about 45 % of nlwatch's peak heap slack. Here an entry that lands past
//! the end of a full chunk starts a new chunk instead of splitting it (or goes
//! to the front of the next chunk, if that has room), so entries added in
//! ascending or descending order fill their chunks. An insertion inside a full
//! chunk first moves entries to a neighbour with room, and only when both are
//! full splits the chunk at the insertion point (see `insert_inside_full`), so
//! keys that come as several interleaved ascending runs (route tables, each
//! link's routes) fill their chunks too. A chunk left nearly empty by removals
//! is merged into the next one.
//!
//! Lookups are two binary searches: the chunks by a lower bound of their keys,
//! kept in the chunk list beside each chunk's entries (so the search reads
//! the list alone instead of one chunk's heap block per step: measured, the
//! search through the chunks' own first keys was a tenth of nlwatch's CPU in
//! a burst), then one chunk. A chunk emptied by removals stays in the list, its memory
//! freed, until empty chunks are an eighth of the list, which is then
//! compacted at once: taking each out as it emptied moved the whole list (at
//! 70,000 routes, 2,800 chunks and their bounds, a quarter MiB) every time,
//! measured as 9 % of a burst's instructions. An insertion moves at most two
//! chunks' entries (about 8 KiB). It holds no `unsafe` code and never panics
//! on any sequence of calls.

use std::cell::Cell;
use std::fmt;
use std::ops::{Bound, RangeBounds};

/// An ordered map from `K` to `V` in sorted chunks of about 4 KiB (see the
/// module docs).
///
/// Invariants: each chunk's bound is at most every key of the chunk and
/// above every key of the chunks before it (the bounds ascend); `empty`
/// counts the empty chunks.
pub(crate) struct ChunkMap<K, V> {
    chunks: Vec<Chunk<K, V>>,
    /// Entries (a view's map holds far fewer than 2^32; 32-bit counts keep
    /// the map 40 bytes, and a namespace has about fifteen).
    len: u32,
    /// Empty chunks.
    empty: u32,
    /// The chunk the last search ended in, looked at first by the next:
    /// keys often come in order (a dump's answers, a burst's routes), so
    /// the next key is mostly in the same chunk or the one after it, and
    /// the search over the chunks is two comparisons instead of a dozen.
    /// (Only a guess: it is checked against the bounds every time.)
    finger: Cell<u32>,
}

/// One chunk: its entries, and the lower bound of their keys the search
/// over the chunks reads (beside the entries' pointer, not behind it).
struct Chunk<K, V> {
    /// At most every key of the chunk, above every key of the chunks before
    /// it: its first key, or for an emptied chunk the first key it had.
    bound: K,
    entries: Vec<(K, V)>,
}

impl<K, V> Default for ChunkMap<K, V> {
    fn default() -> Self {
        ChunkMap {
            chunks: Vec::new(),
            len: 0,
            empty: 0,
            finger: Cell::new(0),
        }
    }
}

impl<K: fmt::Debug, V: fmt::Debug> fmt::Debug for ChunkMap<K, V> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_map()
            .entries(
                self.chunks
                    .iter()
                    .flat_map(|c| &c.entries)
                    .map(|(k, v)| (k, v)),
            )
            .finish()
    }
}

impl<K: Ord + Clone, V> ChunkMap<K, V> {
    /// Entries per chunk: about 4 KiB of them, at least 16 (a chunk of large
    /// entries still saves on per-allocation overhead) and at most 512.
    const CAP: usize = {
        let size = std::mem::size_of::<(K, V)>();
        let n = match 4096usize.checked_div(size) {
            Some(n) => n,
            None => 512,
        };
        if n < 16 {
            16
        } else if n > 512 {
            512
        } else {
            n
        }
    };

    /// The capacity a map's first chunk starts with.
    /// (`CAP` is at least 16.)
    const FIRST_CAP: usize = 4;

    /// An empty map; allocates nothing.
    #[cfg(test)]
    pub(crate) fn new() -> Self {
        Self::default()
    }

    /// How many entries it holds.
    pub(crate) fn len(&self) -> usize {
        self.len as usize
    }

    /// Whether it holds none.
    #[cfg(test)]
    pub(crate) fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// The chunk that holds `key` if any entry does (the last chunk whose first
    /// key is not above it, or the first chunk), and where in it `key` is or
    /// would go.
    fn find(&self, key: &K) -> (usize, Result<usize, usize>) {
        // Chunk `c` is the one when its bound is at most `key` and the next
        // chunk's above it (or `c` is the last).
        let holds = |c: usize| {
            self.chunks.get(c).is_some_and(|chunk| &chunk.bound <= key)
                && self
                    .chunks
                    .get(c + 1)
                    .map_or(true, |next| key < &next.bound)
        };
        let guess = self.finger.get() as usize;
        let at = if holds(guess) {
            guess
        } else if holds(guess + 1) {
            guess + 1
        } else {
            self.chunks
                .partition_point(|c| &c.bound <= key)
                .saturating_sub(1)
        };
        self.finger.set(at as u32);
        match self.chunks.get(at) {
            Some(chunk) => (at, chunk.entries.binary_search_by(|(k, _)| k.cmp(key))),
            None => (0, Err(0)),
        }
    }

    /// Makes chunk `c`'s first key its bound after its front changed (always
    /// a valid bound: every key before the chunk is below its old one).
    fn sync_first(&mut self, c: usize) {
        if let Some(Chunk { bound, entries }) = self.chunks.get_mut(c) {
            if let Some((k, _)) = entries.first() {
                bound.clone_from(k);
            }
        }
    }

    /// Puts `chunk`, not empty, at `c` in the chunk list.
    fn insert_chunk(&mut self, c: usize, entries: Vec<(K, V)>) {
        if let Some((k, _)) = entries.first() {
            if self.chunks.is_empty() {
                // Room for one chunk: most maps of a namespace that holds
                // little never have a second, and the list's first growth
                // (four chunks) cost 10,000 such namespaces about 7 MiB
                // (measured: `cargo bench --bench scale -- 10000`).
                self.chunks.reserve_exact(1);
            }
            let bound = k.clone();
            self.chunks.insert(c, Chunk { bound, entries });
        }
    }

    /// Chunk `c` was just emptied (its bound still valid): its memory goes
    /// now, its place in the list at once when it ends the list (with any
    /// empty chunks before it), else when empty chunks are an eighth of the
    /// list.
    fn emptied(&mut self, c: usize) {
        if c + 1 == self.chunks.len() {
            self.chunks.pop();
            while self.chunks.last().is_some_and(|c| c.entries.is_empty()) {
                self.chunks.pop();
                self.empty -= 1;
            }
        } else if let Some(chunk) = self.chunks.get_mut(c) {
            chunk.entries = Vec::new();
            self.empty += 1;
        }
        if self.len == 0 {
            *self = Self::default();
        } else if self.empty as usize * 8 > self.chunks.len() {
            self.compact();
        }
    }

    /// Takes the empty chunks out of the list, in one pass.
    fn compact(&mut self) {
        self.chunks.retain(|c| !c.entries.is_empty());
        self.empty = 0;
        if self.chunks.len() < self.chunks.capacity() / 4 {
            self.chunks.shrink_to_fit();
        }
    }

    /// An entry goes into chunk `c`: it is no longer empty if it was.
    fn filling(&mut self, c: usize) {
        if self.chunks.get(c).is_some_and(|c| c.entries.is_empty()) {
            self.empty -= 1;
        }
    }

    /// The value under `key`.
    pub(crate) fn get(&self, key: &K) -> Option<&V> {
        match self.find(key) {
            (c, Ok(i)) => self.chunks.get(c)?.entries.get(i).map(|(_, v)| v),
            _ => None,
        }
    }

    /// Whether an entry is under `key`.
    pub(crate) fn contains_key(&self, key: &K) -> bool {
        self.get(key).is_some()
    }

    /// Puts `value` under `key`; returns the value it replaced.
    pub(crate) fn insert(&mut self, key: K, value: V) -> Option<V> {
        let (c, at) = self.find(&key);
        match at {
            Ok(i) => {
                let slot = self.chunks.get_mut(c)?.entries.get_mut(i)?;
                Some(std::mem::replace(&mut slot.1, value))
            }
            Err(i) => {
                self.insert_at(c, i, key, value);
                None
            }
        }
    }

    /// One search for a read and a write: `f` gets the value under `key`
    /// (`None` when there is none) and returns a value to put under `key`
    /// when there was none, and its result.
    pub(crate) fn upsert_with<R>(
        &mut self,
        key: K,
        f: impl FnOnce(Option<&mut V>) -> (Option<V>, R),
    ) -> R {
        let (c, at) = self.find(&key);
        match at {
            Ok(i) => {
                f(self
                    .chunks
                    .get_mut(c)
                    .and_then(|chunk| chunk.entries.get_mut(i))
                    .map(|(_, v)| v))
                .1
            }
            Err(i) => {
                let (value, result) = f(None);
                if let Some(value) = value {
                    self.insert_at(c, i, key, value);
                }
                result
            }
        }
    }

    /// Puts `(key, value)` at `i` of chunk `c`, where `find` said it goes.
    fn insert_at(&mut self, c: usize, i: usize, key: K, value: V) {
        self.len += 1;
        let cap = Self::CAP;
        let Some(chunk) = self.chunks.get_mut(c).map(|c| &mut c.entries) else {
            // The first entry. Its chunk starts small and doubles up to a full
            // one: most maps of a namespace that holds little (a container's
            // `lo`, one veth) never hold more than a few entries, and 10,000
            // such namespaces must not cost a dozen 4 KiB chunks each.
            let mut chunk = Vec::with_capacity(Self::FIRST_CAP);
            chunk.push((key, value));
            self.insert_chunk(0, chunk);
            return;
        };
        if chunk.len() < cap {
            if chunk.is_empty() {
                // An emptied chunk, its memory freed: a whole one again.
                self.empty -= 1;
                chunk.reserve_exact(cap);
            } else if chunk.len() == chunk.capacity() {
                // Only a map's first chunk starts below `cap`; it never grows past.
                chunk.reserve_exact((chunk.len() * 2).min(cap) - chunk.len());
            }
            chunk.insert(i, (key, value));
            if i == 0 {
                self.sync_first(c);
            }
            return;
        }
        let end = chunk.len();
        if i == end {
            // Past the end of a full chunk: the front of the next one if it
            // has room (keys coming in descending order fill it), else a new
            // chunk (keys coming in ascending order fill that one).
            if self
                .chunks
                .get(c + 1)
                .is_some_and(|n| n.entries.len() < cap)
            {
                self.filling(c + 1);
                if let Some(next) = self.chunks.get_mut(c + 1) {
                    next.entries.insert(0, (key, value));
                }
                self.sync_first(c + 1);
                return;
            }
            let mut fresh = Vec::with_capacity(cap);
            fresh.push((key, value));
            self.insert_chunk(c + 1, fresh);
            return;
        }
        if i == 0 {
            // Before the first key of a full chunk (the first chunk's, or
            // one whose bound is below its first key since removals): a new
            // chunk in front, and the full one's bound made its first key,
            // above the new one's.
            let mut fresh = Vec::with_capacity(cap);
            fresh.push((key, value));
            self.insert_chunk(c, fresh);
            self.sync_first(c + 1);
            return;
        }
        self.insert_inside_full(c, i, (key, value));
    }

    /// Room left in chunk `c` (0 when there is no such chunk).
    fn room(&self, c: usize) -> usize {
        self.chunks
            .get(c)
            .map_or(0, |chunk| Self::CAP.saturating_sub(chunk.entries.len()))
    }

    /// Puts `entry` at `i` inside chunk `c`, full (`0 < i < len`).
    ///
    /// Splitting in halves left chunks half full for keys that arrive as
    /// several interleaved ascending runs (a route table's prefixes between
    /// another table's, each link's late routes in the `users` index): the
    /// run goes on in one half and the other never fills again (measured:
    /// routes 59 %, `users` 50 % full). So, first, entries move to a
    /// neighbour with room, as a B*-tree does: the ones from `i` on to the
    /// front of the next chunk (what follows a run makes way for it), else the
    /// ones before `i` to the end of the previous chunk. Only when both are
    /// full is the chunk split, at `i`: the run's entries and `entry` on the
    /// left, what follows on the right, so the run fills its chunk and what
    /// follows is the next one's front. Either way at most two chunks' entries
    /// move.
    fn insert_inside_full(&mut self, c: usize, i: usize, entry: (K, V)) {
        let cap = Self::CAP;
        let (after, before) = (self.room(c + 1), if c > 0 { self.room(c - 1) } else { 0 });
        if after > 0 {
            self.filling(c + 1);
            if let [Chunk { entries: chunk, .. }, Chunk { entries: next, .. }, ..] =
                &mut self.chunks[c..]
            {
                let from = chunk.len() - (chunk.len() - i).min(after);
                next.reserve_exact(chunk.len() - from);
                next.splice(0..0, chunk.drain(from..));
                chunk.insert(i, entry);
                // `from` is past 0: only the next chunk's front changed.
                self.sync_first(c + 1);
                return;
            }
        }
        if before > 0 {
            self.filling(c - 1);
            if let [Chunk { entries: prev, .. }, Chunk { entries: chunk, .. }, ..] =
                &mut self.chunks[c - 1..]
            {
                let n = i.min(before);
                prev.reserve_exact(n);
                prev.extend(chunk.drain(..n));
                chunk.insert(i - n, entry);
                self.sync_first(c);
                return;
            }
        }
        let Some(chunk) = self.chunks.get_mut(c).map(|c| &mut c.entries) else {
            return;
        };
        let mut tail = Vec::with_capacity(cap);
        tail.extend(chunk.drain(i..));
        chunk.push(entry);
        self.insert_chunk(c + 1, tail);
    }

    /// Removes the entry under `key`, returning its value.
    pub(crate) fn remove(&mut self, key: &K) -> Option<V> {
        let (c, Ok(i)) = self.find(key) else {
            return None;
        };
        let chunk = &mut self.chunks.get_mut(c)?.entries;
        let (_, value) = chunk.remove(i);
        self.len -= 1;
        let left = chunk.len();
        // Its bound stays a lower bound of what is left.
        if left == 0 {
            self.emptied(c);
        } else if left < Self::CAP / 4 {
            self.merge_around(c);
        }
        Some(value)
    }

    /// Merges chunk `c`, nearly empty, into a neighbour when both fit in
    /// three quarters of a chunk (so that the next insertions do not split it
    /// again at once): the previous chunk that holds entries (past emptied
    /// ones), else the next one; `c` is left empty.
    fn merge_around(&mut self, c: usize) {
        let room = Self::CAP * 3 / 4;
        let len = |i: usize| self.chunks.get(i).map_or(0, |c| c.entries.len());
        let left = len(c);
        let previous = (0..c).rev().find(|&p| len(p) > 0);
        if let Some(p) = previous.filter(|&p| len(p) + left <= room) {
            // To the end of that chunk. The bounds from it to `c` must then
            // be above those keys: the next chunk's bound is (the keys of `c`
            // were below it); without a next chunk, `c` and the empty chunks
            // before it leave the list.
            let mut moved = std::mem::take(&mut self.chunks[c].entries);
            self.chunks[p].entries.append(&mut moved);
            if let Some(next) = self.chunks.get(c + 1).map(|n| n.bound.clone()) {
                for chunk in &mut self.chunks[p + 1..=c] {
                    chunk.bound.clone_from(&next);
                }
            }
        } else if len(c + 1) > 0 && len(c + 1) + left <= room {
            // To the front of the next chunk, whose bound comes down to them.
            let next_len = len(c + 1);
            let mut moved = std::mem::take(&mut self.chunks[c].entries);
            moved.reserve_exact(next_len);
            moved.append(&mut self.chunks[c + 1].entries);
            self.chunks[c + 1].entries = moved;
            self.sync_first(c + 1);
        } else {
            return;
        }
        self.emptied(c);
    }

    /// The entries whose keys are within `range`, in key order.
    pub(crate) fn range<R: RangeBounds<K>>(&self, range: R) -> Iter<'_, K, V> {
        let (chunk, pos) = match range.start_bound() {
            Bound::Unbounded => (0, 0),
            Bound::Included(k) => match self.find(k) {
                (c, Ok(i) | Err(i)) => (c, i),
            },
            Bound::Excluded(k) => match self.find(k) {
                (c, Ok(i)) => (c, i + 1),
                (c, Err(i)) => (c, i),
            },
        };
        Iter {
            chunks: &self.chunks,
            chunk,
            pos,
            end: range.end_bound().cloned(),
        }
    }

    /// Every entry, in key order.
    pub(crate) fn iter(&self) -> Iter<'_, K, V> {
        self.range(..)
    }

    /// Every key, in order.
    pub(crate) fn keys(&self) -> impl Iterator<Item = &K> + '_ {
        self.iter().map(|(k, _)| k)
    }

    /// Every value, in key order.
    pub(crate) fn values(&self) -> impl Iterator<Item = &V> + '_ {
        self.iter().map(|(_, v)| v)
    }
}

/// The entries of a [`ChunkMap`] from a position on, up to an end bound.
pub(crate) struct Iter<'a, K, V> {
    chunks: &'a [Chunk<K, V>],
    chunk: usize,
    pos: usize,
    end: Bound<K>,
}

impl<'a, K: Ord, V> Iterator for Iter<'a, K, V> {
    type Item = (&'a K, &'a V);

    fn next(&mut self) -> Option<Self::Item> {
        loop {
            let chunk = self.chunks.get(self.chunk)?;
            if let Some((k, v)) = chunk.entries.get(self.pos) {
                let within = match &self.end {
                    Bound::Unbounded => true,
                    Bound::Included(end) => k <= end,
                    Bound::Excluded(end) => k < end,
                };
                if !within {
                    // Nothing after it is either.
                    self.chunk = self.chunks.len();
                    return None;
                }
                self.pos += 1;
                return Some((k, v));
            }
            self.chunk += 1;
            self.pos = 0;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeMap;

    /// Every chunk sorted, none over capacity, keys ascending across chunks,
    /// each chunk's bound at most its keys and above the keys before it, the
    /// empty chunks counted (and an eighth of them at most), and the count
    /// right.
    fn check<K: Ord + Clone + fmt::Debug, V>(m: &ChunkMap<K, V>) {
        let cap = ChunkMap::<K, V>::CAP;
        assert!(m.chunks.iter().all(|c| c.entries.len() <= cap));
        assert!(
            m.chunks.windows(2).all(|w| w[0].bound <= w[1].bound),
            "bounds ascend"
        );
        let mut last: Option<&K> = None;
        for Chunk {
            bound,
            entries: chunk,
        } in &m.chunks
        {
            if let Some(last) = last {
                assert!(
                    last < bound,
                    "{last:?} is not below the next bound {bound:?}"
                );
            }
            if let Some((k, _)) = chunk.first() {
                assert!(
                    bound <= k,
                    "bound {bound:?} above the chunk's first key {k:?}"
                );
            }
            last = chunk.last().map(|(k, _)| k).or(last);
        }
        let empty = m.chunks.iter().filter(|c| c.entries.is_empty()).count();
        assert_eq!(empty, m.empty as usize);
        assert!(
            empty * 8 <= m.chunks.len(),
            "{empty} empty of {}",
            m.chunks.len()
        );
        let keys: Vec<&K> = m.keys().collect();
        assert!(keys.windows(2).all(|w| w[0] < w[1]), "{keys:?}");
        assert_eq!(keys.len(), m.len());
    }

    /// Random insertions, replacements, removals and range queries agree
    /// with `BTreeMap`'s, for large and small entries.
    #[test]
    fn behaves_as_a_btree_map() {
        let mut rng = 0x2545_f491_4f6c_dd1d_u64;
        let mut next = move |n: u64| {
            rng ^= rng << 13;
            rng ^= rng >> 7;
            rng ^= rng << 17;
            rng % n
        };
        for span in [10, 300, 5000] {
            let mut m: ChunkMap<u32, [u64; 8]> = ChunkMap::new();
            let mut s: ChunkMap<(u32, u32), ()> = ChunkMap::new();
            let mut want = BTreeMap::new();
            for round in 0..20_000 {
                let k = next(span) as u32;
                // Phases of mostly adding, then of mostly removing.
                let adding = (round / 2000) % 2 == 0;
                if next(4) < if adding { 3 } else { 1 } {
                    let v = [next(1000); 8];
                    if next(2) == 0 {
                        assert_eq!(m.insert(k, v), want.insert(k, v));
                    } else {
                        // As the view's upsert: a value there is changed in
                        // place, else one is put there.
                        let was = m.upsert_with(k, |kept| match kept {
                            Some(kept) => (None, Some(std::mem::replace(kept, v))),
                            None => (Some(v), None),
                        });
                        assert_eq!(was, want.insert(k, v));
                    }
                    s.insert((k / 7, k), ());
                } else {
                    assert_eq!(m.remove(&k), want.remove(&k));
                    s.remove(&(k / 7, k));
                }
                assert_eq!(m.get(&k), want.get(&k));
                if round % 97 == 0 {
                    check(&m);
                    check(&s);
                    let (a, b) = (next(span) as u32, next(span) as u32);
                    let (a, b) = (a.min(b), a.max(b));
                    let got: Vec<_> = m.range(a..=b).collect();
                    let exp: Vec<_> = want.range(a..=b).collect();
                    assert_eq!(got, exp);
                    // (`BTreeMap` refuses an empty excluded range.)
                    if a < b {
                        let both = (Bound::Excluded(a), Bound::Excluded(b));
                        let got: Vec<_> = m.range(both).collect();
                        assert_eq!(got, want.range(both).collect::<Vec<_>>());
                    }
                    let got: Vec<_> = s
                        .range((a / 7, 0)..=(a / 7, u32::MAX))
                        .map(|(k, _)| k.1)
                        .collect();
                    let exp: Vec<_> = want.keys().copied().filter(|k| k / 7 == a / 7).collect();
                    assert_eq!(got, exp);
                }
            }
            assert!(m
                .iter()
                .map(|(k, v)| (*k, *v))
                .eq(want.iter().map(|(k, v)| (*k, *v))));
            for k in want.keys() {
                m.remove(k);
            }
            assert!(m.is_empty() && m.chunks.is_empty());
        }
    }

    /// Entries added in ascending or descending order fill their chunks, and
    /// so do entries appended within the map (a run of keys between two
    /// others, as a table's routes land between two other tables').
    #[test]
    fn packs_entries_added_in_order() {
        let cap = ChunkMap::<u32, [u64; 8]>::CAP;
        let full =
            |m: &ChunkMap<u32, [u64; 8]>| m.chunks.iter().filter(|c| c.entries.len() < cap).count();
        let mut up = ChunkMap::new();
        let mut down = ChunkMap::new();
        let mut middle = ChunkMap::new();
        for i in 0..10_000u32 {
            up.insert(i, [0; 8]);
            down.insert(u32::MAX - i, [0; 8]);
            middle.insert(i % 2 * 1_000_000 + i / 2, [0; 8]);
        }
        // At most the last chunk of each run is not full.
        assert!(full(&up) <= 1, "{}", full(&up));
        assert!(full(&down) <= 1, "{}", full(&down));
        assert!(full(&middle) <= 2, "{}", full(&middle));
        check(&middle);
        // Removing most entries merges what is left.
        for i in 0..10_000u32 {
            if i % 10 != 0 {
                up.remove(&i);
            }
        }
        check(&up);
        let holding = up.chunks.iter().filter(|c| !c.entries.is_empty()).count();
        assert!(holding <= 1000 / (cap / 4) + 1, "{holding}");
    }

    /// A map of a few entries holds a few entries' room, not a whole chunk's;
    /// its first chunk doubles up to a full chunk and never past it.
    #[test]
    fn a_small_map_allocates_little() {
        type M = ChunkMap<u32, [u64; 8]>;
        let mut m = M::new();
        m.insert(7, [0; 8]);
        assert_eq!(m.chunks[0].entries.capacity(), M::FIRST_CAP);
        // The chunk list and its bounds: room for that one chunk.
        assert_eq!(m.chunks.capacity(), 1);
        for i in 0..M::FIRST_CAP as u32 + 1 {
            m.insert(i, [0; 8]);
        }
        assert_eq!(m.chunks[0].entries.capacity(), M::FIRST_CAP * 2);
        for i in 0..M::CAP as u32 * 3 {
            m.insert(i, [0; 8]);
            assert!(m.chunks.iter().all(|c| c.entries.capacity() <= M::CAP));
        }
        check(&m);
        assert_eq!(m.len(), M::CAP * 3);
    }

    /// Keys that come as several ascending runs, interleaved (a route table's
    /// prefixes between another table's, as in the burst): the chunks end
    /// nearly full. Splitting in halves left them about half full (59 % for
    /// the burst's routes, measured).
    #[test]
    fn interleaved_ascending_runs_fill_their_chunks() {
        type M = ChunkMap<u32, [u64; 8]>;
        let mut m = M::new();
        for j in 0..2000u32 {
            for run in 0..6u32 {
                m.insert(run * 1_000_000 + j, [0; 8]);
            }
        }
        check(&m);
        let fill = m.len() as f64 / (m.chunks.len() * M::CAP) as f64;
        assert!(fill >= 0.9, "{fill:.2} full, {} chunks", m.chunks.len());
    }
}
