//! (skeleton: see /work/wt/DESIGN12.md; the owner replaces this file)
