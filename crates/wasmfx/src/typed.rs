//! Statically typed calls: [`TypedFunc`] for calling wasm with Rust types, and [`IntoFunc`] for
//! turning Rust closures into host functions.

use crate::func::RawHostFn;
use crate::store::{StoreInner, StoreOpaque};
use crate::{AsContext, AsContextMut, Caller, ExternRef, Func, FuncType, ValType, V128};
use anyhow::{bail, Result};
use std::marker::PhantomData;
use std::sync::Arc;
use wasmfx_runtime::VMVal;

/// A Rust type that maps to one wasm value type.
pub trait WasmTy: Sized + 'static {
    /// Its wasm type.
    fn valtype() -> ValType;
    #[doc(hidden)]
    fn to_raw(self, store: &mut StoreOpaque) -> VMVal;
    #[doc(hidden)]
    fn from_raw(store: &mut StoreOpaque, raw: VMVal) -> Self;
}

macro_rules! wasm_ty_num {
    ($($t:ty => $vt:ident, |$v:ident| $to:expr, |$r:ident| $from:expr;)*) => {$(
        impl WasmTy for $t {
            fn valtype() -> ValType { ValType::$vt }
            fn to_raw(self, _: &mut StoreOpaque) -> VMVal { let $v = self; VMVal::u128($to) }
            fn from_raw(_: &mut StoreOpaque, $r: VMVal) -> Self { $from }
        }
    )*};
}

wasm_ty_num! {
    i32 => I32, |v| v as u32 as u128, |r| r.get_u32() as i32;
    u32 => I32, |v| v as u128, |r| r.get_u32();
    i64 => I64, |v| v as u64 as u128, |r| r.get_u64() as i64;
    u64 => I64, |v| v as u128, |r| r.get_u64();
    f32 => F32, |v| v.to_bits() as u128, |r| f32::from_bits(r.get_u32());
    f64 => F64, |v| v.to_bits() as u128, |r| f64::from_bits(r.get_u64());
    V128 => V128, |v| v.as_u128(), |r| V128::from(r.get_u128());
}

impl WasmTy for Option<Func> {
    fn valtype() -> ValType {
        ValType::FUNCREF
    }
    fn to_raw(self, store: &mut StoreOpaque) -> VMVal {
        VMVal::u128(self.map_or(0, |f| f.func_ref(store) as usize as u128))
    }
    fn from_raw(store: &mut StoreOpaque, raw: VMVal) -> Self {
        Func::from_raw(store, raw.get_u64() as usize)
    }
}

impl WasmTy for Option<ExternRef> {
    fn valtype() -> ValType {
        ValType::EXTERNREF
    }
    fn to_raw(self, store: &mut StoreOpaque) -> VMVal {
        let bits = self.map(|r| {
            r.to_raw(store)
                .expect("external reference of another store")
        });
        VMVal::u128(u128::from(bits.unwrap_or(0)))
    }
    fn from_raw(store: &mut StoreOpaque, raw: VMVal) -> Self {
        ExternRef::from_raw(store, raw.get_u64())
    }
}

/// A list of wasm values: `()`, one [`WasmTy`], or a tuple of them.
pub trait WasmList: Sized + 'static {
    /// The wasm types.
    fn types() -> Vec<ValType>;
    #[doc(hidden)]
    fn store(self, store: &mut StoreOpaque, out: &mut [VMVal]);
    #[doc(hidden)]
    fn load(store: &mut StoreOpaque, vals: &[VMVal]) -> Self;
}

impl<A: WasmTy> WasmList for A {
    fn types() -> Vec<ValType> {
        vec![A::valtype()]
    }
    fn store(self, store: &mut StoreOpaque, out: &mut [VMVal]) {
        out[0] = self.to_raw(store);
    }
    fn load(store: &mut StoreOpaque, vals: &[VMVal]) -> Self {
        A::from_raw(store, vals[0])
    }
}

macro_rules! wasm_list_tuple {
    ($($a:ident)*) => {
        #[allow(non_snake_case, unused_variables, unused_mut, unused_assignments, clippy::unused_unit)]
        impl<$($a: WasmTy,)*> WasmList for ($($a,)*) {
            fn types() -> Vec<ValType> { vec![$($a::valtype()),*] }
            fn store(self, store: &mut StoreOpaque, out: &mut [VMVal]) {
                let ($($a,)*) = self;
                let mut i = 0;
                $( out[i] = $a.to_raw(store); i += 1; )*
            }
            fn load(store: &mut StoreOpaque, vals: &[VMVal]) -> Self {
                let mut i = 0;
                ($({ let v = $a::from_raw(store, vals[i]); i += 1; v },)*)
            }
        }
    };
}

wasm_list_tuple!();
wasm_list_tuple!(A1);
wasm_list_tuple!(A1 A2);
wasm_list_tuple!(A1 A2 A3);
wasm_list_tuple!(A1 A2 A3 A4);
wasm_list_tuple!(A1 A2 A3 A4 A5);
wasm_list_tuple!(A1 A2 A3 A4 A5 A6);
wasm_list_tuple!(A1 A2 A3 A4 A5 A6 A7);
wasm_list_tuple!(A1 A2 A3 A4 A5 A6 A7 A8);

/// What a host closure may return: values, or a `Result` of values.
pub trait HostReturn: 'static {
    /// The values' list type.
    type List: WasmList;
    #[doc(hidden)]
    fn into_result(self) -> Result<Self::List>;
}

impl<L: WasmList> HostReturn for L {
    type List = L;
    fn into_result(self) -> Result<L> {
        Ok(self)
    }
}

impl<L: WasmList> HostReturn for Result<L> {
    type List = L;
    fn into_result(self) -> Result<L> {
        self
    }
}

/// A Rust closure usable as a host function (see [`Func::wrap`]).
pub trait IntoFunc<T, Params, Results>: Send + Sync + 'static {
    #[doc(hidden)]
    fn into_raw(self) -> (FuncType, Arc<RawHostFn>);
}

/// Marks closures that take a [`Caller`] first.
pub struct WithCaller<T>(PhantomData<T>);

macro_rules! into_func {
    ($($a:ident)*) => {
        #[allow(non_snake_case, unused_variables, unused_mut, unused_assignments)]
        impl<T: 'static, F, R, $($a: WasmTy,)*> IntoFunc<T, ($($a,)*), R> for F
        where
            F: Fn($($a),*) -> R + Send + Sync + 'static,
            R: HostReturn,
        {
            fn into_raw(self) -> (FuncType, Arc<RawHostFn>) {
                let ty = FuncType::new(vec![$($a::valtype()),*], R::List::types());
                let raw = move |store: *mut StoreOpaque, _caller: *mut u8, vals: &mut [VMVal]| {
                    // SAFETY: the store pointer is the opaque part of a live `StoreInner<T>`.
                    let s = unsafe { &mut (*(store as *mut StoreInner<T>)).opaque };
                    let mut i = 0;
                    $( let $a = { let v = $a::from_raw(s, vals[i]); i += 1; v }; )*
                    let r = self($($a),*).into_result()?;
                    r.store(s, vals);
                    Ok(())
                };
                (ty, Arc::new(raw))
            }
        }

        #[allow(non_snake_case, unused_variables, unused_mut, unused_assignments)]
        impl<T: 'static, F, R, $($a: WasmTy,)*> IntoFunc<T, (WithCaller<T>, $($a,)*), R> for F
        where
            F: for<'a> Fn(Caller<'a, T>, $($a),*) -> R + Send + Sync + 'static,
            R: HostReturn,
        {
            fn into_raw(self) -> (FuncType, Arc<RawHostFn>) {
                let ty = FuncType::new(vec![$($a::valtype()),*], R::List::types());
                let raw = move |store: *mut StoreOpaque, caller: *mut u8, vals: &mut [VMVal]| {
                    // SAFETY: the store pointer is the opaque part of a live `StoreInner<T>`.
                    let inner = unsafe { &mut *(store as *mut StoreInner<T>) };
                    let mut i = 0;
                    $( let $a = { let v = $a::from_raw(&mut inner.opaque, vals[i]); i += 1; v }; )*
                    // The caller view reborrows `inner`: the only access while it lives.
                    let r = self(Caller::new(&mut *inner, caller), $($a),*).into_result()?;
                    r.store(&mut inner.opaque, vals);
                    Ok(())
                };
                (ty, Arc::new(raw))
            }
        }
    };
}

into_func!();
into_func!(A1);
into_func!(A1 A2);
into_func!(A1 A2 A3);
into_func!(A1 A2 A3 A4);
into_func!(A1 A2 A3 A4 A5);
into_func!(A1 A2 A3 A4 A5 A6);
into_func!(A1 A2 A3 A4 A5 A6 A7);
into_func!(A1 A2 A3 A4 A5 A6 A7 A8);
into_func!(A1 A2 A3 A4 A5 A6 A7 A8 A9);
into_func!(A1 A2 A3 A4 A5 A6 A7 A8 A9 A10);

/// A function with statically known parameter and result types.
pub struct TypedFunc<Params, Results> {
    func: Func,
    _types: PhantomData<fn(Params) -> Results>,
}

impl<P, R> Clone for TypedFunc<P, R> {
    fn clone(&self) -> Self {
        *self
    }
}

impl<P, R> Copy for TypedFunc<P, R> {}

impl<P: WasmList, R: WasmList> TypedFunc<P, R> {
    /// Calls the function.
    pub fn call(&self, mut store: impl AsContextMut, params: P) -> Result<R> {
        let cx = store.as_context_mut();
        let s = &mut cx.0.opaque;
        let n = P::types().len().max(R::types().len()).max(1);
        let mut vals = vec![VMVal::default(); n];
        params.store(s, &mut vals);
        self.func.call_raw(s, &mut vals)?;
        Ok(R::load(s, &vals))
    }

    /// The untyped function.
    pub fn func(&self) -> &Func {
        &self.func
    }
}

impl Func {
    /// This function with static types, checked against its actual type.
    pub fn typed<P: WasmList, R: WasmList>(
        &self,
        store: impl AsContext,
    ) -> Result<TypedFunc<P, R>> {
        let ty = self.ty(store);
        if ty.params() != P::types().as_slice() || ty.results() != R::types().as_slice() {
            bail!(
                "type mismatch: function has type {:?} -> {:?}, requested {:?} -> {:?}",
                ty.params(),
                ty.results(),
                P::types(),
                R::types()
            );
        }
        Ok(TypedFunc {
            func: *self,
            _types: PhantomData,
        })
    }
}
