//! The GC references the host holds, which the collector treats as roots: *scoped* roots,
//! released together when the scope they were made in ends (last in, first out), and *owned*
//! roots, released once the host drops its handle. A handle names its root by index and by a
//! unique id, so a handle used after its root was released is told apart from the root that
//! took its place.

use std::sync::{Arc, Weak};

/// A root's place: its index in its list and its unique id.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct RootHandle {
    /// Index in the list of scoped or owned roots.
    pub index: u32,
    /// The id the root was given, never reused.
    pub id: u64,
}

/// A rooted reference's bits (a reference word, or a fat continuation reference) with its id.
#[derive(Debug, Clone, Copy)]
struct Root {
    bits: u128,
    id: u64,
}

/// An owned root: its reference, and the host's handle, whose drop releases it.
#[derive(Debug)]
struct OwnedRoot {
    root: Root,
    holder: Weak<()>,
}

/// The references the host holds.
#[derive(Debug, Default)]
pub struct HostRoots {
    scoped: Vec<Root>,
    owned: Vec<Option<OwnedRoot>>,
    free_owned: Vec<u32>,
    next_id: u64,
}

impl HostRoots {
    fn new_id(&mut self) -> u64 {
        self.next_id += 1;
        self.next_id
    }

    /// Roots `bits` in the innermost scope.
    pub fn push_scoped(&mut self, bits: u128) -> RootHandle {
        let id = self.new_id();
        self.scoped.push(Root { bits, id });
        RootHandle {
            index: (self.scoped.len() - 1) as u32,
            id,
        }
    }

    /// The bits of scoped root `handle`, if its scope has not ended.
    pub fn scoped(&self, handle: RootHandle) -> Option<u128> {
        let root = self.scoped.get(handle.index as usize)?;
        (root.id == handle.id).then_some(root.bits)
    }

    /// The number of scoped roots: a scope begins by noting it ...
    pub fn scope_start(&self) -> usize {
        self.scoped.len()
    }

    /// ... and ends by releasing every scoped root made since.
    pub fn end_scope(&mut self, start: usize) {
        self.scoped.truncate(start);
    }

    /// Roots `bits` until the host drops `holder`'s last strong reference.
    pub fn push_owned(&mut self, bits: u128, holder: &Arc<()>) -> RootHandle {
        let id = self.new_id();
        let root = OwnedRoot {
            root: Root { bits, id },
            holder: Arc::downgrade(holder),
        };
        let index = match self.free_owned.pop() {
            Some(index) => {
                self.owned[index as usize] = Some(root);
                index
            }
            None => {
                self.owned.push(Some(root));
                (self.owned.len() - 1) as u32
            }
        };
        RootHandle { index, id }
    }

    /// The bits of owned root `handle`, if it was not released.
    pub fn owned(&self, handle: RootHandle) -> Option<u128> {
        let root = self.owned.get(handle.index as usize)?.as_ref()?;
        (root.root.id == handle.id).then_some(root.root.bits)
    }

    /// Releases the owned roots whose handles the host dropped.
    pub fn release_dropped(&mut self) {
        for (index, slot) in self.owned.iter_mut().enumerate() {
            if slot
                .as_ref()
                .is_some_and(|root| root.holder.strong_count() == 0)
            {
                *slot = None;
                self.free_owned.push(index as u32);
            }
        }
    }

    /// The bits of every root.
    pub fn all(&self) -> impl Iterator<Item = u128> + '_ {
        let owned = self.owned.iter().flatten().map(|root| root.root.bits);
        self.scoped.iter().map(|root| root.bits).chain(owned)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scopes_release_their_roots_and_stale_handles_are_refused() {
        let mut roots = HostRoots::default();
        let outer = roots.push_scoped(1);
        let start = roots.scope_start();
        let inner = roots.push_scoped(2);
        assert_eq!(roots.all().collect::<Vec<_>>(), [1, 2]);
        roots.end_scope(start);
        assert_eq!(roots.scoped(outer), Some(1));
        assert_eq!(roots.scoped(inner), None);
        // A new root in the released place is not the old one.
        let again = roots.push_scoped(3);
        assert_eq!(again.index, inner.index);
        assert_eq!(roots.scoped(inner), None);
        assert_eq!(roots.scoped(again), Some(3));
    }

    #[test]
    fn owned_roots_live_until_their_holder_is_dropped() {
        let mut roots = HostRoots::default();
        let holder = Arc::new(());
        let kept = roots.push_owned(7, &holder);
        let dropped = {
            let holder = Arc::new(());
            roots.push_owned(8, &holder)
        };
        roots.release_dropped();
        assert_eq!(roots.owned(kept), Some(7));
        assert_eq!(roots.owned(dropped), None);
        assert_eq!(roots.all().collect::<Vec<_>>(), [7]);
        let reused = roots.push_owned(9, &holder);
        assert_eq!(reused.index, dropped.index);
        assert_eq!(roots.owned(dropped), None);
        drop(holder);
        roots.release_dropped();
        assert_eq!(roots.all().count(), 0);
    }
}
