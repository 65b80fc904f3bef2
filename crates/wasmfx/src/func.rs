//! Functions: wasm functions and host functions, calling them from the host, and the
//! [`Caller`] view host functions get of the store.

use crate::store::{StoreInner, StoreOpaque, Stored};
use crate::{AsContext, AsContextMut, Extern, FuncType, StoreContext, StoreContextMut, Trap, Val};
use anyhow::{bail, Result};
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::Arc;
use wasmfx_environ::{host_status, HOST_CTX_MAGIC, VMCTX_MAGIC};
use wasmfx_runtime::{
    catch_traps, set_host_error, TrapReason, UncaughtException, VMFuncRef, VMHostFuncContext, VMVal,
};

/// A host function at the lowest level: the store, the calling instance's vmctx (null when
/// called from the host), and the argument/result slots.
pub(crate) type RawHostFn =
    dyn Fn(*mut StoreOpaque, *mut u8, &mut [VMVal]) -> Result<()> + Send + Sync;

/// A host function's context: the header generated code reads, its function reference, and
/// the closure.
#[repr(C)]
pub(crate) struct HostFunc {
    header: VMHostFuncContext,
    func_ref: VMFuncRef,
    store: *mut StoreOpaque,
    call: Arc<RawHostFn>,
}

/// A function in a store.
pub(crate) struct FuncData {
    pub(crate) func_ref: *const VMFuncRef,
    pub(crate) ty: u32,
    pub(crate) host: Option<Box<HostFunc>>,
}

// SAFETY: function data is only used through its store, which is used by one thread at a time.
unsafe impl Send for FuncData {}

/// A WebAssembly or host function.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Func(pub(crate) Stored);

unsafe extern "C" fn host_callback(
    ctx: *mut VMHostFuncContext,
    caller_vmctx: *mut u8,
    values: *mut VMVal,
    len: usize,
    frame: usize,
) -> u32 {
    // SAFETY: generated code passes the context of a live `HostFunc` and a buffer of `len`
    // slots on its stack.
    let (host, vals) = unsafe {
        (
            &*(ctx as *const HostFunc),
            std::slice::from_raw_parts_mut(values, len),
        )
    };
    // The trampoline's frame record links to the calling wasm frames (for the collector).
    // The call is a root scope: the GC references it makes go when it returns (its results
    // are in `vals` by then).
    // SAFETY: the store outlives its host functions' calls; no reference to it is held here.
    let scope = unsafe {
        let state = &(*host.store).state;
        state.enter_host_call(frame);
        state.with_host_roots(|roots| roots.scope_start())
    };
    let result = catch_unwind(AssertUnwindSafe(|| {
        (host.call)(host.store, caller_vmctx, vals)
    }));
    // SAFETY: as above; the host function's references to the store are gone.
    unsafe {
        let state = &(*host.store).state;
        state.with_host_roots(|roots| roots.end_scope(scope));
        state.exit_host_call();
    }
    match result {
        Ok(Ok(())) => host_status::OK,
        Ok(Err(e)) => {
            // An exception of this store thrown by wasm the host function called continues
            // unwinding in the calling wasm, when the caller is wasm.
            if let Some(thrown) = e.downcast_ref::<crate::ThrownException>() {
                // SAFETY: the store outlives its host functions' calls; a non-null caller
                // context starts with a magic word.
                let (store_id, caller_is_wasm) = unsafe {
                    (
                        (*host.store).id,
                        !caller_vmctx.is_null() && *(caller_vmctx as *const u32) == VMCTX_MAGIC,
                    )
                };
                if caller_is_wasm && thrown.exn.store == store_id {
                    vals[0] = VMVal::u128(thrown.exn.ptr as u128);
                    return host_status::RETHROW;
                }
            }
            set_host_error(TrapReason::Host(e));
            host_status::ERROR
        }
        Err(panic) => {
            set_host_error(TrapReason::Panic(panic));
            host_status::ERROR
        }
    }
}

impl Func {
    /// A host function of type `ty` calling `f` with dynamically typed values. Fails when the
    /// engine cannot call functions of that type.
    pub fn new<T: 'static>(
        mut store: impl AsContextMut<Data = T>,
        ty: FuncType,
        f: impl Fn(Caller<'_, T>, &[Val], &mut [Val]) -> Result<()> + Send + Sync + 'static,
    ) -> Result<Func> {
        let ty2 = ty.clone();
        let raw = move |store: *mut StoreOpaque, caller: *mut u8, vals: &mut [VMVal]| {
            // SAFETY: the store pointer is the opaque part of a live `StoreInner<T>`.
            let inner = unsafe { &mut *(store as *mut StoreInner<T>) };
            let params: Vec<Val> = ty2
                .params()
                .iter()
                .zip(vals.iter())
                .map(|(t, v)| Val::from_raw(&mut inner.opaque, *v, *t))
                .collect();
            let mut results: Vec<Val> = ty2
                .results()
                .iter()
                .map(|t| Val::placeholder_for(&inner.opaque.engine, *t))
                .collect();
            f(Caller::new(inner, caller), &params, &mut results)?;
            for (i, (r, t)) in results.iter().zip(ty2.results()).enumerate() {
                vals[i] = r
                    .to_raw(&mut inner.opaque, *t)
                    .map_err(|e| e.context("host function returned a wrong result"))?;
            }
            Ok(())
        };
        Func::from_raw_host(&mut store.as_context_mut().0.opaque, ty, Arc::new(raw))
    }

    /// A host function from a Rust closure with typed parameters and results. Fails when the
    /// engine cannot call functions of its type.
    pub fn wrap<T: 'static, Params, Results>(
        mut store: impl AsContextMut<Data = T>,
        f: impl crate::IntoFunc<T, Params, Results>,
    ) -> Result<Func> {
        let (ty, raw) = f.into_raw();
        Func::from_raw_host(&mut store.as_context_mut().0.opaque, ty, raw)
    }

    pub(crate) fn from_raw_host(
        store: &mut StoreOpaque,
        ty: FuncType,
        call: Arc<RawHostFn>,
    ) -> Result<Func> {
        let type_id = store.engine.type_id(&ty);
        let stub = store.engine.host_stub(&ty, type_id)?;
        let mut host = Box::new(HostFunc {
            header: VMHostFuncContext {
                magic: HOST_CTX_MAGIC,
                _pad: 0,
                callback: host_callback,
            },
            func_ref: VMFuncRef {
                wasm_call: stub.wasm_call,
                array_call: stub.array_call,
                vmctx: std::ptr::null_mut(),
                type_id,
                _pad: 0,
            },
            store,
            call,
        });
        host.func_ref.vmctx = &mut *host as *mut HostFunc as *mut u8;
        let func_ref = &host.func_ref as *const VMFuncRef;
        store.funcs.push(FuncData {
            func_ref,
            ty: type_id,
            host: Some(host),
        });
        let index = store.funcs.len() - 1;
        store.func_by_ref.insert(func_ref as usize, index);
        Ok(Func(store.stored(index)))
    }

    /// The function for a raw function reference (null gives `None`).
    pub(crate) fn from_raw(store: &mut StoreOpaque, func_ref: usize) -> Option<Func> {
        if func_ref == 0 {
            return None;
        }
        if let Some(i) = store.func_by_ref.get(&func_ref) {
            return Some(Func(store.stored(*i)));
        }
        // SAFETY: non-null function references in a store point at live `VMFuncRef`s.
        let ty = unsafe { (*(func_ref as *const VMFuncRef)).type_id };
        store.funcs.push(FuncData {
            func_ref: func_ref as *const VMFuncRef,
            ty,
            host: None,
        });
        let index = store.funcs.len() - 1;
        store.func_by_ref.insert(func_ref, index);
        Some(Func(store.stored(index)))
    }

    pub(crate) fn func_ref(&self, store: &StoreOpaque) -> *const VMFuncRef {
        store.funcs[store.check(self.0)].func_ref
    }

    /// The function's type.
    pub fn ty(&self, store: impl AsContext) -> FuncType {
        let cx = store.as_context();
        let s = &cx.0.opaque;
        s.engine.func_type(s.funcs[s.check(self.0)].ty)
    }

    pub(crate) fn type_id(&self, store: &StoreOpaque) -> u32 {
        store.funcs[store.check(self.0)].ty
    }

    /// Calls the function with `params`, writing its results into `results`.
    pub fn call(
        &self,
        mut store: impl AsContextMut,
        params: &[Val],
        results: &mut [Val],
    ) -> Result<()> {
        let cx = store.as_context_mut();
        let s = &mut cx.0.opaque;
        let ty = s.engine.func_type(self.type_id(s));
        if params.len() != ty.params().len() {
            bail!(
                "function expects {} arguments, got {}",
                ty.params().len(),
                params.len()
            );
        }
        if results.len() != ty.results().len() {
            bail!(
                "function returns {} results, room was given for {}",
                ty.results().len(),
                results.len()
            );
        }
        let n = ty.params().len().max(ty.results().len()).max(1);
        let mut vals = vec![VMVal::default(); n];
        for (i, (p, t)) in params.iter().zip(ty.params()).enumerate() {
            vals[i] = p
                .to_raw(s, *t)
                .map_err(|e| e.context(format!("argument {i} of the call")))?;
        }
        self.call_raw(s, &mut vals)?;
        for (i, t) in ty.results().iter().enumerate() {
            results[i] = Val::from_raw(s, vals[i], *t);
        }
        Ok(())
    }

    /// Calls the function with arguments and results in `vals` (already type-checked).
    pub(crate) fn call_raw(&self, store: &mut StoreOpaque, vals: &mut [VMVal]) -> Result<()> {
        let index = store.check(self.0);
        let data = &store.funcs[index];
        if let Some(host) = &data.host {
            let call = host.call.clone();
            return call(store, std::ptr::null_mut(), vals);
        }
        // SAFETY: the function reference is live (owned by an instance of this store).
        let f = unsafe { *data.func_ref };
        let max_stack = store.engine.config().max_wasm_stack;
        // SAFETY: `array_call` is the trampoline for this function's type, `vals` has room
        // for its arguments and results, and every object it uses is owned by `store`.
        let r = unsafe {
            catch_traps(
                &store.state,
                max_stack,
                f.array_call,
                f.wasm_call,
                f.vmctx,
                f.vmctx,
                vals.as_mut_ptr(),
            )
        };
        r.map_err(|reason| trap_to_error(store, reason))
    }
}

/// Turns the reason a call into wasm (in `store`) stopped into an error (or resumes a host
/// panic).
pub(crate) fn trap_to_error(store: &StoreOpaque, reason: TrapReason) -> anyhow::Error {
    match reason {
        TrapReason::Wasm(t) => anyhow::Error::new(t.trap).context(t.backtrace),
        TrapReason::Host(e) => match e.downcast::<UncaughtException>() {
            Ok(uncaught) => anyhow::Error::new(crate::ThrownException {
                exn: crate::ExnRef::from_raw_parts(store, uncaught.exn),
                tag_name: store.describe_exception_tag(uncaught.exn),
            }),
            Err(e) => e,
        },
        TrapReason::Panic(p) => std::panic::resume_unwind(p),
    }
}

/// Whether `err` is (or was caused by) a wasm trap.
pub fn trap_of(err: &anyhow::Error) -> Option<Trap> {
    if let Some(trap) = err.downcast_ref::<Trap>() {
        return Some(*trap);
    }
    err.chain().find_map(|e| e.downcast_ref::<Trap>().copied())
}

/// What a host function sees of the store while wasm calls it.
pub struct Caller<'a, T> {
    pub(crate) store: StoreContextMut<'a, T>,
    caller_vmctx: *mut u8,
}

impl<'a, T> Caller<'a, T> {
    pub(crate) fn new(inner: &'a mut StoreInner<T>, caller_vmctx: *mut u8) -> Self {
        Caller {
            store: StoreContextMut(inner),
            caller_vmctx,
        }
    }

    /// The host data.
    pub fn data(&self) -> &T {
        &self.store.0.data
    }

    /// The host data, mutably.
    pub fn data_mut(&mut self) -> &mut T {
        &mut self.store.0.data
    }

    /// Collects the garbage of the store's GC heap now, as [`Store::gc`](crate::Store::gc)
    /// does. Returns the bytes freed.
    pub fn gc(&mut self) -> usize {
        // SAFETY: called by a host function, which wasm called: the collector finds the
        // calling wasm frames' references through the host call's trampoline, and the host's
        // own references are rooted.
        unsafe { self.store.0.opaque.state.collect_garbage() }
    }

    /// An export of the calling instance.
    pub fn get_export(&mut self, name: &str) -> Option<Extern> {
        let s = &mut self.store.0.opaque;
        let index = *s.instance_by_vmctx.get(&(self.caller_vmctx as usize))?;
        let instance = crate::Instance(s.stored(index));
        instance.export_in(s, name)
    }
}

impl<T> AsContext for Caller<'_, T> {
    type Data = T;
    fn as_context(&self) -> StoreContext<'_, T> {
        StoreContext(self.store.0)
    }
}

impl<T> AsContextMut for Caller<'_, T> {
    fn as_context_mut(&mut self) -> StoreContextMut<'_, T> {
        StoreContextMut(self.store.0)
    }
}

impl<'a, T> From<&'a Caller<'_, T>> for StoreContext<'a, T> {
    fn from(c: &'a Caller<'_, T>) -> Self {
        StoreContext(c.store.0)
    }
}

impl<'a, T> From<&'a mut Caller<'_, T>> for StoreContextMut<'a, T> {
    fn from(c: &'a mut Caller<'_, T>) -> Self {
        StoreContextMut(c.store.0)
    }
}
