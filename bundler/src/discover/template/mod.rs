//! A small, conservative reading of Go templates: enough to tell which text and which values
//! paths are live under given values, not a renderer.

mod expr;
mod funcs;
mod lex;
mod pattern;
mod walk;

pub(crate) use lex::{lex, Piece};
pub(crate) use walk::{collect_defines, walk, Context, LineInfo, WalkOutput, ACTION_MARK};
