//! GC references as API values ([`AnyRef`], [`I31`]): host-made `i31ref`s round-trip through
//! tables, globals, parameters and results, are checked against the element type of every
//! table of the `any` hierarchy they are stored in, and are refused by other stores.

mod common;

use common::instantiate;
use wasmfx::*;

/// Tables and globals of every abstract type of the `any` hierarchy and of a defined struct
/// type, and functions moving references between them.
const MODULE: &str = r#"(module
  (type $s (struct))
  (table $i31 (export "i31") 2 i31ref)
  (table $eq (export "eq") 1 eqref)
  (table $any (export "any") 2 anyref)
  (table $struct (export "struct") 1 structref)
  (table $array (export "array") 1 arrayref)
  (table $none (export "none") 1 nullref)
  (table $s (export "s") 1 (ref null $s))
  (global $g (export "g") (mut i31ref) (ref.null i31))
  (func (export "get_i31") (param i32) (result i31ref) (table.get $i31 (local.get 0)))
  (func (export "copy") (table.set $any (i32.const 1) (table.get $i31 (i32.const 0))))
  (func (export "global") (result i31ref) (global.get $g))
  (func (export "set_global") (param i31ref) (global.set $g (local.get 0)))
  (func (export "id") (param anyref) (result anyref) (local.get 0))
  (func (export "is_null") (param eqref) (result i32) (ref.is_null (local.get 0)))
  (func (export "take_struct") (param structref))
)"#;

/// An `i31ref` value of `store` holding `value` (wrapped to 31 bits).
fn i31(store: &Store<()>, value: i32) -> Val {
    Val::AnyRef(Some(AnyRef::from_i31(store, I31::wrapping_i32(value))))
}

/// The `i31` a value holds, if it is a non-null `i31ref`.
fn i31_of(val: &Val) -> Option<I31> {
    match val {
        Val::AnyRef(Some(r)) => r.as_i31(),
        _ => None,
    }
}

/// Calls export `name` of `instance` with `args`, returning its results.
fn call(store: &mut Store<()>, instance: &Instance, name: &str, args: &[Val]) -> Result<Vec<Val>> {
    let func = instance.get_func(&mut *store, name).expect("exported");
    let mut results = vec![Val::I32(0); func.ty(&*store).results().len()];
    func.call(&mut *store, args, &mut results)?;
    Ok(results)
}

#[test]
fn i31_round_trips_through_a_table() {
    let (mut store, instance) = instantiate(MODULE);
    let table = instance.get_table(&mut store, "i31").unwrap();
    let value = i31(&store, -5);
    table.set(&mut store, 0, value).unwrap();

    let got = table.get(&mut store, 0).unwrap();
    assert_eq!(i31_of(&got).map(I31::get_i32), Some(-5));
    assert_eq!(i31_of(&got).map(I31::get_u32), Some(0x7fff_fffb));

    let from_wasm = call(&mut store, &instance, "get_i31", &[Val::I32(0)]).unwrap();
    assert_eq!(i31_of(&from_wasm[0]).map(I31::get_i32), Some(-5));
    let null = call(&mut store, &instance, "get_i31", &[Val::I32(1)]).unwrap();
    assert!(matches!(null[0], Val::AnyRef(None)));

    // Wasm moves it to a table of a supertype; it is the same reference there.
    call(&mut store, &instance, "copy", &[]).unwrap();
    let any = instance.get_table(&mut store, "any").unwrap();
    match (any.get(&mut store, 1), value) {
        (Some(Val::AnyRef(Some(a))), Val::AnyRef(Some(b))) => {
            assert!(a.ref_eq(&store, &b).unwrap())
        }
        other => panic!("not the reference stored: {other:?}"),
    }
}

#[test]
fn i31_round_trips_through_a_global_and_calls() {
    let (mut store, instance) = instantiate(MODULE);
    let global = instance.get_global(&mut store, "g").unwrap();
    let value = i31(&store, 0x3fff_ffff);
    global.set(&mut store, value).unwrap();
    let got = call(&mut store, &instance, "global", &[]).unwrap();
    assert_eq!(i31_of(&got[0]).map(I31::get_i32), Some(0x3fff_ffff));

    let value = i31(&store, i32::MIN);
    call(&mut store, &instance, "set_global", &[value]).unwrap();
    assert_eq!(i31_of(&global.get(&mut store)).map(I31::get_u32), Some(0));

    let value = i31(&store, 42);
    let id = call(&mut store, &instance, "id", &[value]).unwrap();
    assert_eq!(i31_of(&id[0]).map(I31::get_u32), Some(42));
    assert_eq!(id[0].ty(), ValType::Ref(RefType::new(true, HeapType::Any)));

    let value = i31(&store, 1);
    let is_null = call(&mut store, &instance, "is_null", &[value]).unwrap();
    assert_eq!(is_null[0].i32(), Some(0));
    let is_null = call(&mut store, &instance, "is_null", &[Val::AnyRef(None)]).unwrap();
    assert_eq!(is_null[0].i32(), Some(1));
}

#[test]
fn i31_matches_only_its_supertypes() {
    let (mut store, instance) = instantiate(MODULE);
    let value = i31(&store, 7);
    for (name, accepted) in [
        ("i31", true),
        ("eq", true),
        ("any", true),
        ("struct", false),
        ("array", false),
        ("none", false),
        ("s", false),
    ] {
        let table = instance.get_table(&mut store, name).unwrap();
        let result = table.set(&mut store, 0, value);
        assert_eq!(result.is_ok(), accepted, "table {name}: {result:?}");
        if let Err(e) = result {
            let text = e.to_string();
            assert!(
                text.contains("type mismatch") && text.contains("i31 reference (7)"),
                "table {name}: {text}"
            );
        }
        // Null is a value of every nullable type of the hierarchy.
        table.set(&mut store, 0, Val::AnyRef(None)).unwrap();
    }
    let err = call(&mut store, &instance, "take_struct", &[value]).unwrap_err();
    assert!(format!("{err:#}").contains("type mismatch"), "{err:#}");
}

#[test]
fn host_tables_hold_i31() {
    let (mut store, _) = instantiate("(module)");
    let ty = TableType::new(RefType::new(true, HeapType::I31), 1, None);
    let (one, two) = (i31(&store, 1), i31(&store, 2));
    let table = Table::new(&mut store, ty, one).unwrap();
    table.grow(&mut store, 2, two).unwrap();
    let values: Vec<_> = (0..3)
        .map(|i| i31_of(&table.get(&mut store, i).unwrap()).map(I31::get_u32))
        .collect();
    assert_eq!(values, [Some(1), Some(2), Some(2)]);

    let ty = TableType::new(RefType::new(true, HeapType::Struct), 1, None);
    assert!(Table::new(&mut store, ty, one).is_err());
}

#[test]
fn references_of_another_store_are_refused() {
    let (mut store, instance) = instantiate(MODULE);
    let (other, _) = instantiate("(module)");
    let foreign = i31(&other, 3);
    let table = instance.get_table(&mut store, "any").unwrap();
    let err = table.set(&mut store, 0, foreign).unwrap_err();
    assert!(err.to_string().contains("store"), "{err}");
    let global = instance.get_global(&mut store, "g").unwrap();
    assert!(global.set(&mut store, foreign).is_err());
    assert!(call(&mut store, &instance, "id", &[foreign]).is_err());

    let Val::AnyRef(Some(r)) = foreign else {
        unreachable!("made as a non-null reference")
    };
    // The integer needs no store; questions about objects do.
    assert_eq!(r.as_i31().map(I31::get_u32), Some(3));
    assert!(r.is_struct(&store).is_err());
    assert!(r.is_eqref(&other).unwrap());
}

#[test]
fn i31_debug_and_api() {
    let (store, _) = instantiate("(module)");
    let r = AnyRef::from_i31(&store, I31::new_u32(9).unwrap());
    assert_eq!(format!("{r:?}"), "AnyRef(i31 9)");
    assert!(r.is_i31());
    assert!(r.is_eqref(&store).unwrap());
    assert!(!r.is_struct(&store).unwrap());
    assert!(!r.is_array(&store).unwrap());
    assert_eq!(r.array_len(&store).unwrap(), None);
    assert_eq!(r.ty(&store).unwrap(), HeapType::I31);
    assert!(r
        .ref_eq(&store, &AnyRef::from_i31(&store, I31::wrapping_u32(9)))
        .unwrap());
    assert!(!r
        .ref_eq(&store, &AnyRef::from_i31(&store, I31::wrapping_u32(10)))
        .unwrap());
}

/// Moves references between the `extern` and `any` hierarchies, and makes GC objects.
const CONVERSIONS: &str = r#"(module
  (type $pair (struct (field i32) (field i32)))
  (func (export "internalize") (param externref) (result anyref) (any.convert_extern (local.get 0)))
  (func (export "externalize") (param anyref) (result externref) (extern.convert_any (local.get 0)))
  (func (export "is_eq") (param anyref) (result i32) (ref.test eqref (local.get 0)))
  (func (export "pair") (param i32 i32) (result anyref) (struct.new $pair (local.get 0) (local.get 1)))
  (func (export "first") (param anyref) (result i32)
    (struct.get $pair 0 (ref.cast (ref $pair) (local.get 0))))
)"#;

#[test]
fn references_move_between_the_extern_and_any_hierarchies() {
    let (mut store, instance) = instantiate(CONVERSIONS);
    let host = ExternRef::new(&mut store, 42u32);
    let internal = call(
        &mut store,
        &instance,
        "internalize",
        &[Val::ExternRef(Some(host))],
    )
    .unwrap();
    let Val::AnyRef(Some(internal)) = internal[0] else {
        panic!("expected an anyref, got {internal:?}");
    };
    assert!(internal.ref_eq(&store, &host.to_any()).unwrap());
    assert!(!internal.is_eqref(&store).unwrap());
    let is_eq = call(
        &mut store,
        &instance,
        "is_eq",
        &[Val::AnyRef(Some(internal))],
    )
    .unwrap();
    assert_eq!(is_eq[0].i32(), Some(0));
    // Back to the same host value.
    let back = call(
        &mut store,
        &instance,
        "externalize",
        &[Val::AnyRef(Some(internal))],
    )
    .unwrap();
    let Val::ExternRef(Some(back)) = back[0] else {
        panic!("expected an externref, got {back:?}");
    };
    assert!(back.to_any().ref_eq(&store, &host.to_any()).unwrap());
    assert_eq!(
        back.data(&store).and_then(|d| d.downcast_ref::<u32>()),
        Some(&42)
    );

    // A GC object made external keeps its identity and has no host data.
    let pair = call(&mut store, &instance, "pair", &[Val::I32(7), Val::I32(8)]).unwrap();
    let Val::AnyRef(Some(pair)) = pair[0] else {
        panic!("expected an anyref, got {pair:?}");
    };
    assert!(pair.is_struct(&store).unwrap());
    let external = call(
        &mut store,
        &instance,
        "externalize",
        &[Val::AnyRef(Some(pair))],
    )
    .unwrap();
    let Val::ExternRef(Some(external)) = external[0] else {
        panic!("expected an externref, got {external:?}");
    };
    assert!(external.data(&store).is_none());
    assert!(external.to_any().ref_eq(&store, &pair).unwrap());
    let again = ExternRef::convert_any(pair).to_any();
    assert!(again.ref_eq(&store, &external.to_any()).unwrap());
    let first = call(
        &mut store,
        &instance,
        "first",
        &[Val::AnyRef(Some(external.to_any()))],
    )
    .unwrap();
    assert_eq!(first[0].i32(), Some(7));
}

/// A hierarchy `$a <- $b <- $c` and `$a <- $d`, none final, and functions of a non-final type
/// and of its subtype.
const HIERARCHY: &str = r#"(module
  (type $a (sub (struct)))
  (type $b (sub $a (struct (field i32))))
  (type $c (sub $b (struct (field i32) (field i64))))
  (type $d (sub $a (struct (field f32))))
  (type $f (sub (func (result i32))))
  (type $g (sub $f (func (result i32))))
  (table $funcs funcref (elem $one $two))
  (func $one (type $f) (i32.const 1))
  (func $two (type $g) (i32.const 2))
  (func $make (param $kind i32) (result anyref)
    (if (result anyref) (i32.eqz (local.get $kind)) (then (struct.new $a))
      (else (if (result anyref) (i32.eq (local.get $kind) (i32.const 1))
        (then (struct.new_default $b))
        (else (if (result anyref) (i32.eq (local.get $kind) (i32.const 2))
          (then (struct.new_default $c))
          (else (struct.new_default $d))))))))
  (func (export "test") (param $kind i32) (param $target i32) (result i32)
    (local $r anyref)
    (local.set $r (call $make (local.get $kind)))
    (if (result i32) (i32.eqz (local.get $target)) (then (ref.test (ref $a) (local.get $r)))
      (else (if (result i32) (i32.eq (local.get $target) (i32.const 1))
        (then (ref.test (ref $b) (local.get $r)))
        (else (if (result i32) (i32.eq (local.get $target) (i32.const 2))
          (then (ref.test (ref $c) (local.get $r)))
          (else (ref.test (ref $d) (local.get $r)))))))))
  (func (export "call_f") (param i32) (result i32) (call_indirect $funcs (type $f) (local.get 0)))
  (func (export "call_g") (param i32) (result i32) (call_indirect $funcs (type $g) (local.get 0)))
)"#;

#[test]
fn casts_to_types_that_are_not_final_follow_the_hierarchy() {
    let (mut store, instance) = instantiate(HIERARCHY);
    // expected[kind][target]: whether an object of type `kind` is a `target`.
    let expected = [
        [1, 0, 0, 0], // $a
        [1, 1, 0, 0], // $b
        [1, 1, 1, 0], // $c
        [1, 0, 0, 1], // $d
    ];
    for (kind, row) in expected.iter().enumerate() {
        for (target, &is) in row.iter().enumerate() {
            let args = [Val::I32(kind as i32), Val::I32(target as i32)];
            let got = call(&mut store, &instance, "test", &args).unwrap();
            assert_eq!(got[0].i32(), Some(is), "kind {kind}, target {target}");
        }
    }
    // `$two` has the subtype `$g` of `$f`: it may be called as either; `$one` only as `$f`.
    let call_as = |store: &mut Store<()>, name: &str, index: i32| {
        call(store, &instance, name, &[Val::I32(index)]).map(|r| r[0].i32())
    };
    assert_eq!(call_as(&mut store, "call_f", 0).unwrap(), Some(1));
    assert_eq!(call_as(&mut store, "call_f", 1).unwrap(), Some(2));
    assert_eq!(call_as(&mut store, "call_g", 1).unwrap(), Some(2));
    let mismatch = call_as(&mut store, "call_g", 0).unwrap_err();
    assert!(
        format!("{mismatch:?}").contains("indirect call type mismatch"),
        "{mismatch:?}"
    );
}
