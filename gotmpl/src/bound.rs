//! Bounds on walking a value. Maps are shared, so `set $m "self" $m` makes a map that holds
//! itself, and a `range` can nest maps thousands deep; a walker without a bound would
//! overflow the stack, which kills the process (it cannot be caught). Every recursive walker
//! over values (`toJson`, `toYaml`, `deepCopy`, `deepEqual`, `merge`, `%v`) stops here.

use crate::FuncError;

/// How deep lists and maps may nest for a walker; Go's JSON encoder starts looking for
/// cycles at the same depth.
pub const MAX_VALUE_DEPTH: usize = 1000;

/// How many lists and maps one walk may visit: a map holding another twice, thirty levels
/// deep, is a billion nodes without a cycle.
pub const MAX_VALUE_NODES: usize = 10_000_000;

/// The depth and node count of one walk.
#[derive(Debug, Default)]
pub struct Walk {
    depth: usize,
    nodes: usize,
}

impl Walk {
    /// Enters a list or map; `what` names the walker in the error (e.g. `deepCopy`).
    pub fn enter(&mut self, what: &str) -> Result<(), FuncError> {
        if self.depth >= MAX_VALUE_DEPTH {
            return Err(FuncError(format!(
                "{what}: value nested deeper than {MAX_VALUE_DEPTH} levels (a map that contains itself?)"
            )));
        }
        if self.nodes >= MAX_VALUE_NODES {
            return Err(FuncError(format!(
                "{what}: value has more than {MAX_VALUE_NODES} lists and maps"
            )));
        }
        self.depth += 1;
        self.nodes += 1;
        Ok(())
    }

    pub fn leave(&mut self) {
        self.depth -= 1;
    }
}

/// A function's result of `bytes` (`None` when the size overflowed computing it) must fit
/// the engine's output bound; checked before allocating, so `repeat 1000000000000 "x"`
/// fails instead of aborting on a failed allocation.
pub fn check_text_size(what: &str, bytes: Option<usize>) -> Result<usize, FuncError> {
    match bytes {
        Some(n) if n <= crate::exec::MAX_OUTPUT_BYTES => Ok(n),
        _ => Err(FuncError(format!(
            "{what}: result would exceed {} MiB",
            crate::exec::MAX_OUTPUT_BYTES >> 20
        ))),
    }
}

/// A function's list of `items` must fit the engine's bound on `range` iterations.
pub fn check_list_len(what: &str, items: Option<usize>) -> Result<usize, FuncError> {
    match items {
        Some(n) if n <= crate::exec::MAX_RANGE_ITERATIONS => Ok(n),
        _ => Err(FuncError(format!(
            "{what}: result would exceed {} items",
            crate::exec::MAX_RANGE_ITERATIONS
        ))),
    }
}
