//! `v128` values at the embedding API and through everything that carries values:
//! continuation payloads of every kind, exception payloads, globals, GC fields, tables of
//! functions and host functions (`tests/wat/v128_everywhere.wat`; its expected results were
//! checked with wasmtime 49).

mod common;

use common::engine;
use wasmfx::{Func, FuncType, Linker, Module, Store, Val, ValType, V128};

/// A `v128` from four `i32x4` lanes, lane 0 first.
fn i32x4(lanes: [i32; 4]) -> V128 {
    let mut bytes = [0u8; 16];
    for (chunk, lane) in bytes.chunks_exact_mut(4).zip(lanes) {
        chunk.copy_from_slice(&lane.to_le_bytes());
    }
    V128::from(u128::from_le_bytes(bytes))
}

/// Instantiates `v128_everywhere.wat` with `host.twice` as given.
fn instantiate(
    twice: impl Fn(&mut Store<()>) -> anyhow::Result<Func>,
) -> (Store<()>, wasmfx::Instance) {
    let engine = engine();
    let module = Module::new(&engine, include_str!("wat/v128_everywhere.wat")).expect("valid");
    let mut store = Store::new(&engine, ());
    let mut linker = Linker::new(&engine);
    let twice = twice(&mut store).expect("a host function of this type");
    linker
        .define(&store, "host", "twice", twice)
        .expect("defines");
    let instance = linker
        .instantiate(&mut store, &module)
        .expect("instantiates");
    (store, instance)
}

/// Each export of the module gives the results wasmtime gives.
fn check_payloads(mut store: Store<()>, instance: wasmfx::Instance) {
    let f = instance
        .get_typed_func::<(V128, V128), V128>(&mut store, "bind_resume_suspend")
        .unwrap();
    let r = f
        .call(&mut store, (i32x4([1, 2, 3, 4]), i32x4([10, 20, 30, 40])))
        .unwrap();
    assert_eq!(r, i32x4([133, 266, 399, 532]));
    let payload = instance.get_global(&mut store, "last_payload").unwrap();
    assert_eq!(
        payload.get(&mut store).unwrap_v128(),
        i32x4([11, 22, 33, 44])
    );

    let cases = [
        ("throw_catch", [1, 2, 3, 4], [8, 9, 10, 11]),
        ("resume_throw", [10, 20, 30, 40], [15, 35, 55, 75]),
        ("switch", [1, 2, 3, 4], [8, 10, 12, 14]),
        ("heap_and_tables", [1, 2, 3, 4], [4, 6, 8, 10]),
    ];
    for (name, arg, expected) in cases {
        let f = instance.get_func(&mut store, name).unwrap();
        let mut results = [Val::I32(0)];
        f.call(&mut store, &[Val::V128(i32x4(arg))], &mut results)
            .unwrap();
        assert_eq!(results[0].unwrap_v128(), i32x4(expected), "{name}");
    }
}

#[test]
fn v128_through_every_payload_with_a_typed_host_function() {
    let (store, instance) = instantiate(|store| {
        Func::wrap(store, |v: V128| -> V128 {
            let lanes = v.as_u128().to_le_bytes();
            let mut out = [0u8; 16];
            for (o, l) in out.chunks_exact_mut(4).zip(lanes.chunks_exact(4)) {
                let x = i32::from_le_bytes(l.try_into().unwrap());
                o.copy_from_slice(&(2 * x).to_le_bytes());
            }
            V128::from(u128::from_le_bytes(out))
        })
    });
    check_payloads(store, instance);
}

#[test]
fn v128_through_every_payload_with_a_dynamic_host_function() {
    let (store, instance) = instantiate(|store| {
        let ty = FuncType::new([ValType::V128], [ValType::V128]);
        Func::new(store, ty, |_, params, results| {
            let v = params[0].unwrap_v128().as_u128();
            // Doubling every i32 lane of the test's small positive values: no carries.
            results[0] = Val::V128(V128::from(v << 1));
            Ok(())
        })
    });
    check_payloads(store, instance);
}

#[test]
fn v128_values_check_their_type() {
    let (mut store, instance) = instantiate(|store| Func::wrap(store, |v: V128| -> V128 { v }));
    let f = instance.get_func(&mut store, "switch").unwrap();
    let mut results = [Val::I32(0)];
    let err = f
        .call(&mut store, &[Val::I32(1)], &mut results)
        .unwrap_err();
    assert!(format!("{err:#}").contains("type"), "{err:#}");
    assert!(instance
        .get_typed_func::<i32, V128>(&mut store, "switch")
        .is_err());
}
