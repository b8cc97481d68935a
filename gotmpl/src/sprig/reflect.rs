//! sprig's reflection functions, with Go's type and kind names for template values.

use super::args::{self, exactly, string};
use crate::{FuncMap, Value};

pub fn register(m: &mut FuncMap) {
    m.insert("typeOf", |_, a| {
        exactly(a, 1, "typeOf")?;
        Ok(Value::String(a[0].type_name()))
    });
    m.insert("typeIs", |_, a| {
        exactly(a, 2, "typeIs")?;
        Ok(Value::Bool(string(&a[0])? == a[1].type_name()))
    });
    m.insert("typeIsLike", |_, a| {
        exactly(a, 2, "typeIsLike")?;
        let (target, t) = (string(&a[0])?, a[1].type_name());
        // True when SRC has the type, or is a pointer to it.
        Ok(Value::Bool(t == target || t == format!("*{target}")))
    });
    m.insert("kindOf", |_, a| {
        exactly(a, 1, "kindOf")?;
        Ok(Value::String(args::kind_name(&a[0]).to_string()))
    });
    m.insert("kindIs", |_, a| {
        exactly(a, 2, "kindIs")?;
        Ok(Value::Bool(string(&a[0])? == args::kind_name(&a[1])))
    });
    m.insert("deepEqual", |_, a| {
        exactly(a, 2, "deepEqual")?;
        Ok(Value::Bool(args::deep_equal(&a[0], &a[1], "deepEqual")?))
    });
}
