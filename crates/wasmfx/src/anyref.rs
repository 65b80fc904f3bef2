//! References of the `any` hierarchy of the GC proposal ([`AnyRef`]) and the unboxed 31-bit
//! integers an `i31ref` holds ([`I31`]).
//!
//! A reference is one 64-bit word (see `docs/gc.md` and `gc_layout::REF_TAG_MASK`): null is 0,
//! an `i31ref` is `(value << 1) | 1`, a host's external reference made internal
//! (`any.convert_extern`) keeps its `(index << 2) | 2` word, and anything else is the 8-aligned
//! address of a GC object of the store's heap, whose header holds its engine-wide type id and
//! its length (an array's element count, or [`gc_header::STRUCT_LENGTH`] for a struct).
//!
//! An [`AnyRef`] to an object does not hold the address: it names a *root* of the store (see
//! `crate::rooting`), which the collector keeps the object alive for, and which is released
//! when the [`RootScope`](crate::RootScope) it was made in ends. Using the reference after that
//! is an error, never a dangling read.

use crate::store::StoreOpaque;
use crate::{AsContext, HeapType, TypeId};
use anyhow::{anyhow, bail, Result};
use wasmfx_environ::{gc_header, HOST_EXTERN_TAG, I31_TAG, REF_TAG_MASK};
use wasmfx_runtime::RootHandle;

/// An unboxed 31-bit integer: the value of an `i31ref`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct I31(u32);

impl I31 {
    /// The bits an `i31` keeps.
    const MASK: u32 = (1 << 31) - 1;

    /// `value`, if it fits in 31 bits as an unsigned integer (is below 2^31).
    pub fn new_u32(value: u32) -> Option<I31> {
        (value <= I31::MASK).then_some(I31(value))
    }

    /// `value`, if it fits in 31 bits as a signed integer (-2^30 to 2^30 - 1).
    pub fn new_i32(value: i32) -> Option<I31> {
        let wrapped = I31::wrapping_i32(value);
        (wrapped.get_i32() == value).then_some(wrapped)
    }

    /// The low 31 bits of `value` (what `ref.i31` keeps of its operand).
    pub fn wrapping_u32(value: u32) -> I31 {
        I31(value & I31::MASK)
    }

    /// The low 31 bits of `value` (what `ref.i31` keeps of its operand).
    pub fn wrapping_i32(value: i32) -> I31 {
        I31::wrapping_u32(value as u32)
    }

    /// The value zero-extended to 32 bits (what `i31.get_u` gives).
    pub fn get_u32(self) -> u32 {
        self.0
    }

    /// The value sign-extended to 32 bits (what `i31.get_s` gives).
    pub fn get_i32(self) -> i32 {
        ((self.0 << 1) as i32) >> 1
    }
}

/// A non-null reference of the `any` hierarchy (`anyref`, `eqref`, `i31ref`, `structref`,
/// `arrayref` and references to defined struct and array types): an unboxed [`I31`], or a
/// struct or array object of its store's GC heap.
///
/// The reference belongs to the store it was made in or read from. A reference to an object
/// is rooted in the innermost [`RootScope`](crate::RootScope) active when it was made (or, with
/// none, in the store until it is dropped; a host function's call is a scope of its own), like
/// wasmtime's `Rooted<AnyRef>`; [`AnyRef::to_owned_rooted`] keeps it beyond. Methods that look
/// at the object take the store and fail if it is another one, or if the reference's scope has
/// ended. [`AnyRef::ref_eq`] compares references as `ref.eq` does.
#[derive(Clone, Copy)]
pub struct AnyRef {
    /// The id of the store the reference belongs to.
    store: u64,
    /// The reference, or its root.
    handle: Handle,
}

/// How an [`AnyRef`] holds its reference.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Handle {
    /// The reference's bits (never 0): an `i31ref` or a host reference made internal, which
    /// need no root.
    Unboxed(u64),
    /// A scoped root of the store holding an object's address.
    Rooted(RootHandle),
}

/// What a reference refers to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Referent {
    /// An unboxed integer.
    I31,
    /// A host's external reference, made internal by `any.convert_extern`.
    HostExtern,
    /// A GC object, with its header.
    Object(ObjectHeader),
}

/// The header of a GC object.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct ObjectHeader {
    /// The engine-wide id of the object's type.
    type_id: u32,
    /// The array's length, or [`gc_header::STRUCT_LENGTH`] for a struct.
    length: u32,
}

impl ObjectHeader {
    fn is_struct(&self) -> bool {
        self.length == gc_header::STRUCT_LENGTH
    }
}

/// Reads the header of the GC object at `addr`.
///
/// # Safety
///
/// `addr` must be the address of a live GC object (8-aligned, header readable).
unsafe fn read_header(addr: usize) -> ObjectHeader {
    let field = |offset: u32| (addr + offset as usize) as *const u32;
    // SAFETY: per the contract, the header's two `u32` fields are readable and aligned.
    unsafe {
        ObjectHeader {
            type_id: field(gc_header::TYPE_ID).read(),
            length: field(gc_header::LENGTH).read(),
        }
    }
}

impl AnyRef {
    /// The reference with bits `bits` (from a value slot, table or global of `store`), rooted
    /// in the innermost scope if it is an object's address, or `None` for null.
    pub(crate) fn from_raw(store: &StoreOpaque, bits: u64) -> Option<AnyRef> {
        let handle = match bits {
            0 => return None,
            bits if bits & REF_TAG_MASK != 0 => Handle::Unboxed(bits),
            address => Handle::Rooted(
                store
                    .state
                    .with_host_roots(|roots| roots.push_scoped(u128::from(address))),
            ),
        };
        Some(AnyRef {
            store: store.id,
            handle,
        })
    }

    /// The reference's bits, for a value slot of `store`; an error if it belongs to another
    /// store or its scope has ended.
    pub(crate) fn to_raw(self, store: &StoreOpaque) -> Result<u64> {
        self.check_store(store)?;
        match self.handle {
            Handle::Unboxed(bits) => Ok(bits),
            Handle::Rooted(root) => store
                .state
                .with_host_roots(|roots| roots.scoped(root))
                .map(|bits| bits as u64)
                .ok_or_else(|| {
                    anyhow!("a GC reference used after the root scope it was made in ended")
                }),
        }
    }

    /// An `i31ref` holding `value`, for use in `store`.
    pub fn from_i31(store: impl AsContext, value: I31) -> AnyRef {
        AnyRef::from_parts(
            store.as_context().0.opaque.id,
            (u64::from(value.get_u32()) << 1) | 1,
        )
    }

    /// Whether this is an `i31ref`.
    pub fn is_i31(&self) -> bool {
        self.unboxed_bits().is_some_and(|bits| bits & I31_TAG != 0)
    }

    /// The reference's bits if it needs no root (an `i31ref` or a host reference made
    /// internal).
    pub(crate) fn unboxed_bits(&self) -> Option<u64> {
        match self.handle {
            Handle::Unboxed(bits) => Some(bits),
            Handle::Rooted(_) => None,
        }
    }

    /// The id of the store the reference belongs to.
    pub(crate) fn store_id(&self) -> u64 {
        self.store
    }

    /// The reference of store `store` with bits `bits`, an `i31ref` or a host reference made
    /// internal (non-zero, tagged).
    pub(crate) fn from_parts(store: u64, bits: u64) -> AnyRef {
        AnyRef {
            store,
            handle: Handle::Unboxed(bits),
        }
    }

    /// The integer, if this is an `i31ref`.
    pub fn as_i31(&self) -> Option<I31> {
        // The shift leaves the 31 bits of the value: `wrapping_u32` keeps them all.
        let bits = self.unboxed_bits().filter(|bits| bits & I31_TAG != 0)?;
        Some(I31::wrapping_u32((bits >> 1) as u32))
    }

    /// Whether `self` and `other` are the same reference, as `ref.eq` compares them: equal
    /// `i31` values, or the same object. Fails if either belongs to another store or its scope
    /// has ended.
    pub fn ref_eq(&self, store: impl AsContext, other: &AnyRef) -> Result<bool> {
        let store = &store.as_context().0.opaque;
        Ok(self.to_raw(store)? == other.to_raw(store)?)
    }

    /// Whether this is an `eqref` (an `i31ref`, a struct or an array): a reference `ref.eq`
    /// can compare, unlike a host reference made internal. Fails if the reference belongs to
    /// another store.
    pub fn is_eqref(&self, store: impl AsContext) -> Result<bool> {
        let referent = self.referent(&store.as_context().0.opaque)?;
        Ok(referent != Referent::HostExtern)
    }

    /// Whether this is a reference to a struct. Fails if the reference belongs to another
    /// store.
    pub fn is_struct(&self, store: impl AsContext) -> Result<bool> {
        let referent = self.referent(&store.as_context().0.opaque)?;
        Ok(matches!(referent, Referent::Object(h) if h.is_struct()))
    }

    /// Whether this is a reference to an array. Fails if the reference belongs to another
    /// store.
    pub fn is_array(&self, store: impl AsContext) -> Result<bool> {
        Ok(self.array_len(store)?.is_some())
    }

    /// The number of elements, if this is a reference to an array. Fails if the reference
    /// belongs to another store.
    pub fn array_len(&self, store: impl AsContext) -> Result<Option<u32>> {
        Ok(match self.referent(&store.as_context().0.opaque)? {
            Referent::Object(h) if !h.is_struct() => Some(h.length),
            _ => None,
        })
    }

    /// The most precise heap type of the reference: [`HeapType::I31`], the defined type of
    /// the object, or [`HeapType::Any`] for a host reference made internal. Fails if the
    /// reference belongs to another store.
    pub fn ty(&self, store: impl AsContext) -> Result<HeapType> {
        Ok(match self.referent(&store.as_context().0.opaque)? {
            Referent::I31 => HeapType::I31,
            Referent::HostExtern => HeapType::Any,
            Referent::Object(h) => HeapType::Concrete(TypeId(h.type_id)),
        })
    }

    /// Whether the reference is a value of heap type `heap` (a type of the `any` hierarchy)
    /// in `store`; never for a reference of another store.
    pub(crate) fn matches_heap(&self, store: &StoreOpaque, heap: HeapType) -> bool {
        let Ok(referent) = self.referent(store) else {
            return false;
        };
        match (heap, referent) {
            (HeapType::Any, _) => true,
            (HeapType::Eq, Referent::I31 | Referent::Object(_)) => true,
            (HeapType::I31, Referent::I31) => true,
            (HeapType::Struct, Referent::Object(h)) => h.is_struct(),
            (HeapType::Array, Referent::Object(h)) => !h.is_struct(),
            (HeapType::Concrete(ty), Referent::Object(h)) => {
                store.engine.types().is_subtype(h.type_id, ty.0)
            }
            _ => false,
        }
    }

    /// The value for error messages.
    pub(crate) fn describe(&self) -> String {
        match self.as_i31() {
            Some(i) => format!("an i31 reference ({})", i.get_u32()),
            None if self.is_host_extern() => "a host reference made internal".to_string(),
            None => "a reference to a GC object".to_string(),
        }
    }

    /// Whether this is a host's external reference made internal.
    fn is_host_extern(&self) -> bool {
        self.unboxed_bits()
            .is_some_and(|bits| bits & REF_TAG_MASK == HOST_EXTERN_TAG)
    }

    /// Fails if the reference belongs to another store than `store`.
    fn check_store(&self, store: &StoreOpaque) -> Result<()> {
        if self.store != store.id {
            bail!("a GC reference used with a store it does not belong to");
        }
        Ok(())
    }

    /// What the reference refers to, with the object's header; an error if the reference
    /// belongs to another store.
    fn referent(&self, store: &StoreOpaque) -> Result<Referent> {
        let bits = self.to_raw(store)?;
        if self.is_i31() {
            return Ok(Referent::I31);
        }
        if self.is_host_extern() {
            return Ok(Referent::HostExtern);
        }
        // SAFETY: a rooted reference holds the address of an object of the store's GC heap
        // (wasm code of `store` produced it; the host cannot make others), and its root, live
        // as `to_raw` checked, keeps the object from being collected.
        Ok(Referent::Object(unsafe { read_header(bits as usize) }))
    }

    /// The address of the object this refers to, with its header, if it refers to one.
    pub(crate) fn object(&self, store: &StoreOpaque) -> Result<Option<(usize, u32, u32)>> {
        let address = self.to_raw(store)? as usize;
        Ok(match self.referent(store)? {
            Referent::Object(header) => Some((address, header.type_id, header.length)),
            _ => None,
        })
    }
}

impl std::fmt::Debug for AnyRef {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match (self.as_i31(), self.handle) {
            (Some(i), _) => write!(f, "AnyRef(i31 {})", i.get_u32()),
            (None, Handle::Unboxed(bits)) => write!(f, "AnyRef(host {})", bits >> 2),
            (None, Handle::Rooted(root)) => write!(f, "AnyRef(root {})", root.index),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Engine, Module, Store};

    /// The opaque part of `store`.
    fn opaque<T>(store: &Store<T>) -> &StoreOpaque {
        &store.as_context().0.opaque
    }

    #[test]
    fn i31_conversions() {
        assert_eq!(
            I31::new_u32(0x7fff_ffff).map(I31::get_u32),
            Some(0x7fff_ffff)
        );
        assert_eq!(I31::new_u32(0x8000_0000), None);
        assert_eq!(I31::new_i32(-1).map(I31::get_u32), Some(0x7fff_ffff));
        assert_eq!(
            I31::new_i32(-0x4000_0000).map(I31::get_i32),
            Some(-0x4000_0000)
        );
        assert_eq!(I31::new_i32(0x4000_0000), None);
        assert_eq!(I31::new_i32(-0x4000_0001), None);
        assert_eq!(I31::wrapping_u32(0xffff_ffff).get_u32(), 0x7fff_ffff);
        assert_eq!(I31::wrapping_u32(0xffff_ffff).get_i32(), -1);
        assert_eq!(I31::wrapping_i32(0x4000_0000).get_i32(), -0x4000_0000);
        assert_eq!(I31::wrapping_i32(0x4000_0000).get_u32(), 0x4000_0000);
    }

    #[test]
    fn i31_references() {
        let store = Store::new(&Engine::default(), ());
        for value in [0, 1, 0x4000_0000, 0x7fff_ffff] {
            let r = AnyRef::from_i31(&store, I31::wrapping_u32(value));
            assert!(r.is_i31());
            assert_eq!(r.as_i31().map(I31::get_u32), Some(value));
            assert_eq!(
                r.to_raw(opaque(&store)).unwrap(),
                (u64::from(value) << 1) | 1
            );
            assert!(r.is_eqref(&store).unwrap());
            assert!(!r.is_struct(&store).unwrap());
            assert!(!r.is_array(&store).unwrap());
            assert_eq!(r.array_len(&store).unwrap(), None);
            assert_eq!(r.ty(&store).unwrap(), HeapType::I31);
        }
        let other = Store::new(&Engine::default(), ());
        let r = AnyRef::from_i31(&store, I31::default());
        assert!(r.to_raw(opaque(&other)).is_err());
        assert!(r.is_eqref(&other).is_err());
        assert!(!r.matches_heap(opaque(&other), HeapType::Any));
    }

    /// A fake GC object: its header, then one word of fields, 8-aligned as objects are.
    fn fake_object(type_id: u32, length: u32) -> Box<[u64]> {
        let mut header = [0; 8];
        header[gc_header::TYPE_ID as usize..][..4].copy_from_slice(&type_id.to_ne_bytes());
        header[gc_header::LENGTH as usize..][..4].copy_from_slice(&length.to_ne_bytes());
        vec![u64::from_ne_bytes(header), 0].into_boxed_slice()
    }

    #[test]
    fn objects_are_matched_by_their_headers() {
        let engine = Engine::default();
        let module = Module::new(
            &engine,
            r#"(module
                 (type $s (sub (struct)))
                 (type $t (sub $s (struct (field i32))))
                 (type $a (array i8))
                 (type $f (func)))"#,
        )
        .unwrap();
        let ids = module.type_ids().to_vec();
        let [s, t, a, f] = [0, 1, 2, 3].map(|i| HeapType::Concrete(TypeId(ids[i])));
        let store = Store::new(&engine, ());
        let opaque = opaque(&store);

        let t_object = fake_object(ids[1], gc_header::STRUCT_LENGTH);
        let t_ref = AnyRef::from_raw(opaque, t_object.as_ptr() as u64).unwrap();
        assert!(!t_ref.is_i31());
        assert_eq!(t_ref.as_i31(), None);
        assert!(t_ref.is_struct(&store).unwrap());
        assert!(!t_ref.is_array(&store).unwrap());
        assert!(t_ref.is_eqref(&store).unwrap());
        assert_eq!(t_ref.array_len(&store).unwrap(), None);
        assert_eq!(t_ref.ty(&store).unwrap(), t);
        for (heap, expected) in [
            (HeapType::Any, true),
            (HeapType::Eq, true),
            (HeapType::Struct, true),
            (s, true),
            (t, true),
            (HeapType::Array, false),
            (HeapType::I31, false),
            (HeapType::None, false),
            (a, false),
            (f, false),
        ] {
            assert_eq!(t_ref.matches_heap(opaque, heap), expected, "{heap:?}");
        }

        let s_object = fake_object(ids[0], gc_header::STRUCT_LENGTH);
        let s_ref = AnyRef::from_raw(opaque, s_object.as_ptr() as u64).unwrap();
        assert!(s_ref.matches_heap(opaque, s));
        assert!(!s_ref.matches_heap(opaque, t));

        let array = fake_object(ids[2], 3);
        let a_ref = AnyRef::from_raw(opaque, array.as_ptr() as u64).unwrap();
        assert!(a_ref.is_array(&store).unwrap());
        assert!(!a_ref.is_struct(&store).unwrap());
        assert_eq!(a_ref.array_len(&store).unwrap(), Some(3));
        assert_eq!(a_ref.ty(&store).unwrap(), a);
        for (heap, expected) in [
            (HeapType::Any, true),
            (HeapType::Eq, true),
            (HeapType::Array, true),
            (a, true),
            (HeapType::Struct, false),
            (HeapType::I31, false),
            (s, false),
        ] {
            assert_eq!(a_ref.matches_heap(opaque, heap), expected, "{heap:?}");
        }
        assert!(!a_ref.ref_eq(&store, &t_ref).unwrap());
        assert!(a_ref.ref_eq(&store, &a_ref).unwrap());
        assert!(AnyRef::from_raw(opaque, 0).is_none());
    }
}
