//! Values crossing the host/wasm boundary ([`Val`], [`V128`], [`ExternRef`], [`ExnRef`],
//! [`ContRef`], and [`AnyRef`] from `crate::anyref`) and their conversion to and from the 16-byte slots
//! generated code uses.

use crate::store::{StoreOpaque, Stored};
use crate::{AnyRef, AsContext, AsContextMut, Engine, Func, HeapType, RefType, Tag, ValType};
use anyhow::{bail, Result};
use std::any::Any;
use wasmfx_environ::AbstractHeapType;
use wasmfx_runtime::VMVal;

/// An `externref`: a reference to a host value, or a GC reference wasm made external
/// (`extern.convert_any`), rooted as an [`AnyRef`] is.
#[derive(Clone, Copy, Debug)]
pub struct ExternRef(ExternKind);

/// What an [`ExternRef`] refers to.
#[derive(Clone, Copy, Debug)]
enum ExternKind {
    /// A host value of the store.
    Host(Stored),
    /// A reference of the `any` hierarchy made external.
    Any(AnyRef),
}

impl ExternRef {
    /// Wraps `value` in a new external reference owned by the store.
    pub fn new<T: Any + Send + Sync>(mut store: impl AsContextMut, value: T) -> ExternRef {
        let store = &mut store.as_context_mut().0.opaque;
        store.externrefs.push(Box::new(value));
        ExternRef(ExternKind::Host(store.stored(store.externrefs.len() - 1)))
    }

    /// `anyref` made external, as `extern.convert_any` does (a host reference made internal
    /// becomes that host reference again).
    pub fn convert_any(anyref: AnyRef) -> ExternRef {
        match anyref
            .unboxed_bits()
            .and_then(wasmfx_environ::host_extern_index)
        {
            Some(index) => ExternRef(ExternKind::Host(Stored {
                store: anyref.store_id(),
                index,
            })),
            None => ExternRef(ExternKind::Any(anyref)),
        }
    }

    /// This reference made internal, as `any.convert_extern` does.
    pub fn to_any(&self) -> AnyRef {
        match self.0 {
            ExternKind::Host(stored) => {
                AnyRef::from_parts(stored.store, wasmfx_environ::host_extern_bits(stored.index))
            }
            ExternKind::Any(anyref) => anyref,
        }
    }

    /// The wrapped host value; `None` for a GC reference made external.
    pub fn data<'a, T: 'a>(
        &self,
        store: impl Into<crate::StoreContext<'a, T>>,
    ) -> Option<&'a (dyn Any + Send + Sync)> {
        let ExternKind::Host(stored) = self.0 else {
            return None;
        };
        let store = store.into().0;
        let i = store.opaque.check(stored);
        Some(&*store.opaque.externrefs[i])
    }

    /// The reference word of this reference; an error for a GC reference of another store.
    pub(crate) fn to_raw(self, store: &StoreOpaque) -> Result<u64> {
        match self.0 {
            ExternKind::Host(stored) => Ok(wasmfx_environ::host_extern_bits(store.check(stored))),
            ExternKind::Any(anyref) => anyref.to_raw(store),
        }
    }

    /// The external reference whose word is `bits`, or `None` for null.
    pub(crate) fn from_raw(store: &StoreOpaque, bits: u64) -> Option<ExternRef> {
        match wasmfx_environ::host_extern_index(bits) {
            Some(index) => Some(ExternRef(ExternKind::Host(store.stored(index)))),
            None => AnyRef::from_raw(store, bits).map(|anyref| ExternRef(ExternKind::Any(anyref))),
        }
    }
}

/// A reference to an exception object (`exnref`), owned by its store.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ExnRef {
    pub(crate) store: u64,
    pub(crate) ptr: usize,
}

impl ExnRef {
    /// The exception object at `ptr` of `store`, which the host may keep: the collector
    /// keeps it (and what its payload refers to) until the store is dropped.
    pub(crate) fn from_raw_parts(store: &StoreOpaque, ptr: *mut u8) -> ExnRef {
        store.state.pin_gc_ref(ptr as u64);
        ExnRef {
            store: store.id,
            ptr: ptr as usize,
        }
    }

    /// The exception object's address; an error if it belongs to another store.
    fn ptr(&self, store: &StoreOpaque) -> Result<usize> {
        if self.store != store.id {
            bail!("an exception used with a store it does not belong to");
        }
        Ok(self.ptr)
    }

    /// The exception's tag. Fails if the exception belongs to another store.
    pub fn tag(&self, store: impl AsContext) -> Result<Tag> {
        let s = &store.as_context().0.opaque;
        let ptr = self.ptr(s)?;
        // SAFETY: the exception belongs to this (live) store, which keeps it (host-held
        // exceptions are pinned).
        let identity = unsafe { wasmfx_runtime::exn_tag(ptr as *const u8) };
        match s
            .tags
            .iter()
            .position(|t| &**t as *const u32 as usize == identity)
        {
            Some(index) => Ok(Tag(s.stored(index))),
            None => bail!("the exception's tag is not one of its store's"),
        }
    }

    /// The exception's payload: the arguments of the `throw` that created it. Fails if the
    /// exception belongs to another store.
    pub fn payload(&self, mut store: impl AsContextMut) -> Result<Vec<Val>> {
        let tag = self.tag(&mut store)?;
        let s = &mut store.as_context_mut().0.opaque;
        let ty = s.engine.func_type(tag.type_id(s));
        let ptr = self.ptr(s)?;
        // SAFETY: as in `tag`.
        let slots = unsafe { wasmfx_runtime::exn_payload(ptr as *const u8) }.to_vec();
        Ok(ty
            .params()
            .iter()
            .zip(slots)
            .map(|(t, raw)| Val::from_raw(s, raw, *t))
            .collect())
    }
}

/// A reference to a continuation (`contref` and its subtypes): a 128-bit fat pointer to a
/// continuation object of its store and the revision it is valid for. Passing it back to
/// wasm is the only thing to do with it; wasm traps "continuation already consumed" if it has
/// been used since.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ContRef {
    store: u64,
    bits: u128,
    /// The (static) type the reference had where the host received it.
    ty: HeapType,
}

impl ContRef {
    /// The continuation's type, as known where the host received the reference.
    pub fn heap_type(&self) -> HeapType {
        self.ty
    }

    /// The fat pointer, for its own store only (`Val::to_raw` checks that first).
    fn bits(&self, store: &StoreOpaque) -> u128 {
        debug_assert_eq!(self.store, store.id);
        self.bits
    }
}

/// The error of a call whose wasm code threw an exception no wasm handler caught.
#[derive(Clone, Debug)]
pub struct ThrownException {
    pub(crate) exn: ExnRef,
    /// How the module that defined the tag exports or imports it.
    pub(crate) tag_name: String,
}

impl ThrownException {
    /// The exception (see [`ExnRef::tag`] and [`ExnRef::payload`]).
    pub fn exception(&self) -> ExnRef {
        self.exn
    }

    /// The tag's name, as the module defining it exports (or imports) it.
    pub fn tag_name(&self) -> &str {
        &self.tag_name
    }
}

impl std::fmt::Display for ThrownException {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "uncaught exception with tag {} thrown by wasm",
            self.tag_name
        )
    }
}

impl std::error::Error for ThrownException {}

/// A `v128` value: 128 bits whose least significant byte is lane 0 of an `i8x16` (the
/// lanes as wasm lays them out in memory, little-endian).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct V128(u128);

impl V128 {
    /// The 128 bits.
    pub fn as_u128(&self) -> u128 {
        self.0
    }
}

impl From<u128> for V128 {
    fn from(bits: u128) -> V128 {
        V128(bits)
    }
}

impl From<V128> for u128 {
    fn from(v: V128) -> u128 {
        v.0
    }
}

/// A WebAssembly value.
#[derive(Clone, Copy, Debug)]
pub enum Val {
    /// `i32`
    I32(i32),
    /// `i64`
    I64(i64),
    /// `f32`, as its bits.
    F32(u32),
    /// `f64`, as its bits.
    F64(u64),
    /// `v128`
    V128(V128),
    /// A function reference, or null.
    FuncRef(Option<Func>),
    /// An external reference, or null.
    ExternRef(Option<ExternRef>),
    /// A reference in the `any` (GC) hierarchy, or null.
    AnyRef(Option<AnyRef>),
    /// An exception reference, or null.
    ExnRef(Option<ExnRef>),
    /// A continuation reference, or null.
    ContRef(Option<ContRef>),
}

impl Val {
    /// The value's type: for references, the top type of their hierarchy (`funcref`,
    /// `externref`, `anyref`, ...; [`AnyRef::ty`] gives the precise type of a GC reference).
    pub fn ty(&self) -> ValType {
        match self {
            Val::I32(_) => ValType::I32,
            Val::I64(_) => ValType::I64,
            Val::F32(_) => ValType::F32,
            Val::F64(_) => ValType::F64,
            Val::V128(_) => ValType::V128,
            Val::FuncRef(_) => ValType::FUNCREF,
            Val::ExternRef(_) => ValType::EXTERNREF,
            Val::AnyRef(_) => ValType::Ref(RefType::new(true, HeapType::Any)),
            Val::ExnRef(_) => ValType::EXNREF,
            Val::ContRef(_) => ValType::CONTREF,
        }
    }

    /// The default (zero or null) value of `ty`, if it has one: non-nullable references do
    /// not.
    pub fn default_for(engine: &Engine, ty: ValType) -> Option<Val> {
        Some(match ty {
            ValType::I32 => Val::I32(0),
            ValType::I64 => Val::I64(0),
            ValType::F32 => Val::F32(0),
            ValType::F64 => Val::F64(0),
            ValType::V128 => Val::V128(V128::default()),
            ValType::Ref(r) if !r.is_nullable() => return None,
            ValType::Ref(r) => Val::null_of(engine, r.heap_type()),
        })
    }

    /// The default of `ty`, or for a non-nullable reference type the null of its hierarchy: a
    /// placeholder for slots that are written before they are read.
    pub(crate) fn placeholder_for(engine: &Engine, ty: ValType) -> Val {
        match ty {
            ValType::Ref(r) => Val::null_of(engine, r.heap_type()),
            other => Val::default_for(engine, other).unwrap_or(Val::I32(0)),
        }
    }

    /// The null reference of the hierarchy `heap` belongs to.
    pub fn null_of(engine: &Engine, heap: HeapType) -> Val {
        match engine.heap_top(heap) {
            AbstractHeapType::Func => Val::FuncRef(None),
            AbstractHeapType::Extern => Val::ExternRef(None),
            AbstractHeapType::Exn => Val::ExnRef(None),
            AbstractHeapType::Cont => Val::ContRef(None),
            _ => Val::AnyRef(None),
        }
    }

    /// Whether this value has type `ty` (references: is a subtype of it).
    pub fn matches_ty(&self, store: &StoreOpaque, ty: ValType) -> bool {
        let r = match (self, ty) {
            (Val::I32(_), ValType::I32)
            | (Val::I64(_), ValType::I64)
            | (Val::F32(_), ValType::F32)
            | (Val::F64(_), ValType::F64)
            | (Val::V128(_), ValType::V128) => return true,
            (_, ValType::Ref(r)) => r,
            _ => return false,
        };
        let engine = &store.engine;
        let top = engine.heap_top(r.heap_type());
        let heap = r.heap_type();
        match self {
            Val::FuncRef(f) if top == AbstractHeapType::Func => match f {
                None => r.is_nullable(),
                Some(f) => match heap {
                    HeapType::Func => true,
                    HeapType::Concrete(t) => engine.types().is_subtype(f.type_id(store), t.0),
                    _ => false,
                },
            },
            Val::ExternRef(e) if top == AbstractHeapType::Extern => match e {
                None => r.is_nullable(),
                Some(_) => heap == HeapType::Extern,
            },
            Val::AnyRef(a) if top == AbstractHeapType::Any => match a {
                None => r.is_nullable(),
                Some(a) => a.matches_heap(store, heap),
            },
            Val::ExnRef(e) if top == AbstractHeapType::Exn => match e {
                None => r.is_nullable(),
                Some(e) => heap == HeapType::Exn && e.store == store.id,
            },
            Val::ContRef(c) if top == AbstractHeapType::Cont => match c {
                None => r.is_nullable(),
                Some(c) => {
                    c.store == store.id
                        && engine.types().is_heap_subtype(c.ty.to_env(), heap.to_env())
                }
            },
            _ => false,
        }
    }

    /// The `i32`, if this is one.
    pub fn i32(&self) -> Option<i32> {
        match self {
            Val::I32(v) => Some(*v),
            _ => None,
        }
    }

    /// The `i64`, if this is one.
    pub fn i64(&self) -> Option<i64> {
        match self {
            Val::I64(v) => Some(*v),
            _ => None,
        }
    }

    /// The `f32`, if this is one.
    pub fn f32(&self) -> Option<f32> {
        match self {
            Val::F32(v) => Some(f32::from_bits(*v)),
            _ => None,
        }
    }

    /// The `f64`, if this is one.
    pub fn f64(&self) -> Option<f64> {
        match self {
            Val::F64(v) => Some(f64::from_bits(*v)),
            _ => None,
        }
    }

    /// The `v128`, if this is one.
    pub fn v128(&self) -> Option<V128> {
        match self {
            Val::V128(v) => Some(*v),
            _ => None,
        }
    }

    /// The `i32`; panics if this is another type.
    pub fn unwrap_i32(&self) -> i32 {
        self.i32().expect("not an i32")
    }

    /// The `i64`; panics if this is another type.
    pub fn unwrap_i64(&self) -> i64 {
        self.i64().expect("not an i64")
    }

    /// The `v128`; panics if this is another type.
    pub fn unwrap_v128(&self) -> V128 {
        self.v128().expect("not a v128")
    }

    /// The function reference, if this is one.
    pub fn funcref(&self) -> Option<Option<&Func>> {
        match self {
            Val::FuncRef(f) => Some(f.as_ref()),
            _ => None,
        }
    }

    /// The external reference, if this is one.
    pub fn externref(&self) -> Option<Option<&ExternRef>> {
        match self {
            Val::ExternRef(r) => Some(r.as_ref()),
            _ => None,
        }
    }

    /// The slot for this value, checking it has type `ty` and belongs to `store`.
    pub(crate) fn to_raw(self, store: &mut StoreOpaque, ty: ValType) -> Result<VMVal> {
        // Checked first: matching the type reads the referent, which only a reference of this
        // store may do. A reference of another store (another thread's, say) is an error.
        let owner = match self {
            Val::FuncRef(Some(f)) => Some(f.0.store),
            Val::ExternRef(Some(ExternRef(ExternKind::Host(stored)))) => Some(stored.store),
            Val::ExnRef(Some(e)) => Some(e.store),
            Val::ContRef(Some(c)) => Some(c.store),
            Val::AnyRef(Some(a)) => {
                a.to_raw(store)?;
                None
            }
            _ => None,
        };
        if owner.is_some_and(|owner| owner != store.id) {
            bail!(
                "{} used with the wrong store (a reference belongs to its store)",
                self.describe()
            );
        }
        if !self.matches_ty(store, ty) {
            bail!("type mismatch: expected {ty}, found {}", self.describe());
        }
        Ok(match self {
            Val::I32(v) => VMVal::i32(v),
            Val::I64(v) => VMVal::i64(v),
            Val::F32(v) => VMVal::u128(u128::from(v)),
            Val::F64(v) => VMVal::u128(u128::from(v)),
            Val::V128(v) => VMVal::u128(v.as_u128()),
            Val::FuncRef(None)
            | Val::ExternRef(None)
            | Val::AnyRef(None)
            | Val::ExnRef(None)
            | Val::ContRef(None) => VMVal::u128(0),
            Val::ContRef(Some(c)) => VMVal::u128(c.bits(store)),
            Val::ExnRef(Some(e)) => VMVal::u128(e.ptr(store)? as u128),
            Val::AnyRef(Some(a)) => VMVal::u128(u128::from(a.to_raw(store)?)),
            Val::FuncRef(Some(f)) => VMVal::u128(f.func_ref(store) as usize as u128),
            Val::ExternRef(Some(r)) => VMVal::u128(u128::from(r.to_raw(store)?)),
        })
    }

    /// The value of type `ty` in `raw`.
    pub(crate) fn from_raw(store: &mut StoreOpaque, raw: VMVal, ty: ValType) -> Val {
        match ty {
            ValType::I32 => Val::I32(raw.get_u32() as i32),
            ValType::I64 => Val::I64(raw.get_u64() as i64),
            ValType::F32 => Val::F32(raw.get_u32()),
            ValType::F64 => Val::F64(raw.get_u64()),
            ValType::V128 => Val::V128(V128::from(raw.get_u128())),
            ValType::Ref(r) => match store.engine.heap_top(r.heap_type()) {
                AbstractHeapType::Func => {
                    Val::FuncRef(Func::from_raw(store, raw.get_u64() as usize))
                }
                AbstractHeapType::Extern => {
                    Val::ExternRef(ExternRef::from_raw(store, raw.get_u64()))
                }
                AbstractHeapType::Exn => Val::ExnRef(match raw.get_u64() {
                    0 => None,
                    p => Some(ExnRef::from_raw_parts(store, p as *mut u8)),
                }),
                AbstractHeapType::Cont => Val::ContRef(match raw.get_u64() {
                    0 => None,
                    // The host may keep it: its continuation must not be recycled meanwhile.
                    object => Some(ContRef {
                        store: store.id,
                        bits: {
                            store.state.pin_gc_ref(object);
                            raw.get_u128()
                        },
                        ty: r.heap_type(),
                    }),
                }),
                _ => Val::AnyRef(AnyRef::from_raw(store, raw.get_u64())),
            },
        }
    }

    /// The value and its type, for error messages.
    fn describe(&self) -> String {
        match self {
            Val::FuncRef(Some(_)) => "a function reference".to_string(),
            Val::ExternRef(Some(_)) => "an external reference".to_string(),
            Val::FuncRef(None) => "a null function reference".to_string(),
            Val::ExternRef(None) => "a null external reference".to_string(),
            Val::AnyRef(Some(a)) => a.describe(),
            Val::AnyRef(None) => "a null any reference".to_string(),
            Val::ExnRef(Some(_)) => "an exception reference".to_string(),
            Val::ExnRef(None) => "a null exception reference".to_string(),
            Val::ContRef(Some(_)) => "a continuation reference".to_string(),
            Val::ContRef(None) => "a null continuation reference".to_string(),
            other => format!("{}", other.ty()),
        }
    }
}

impl From<i32> for Val {
    fn from(v: i32) -> Val {
        Val::I32(v)
    }
}

impl From<i64> for Val {
    fn from(v: i64) -> Val {
        Val::I64(v)
    }
}

impl From<f32> for Val {
    fn from(v: f32) -> Val {
        Val::F32(v.to_bits())
    }
}

impl From<f64> for Val {
    fn from(v: f64) -> Val {
        Val::F64(v.to_bits())
    }
}
