//! Which slots of a pool are free: the bookkeeping every pool shares. Never-used slots are
//! handed out in order, freed ones first, each with a note its last user left (for memories,
//! how far the slot is accessible).

use anyhow::{bail, Result};
use std::sync::Mutex;

/// The free slots of a pool of `max` slots of one kind.
#[derive(Debug)]
pub(crate) struct SlotList<T> {
    /// What a slot holds, plural, for the exhaustion error ("memories").
    kind: &'static str,
    max: usize,
    state: Mutex<SlotState<T>>,
}

#[derive(Debug)]
struct SlotState<T> {
    /// Slots that were used and freed, with their notes.
    freed: Vec<(usize, T)>,
    /// Slots from here on were never used.
    fresh: usize,
}

/// A slot taken from a [`SlotList`].
#[derive(Debug)]
pub(crate) struct TakenSlot<T> {
    /// The slot's index.
    pub(crate) index: usize,
    /// What its last user left, or `None` if it was never used.
    pub(crate) note: Option<T>,
}

impl<T> SlotList<T> {
    /// `max` slots, all free, of `kind`.
    pub(crate) fn new(kind: &'static str, max: usize) -> SlotList<T> {
        SlotList {
            kind,
            max,
            state: Mutex::new(SlotState {
                freed: Vec::new(),
                fresh: 0,
            }),
        }
    }

    /// Takes a free slot, in O(1).
    pub(crate) fn take(&self) -> Result<TakenSlot<T>> {
        let mut state = self.state.lock().expect("pool slots");
        if let Some((index, note)) = state.freed.pop() {
            return Ok(TakenSlot {
                index,
                note: Some(note),
            });
        }
        if state.fresh == self.max {
            bail!(
                "pooling allocator: maximum number of {} ({}) reached",
                self.kind,
                self.max
            );
        }
        state.fresh += 1;
        Ok(TakenSlot {
            index: state.fresh - 1,
            note: None,
        })
    }

    /// Returns slot `index`, taken before, with `note` for its next user.
    pub(crate) fn give_back(&self, index: usize, note: T) {
        self.state
            .lock()
            .expect("pool slots")
            .freed
            .push((index, note));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fresh_slots_in_order_then_freed_ones_with_their_notes() {
        let slots = SlotList::new("things", 2);
        let a = slots.take().unwrap();
        let b = slots.take().unwrap();
        assert_eq!((a.index, a.note, b.index), (0, None, 1));
        let err = slots.take().unwrap_err();
        assert_eq!(
            err.to_string(),
            "pooling allocator: maximum number of things (2) reached"
        );
        slots.give_back(1, "left");
        let c = slots.take().unwrap();
        assert_eq!((c.index, c.note), (1, Some("left")));
    }
}
