//! How long the host keeps GC references: [`RootScope`], which releases the references made
//! while it is active when it ends, and [`OwnedRooted`], which keeps one reference until it is
//! dropped. Both in the manner of wasmtime's API of the same names.
//!
//! A reference handed to the host ([`AnyRef`], and [`StructRef`], [`ArrayRef`] and
//! [`ExternRef`](crate::ExternRef) wrapping one) names a *scoped root* of its store: the
//! collector keeps its object while the root lives. Scoped roots are released last in, first
//! out: when a `RootScope` ends, every root made since it began goes, and a call of a host
//! function is a scope of its own. Roots made outside any scope live as long as the store.

use crate::gc_objects::{ArrayRef, StructRef};
use crate::store::StoreOpaque;
use crate::{AnyRef, AsContext, AsContextMut, StoreContext, StoreContextMut};
use anyhow::{bail, Result};
use std::marker::PhantomData;
use std::sync::Arc;
use wasmfx_runtime::RootHandle;

/// A scope for GC references: those made while it is active are released when it is dropped
/// (using one afterwards is an error). Gives access to the store it wraps.
pub struct RootScope<C: AsContextMut> {
    store: C,
    start: usize,
}

impl<C: AsContextMut> RootScope<C> {
    /// A scope beginning now in `store`.
    pub fn new(mut store: C) -> RootScope<C> {
        let start = store
            .as_context_mut()
            .0
            .opaque
            .state
            .with_host_roots(|roots| roots.scope_start());
        RootScope { store, start }
    }
}

impl<C: AsContextMut> Drop for RootScope<C> {
    fn drop(&mut self) {
        let start = self.start;
        self.store
            .as_context_mut()
            .0
            .opaque
            .state
            .with_host_roots(|roots| roots.end_scope(start));
    }
}

impl<C: AsContextMut> AsContext for RootScope<C> {
    type Data = C::Data;
    fn as_context(&self) -> StoreContext<'_, C::Data> {
        self.store.as_context()
    }
}

impl<C: AsContextMut> AsContextMut for RootScope<C> {
    fn as_context_mut(&mut self) -> StoreContextMut<'_, C::Data> {
        self.store.as_context_mut()
    }
}

/// A kind of GC reference the host can hold: [`AnyRef`], [`StructRef`] or [`ArrayRef`].
pub trait GcRef: Copy + sealed::Sealed {
    /// The reference as an [`AnyRef`].
    fn to_anyref(&self) -> AnyRef;
    /// The reference of this kind that `anyref` is (known to be one).
    #[doc(hidden)]
    fn from_anyref_unchecked(anyref: AnyRef) -> Self;
}

mod sealed {
    pub trait Sealed {}
    impl Sealed for crate::AnyRef {}
    impl Sealed for crate::StructRef {}
    impl Sealed for crate::ArrayRef {}
}

impl GcRef for AnyRef {
    fn to_anyref(&self) -> AnyRef {
        *self
    }
    fn from_anyref_unchecked(anyref: AnyRef) -> Self {
        anyref
    }
}

impl GcRef for StructRef {
    fn to_anyref(&self) -> AnyRef {
        StructRef::to_anyref(self)
    }
    fn from_anyref_unchecked(anyref: AnyRef) -> Self {
        StructRef::from_anyref(anyref)
    }
}

impl GcRef for ArrayRef {
    fn to_anyref(&self) -> AnyRef {
        ArrayRef::to_anyref(self)
    }
    fn from_anyref_unchecked(anyref: AnyRef) -> Self {
        ArrayRef::from_anyref(anyref)
    }
}

/// How an [`OwnedRooted`] holds its reference.
#[derive(Clone, Copy, Debug)]
enum Owned {
    /// A reference that needs no root (an `i31ref`, a host reference made internal).
    Unboxed(u64),
    /// An owned root of the store.
    Rooted(RootHandle),
}

/// A GC reference kept alive until this handle (and its clones) is dropped, whatever scope is
/// active: for references the host keeps across calls. [`OwnedRooted::to_rooted`] gives the
/// reference back, rooted in the current scope.
#[derive(Clone, Debug)]
pub struct OwnedRooted<T: GcRef> {
    store: u64,
    owned: Owned,
    /// The store releases the root once every clone of this is dropped.
    _holder: Arc<()>,
    kind: PhantomData<T>,
}

impl<T: GcRef> OwnedRooted<T> {
    /// Roots `reference` of `store` until the handle is dropped.
    pub(crate) fn new(store: &StoreOpaque, reference: T) -> Result<OwnedRooted<T>> {
        let anyref = reference.to_anyref();
        let bits = anyref.to_raw(store)?;
        let holder = Arc::new(());
        let owned = match anyref.unboxed_bits() {
            Some(bits) => Owned::Unboxed(bits),
            None => Owned::Rooted(
                store
                    .state
                    .with_host_roots(|roots| roots.push_owned(u128::from(bits), &holder)),
            ),
        };
        Ok(OwnedRooted {
            store: store.id,
            owned,
            _holder: holder,
            kind: PhantomData,
        })
    }

    /// The reference, rooted in the innermost scope of `store`. Fails for another store.
    pub fn to_rooted(&self, store: impl AsContext) -> Result<T> {
        let store = &store.as_context().0.opaque;
        if store.id != self.store {
            bail!("a GC reference used with a store it does not belong to");
        }
        let bits = match self.owned {
            Owned::Unboxed(bits) => bits,
            Owned::Rooted(root) => match store.state.with_host_roots(|roots| roots.owned(root)) {
                Some(bits) => bits as u64,
                None => bail!("an owned GC reference was released while held"),
            },
        };
        match AnyRef::from_raw(store, bits) {
            Some(anyref) => Ok(T::from_anyref_unchecked(anyref)),
            None => bail!("an owned GC reference was null"),
        }
    }
}

impl AnyRef {
    /// This reference, kept alive until the returned handle is dropped. Fails if it belongs
    /// to another store or its scope has ended.
    pub fn to_owned_rooted(&self, store: impl AsContext) -> Result<OwnedRooted<AnyRef>> {
        OwnedRooted::new(&store.as_context().0.opaque, *self)
    }
}

impl StructRef {
    /// This reference, kept alive until the returned handle is dropped.
    pub fn to_owned_rooted(&self, store: impl AsContext) -> Result<OwnedRooted<StructRef>> {
        OwnedRooted::new(&store.as_context().0.opaque, *self)
    }
}

impl ArrayRef {
    /// This reference, kept alive until the returned handle is dropped.
    pub fn to_owned_rooted(&self, store: impl AsContext) -> Result<OwnedRooted<ArrayRef>> {
        OwnedRooted::new(&store.as_context().0.opaque, *self)
    }
}
