//! The `spectest` host module that the spec scripts import from: printing
//! functions (which do nothing here), constant globals, tables (32- and 64-bit) and a memory.

use wasmfx::{
    Func, Global, GlobalType, Linker, Memory, MemoryType, Mutability, RefType, Result, Store,
    Table, TableType, Val, ValType,
};

/// Defines every item of the `spectest` module in `linker`, creating the
/// globals, table and memory in `store`.
pub(crate) fn define_spectest(linker: &mut Linker<()>, store: &mut Store<()>) -> Result<()> {
    // The spec interpreter prints the arguments; a test runner only needs
    // the functions to exist with the right types.
    let print = Func::wrap(&mut *store, || {})?;
    let print_i32 = Func::wrap(&mut *store, |_: i32| {})?;
    let print_i64 = Func::wrap(&mut *store, |_: i64| {})?;
    let print_f32 = Func::wrap(&mut *store, |_: f32| {})?;
    let print_f64 = Func::wrap(&mut *store, |_: f64| {})?;
    let print_i32_f32 = Func::wrap(&mut *store, |_: i32, _: f32| {})?;
    let print_f64_f64 = Func::wrap(&mut *store, |_: f64, _: f64| {})?;
    for (name, func) in [
        ("print", print),
        ("print_i32", print_i32),
        ("print_i64", print_i64),
        ("print_f32", print_f32),
        ("print_f64", print_f64),
        ("print_i32_f32", print_i32_f32),
        ("print_f64_f64", print_f64_f64),
    ] {
        linker.define(&*store, "spectest", name, func)?;
    }

    let globals = [
        ("global_i32", ValType::I32, Val::I32(666)),
        ("global_i64", ValType::I64, Val::I64(666)),
        ("global_f32", ValType::F32, Val::F32(666.6f32.to_bits())),
        ("global_f64", ValType::F64, Val::F64(666.6f64.to_bits())),
    ];
    for (name, ty, value) in globals {
        let global = Global::new(&mut *store, GlobalType::new(ty, Mutability::Const), value)?;
        linker.define(&*store, "spectest", name, global)?;
    }

    let tables = [
        ("table", TableType::new(RefType::FUNCREF, 10, Some(20))),
        ("table64", TableType::new64(RefType::FUNCREF, 10, Some(20))),
    ];
    for (name, ty) in tables {
        let table = Table::new(&mut *store, ty, Val::FuncRef(None))?;
        linker.define(&*store, "spectest", name, table)?;
    }

    let memory = Memory::new(&mut *store, MemoryType::new(1, Some(2)))?;
    linker.define(&*store, "spectest", "memory", memory)?;
    Ok(())
}
