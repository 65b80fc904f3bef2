//! The WASI state of a program: arguments, environment and the descriptor table (stdio
//! streams, open files and directories, preopens), shared by the stores of all its threads
//! and locked for each call.

use cap_std::fs::{Dir, File};
use std::collections::BTreeMap;
use std::io::{Read, Write};
use std::ops::{Deref, DerefMut};
use std::os::fd::BorrowedFd;
use std::path::Path;
use std::sync::{Arc, Mutex, MutexGuard};

/// A byte stream of the standard descriptors.
pub enum Stream {
    /// Reads from the host.
    Input(Box<dyn Read + Send>),
    /// Writes to the host.
    Output(Box<dyn Write + Send>),
}

/// A standard stream and, when it is the host's own, its host descriptor (for `isatty` and
/// `poll_oneoff`).
pub struct StdioDesc {
    pub(crate) stream: Stream,
    pub(crate) host_fd: Option<BorrowedFd<'static>>,
}

/// An open file.
pub struct FileDesc {
    pub(crate) file: File,
    pub(crate) append: bool,
    pub(crate) readable: bool,
    pub(crate) writable: bool,
    pub(crate) nonblock: bool,
}

/// An open directory; preopens also carry the name the guest knows them by.
pub struct DirDesc {
    pub(crate) dir: Dir,
    pub(crate) preopen: Option<String>,
}

/// What a descriptor refers to.
pub enum Descriptor {
    /// Standard input, output or error.
    Stdio(StdioDesc),
    /// A file.
    File(FileDesc),
    /// A directory.
    Dir(DirDesc),
}

/// The WASI state of a program. Build one with [`WasiCtxBuilder`].
///
/// Clones share the state: the threads of a program (wasi-threads) each run in a store of
/// their own with a clone, and see the same descriptors. Each call holds the state's lock,
/// except while `poll_oneoff` waits (on a clock or the host's standard streams); a read that
/// blocks (from standard input) holds it, so other threads' WASI calls wait for it.
#[derive(Clone)]
pub struct WasiCtx {
    state: Arc<Mutex<WasiState>>,
}

impl WasiCtx {
    /// The state, locked for one call.
    pub(crate) fn lock(&self) -> Locked<'_> {
        Locked {
            mutex: &self.state,
            guard: Some(lock(&self.state)),
        }
    }
}

/// Locks `mutex`; a thread that panicked holding it left the state as usable as any.
fn lock(mutex: &Mutex<WasiState>) -> MutexGuard<'_, WasiState> {
    mutex.lock().unwrap_or_else(|e| e.into_inner())
}

/// The state of a [`WasiCtx`], locked for one call.
pub(crate) struct Locked<'a> {
    mutex: &'a Mutex<WasiState>,
    /// Always `Some`, except inside [`Locked::unlocked`].
    guard: Option<MutexGuard<'a, WasiState>>,
}

impl Locked<'_> {
    /// Runs `f` (a wait that needs no descriptor) without holding the lock.
    pub(crate) fn unlocked<R>(&mut self, f: impl FnOnce() -> R) -> R {
        self.guard = None;
        let result = f();
        self.guard = Some(lock(self.mutex));
        result
    }
}

impl Deref for Locked<'_> {
    type Target = WasiState;
    fn deref(&self) -> &WasiState {
        self.guard.as_ref().expect("locked outside `unlocked`")
    }
}

impl DerefMut for Locked<'_> {
    fn deref_mut(&mut self) -> &mut WasiState {
        self.guard.as_mut().expect("locked outside `unlocked`")
    }
}

/// What a [`WasiCtx`] holds.
pub(crate) struct WasiState {
    pub(crate) args: Vec<String>,
    pub(crate) env: Vec<(String, String)>,
    pub(crate) fds: BTreeMap<u32, Descriptor>,
}

impl WasiState {
    /// The descriptor `fd`.
    pub(crate) fn get(&mut self, fd: u32) -> Result<&mut Descriptor, crate::Errno> {
        self.fds.get_mut(&fd).ok_or(crate::Errno::BADF)
    }

    /// Adds `desc` at the lowest free descriptor number.
    pub(crate) fn insert(&mut self, desc: Descriptor) -> Result<u32, crate::Errno> {
        let mut fd = 0u32;
        for &used in self.fds.keys() {
            if used != fd {
                break;
            }
            fd = fd.checked_add(1).ok_or(crate::Errno::MFILE)?;
        }
        self.fds.insert(fd, desc);
        Ok(fd)
    }
}

/// Builds a [`WasiCtx`]: by default no arguments, no environment, no preopened directories,
/// an empty standard input and discarded output.
pub struct WasiCtxBuilder {
    args: Vec<String>,
    env: Vec<(String, String)>,
    stdio: [Option<StdioDesc>; 3],
    preopens: Vec<(Dir, String)>,
}

impl Default for WasiCtxBuilder {
    fn default() -> Self {
        WasiCtxBuilder::new()
    }
}

impl WasiCtxBuilder {
    /// A builder with the defaults.
    pub fn new() -> WasiCtxBuilder {
        WasiCtxBuilder {
            args: Vec::new(),
            env: Vec::new(),
            stdio: [None, None, None],
            preopens: Vec::new(),
        }
    }

    /// Appends a program argument (the first is the program's name).
    pub fn arg(&mut self, arg: impl Into<String>) -> &mut Self {
        self.args.push(arg.into());
        self
    }

    /// Appends program arguments.
    pub fn args<S: Into<String>>(&mut self, args: impl IntoIterator<Item = S>) -> &mut Self {
        self.args.extend(args.into_iter().map(Into::into));
        self
    }

    /// Sets environment variable `name` to `value`.
    pub fn env(&mut self, name: impl Into<String>, value: impl Into<String>) -> &mut Self {
        self.env.push((name.into(), value.into()));
        self
    }

    /// Standard input, output and error are the host process's own.
    pub fn inherit_stdio(&mut self) -> &mut Self {
        let host = |stream, fd| {
            Some(StdioDesc {
                stream,
                host_fd: Some(fd),
            })
        };
        self.stdio = [
            host(
                Stream::Input(Box::new(std::io::stdin())),
                rustix::stdio::stdin(),
            ),
            host(
                Stream::Output(Box::new(std::io::stdout())),
                rustix::stdio::stdout(),
            ),
            host(
                Stream::Output(Box::new(std::io::stderr())),
                rustix::stdio::stderr(),
            ),
        ];
        self
    }

    /// Standard input reads from `input`.
    pub fn stdin(&mut self, input: impl Read + Send + 'static) -> &mut Self {
        self.stdio[0] = Some(StdioDesc {
            stream: Stream::Input(Box::new(input)),
            host_fd: None,
        });
        self
    }

    /// Standard output writes to `output`.
    pub fn stdout(&mut self, output: impl Write + Send + 'static) -> &mut Self {
        self.stdio[1] = Some(StdioDesc {
            stream: Stream::Output(Box::new(output)),
            host_fd: None,
        });
        self
    }

    /// Standard error writes to `output`.
    pub fn stderr(&mut self, output: impl Write + Send + 'static) -> &mut Self {
        self.stdio[2] = Some(StdioDesc {
            stream: Stream::Output(Box::new(output)),
            host_fd: None,
        });
        self
    }

    /// Gives the guest the host directory `host` under the name `guest`: the guest reaches
    /// what is inside it and nothing outside (no `..`, symlink or absolute path escapes).
    pub fn preopened_dir(
        &mut self,
        host: impl AsRef<Path>,
        guest: impl Into<String>,
    ) -> anyhow::Result<&mut Self> {
        let host = host.as_ref();
        let dir = Dir::open_ambient_dir(host, cap_std::ambient_authority())
            .map_err(|e| anyhow::anyhow!("failed to open directory `{}`: {e}", host.display()))?;
        self.preopens.push((dir, guest.into()));
        Ok(self)
    }

    /// The context.
    pub fn build(&mut self) -> WasiCtx {
        let mut fds = BTreeMap::new();
        let defaults = [
            || Stream::Input(Box::new(std::io::empty())),
            || Stream::Output(Box::new(std::io::sink())),
            || Stream::Output(Box::new(std::io::sink())),
        ];
        for (fd, (slot, default)) in self.stdio.iter_mut().zip(defaults).enumerate() {
            let desc = slot.take().unwrap_or_else(|| StdioDesc {
                stream: default(),
                host_fd: None,
            });
            fds.insert(fd as u32, Descriptor::Stdio(desc));
        }
        for (i, (dir, name)) in self.preopens.drain(..).enumerate() {
            let desc = DirDesc {
                dir,
                preopen: Some(name),
            };
            fds.insert(3 + i as u32, Descriptor::Dir(desc));
        }
        let state = WasiState {
            args: std::mem::take(&mut self.args),
            env: std::mem::take(&mut self.env),
            fds,
        };
        WasiCtx {
            state: Arc::new(Mutex::new(state)),
        }
    }
}
