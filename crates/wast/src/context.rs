//! [`WastContext`]: executes the directives of a `.wast` script one by one
//! against a single store, keeping track of the current and named module
//! instances, and records an [`Outcome`] for every directive. A `thread`
//! directive runs its directives on a new OS thread, in a context of its own
//! (a store of the same engine) that sees only the shared memories of the
//! module it is given; `wait` joins it and reports its directives' outcomes.

use std::collections::HashMap;
use std::path::Path;
use std::thread::{Scope, ScopedJoinHandle};

use wasmfx::{
    trap_of, Config, Engine, Error, Extern, Instance, Linker, Module, Result, SharedMemory, Store,
    Val,
};
use wast::lexer::Lexer;
use wast::parser::{self, ParseBuffer};
use wast::token::{Id, Span};
use wast::{QuoteWat, Wast, WastDirective, WastExecute, WastInvoke, Wat};

use crate::spectest::define_spectest;
use crate::values::{arg_to_val, check_results, val_to_string};
use crate::{DirectiveResult, Outcome, ScriptResults};

/// The longest error text kept in a failure reason.
const MAX_REASON_LEN: usize = 600;

/// The state of a module instance the script refers to.
#[derive(Clone)]
enum InstanceSlot {
    /// The module was instantiated.
    Ready(Instance),
    /// A module of the parent script that a `thread` shares: only its shared memories,
    /// by export name, cross into the thread's store.
    Shared(Vec<(String, SharedMemory)>),
    /// The `module` directive at this line failed; uses of it fail too.
    Failed { line: usize },
}

/// The threads a script (or thread) has started and not yet waited for, by name, with the
/// line that started each.
type Threads<'scope> = HashMap<String, (usize, ScopedJoinHandle<'scope, Vec<DirectiveResult>>)>;

/// The state of a `module definition` the script refers to.
#[derive(Clone)]
enum DefinitionSlot {
    /// The module compiled.
    Ready(Module),
    /// The `module definition` directive at this line failed.
    Failed { line: usize },
}

/// The result of running an `invoke`, `get` or module-instantiating action:
/// the outer error means the action could not even be attempted (unknown
/// module or export, module failed to compile, ...); the inner result is
/// what the execution produced.
type ActionResult = std::result::Result<Result<Vec<Val>>, String>;

/// Runs `.wast` scripts: owns the engine, the store every module of a script
/// is instantiated in, and the linker holding `spectest` and every
/// `register`ed instance.
///
/// Use one context per script; running several scripts in one context keeps
/// the registrations of the earlier ones.
pub struct WastContext {
    engine: Engine,
    store: Store<()>,
    linker: Linker<()>,
    /// The most recent module, the target of `invoke`s without a module name.
    current: Option<InstanceSlot>,
    /// Instances by their `$name`.
    instances: HashMap<String, InstanceSlot>,
    /// Module definitions by their `$name`.
    definitions: HashMap<String, DefinitionSlot>,
    /// The most recent module definition.
    last_definition: Option<DefinitionSlot>,
    /// Whether modules go through a precompiled module (see
    /// [`WastContext::precompile_modules`]).
    precompile: bool,
}

/// Checks that an action failed with an error of type `E`, described as `expected`.
fn expect_error<E>(result: ActionResult, expected: &str) -> Outcome
where
    E: std::fmt::Display + std::fmt::Debug + Send + Sync + 'static,
{
    match result {
        Err(reason) => Outcome::Failed(reason),
        Ok(Ok(values)) => Outcome::Failed(format!(
            "expected {expected}, got {} result(s)",
            values.len()
        )),
        Ok(Err(err)) if err.downcast_ref::<E>().is_some() => Outcome::Passed,
        Ok(Err(err)) => Outcome::Failed(format!("expected {expected}, got: {}", summary(&err))),
    }
}

impl WastContext {
    /// A context whose engine validates WebAssembly 3.0 and stack switching
    /// ([`default_config`](crate::default_config)), as the spec scripts require.
    pub fn new() -> Result<WastContext> {
        WastContext::with_config(&crate::default_config())
    }

    /// A context using an engine built from `config`, with the `spectest`
    /// host module already defined.
    pub fn with_config(config: &Config) -> Result<WastContext> {
        WastContext::with_engine(Engine::new(config)?)
    }

    /// A context with a new store of `engine`, with the `spectest` host module defined.
    fn with_engine(engine: Engine) -> Result<WastContext> {
        let mut store = Store::new(&engine, ());
        let mut linker = Linker::new(&engine);
        // Scripts may `register` several instances under the same name.
        linker.allow_shadowing(true);
        define_spectest(&mut linker, &mut store)?;
        Ok(WastContext {
            engine,
            store,
            linker,
            current: None,
            instances: HashMap::new(),
            definitions: HashMap::new(),
            last_definition: None,
            precompile: false,
        })
    }

    /// Makes every module the script defines go through a precompiled module
    /// (`Engine::precompile_module`, then `Module::deserialize`) instead of being compiled
    /// directly, so the script checks that precompiled code behaves the same.
    pub fn precompile_modules(&mut self, enable: bool) {
        self.precompile = enable;
    }

    /// Reads and runs the script at `path`. Only a failure to read the file
    /// is an error; everything that goes wrong inside the script is recorded
    /// in the returned results.
    pub fn run_file(&mut self, path: &Path) -> Result<ScriptResults> {
        let text = std::fs::read_to_string(path)
            .map_err(|e| Error::new(e).context(format!("failed to read `{}`", path.display())))?;
        Ok(self.run_script(&path.display().to_string(), &text))
    }

    /// Runs the script `text`; `name` is used in parse error messages.
    ///
    /// A script that does not parse yields a single failed directive at the
    /// position of the parse error.
    pub fn run_script(&mut self, name: &str, text: &str) -> ScriptResults {
        let mut results = ScriptResults {
            name: name.to_string(),
            directives: Vec::new(),
        };
        let mut lexer = Lexer::new(text);
        // `names.wast` deliberately uses bidirectional-override characters.
        lexer.allow_confusing_unicode(true);
        let parsed = ParseBuffer::new_with_lexer(lexer).and_then(|buf| {
            parser::parse::<Wast<'_>>(&buf).map(|wast| self.run_directives(wast.directives, text))
        });
        match parsed {
            Ok(directives) => results.directives = directives,
            Err(mut err) => {
                let line = line_of(text, err.span());
                err.set_path(Path::new(name));
                err.set_text(text);
                results.directives.push(DirectiveResult {
                    line,
                    kind: "script",
                    outcome: Outcome::Failed(format!("failed to parse script: {err}")),
                });
            }
        }
        results
    }

    /// Runs `directives`; threads they start and do not wait for are joined at the end and
    /// their outcomes reported last.
    fn run_directives(
        &mut self,
        directives: Vec<WastDirective<'_>>,
        text: &str,
    ) -> Vec<DirectiveResult> {
        std::thread::scope(|scope| {
            let mut threads = Threads::new();
            let mut results = Vec::with_capacity(directives.len());
            for directive in directives {
                let line = line_of(text, directive.span());
                let kind = directive_kind(&directive);
                let outcome = match directive {
                    WastDirective::Thread(thread) => {
                        let name = thread.name.name().to_string();
                        match self.spawn(scope, thread, text) {
                            Ok(handle) => {
                                threads.insert(name, (line, handle));
                                Outcome::Passed
                            }
                            Err(reason) => Outcome::Failed(reason),
                        }
                    }
                    WastDirective::Wait { thread, .. } => match threads.remove(thread.name()) {
                        Some((started, handle)) => {
                            results.extend(join(handle, started));
                            Outcome::Passed
                        }
                        None => Outcome::Failed(format!("no running thread `${}`", thread.name())),
                    },
                    directive => self.run_directive(directive, line),
                };
                results.push(DirectiveResult {
                    line,
                    kind,
                    outcome,
                });
            }
            let mut unwaited: Vec<_> = threads.into_values().collect();
            unwaited.sort_by_key(|(started, _)| *started);
            for (started, handle) in unwaited {
                results.extend(join(handle, started));
            }
            results
        })
    }

    /// `(thread $name (shared (module $m))? directives...)`: starts a thread that runs the
    /// directives in a new context of the same engine, where `$m` names the shared memories
    /// `$m` exports here.
    fn spawn<'scope, 'a: 'scope>(
        &mut self,
        scope: &'scope Scope<'scope, '_>,
        thread: wast::WastThread<'a>,
        text: &'a str,
    ) -> std::result::Result<ScopedJoinHandle<'scope, Vec<DirectiveResult>>, String> {
        let shared = match thread.shared_module {
            Some(id) => Some((id.name().to_string(), self.shared_memories(id)?)),
            None => None,
        };
        let (engine, precompile) = (self.engine.clone(), self.precompile);
        let line = line_of(text, thread.span);
        let builder = std::thread::Builder::new().stack_size(engine.thread_stack_size());
        let spawned = builder.spawn_scoped(scope, move || {
            let mut child = match WastContext::with_engine(engine) {
                Ok(child) => child,
                Err(err) => {
                    return vec![DirectiveResult {
                        line,
                        kind: "thread",
                        outcome: Outcome::Failed(format!("thread setup failed: {}", summary(&err))),
                    }]
                }
            };
            child.precompile = precompile;
            if let Some((name, memories)) = shared {
                child.instances.insert(name, InstanceSlot::Shared(memories));
            }
            child.run_directives(thread.directives, text)
        });
        spawned.map_err(|err| format!("cannot start a thread: {err}"))
    }

    /// The shared memories the instance `id` exports, which a thread may use.
    fn shared_memories(
        &mut self,
        id: Id<'_>,
    ) -> std::result::Result<Vec<(String, SharedMemory)>, String> {
        match self.slot(Some(id))? {
            InstanceSlot::Ready(instance) => Ok(instance
                .exports(&mut self.store)
                .into_iter()
                .filter_map(|(name, export)| Some((name, export.into_shared_memory()?)))
                .collect()),
            InstanceSlot::Shared(memories) => Ok(memories),
            InstanceSlot::Failed { line } => Err(failed_module(line)),
        }
    }

    /// Runs one directive found at `line`.
    fn run_directive(&mut self, directive: WastDirective<'_>, line: usize) -> Outcome {
        match directive {
            WastDirective::Module(mut module) => self.module(&mut module, line),
            WastDirective::ModuleDefinition(mut module) => {
                self.module_definition(&mut module, line)
            }
            WastDirective::ModuleInstance {
                instance, module, ..
            } => self.module_instance(instance, module, line),
            WastDirective::Register { name, module, .. } => outcome(self.register(name, module)),
            WastDirective::Invoke(invoke) => match self.invoke(&invoke) {
                Err(reason) => Outcome::Failed(reason),
                Ok(Err(err)) => Outcome::Failed(format!("invocation failed: {}", summary(&err))),
                Ok(Ok(_)) => Outcome::Passed,
            },
            WastDirective::AssertReturn { exec, results, .. } => match self.execute(exec) {
                Err(reason) => Outcome::Failed(reason),
                Ok(Err(err)) => Outcome::Failed(format!(
                    "expected a return, got an error: {}",
                    summary(&err)
                )),
                Ok(Ok(values)) => outcome(check_results(&self.store, &values, &results)),
            },
            WastDirective::AssertTrap { exec, message, .. } => {
                let result = self.execute(exec);
                self.expect_trap(result, message)
            }
            WastDirective::AssertExhaustion { call, message, .. } => {
                let result = self.invoke(&call);
                self.expect_trap(result, message)
            }
            WastDirective::AssertInvalid {
                mut module,
                message,
                ..
            }
            | WastDirective::AssertMalformed {
                mut module,
                message,
                ..
            } => self.expect_rejected(&mut module, message),
            WastDirective::AssertUnlinkable {
                mut module,
                message,
                ..
            } => self.expect_unlinkable(&mut module, message),
            WastDirective::AssertInvalidCustom { .. }
            | WastDirective::AssertMalformedCustom { .. } => {
                Outcome::Skipped("custom-section assertions are not supported".to_string())
            }
            WastDirective::AssertException { exec, .. } => {
                let result = self.execute(exec);
                expect_error::<wasmfx::ThrownException>(result, "an uncaught exception")
            }
            WastDirective::AssertSuspension { exec, message, .. } => {
                let result = self.execute(exec);
                let expected = format!("an unhandled suspension ({message})");
                expect_error::<wasmfx::UnhandledTag>(result, &expected)
            }
            WastDirective::Thread(_) | WastDirective::Wait { .. } => {
                unreachable!("`run_directives` runs threads")
            }
        }
    }

    /// `(module ...)`: compiles and instantiates a module, which becomes the
    /// current one (and is known by its `$name`, if it has one).
    fn module(&mut self, module: &mut QuoteWat<'_>, line: usize) -> Outcome {
        let name = module.name().map(|id| id.name().to_string());
        let result = if is_component(module) {
            Err(None)
        } else {
            self.compile_quote(module).map_err(Some).and_then(|m| {
                self.linker
                    .instantiate(&mut self.store, &m)
                    .map_err(|err| Some(format!("instantiation failed: {}", summary(&err))))
            })
        };
        let slot = match &result {
            Ok(instance) => InstanceSlot::Ready(*instance),
            Err(_) => InstanceSlot::Failed { line },
        };
        self.current = Some(slot.clone());
        if let Some(name) = name {
            self.instances.insert(name, slot);
        }
        match result {
            Ok(_) => Outcome::Passed,
            Err(Some(reason)) => Outcome::Failed(reason),
            Err(None) => Outcome::Skipped("components are not supported".to_string()),
        }
    }

    /// `(module definition ...)`: compiles a module without instantiating it.
    fn module_definition(&mut self, module: &mut QuoteWat<'_>, line: usize) -> Outcome {
        if is_component(module) {
            self.last_definition = Some(DefinitionSlot::Failed { line });
            return Outcome::Skipped("components are not supported".to_string());
        }
        let name = module.name().map(|id| id.name().to_string());
        let result = self.compile_quote(module);
        let slot = match &result {
            Ok(module) => DefinitionSlot::Ready(module.clone()),
            Err(_) => DefinitionSlot::Failed { line },
        };
        if let Some(name) = name {
            self.definitions.insert(name, slot.clone());
        }
        self.last_definition = Some(slot);
        outcome(result.map(drop))
    }

    /// `(module instance $i $m)`: instantiates an earlier module definition.
    fn module_instance(
        &mut self,
        instance: Option<Id<'_>>,
        module: Option<Id<'_>>,
        line: usize,
    ) -> Outcome {
        let definition = match module {
            Some(id) => self.definitions.get(id.name()).cloned(),
            None => self.last_definition.clone(),
        };
        let result = match definition {
            None => Err(match module {
                Some(id) => format!("unknown module definition `${}`", id.name()),
                None => "no module definition precedes this directive".to_string(),
            }),
            Some(DefinitionSlot::Failed { line }) => {
                Err(format!("the module definition at line {line} failed"))
            }
            Some(DefinitionSlot::Ready(module)) => self
                .linker
                .instantiate(&mut self.store, &module)
                .map_err(|err| format!("instantiation failed: {}", summary(&err))),
        };
        let slot = match &result {
            Ok(instance) => InstanceSlot::Ready(*instance),
            Err(_) => InstanceSlot::Failed { line },
        };
        self.current = Some(slot.clone());
        if let Some(id) = instance {
            self.instances.insert(id.name().to_string(), slot);
        }
        outcome(result.map(drop))
    }

    /// `(register "name" $m?)`: makes an instance's exports importable under
    /// module name `name`.
    fn register(&mut self, name: &str, module: Option<Id<'_>>) -> std::result::Result<(), String> {
        let registered = match self.slot(module)? {
            InstanceSlot::Ready(instance) => self
                .linker
                .instance(&mut self.store, name, instance)
                .map(drop),
            InstanceSlot::Shared(memories) => memories.into_iter().try_for_each(|(field, m)| {
                self.linker
                    .define(&self.store, name, &field, Extern::SharedMemory(m))
                    .map(drop)
            }),
            InstanceSlot::Failed { line } => return Err(failed_module(line)),
        };
        registered.map_err(|err| format!("register failed: {}", summary(&err)))
    }

    /// The instance slot a directive refers to: the named one, or the current one.
    fn slot(&self, module: Option<Id<'_>>) -> std::result::Result<InstanceSlot, String> {
        match module {
            Some(id) => self
                .instances
                .get(id.name())
                .cloned()
                .ok_or_else(|| format!("unknown module `${}`", id.name())),
            None => self
                .current
                .clone()
                .ok_or_else(|| "no module has been instantiated yet".to_string()),
        }
    }

    /// The instance a directive refers to: the named one, or the current one.
    fn instance(&self, module: Option<Id<'_>>) -> std::result::Result<Instance, String> {
        match self.slot(module)? {
            InstanceSlot::Ready(instance) => Ok(instance),
            InstanceSlot::Shared(_) => {
                Err("a module shared with a thread lends it only its shared memories".to_string())
            }
            InstanceSlot::Failed { line } => Err(failed_module(line)),
        }
    }

    /// Encodes a script module to binary and compiles it.
    fn compile_quote(&self, module: &mut QuoteWat<'_>) -> std::result::Result<Module, String> {
        let bytes = module
            .encode()
            .map_err(|err| format!("failed to encode module text: {}", err.message()))?;
        self.compile(&bytes)
    }

    /// Compiles a binary module.
    fn compile(&self, bytes: &[u8]) -> std::result::Result<Module, String> {
        let compiled = if self.precompile {
            self.engine
                .precompile_module(bytes)
                .and_then(|precompiled| {
                    // SAFETY: the bytes were just made by `precompile_module` in this process.
                    unsafe { Module::deserialize(&self.engine, precompiled) }
                })
        } else {
            Module::from_binary(&self.engine, bytes)
        };
        compiled.map_err(|err| format!("compilation failed: {}", summary(&err)))
    }

    /// `(invoke $m? "name" args...)`: calls an exported function.
    fn invoke(&mut self, invoke: &WastInvoke<'_>) -> ActionResult {
        let instance = self.instance(invoke.module)?;
        let func = instance
            .get_func(&mut self.store, invoke.name)
            .ok_or_else(|| format!("no exported function named `{}`", invoke.name))?;
        let ty = func.ty(&self.store);
        let mut args = Vec::with_capacity(invoke.args.len());
        for (i, arg) in invoke.args.iter().enumerate() {
            args.push(arg_to_val(
                &mut self.store,
                arg,
                ty.params().get(i).copied(),
            )?);
        }
        if ty.params().len() != args.len() {
            return Err(format!(
                "`{}` takes {} argument(s), the script passes {}",
                invoke.name,
                ty.params().len(),
                args.len()
            ));
        }
        // Placeholders: `call` overwrites every result.
        let mut results = vec![Val::I32(0); ty.results().len()];
        Ok(func
            .call(&mut self.store, &args, &mut results)
            .map(|()| results))
    }

    /// Runs the action of an `assert_return` or `assert_trap`: an invocation,
    /// a global read, or the instantiation of a module (which returns nothing).
    fn execute(&mut self, exec: WastExecute<'_>) -> ActionResult {
        match exec {
            WastExecute::Invoke(invoke) => self.invoke(&invoke),
            WastExecute::Get { module, global, .. } => {
                let instance = self.instance(module)?;
                let global = instance
                    .get_global(&mut self.store, global)
                    .ok_or_else(|| format!("no exported global named `{global}`"))?;
                Ok(Ok(vec![global.get(&mut self.store)]))
            }
            WastExecute::Wat(mut wat) => {
                let module = self.compile_wat(&mut wat)?;
                Ok(self
                    .linker
                    .instantiate(&mut self.store, &module)
                    .map(|_| Vec::new()))
            }
        }
    }

    /// Encodes and compiles a module of an assertion.
    fn compile_wat(&self, wat: &mut Wat<'_>) -> std::result::Result<Module, String> {
        if matches!(wat, Wat::Component(_)) {
            return Err("components are not supported".to_string());
        }
        let bytes = wat
            .encode()
            .map_err(|err| format!("failed to encode module text: {}", err.message()))?;
        self.compile(&bytes)
    }

    /// Checks that an action trapped with a message containing `expected`.
    fn expect_trap(&self, result: ActionResult, expected: &str) -> Outcome {
        match result {
            Err(reason) => Outcome::Failed(reason),
            Ok(Ok(values)) => Outcome::Failed(format!(
                "expected trap `{expected}`, but it returned [{}]",
                values
                    .iter()
                    .map(|v| val_to_string(&self.store, v))
                    .collect::<Vec<_>>()
                    .join(", ")
            )),
            Ok(Err(err)) => match trap_of(&err) {
                Some(trap) if trap_message_matches(trap.message(), expected) => Outcome::Passed,
                Some(trap) => Outcome::Failed(format!(
                    "expected trap `{expected}`, got trap `{}`",
                    trap.message()
                )),
                None => Outcome::Failed(format!(
                    "expected trap `{expected}`, got a non-trap error: {}",
                    summary(&err)
                )),
            },
        }
    }

    /// `assert_invalid` / `assert_malformed`: the module must be rejected,
    /// either by the text parser or by the engine. Rejection because a
    /// feature is not implemented does not count: the module might be fine.
    fn expect_rejected(&self, module: &mut QuoteWat<'_>, message: &str) -> Outcome {
        if is_component(module) {
            return Outcome::Skipped("components are not supported".to_string());
        }
        let bytes = match module.encode() {
            Ok(bytes) => bytes,
            Err(_) => return Outcome::Passed,
        };
        match Module::from_binary(&self.engine, &bytes) {
            Ok(_) => Outcome::Failed(format!(
                "module was accepted, expected rejection (`{message}`)"
            )),
            Err(err) if is_unsupported(&err) => Outcome::Failed(format!(
                "module rejected only as unsupported, expected `{message}`: {}",
                summary(&err)
            )),
            Err(_) => Outcome::Passed,
        }
    }

    /// `assert_unlinkable`: the module must compile, then fail to instantiate
    /// with a link error (not a trap) mentioning `expected`.
    fn expect_unlinkable(&mut self, wat: &mut Wat<'_>, expected: &str) -> Outcome {
        let module = match self.compile_wat(wat) {
            Ok(module) => module,
            Err(reason) => return Outcome::Failed(reason),
        };
        match self.linker.instantiate(&mut self.store, &module) {
            Ok(_) => Outcome::Failed(format!(
                "module instantiated, expected link error `{expected}`"
            )),
            Err(err) => {
                if let Some(trap) = trap_of(&err) {
                    Outcome::Failed(format!(
                        "expected link error `{expected}`, got trap `{}`",
                        trap.message()
                    ))
                } else if format!("{err:#}").contains(expected) {
                    Outcome::Passed
                } else {
                    Outcome::Failed(format!(
                        "expected link error `{expected}`, got: {}",
                        summary(&err)
                    ))
                }
            }
        }
    }
}

/// Why a directive using the module of the failed `module` directive at `line` fails.
fn failed_module(line: usize) -> String {
    format!("the module at line {line} failed")
}

/// The outcomes of the directives of the thread started at `line`, once it has ended.
fn join(handle: ScopedJoinHandle<'_, Vec<DirectiveResult>>, line: usize) -> Vec<DirectiveResult> {
    handle.join().unwrap_or_else(|_| {
        vec![DirectiveResult {
            line,
            kind: "thread",
            outcome: Outcome::Failed("the thread panicked".to_string()),
        }]
    })
}

/// Turns a check into an outcome.
fn outcome(result: std::result::Result<(), String>) -> Outcome {
    match result {
        Ok(()) => Outcome::Passed,
        Err(reason) => Outcome::Failed(reason),
    }
}

/// Whether a script module is a component rather than a core module.
fn is_component(module: &QuoteWat<'_>) -> bool {
    matches!(
        module,
        QuoteWat::Wat(Wat::Component(_)) | QuoteWat::QuoteComponent(..)
    )
}

/// Whether a trap message satisfies the message a script expects. The spec
/// interpreter accepts any message starting with the expected text; it also
/// puts the element index in some messages (`uninitialized element 2`),
/// which the runtime does not, so a trailing number is ignored.
fn trap_message_matches(actual: &str, expected: &str) -> bool {
    if actual.contains(expected) {
        return true;
    }
    match expected
        .strip_prefix(actual)
        .and_then(|rest| rest.strip_prefix(' '))
    {
        Some(index) => !index.is_empty() && index.bytes().all(|b| b.is_ascii_digit()),
        None => false,
    }
}

/// Whether the engine rejected a module because it uses something not
/// implemented yet ("... is not supported yet", "unsupported instruction ...
/// (its proposal is not implemented yet)", "unsupported constant expression
/// operator ..."). With every proposal enabled, the validator itself never
/// words an error like this.
fn is_unsupported(err: &Error) -> bool {
    let text = format!("{err:#}");
    ["not supported yet", "not implemented yet", "unsupported"]
        .iter()
        .any(|marker| text.contains(marker))
}

/// A one-line description of an error for failure reasons: the trap message
/// for traps (without the backtrace), otherwise the error chain.
fn summary(err: &Error) -> String {
    if let Some(trap) = trap_of(err) {
        return format!("trap `{}`", trap.message());
    }
    let text = format!("{err:#}");
    let mut line = text.split_whitespace().collect::<Vec<_>>().join(" ");
    if line.len() > MAX_REASON_LEN {
        let mut end = MAX_REASON_LEN;
        while !line.is_char_boundary(end) {
            end -= 1;
        }
        line.truncate(end);
        line.push_str("...");
    }
    line
}

/// The 1-based line of a span.
fn line_of(text: &str, span: Span) -> usize {
    span.linecol_in(text).0 + 1
}

/// The keyword of a directive, for reports.
fn directive_kind(directive: &WastDirective<'_>) -> &'static str {
    match directive {
        WastDirective::Module(_) => "module",
        WastDirective::ModuleDefinition(_) => "module definition",
        WastDirective::ModuleInstance { .. } => "module instance",
        WastDirective::AssertMalformed { .. } => "assert_malformed",
        WastDirective::AssertInvalid { .. } => "assert_invalid",
        WastDirective::AssertInvalidCustom { .. } => "assert_invalid_custom",
        WastDirective::AssertMalformedCustom { .. } => "assert_malformed_custom",
        WastDirective::Register { .. } => "register",
        WastDirective::Invoke(_) => "invoke",
        WastDirective::AssertTrap { .. } => "assert_trap",
        WastDirective::AssertReturn { .. } => "assert_return",
        WastDirective::AssertExhaustion { .. } => "assert_exhaustion",
        WastDirective::AssertUnlinkable { .. } => "assert_unlinkable",
        WastDirective::AssertException { .. } => "assert_exception",
        WastDirective::AssertSuspension { .. } => "assert_suspension",
        WastDirective::Thread(_) => "thread",
        WastDirective::Wait { .. } => "wait",
    }
}

#[cfg(test)]
mod tests {
    use super::trap_message_matches;

    #[test]
    fn trap_messages() {
        assert!(trap_message_matches(
            "integer divide by zero",
            "integer divide by zero"
        ));
        assert!(trap_message_matches(
            "integer divide by zero",
            "integer divide"
        ));
        assert!(trap_message_matches(
            "uninitialized element",
            "uninitialized element 2"
        ));
        assert!(!trap_message_matches(
            "uninitialized element",
            "uninitialized element2"
        ));
        assert!(!trap_message_matches(
            "uninitialized element",
            "uninitialized element x"
        ));
        assert!(!trap_message_matches("unreachable", "integer overflow"));
    }
}
