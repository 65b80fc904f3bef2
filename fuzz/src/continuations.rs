//! The `continuations` target: generated stack-switching programs. Each program has tags,
//! "bodies" (functions run as continuations, which suspend, call helpers that suspend, throw,
//! trap, loop, update a global and memory, and run nested schedulers) and "runners"
//! (schedulers at levels 0..L that create continuations with `cont.new` or `cont.bind` and
//! resume them with a subset of the tags' handlers, so that other suspensions are forwarded
//! outwards). Handlers resume with new values, park continuations in tables, globals and GC
//! structs, inject exceptions with `resume_throw` or `resume_throw_ref`, abandon
//! continuations, or resume a consumed or null one (traps). Some programs use `switch` between two continuations.
//!
//! wasmfx runs each program under two settings; Binaryen's interpreter (programs without
//! `switch`) and wasmtime check the results.

use crate::execute::{self, Engines, Settings};
use crate::generated::compare;
use crate::reference::{check_batch, Fragment, Reference};
use crate::script::{self, Dialect};
use crate::{Finding, Target};
use anyhow::Result;
use rand::rngs::SmallRng;
use rand::{Rng, SeedableRng};
use std::fmt::Write;
use std::path::PathBuf;

/// A generated program.
#[derive(Clone, Debug)]
pub struct Program {
    /// The module, in the text format.
    pub text: String,
    /// Whether it uses `switch` (which Binaryen does not implement).
    pub uses_switch: bool,
    /// Whether it uses `cont.bind` (which Binaryen 132's interpreter aborts on).
    pub uses_bind: bool,
    /// Whether it keeps continuations in GC structs (which wasmtime 49 refuses).
    pub uses_gc: bool,
}

/// The shape of a program, drawn first.
struct Shape {
    tags: usize,
    levels: usize,
    bodies: usize,
    runners: usize,
    helpers: usize,
    table_slots: usize,
    uses_switch: bool,
}

struct Gen {
    rng: SmallRng,
    shape: Shape,
    labels: usize,
    uses_bind: bool,
    uses_gc: bool,
}

/// Writes formatted text into a `String` (cannot fail).
macro_rules! w {
    ($dst:expr, $($arg:tt)*) => { write!($dst, $($arg)*).expect("writing to a string") };
}

impl Gen {
    fn label(&mut self) -> usize {
        self.labels += 1;
        self.labels
    }

    fn tag(&mut self) -> usize {
        self.rng.gen_range(0..self.shape.tags)
    }

    fn small(&mut self) -> i32 {
        self.rng.gen_range(-20..50)
    }

    /// A statement of a body at `level`: leaves the stack as it found it.
    fn stmt(&mut self, s: &mut String, level: usize, depth: usize) {
        let max_choice = if depth >= 3 { 9 } else { 12 };
        match self.rng.gen_range(0..max_choice) {
            0 => {
                let op = ["add", "sub", "mul", "xor", "rotl", "or"][self.rng.gen_range(0..6)];
                let c = self.small();
                w!(s, "(local.set $acc (i32.{op} (local.get $acc) (i32.const {c})))\n");
            }
            1 => w!(s, "(local.set $acc (i32.add (local.get $acc) (local.get $x)))\n"),
            2 | 3 => {
                let t = self.tag();
                w!(
                    s,
                    "(local.set $acc (i32.add (local.get $acc) (suspend $y{t} (local.get $acc))))\n"
                );
            }
            4 => {
                // A suspension that an exception injected by `resume_throw` may end.
                let t = self.tag();
                let l = self.label();
                w!(
                    s,
                    "(block $c{l} (result i32) (try_table (result i32) (catch $e $c{l}) \
                     (suspend $y{t} (local.get $acc))))\n\
                     (local.set $acc (i32.add (local.get $acc)))\n"
                );
            }
            5 => {
                let h = self.rng.gen_range(0..self.shape.helpers);
                w!(s, "(local.set $acc (call $h{h} (local.get $acc)))\n");
            }
            6 => w!(
                s,
                "(global.set $g (i32.add (i32.mul (global.get $g) (i32.const 31)) (local.get $acc)))\n"
            ),
            7 => {
                let addr = self.rng.gen_range(0..64) * 4;
                w!(s, "(i32.store (i32.const {addr}) (i32.add (i32.load (i32.const {addr})) (local.get $acc)))\n");
            }
            8 => {
                let (m, r) = (self.rng.gen_range(2..16), self.rng.gen_range(0..2));
                if self.rng.gen_bool(0.5) {
                    w!(s, "(if (i32.eq (i32.rem_u (local.get $acc) (i32.const {m})) (i32.const {r})) (then (throw $e (local.get $acc))))\n");
                } else {
                    let m = m * 4 + 1;
                    w!(s, "(if (i32.eq (i32.rem_u (local.get $acc) (i32.const {m})) (i32.const {r})) (then (unreachable)))\n");
                }
            }
            9 => {
                // A bounded loop.
                let l = self.label();
                let n = self.rng.gen_range(1..5);
                w!(s, "(local.set $i{depth} (i32.const 0))\n(loop $l{l}\n");
                for _ in 0..self.rng.gen_range(1..4) {
                    self.stmt(s, level, depth + 1);
                }
                w!(s, "(local.set $i{depth} (i32.add (local.get $i{depth}) (i32.const 1)))\n(br_if $l{l} (i32.lt_u (local.get $i{depth}) (i32.const {n}))))\n");
            }
            10 => {
                // Statements whose exception is caught here.
                let l = self.label();
                w!(s, "(block $c{l} (result i32) (try_table (result i32) (catch $e $c{l})\n");
                for _ in 0..self.rng.gen_range(1..4) {
                    self.stmt(s, level, depth + 1);
                }
                w!(s, "(local.get $acc)))\n(local.set $acc)\n");
            }
            _ => {
                if level + 1 < self.shape.levels {
                    let r = self.rng.gen_range(0..self.shape.runners);
                    let n = level + 1;
                    w!(s, "(local.set $acc (i32.add (local.get $acc) (call $r{n}_{r} (local.get $acc))))\n");
                } else {
                    let t = self.tag();
                    w!(s, "(local.set $acc (i32.xor (local.get $acc) (suspend $y{t} (local.get $x))))\n");
                }
            }
        }
    }

    fn body(&mut self, s: &mut String, level: usize, index: usize, two_params: bool) {
        let (name, params) = if two_params {
            (
                format!("$p{level}_{index}"),
                "(type $fb2) (param $x i32) (param $z i32)",
            )
        } else {
            (format!("$b{level}_{index}"), "(type $fb) (param $x i32)")
        };
        w!(
            s,
            "(func {name} {params} (result i32) (local $acc i32) (local $i0 i32) (local $i1 i32) (local $i2 i32) (local $i3 i32)\n"
        );
        if two_params {
            w!(
                s,
                "(local.set $acc (i32.sub (local.get $z) (local.get $x)))\n"
            );
        } else {
            w!(s, "(local.set $acc (local.get $x))\n");
        }
        for _ in 0..self.rng.gen_range(1..8) {
            self.stmt(s, level, 0);
        }
        w!(s, "(local.get $acc))\n");
    }

    fn helper(&mut self, s: &mut String, index: usize) {
        let t = self.tag();
        let c = self.small();
        w!(
            s,
            "(func $h{index} (param $v i32) (result i32)\n\
             (i32.add (suspend $y{t} (i32.add (local.get $v) (i32.const {c}))) (local.get $v)))\n"
        );
    }

    /// What a handler does with the `i32` and continuation on the stack. Every path ends in a
    /// branch (to `$again` of the runner's loop, or `$done`).
    fn action(&mut self, s: &mut String) {
        let slot = self.rng.gen_range(0..self.shape.table_slots);
        let c = self.small();
        match self.rng.gen_range(0..16) {
            0..=3 => w!(s, "(local.set $k) (i32.const {c}) (i32.add) (local.set $v) (br $again)\n"),
            4 => w!(
                s,
                "(local.set $k) (local.set $v) (table.set $tab (i32.const {slot}) (local.get $k)) \
                 (local.set $k (ref.null $cb)) (local.set $k (table.get $tab (i32.const {slot}))) (br $again)\n"
            ),
            5 => w!(
                s,
                "(global.set $gk) (local.set $v) (local.set $k (global.get $gk)) (br $again)\n"
            ),
            6 => {
                self.uses_gc = true;
                w!(
                s,
                "(local.set $k) (local.set $v) (local.set $box (struct.new $box (local.get $k))) \
                 (local.set $k (ref.null $cb)) (local.set $k (struct.get $box 0 (local.get $box))) (br $again)\n"
                )
            }
            7 | 8 => w!(
                s,
                "(local.set $k) (local.set $v) (local.set $mode (i32.const 1)) (br $again)\n"
            ),
            12 | 13 => w!(
                s,
                "(local.set $k) (local.set $v) (local.set $mode (i32.const 2)) (br $again)\n"
            ),
            9 | 14 => w!(s, "(drop) (local.set $v) (br $done)\n"),
            10 => w!(
                s,
                "(local.set $k) (local.set $v) (drop (resume $cb (local.get $v) (local.get $first))) (br $again)\n"
            ),
            _ => w!(
                s,
                "(local.set $k) (local.set $v) (drop (resume $cb (local.get $v) (table.get $tab (i32.const {slot})))) (br $again)\n"
            ),
        }
    }

    fn runner(&mut self, s: &mut String, level: usize, index: usize) {
        let handled: Vec<usize> = if level == 0 {
            (0..self.shape.tags).collect()
        } else {
            (0..self.shape.tags)
                .filter(|_| self.rng.gen_bool(0.5))
                .collect()
        };
        let body = self.rng.gen_range(0..self.shape.bodies);
        let init = if self.rng.gen_bool(0.3) {
            self.uses_bind = true;
            let c = self.small();
            format!(
                "(cont.bind $cb2 $cb (i32.const {c}) (cont.new $cb2 (ref.func $p{level}_{body})))"
            )
        } else {
            format!("(cont.new $cb (ref.func $b{level}_{body}))")
        };
        let limit = self.rng.gen_range(1..12);
        let catches = self.rng.gen_bool(0.6);
        w!(
            s,
            "(func $r{level}_{index} (param $x i32) (result i32)\n\
             (local $k (ref null $cb)) (local $first (ref null $cb)) (local $v i32) (local $n i32) \
             (local $sum i32) (local $mode i32) (local $box (ref null $box))\n\
             (local.set $v (local.get $x))\n\
             (local.set $k {init})\n\
             (local.set $first (local.get $k))\n\
             (block $done\n(loop $again\n\
             (local.set $n (i32.add (local.get $n) (i32.const 1)))\n\
             (br_if $done (i32.gt_u (local.get $n) (i32.const {limit})))\n"
        );
        if catches {
            w!(
                s,
                "(block $caught (result i32) (try_table (catch $e $caught)\n"
            );
        }
        for t in handled.iter().rev() {
            w!(s, "(block $h{t} (result i32 (ref $cb))\n");
        }
        let clauses: String = handled
            .iter()
            .map(|t| format!(" (on $y{t} $h{t})"))
            .collect();
        w!(
            s,
            "(if (result i32) (i32.eqz (local.get $mode))\n\
             (then (resume $cb{clauses} (local.get $v) (local.get $k)))\n\
             (else (if (result i32) (i32.eq (local.get $mode) (i32.const 1))\n\
             (then (local.set $mode (i32.const 0)) (resume_throw $cb $e{clauses} (local.get $v) (local.get $k)))\n\
             (else (local.set $mode (i32.const 0)) (resume_throw_ref $cb{clauses} \
             (block $r (result exnref) (try_table (catch_all_ref $r) (throw $e (local.get $v))) (unreachable)) \
             (local.get $k))))))\n\
             (local.set $v)\n\
             (local.set $sum (i32.add (i32.mul (local.get $sum) (i32.const 7)) (local.get $v)))\n\
             (br $done)\n"
        );
        // Each handler block ends, leaving the tag's value and the continuation.
        for _ in &handled {
            w!(s, ")\n");
            self.action(s);
        }
        if catches {
            w!(
                s,
                ")\n(unreachable))\n(local.set $v)\n\
                 (local.set $sum (i32.xor (local.get $sum) (i32.add (local.get $v) (i32.const 1000))))\n\
                 (br $done)\n"
            );
        }
        w!(
            s,
            "))\n(i32.add (local.get $sum) (i32.mul (local.get $n) (i32.const 100))))\n"
        );
    }

    /// Two continuations that `switch` to each other a few times, under a runner handling the
    /// switch tag.
    fn switch_pair(&mut self, s: &mut String) {
        let rounds = self.rng.gen_range(1..6);
        let c = self.small();
        w!(
            s,
            "(func $sw_a (type $fs) (param $x i32) (param $other (ref null $cs)) (result i32) (local $i i32) (local $acc i32)\n\
             (local.set $acc (local.get $x))\n\
             (loop $l\n\
               (local.set $acc (i32.add (local.get $acc) (i32.const {c})))\n\
               (global.set $g (i32.add (i32.mul (global.get $g) (i32.const 3)) (local.get $acc)))\n\
               (switch $cs $sw (local.get $acc) (local.get $other))\n\
               (local.set $other) (local.set $acc)\n\
               (local.set $i (i32.add (local.get $i) (i32.const 1)))\n\
               (br_if $l (i32.lt_u (local.get $i) (i32.const {rounds}))))\n\
             (local.get $acc))\n\
             (elem declare func $sw_a)\n\
             (func $switch_run (param $x i32) (result i32)\n\
             (resume $cs (on $sw switch) (local.get $x) (cont.new $cs (ref.func $sw_a)) (cont.new $cs (ref.func $sw_a))))\n"
        );
    }

    fn module(&mut self) -> String {
        let mut s = String::new();
        let sh = &self.shape;
        w!(
            s,
            "(module\n\
             (type $fb (func (param i32) (result i32)))\n\
             (type $cb (cont $fb))\n\
             (type $fb2 (func (param i32 i32) (result i32)))\n\
             (type $cb2 (cont $fb2))\n\
             (type $box (struct (field (ref null $cb))))\n\
             (rec (type $fs (func (param i32 (ref null $cs)) (result i32))) (type $cs (cont $fs)))\n\
             (tag $e (param i32))\n\
             (tag $sw (result i32))\n\
             (global $g (export \"g\") (mut i32) (i32.const 0))\n\
             (global $gk (mut (ref null $cb)) (ref.null $cb))\n\
             (table $tab {} (ref null $cb))\n\
             (memory (export \"mem\") 1)\n",
            sh.table_slots
        );
        for t in 0..sh.tags {
            w!(s, "(tag $y{t} (param i32) (result i32))\n");
        }
        let (levels, bodies, runners, helpers) = (sh.levels, sh.bodies, sh.runners, sh.helpers);
        let uses_switch = sh.uses_switch;
        let mut declared = Vec::new();
        for level in 0..levels {
            for b in 0..bodies {
                self.body(&mut s, level, b, false);
                self.body(&mut s, level, b, true);
                declared.push(format!("$b{level}_{b} $p{level}_{b}"));
            }
            for r in 0..runners {
                self.runner(&mut s, level, r);
            }
        }
        for h in 0..helpers {
            self.helper(&mut s, h);
        }
        w!(s, "(elem declare func {})\n", declared.join(" "));
        for r in 0..runners {
            w!(
                s,
                "(func (export \"run{r}\") (param i32) (result i32) (call $r0_{r} (local.get 0)))\n"
            );
        }
        if uses_switch {
            self.switch_pair(&mut s);
            w!(
                s,
                "(func (export \"switch\") (param i32) (result i32) (call $switch_run (local.get 0)))\n"
            );
        }
        s.push_str(")\n");
        s
    }
}

/// The program of case `seed`.
pub fn generate(seed: u64) -> Program {
    let mut rng = SmallRng::seed_from_u64(seed);
    let shape = Shape {
        tags: rng.gen_range(1..=3),
        levels: rng.gen_range(1..=3),
        bodies: rng.gen_range(1..=3),
        runners: rng.gen_range(1..=2),
        helpers: rng.gen_range(1..=2),
        table_slots: rng.gen_range(1..=4),
        uses_switch: rng.gen_ratio(1, 4),
    };
    let uses_switch = shape.uses_switch;
    let mut g = Gen {
        rng,
        shape,
        labels: 0,
        uses_bind: false,
        uses_gc: false,
    };
    let text = g.module();
    Program {
        text,
        uses_switch,
        uses_bind: g.uses_bind,
        uses_gc: g.uses_gc,
    }
}

/// The `continuations` target's state.
pub struct Continuations {
    engines: Engines,
    binaryen: Option<Reference>,
    wasmtime: Option<Reference>,
    work_dir: PathBuf,
    /// Per reference: fragments waiting, with their programs.
    pending_binaryen: Vec<(Fragment, Vec<u8>)>,
    pending_wasmtime: Vec<(Fragment, Vec<u8>)>,
    compared: u64,
}

impl Continuations {
    /// A target checked by `binaryen` and `wasmtime` (those present), scripts in `work_dir`.
    pub fn new(
        binaryen: Option<Reference>,
        wasmtime: Option<Reference>,
        work_dir: PathBuf,
    ) -> Continuations {
        Continuations {
            engines: Engines::default(),
            binaryen,
            wasmtime,
            work_dir,
            pending_binaryen: Vec::new(),
            pending_wasmtime: Vec::new(),
            compared: 0,
        }
    }
}

impl Target for Continuations {
    fn name(&self) -> &'static str {
        "continuations"
    }

    fn case(&mut self, seed: u64) -> Result<Option<Finding>> {
        let program = generate(seed);
        let finding = |what: String| {
            Finding::new(
                "continuations",
                seed,
                what,
                program.text.clone().into_bytes(),
                "wat",
            )
        };
        let wasm = match wat::parse_str(&program.text) {
            Ok(w) => w,
            Err(e) => return Ok(Some(finding(format!("the generator wrote bad text: {e}")))),
        };
        let mut outcomes = Vec::new();
        for settings in [Settings::BASELINE, Settings::varied(seed)] {
            let engine = self.engines.get(settings)?;
            let module = match execute::load(&engine, settings, &wasm) {
                Ok(m) => m,
                Err(e) => {
                    return Ok(Some(finding(format!(
                        "wasmfx refused the program with {settings:?}: {e:#}"
                    ))))
                }
            };
            let calls = execute::plan_calls(&module, seed);
            outcomes.push((execute::run(&module, settings.safety_fuel(), &calls), calls));
        }
        if let Some(diff) = compare(&outcomes[0].0, &outcomes[1].0) {
            return Ok(Some(finding(format!(
                "baseline settings and {:?} disagree: {diff}",
                Settings::varied(seed)
            ))));
        }
        let (outcome, calls) = &outcomes[0];
        let module = script::binary_module(&wasm);
        if self.binaryen.is_some() && !program.uses_switch && !program.uses_bind {
            let text = script::fragment(&module, calls, outcome, Dialect::Binaryen, seed);
            self.pending_binaryen
                .push((Fragment { seed, text }, program.text.clone().into_bytes()));
        }
        if self.wasmtime.is_some() && !program.uses_gc {
            let text = script::fragment(&module, calls, outcome, Dialect::Wasmtime, seed);
            self.pending_wasmtime
                .push((Fragment { seed, text }, program.text.clone().into_bytes()));
        }
        Ok(None)
    }

    fn flush(&mut self) -> Result<Option<Finding>> {
        // A program counts as compared once, whichever references checked it.
        let mut most = 0;
        let batches = [
            (self.binaryen.as_ref(), &mut self.pending_binaryen),
            (self.wasmtime.as_ref(), &mut self.pending_wasmtime),
        ];
        for (reference, pending) in batches {
            let mut compared = 0;
            let found = check_batch(
                reference,
                pending,
                &self.work_dir,
                ("continuations", "wat"),
                &mut compared,
            )?;
            if found.is_some() {
                return Ok(found);
            }
            most = most.max(compared);
        }
        self.compared += most;
        Ok(None)
    }

    fn pending(&self) -> usize {
        self.pending_binaryen.len().max(self.pending_wasmtime.len())
    }

    fn compared(&self) -> u64 {
        self.compared
    }
}
