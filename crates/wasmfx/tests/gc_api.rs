//! The host's side of GC objects: reading and writing struct fields and array elements,
//! allocating them, and how long references stay rooted (root scopes, host function calls,
//! owned roots).

use anyhow::Result;
use wasmfx::{
    AnyRef, ArrayRef, Engine, Func, FuncType, HeapType, Instance, Linker, Module, OwnedRooted,
    RefType, RootScope, Store, StructRef, Val, ValType,
};

const MODULE: &str = r#"(module
  (type $point (struct (field $x (mut i32)) (field $tag i8) (field $next (mut (ref null $point)))))
  (type $shorts (array (mut i16)))
  (type $frozen (array i32))
  (import "host" "stash" (func $stash (param anyref)))
  (func (export "make") (param i32) (result (ref $point))
    (struct.new $point (local.get 0) (i32.const 300) (ref.null $point)))
  (func (export "x") (param (ref $point)) (result i32) (struct.get $point $x (local.get 0)))
  (func (export "tag") (param (ref $point)) (result i32) (struct.get_s $point $tag (local.get 0)))
  (func (export "next_x") (param (ref $point)) (result i32)
    (struct.get $point $x (ref.as_non_null (struct.get $point $next (local.get 0)))))
  (func (export "sum") (param (ref $shorts)) (result i32)
    (local $i i32) (local $sum i32)
    (block $done
      (loop $each
        (br_if $done (i32.ge_u (local.get $i) (array.len (local.get 0))))
        (local.set $sum (i32.add (local.get $sum)
          (array.get_u $shorts (local.get 0) (local.get $i))))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $each)))
    (local.get $sum))
  (func (export "stash_new") (param i32) (call $stash (struct.new $point (local.get 0) (i32.const 1) (ref.null $point))))
  (func (export "churn") (param $n i32)
    (loop $each
      (drop (struct.new $point (local.get $n) (i32.const 0) (ref.null $point)))
      (br_if $each (local.tee $n (i32.sub (local.get $n) (i32.const 1))))))
)"#;

/// What the host function `stash` keeps of the reference it is given.
#[derive(Default)]
struct Stash {
    scoped: Option<AnyRef>,
    owned: Option<OwnedRooted<AnyRef>>,
}

fn instantiate() -> (Store<Stash>, Instance, Module) {
    let engine = Engine::default();
    let module = Module::new(&engine, MODULE).unwrap();
    let mut store = Store::new(&engine, Stash::default());
    let anyref = ValType::Ref(RefType::new(true, HeapType::Any));
    let stash = Func::new(
        &mut store,
        FuncType::new([anyref], []),
        |mut caller, params, _| {
            let Val::AnyRef(Some(r)) = params[0] else {
                anyhow::bail!("expected a reference");
            };
            let owned = r.to_owned_rooted(&caller)?;
            let data = caller.data_mut();
            data.scoped = Some(r);
            data.owned = Some(owned);
            Ok(())
        },
    )
    .unwrap();
    let mut linker = Linker::new(&engine);
    linker.define(&store, "host", "stash", stash).unwrap();
    let instance = linker.instantiate(&mut store, &module).unwrap();
    (store, instance, module)
}

fn call(store: &mut Store<Stash>, instance: &Instance, name: &str, args: &[Val]) -> Result<Val> {
    let func = instance.get_func(&mut *store, name).unwrap();
    let mut results = vec![Val::I32(0); func.ty(&*store).results().len()];
    func.call(&mut *store, args, &mut results)?;
    Ok(results.pop().unwrap_or(Val::I32(0)))
}

fn i32_of(val: Val) -> i32 {
    val.i32().expect("an i32")
}

#[test]
fn struct_fields_are_read_and_written_by_the_host() {
    let (mut store, instance, module) = instantiate();
    let Val::AnyRef(Some(made)) = call(&mut store, &instance, "make", &[Val::I32(5)]).unwrap()
    else {
        panic!("make returns a reference");
    };
    let point = made.as_struct(&store).unwrap().expect("a struct");
    assert!(made.as_array(&store).unwrap().is_none());
    assert_eq!(point.ty(&store).unwrap(), module.type_id(0).unwrap());
    assert_eq!(point.fields_len(&store).unwrap(), 3);
    assert_eq!(i32_of(point.field(&mut store, 0).unwrap()), 5);
    // The packed field holds 300 truncated to 8 bits, read zero-extended.
    assert_eq!(i32_of(point.field(&mut store, 1).unwrap()), 300 & 0xff);
    assert!(matches!(
        point.field(&mut store, 2).unwrap(),
        Val::AnyRef(None)
    ));

    point.set_field(&mut store, 0, Val::I32(9)).unwrap();
    let x = call(&mut store, &instance, "x", &[Val::AnyRef(Some(made))]).unwrap();
    assert_eq!(i32_of(x), 9);

    let immutable = point.set_field(&mut store, 1, Val::I32(1)).unwrap_err();
    assert!(immutable.to_string().contains("immutable"), "{immutable}");
    let mismatch = point.set_field(&mut store, 0, Val::I64(1)).unwrap_err();
    assert!(mismatch.to_string().contains("type mismatch"), "{mismatch}");
    let out = point.field(&mut store, 3).unwrap_err();
    assert!(out.to_string().contains("out of bounds"), "{out}");

    // A struct made by the host, linking to the one wasm made; the packed field truncates.
    let ty = module.type_id(0).unwrap();
    let fields = [Val::I32(1), Val::I32(-1), Val::AnyRef(Some(made))];
    let linked = StructRef::new(&mut store, ty, &fields).unwrap();
    let arg = [Val::AnyRef(Some(linked.to_anyref()))];
    assert_eq!(
        i32_of(call(&mut store, &instance, "next_x", &arg).unwrap()),
        9
    );
    assert_eq!(
        i32_of(call(&mut store, &instance, "tag", &arg).unwrap()),
        -1
    );
    let Val::AnyRef(Some(next)) = linked.field(&mut store, 2).unwrap() else {
        panic!("the link is a reference");
    };
    assert!(next.ref_eq(&store, &made).unwrap());

    // Wrong counts and types are refused before anything is allocated.
    let few = StructRef::new(&mut store, ty, &[Val::I32(1)]).unwrap_err();
    assert!(few.to_string().contains("3 fields, 1 values"), "{few}");
    let wrong = [Val::I32(1), Val::I32(1), Val::I32(1)];
    assert!(StructRef::new(&mut store, ty, &wrong).is_err());
    let array_type = module.type_id(1).unwrap();
    assert!(StructRef::new(&mut store, array_type, &fields).is_err());
    let func_type = module.type_id(3).unwrap();
    assert!(StructRef::new(&mut store, func_type, &[]).is_err());
}

#[test]
fn array_elements_are_read_and_written_by_the_host() {
    let (mut store, instance, module) = instantiate();
    let shorts = module.type_id(1).unwrap();
    // 0x1_0005 truncates to 5 in each 16-bit element.
    let array = ArrayRef::new(&mut store, shorts, &Val::I32(0x1_0005), 4).unwrap();
    assert_eq!(array.len(&store).unwrap(), 4);
    assert!(!array.is_empty(&store).unwrap());
    assert_eq!(array.ty(&store).unwrap(), shorts);
    assert_eq!(i32_of(array.get(&mut store, 3).unwrap()), 5);
    array.set(&mut store, 2, Val::I32(-1)).unwrap();
    assert_eq!(i32_of(array.get(&mut store, 2).unwrap()), 0xffff);
    let out = array.get(&mut store, 4).unwrap_err();
    assert!(out.to_string().contains("out of bounds"), "{out}");
    let sum = call(
        &mut store,
        &instance,
        "sum",
        &[Val::AnyRef(Some(array.to_anyref()))],
    );
    assert_eq!(i32_of(sum.unwrap()), 5 * 3 + 0xffff);

    let frozen = module.type_id(2).unwrap();
    let fixed = ArrayRef::new_fixed(&mut store, frozen, &[Val::I32(7), Val::I32(8)]).unwrap();
    assert_eq!(i32_of(fixed.get(&mut store, 1).unwrap()), 8);
    let immutable = fixed.set(&mut store, 0, Val::I32(1)).unwrap_err();
    assert!(immutable.to_string().contains("immutable"), "{immutable}");
    let empty = ArrayRef::new_fixed(&mut store, frozen, &[]).unwrap();
    assert!(empty.is_empty(&store).unwrap());
    assert!(ArrayRef::new(&mut store, frozen, &Val::I64(1), 1).is_err());
    assert!(ArrayRef::new(&mut store, module.type_id(0).unwrap(), &Val::I32(1), 1).is_err());
    let huge = ArrayRef::new(&mut store, frozen, &Val::I32(0), u32::MAX).unwrap_err();
    assert!(huge.to_string().contains("GC heap exhausted"), "{huge}");
}

#[test]
fn references_live_as_long_as_their_root() {
    let (mut store, _instance, module) = instantiate();
    let ty = module.type_id(0).unwrap();
    let fields = [Val::I32(11), Val::I32(0), Val::AnyRef(None)];
    store.gc();
    let (stale, owned) = {
        let mut scope = RootScope::new(&mut store);
        let point = StructRef::new(&mut scope, ty, &fields).unwrap();
        let owned = point.to_owned_rooted(&scope).unwrap();
        (point, owned)
    };
    // The scope is over: its reference is refused, not dangling.
    let error = stale.field(&mut store, 0).unwrap_err();
    assert!(error.to_string().contains("root scope"), "{error}");
    // The owned root keeps the object through collections.
    assert_eq!(store.gc(), 0);
    let point = owned.to_rooted(&store).unwrap();
    assert_eq!(i32_of(point.field(&mut store, 0).unwrap()), 11);
    // Dropped (with the reference rooted from it in a scope of its own), it goes.
    {
        let mut scope = RootScope::new(&mut store);
        let again = owned.to_rooted(&scope).unwrap();
        assert_eq!(i32_of(again.field(&mut scope, 0).unwrap()), 11);
    }
    drop(owned);
    // `point` is still rooted at the top level, outside any scope.
    assert_eq!(store.gc(), 0);
    assert_eq!(i32_of(point.field(&mut store, 0).unwrap()), 11);
}

#[test]
fn an_object_no_root_holds_is_collected() {
    let (mut store, _instance, module) = instantiate();
    let ty = module.type_id(0).unwrap();
    let fields = [Val::I32(11), Val::I32(0), Val::AnyRef(None)];
    store.gc();
    let owned = {
        let mut scope = RootScope::new(&mut store);
        StructRef::new(&mut scope, ty, &fields)
            .unwrap()
            .to_owned_rooted(&scope)
            .unwrap()
    };
    assert_eq!(store.gc(), 0);
    drop(owned);
    assert!(store.gc() > 0, "the object is freed");
    assert_eq!(store.gc(), 0);
}

#[test]
fn a_host_function_call_is_a_root_scope() {
    let (mut store, instance, _module) = instantiate();
    call(&mut store, &instance, "stash_new", &[Val::I32(42)]).unwrap();
    let scoped = store.data().scoped.expect("stashed");
    let error = scoped.is_struct(&store).unwrap_err();
    assert!(error.to_string().contains("root scope"), "{error}");
    // Many allocations and collections later, the owned reference still holds its object.
    call(&mut store, &instance, "churn", &[Val::I32(1_000_000)]).unwrap();
    store.gc();
    let owned = store.data().owned.clone().expect("stashed");
    let point = owned.to_rooted(&store).unwrap();
    let point = point.as_struct(&store).unwrap().expect("a struct");
    assert_eq!(i32_of(point.field(&mut store, 0).unwrap()), 42);
}

#[test]
fn references_of_another_store_are_refused() {
    let (mut store, _instance, module) = instantiate();
    let (other, _, _) = instantiate();
    let ty = module.type_id(0).unwrap();
    let fields = [Val::I32(1), Val::I32(0), Val::AnyRef(None)];
    let point = StructRef::new(&mut store, ty, &fields).unwrap();
    let owned = point.to_owned_rooted(&store).unwrap();
    assert!(point.ty(&other).is_err());
    assert!(owned.to_rooted(&other).is_err());
    assert!(point
        .to_anyref()
        .ref_eq(&other, &point.to_anyref())
        .is_err());
}

/// A module whose functions collect (through the host) while a reference is, or is no
/// longer, live in their frame.
const LIVENESS: &str = r#"(module
  (type $s (struct (field i32)))
  (import "host" "gc" (func $gc (result i32)))
  (func (export "dead") (result i32)
    (local $r (ref null $s))
    (local.set $r (struct.new $s (i32.const 1)))
    (drop (struct.get $s 0 (local.get $r)))
    (local.set $r (ref.null $s))
    (call $gc))
  (func (export "live") (result i32)
    (local $r (ref null $s))
    (local.set $r (struct.new $s (i32.const 7)))
    (drop (call $gc))
    (struct.get $s 0 (local.get $r)))
)"#;

#[test]
fn frames_are_scanned_precisely() {
    let engine = Engine::default();
    let module = Module::new(&engine, LIVENESS).unwrap();
    let mut store = Store::new(&engine, ());
    let gc = Func::new(
        &mut store,
        FuncType::new([], [ValType::I32]),
        |mut caller, _, results| {
            results[0] = Val::I32(caller.gc() as i32);
            Ok(())
        },
    )
    .unwrap();
    let instance = Instance::new(&mut store, &module, &[gc.into()]).unwrap();
    let mut run = |name: &str| {
        let func = instance.get_func(&mut store, name).unwrap();
        let mut results = [Val::I32(0)];
        func.call(&mut store, &[], &mut results).unwrap();
        i32_of(results[0])
    };
    // The struct is no longer referenced when the collection runs: whatever copies of its
    // address the frame still holds, the stack map says none is live, and its 16 bytes go.
    assert_eq!(run("dead"), 16);
    // The struct the frame still uses survives the collection.
    assert_eq!(run("live"), 7);
}

/// A continuation whose frame held a reference in a stack slot (live across a call), no
/// longer live when it suspends, and another one still live.
const SUSPENDED_LIVENESS: &str = r#"(module
  (type $s (struct (field i32)))
  (type $f (func))
  (type $k (cont $f))
  (tag $pause)
  (global $parked (mut (ref null $k)) (ref.null $k))
  (func $nop)
  (func $body
    (local $dead (ref null $s))
    (local $live (ref null $s))
    (local.set $dead (struct.new $s (i32.const 1)))
    (local.set $live (struct.new $s (i32.const 2)))
    (call $nop)
    (drop (struct.get $s 0 (local.get $dead)))
    (local.set $dead (ref.null $s))
    (suspend $pause)
    (if (i32.ne (struct.get $s 0 (local.get $live)) (i32.const 2)) (then (unreachable))))
  (elem declare func $body)
  (func (export "start")
    (block $suspended (result (ref $k))
      (resume $k (on $pause $suspended) (cont.new $k (ref.func $body)))
      (return))
    (global.set $parked))
  (func (export "finish")
    (block $suspended (result (ref $k))
      (resume $k (on $pause $suspended) (ref.as_non_null (global.get $parked)))
      (return))
    (unreachable))
)"#;

#[test]
fn a_suspended_frame_is_scanned_precisely() {
    let engine = Engine::default();
    let module = Module::new(&engine, SUSPENDED_LIVENESS).unwrap();
    let mut store = Store::new(&engine, ());
    let instance = Instance::new(&mut store, &module, &[]).unwrap();
    let run = |store: &mut Store<()>, name: &str| {
        let func = instance.get_func(&mut *store, name).unwrap();
        func.call(&mut *store, &[], &mut []).unwrap();
    };
    run(&mut store, "start");
    // The frame stopped at `suspend` still has the first struct's address in the slot it
    // was kept in across the call, but the switch's stack map says it is dead: its 16 bytes
    // go; the second struct, live, stays and is intact when the continuation finishes.
    assert_eq!(store.gc(), 16);
    run(&mut store, "finish");
    assert_eq!(store.gc(), 16);
}
