//! Rendering the catalog as the specification's catalog chapter (`spec/02-catalog.md`).
//!
//! The chapter is generated, never edited: `hearth catalog --markdown` prints it and a test
//! fails when the committed file differs. Output is deterministic (catalog order is id order,
//! enums by name) so the committed chapter changes only when the data does.

use std::fmt::Write as _;

use super::{Capability, Catalog, DeviceType, Field, StateMachine, StateMachineDef, TypeSpec};

/// A table: `title` as a paragraph of its own (unless empty), the header `columns` (names
/// between ` | `; an `id` or `code` column first is right-aligned), a line of cells per row,
/// then a blank line.
fn table(
    out: &mut String,
    title: &str,
    columns: &str,
    rows: impl IntoIterator<Item = Vec<String>>,
) {
    if !title.is_empty() {
        let _ = writeln!(out, "{title}\n");
    }
    let mut rule = String::from("|");
    for (i, c) in columns.split(" | ").enumerate() {
        rule.push_str(if i == 0 && matches!(c, "id" | "code") {
            "---:|"
        } else {
            "---|"
        });
    }
    let _ = writeln!(out, "| {columns} |\n{rule}");
    for row in rows {
        let _ = writeln!(out, "| {} |", row.join(" | "));
    }
    let _ = writeln!(out);
}

/// `yes` when `flag` holds, else `no_text`.
fn yes(flag: bool, no_text: &str) -> String {
    if flag { "yes" } else { no_text }.to_owned()
}

fn cell(text: &str) -> String {
    text.replace('|', "\\|").replace('\n', " ")
}

fn bounds(ty: &TypeSpec) -> String {
    match ty {
        TypeSpec::Int(s) | TypeSpec::Uint(s) => {
            let mut out = format!("{}…{}", s.min, s.max);
            if s.step != 1 {
                let _ = write!(out, " step {}", s.step);
            }
            out
        }
        TypeSpec::String { max_len } | TypeSpec::Bytes { max_len } => format!("≤ {max_len} bytes"),
        TypeSpec::List { max_count, items } => match bounds(items).as_str() {
            "" => format!("≤ {max_count} items"),
            inner => format!("≤ {max_count} items of {inner}"),
        },
        _ => String::new(),
    }
}

fn unit(ty: &TypeSpec) -> String {
    match ty {
        TypeSpec::Int(s) | TypeSpec::Uint(s) => s.unit.clone().unwrap_or_default(),
        TypeSpec::List { items, .. } => unit(items),
        _ => String::new(),
    }
}

fn struct_fields(ty: &TypeSpec) -> Option<&[Field]> {
    match ty {
        TypeSpec::Struct { fields } => Some(fields),
        TypeSpec::List { items, .. } => struct_fields(items),
        _ => None,
    }
}

fn fields_table(out: &mut String, title: &str, fields: &[Field]) {
    let columns = "id | name | type | unit | bounds | optional | nullable | meaning";
    let rows = fields.iter().map(|f| {
        vec![
            f.id.to_string(),
            format!("`{}`", f.name),
            f.ty.type_name(),
            unit(&f.ty),
            bounds(&f.ty),
            yes(f.optional, ""),
            yes(f.nullable, ""),
            cell(&f.summary),
        ]
    });
    table(out, title, columns, rows);
    for f in fields {
        if let Some(inner) = struct_fields(&f.ty) {
            fields_table(out, &format!("{title} — fields of `{}`:", f.name), inner);
        }
    }
}

/// A member's name in code, marked when optional.
fn member(name: &str, optional: bool) -> String {
    let mut text = format!("`{name}`");
    if optional {
        text.push_str(" (optional)");
    }
    text
}

/// `names` joined, or a dash for none.
fn or_dash(names: &[String]) -> String {
    if names.is_empty() {
        "—".to_owned()
    } else {
        names.join(", ")
    }
}

fn field_list(fields: &[Field]) -> String {
    if fields.is_empty() {
        return "—".into();
    }
    fields
        .iter()
        .map(|f| {
            let mut s = format!("{} `{}`: {}", f.id, f.name, f.ty.type_name());
            if f.optional {
                s.push_str(" (optional)");
            }
            s
        })
        .collect::<Vec<_>>()
        .join("; ")
}

/// Append the section for one capability of `catalog`.
pub fn capability(out: &mut String, catalog: &Catalog, cap: &Capability) {
    section(
        out,
        cap.id,
        &cap.name,
        &cap.title,
        &cap.summary,
        &cap.source,
    );
    if !cap.properties.is_empty() {
        let columns =
            "id | name | type | unit | bounds | access | flags | description may declare | meaning";
        let rows = cap.properties.iter().map(|p| {
            let mut flags = Vec::new();
            if p.optional {
                flags.push("optional");
            }
            if p.nullable {
                flags.push("nullable");
            }
            if !p.observable {
                flags.push("not reported");
            }
            let mut constrain: Vec<&str> = p.constrain.iter().map(|k| k.key()).collect();
            if p.constrain_required && !constrain.is_empty() {
                constrain.push("(required)");
            }
            vec![
                p.id.to_string(),
                format!("`{}`", p.name),
                p.ty.type_name(),
                unit(&p.ty),
                bounds(&p.ty),
                if p.writable() { "read-write" } else { "read" }.to_owned(),
                flags.join(", "),
                constrain.join(" "),
                cell(&p.summary),
            ]
        });
        table(out, "Properties:", columns, rows);
        for p in &cap.properties {
            if let Some(fields) = struct_fields(&p.ty) {
                fields_table(out, &format!("Fields of `{}`:", p.name), fields);
            }
        }
    }
    if !cap.actions.is_empty() {
        let columns = "id | name | privilege | arguments | results | may fail with | meaning";
        let rows = cap.actions.iter().map(|a| {
            vec![
                a.id.to_string(),
                member(&a.name, a.optional),
                format!("{:?}", a.privilege),
                cell(&field_list(&a.args)),
                cell(&field_list(&a.results)),
                or_dash(&a.errors),
                cell(&a.summary),
            ]
        });
        table(out, "Actions:", columns, rows);
        for a in &cap.actions {
            for (what, fields) in [("arguments", &a.args), ("results", &a.results)] {
                if fields.iter().any(|f| {
                    struct_fields(&f.ty).is_some()
                        || f.ty.int_spec().is_some()
                        || !f.summary.is_empty()
                }) {
                    fields_table(out, &format!("`{}` {what}:", a.name), fields);
                }
            }
        }
    }
    if !cap.events.is_empty() {
        let columns = "id | name | priority | fields | meaning";
        let rows = cap.events.iter().map(|e| {
            vec![
                e.id.to_string(),
                member(&e.name, e.optional),
                e.priority.name().to_owned(),
                cell(&field_list(&e.fields)),
                cell(&e.summary),
            ]
        });
        table(out, "Events:", columns, rows);
        for e in &cap.events {
            if !e.fields.is_empty() {
                fields_table(out, &format!("`{}` fields:", e.name), &e.fields);
            }
        }
    }
    if let (Some(def), Some(sm)) = (&cap.state_machine, catalog.state_machine(cap.id)) {
        state_machine(out, catalog, cap, def, sm);
    }
}

/// `capability/property` by name, for the state machine's tables.
fn member_name(catalog: &Catalog, capability: u16, property: u16) -> String {
    let cap = catalog.capability(capability);
    let prop = cap.and_then(|c| c.property(property));
    format!(
        "{}/{}",
        cap.map_or("?", |c| c.name.as_str()),
        prop.map_or("?", |p| p.name.as_str())
    )
}

/// `` `a` ``, `` `a` and `b` ``, `` `a`, `b` and `c` ``.
fn and_list(names: &[String]) -> String {
    let quoted: Vec<String> = names.iter().map(|n| format!("`{n}`")).collect();
    match quoted.split_last() {
        None => String::new(),
        Some((last, [])) => last.clone(),
        Some((last, rest)) => format!("{} and {last}", rest.join(", ")),
    }
}

/// The requirement a precondition states, from its row.
pub fn precondition_statement(
    catalog: &Catalog,
    sm: &StateMachine,
    p: &super::Precondition,
) -> String {
    let holder = catalog
        .capability(sm.capability())
        .map_or("?", |c| c.name.as_str());
    let member = member_name(catalog, p.capability, p.property);
    let actions: Vec<String> = p
        .actions
        .iter()
        .filter_map(|a| sm.action_name(*a).map(str::to_owned))
        .collect();
    format!(
        "A device that implements `{member}` on the component that carries `{holder}` MUST answer {} with `invalid-in-state`, and without any effect, while `{member}` reads {}.",
        and_list(&actions),
        !p.value
    )
}

/// The requirement an effect states, from its row.
pub fn effect_statement(catalog: &Catalog, sm: &StateMachine, e: &super::Effect) -> String {
    let holder = catalog
        .capability(sm.capability())
        .map_or("?", |c| c.name.as_str());
    let member = member_name(catalog, e.capability, e.property);
    let action = sm.action_name(e.action).unwrap_or("?");
    format!(
        "A device that implements `{member}` on the component that carries `{holder}` MUST carry out `{action}`, as well as the write, when `{member}` is written {} in a state from which `{action}` has a transition.",
        e.value
    )
}

/// The state machine's tables and requirements (`[state_machine]`).
fn state_machine(
    out: &mut String,
    catalog: &Catalog,
    cap: &Capability,
    def: &StateMachineDef,
    sm: &StateMachine,
) {
    let name = |code: u16| sm.state_name(code).unwrap_or("?").to_owned();
    let header = |out: &mut String, first: &str, last: Option<&str>| {
        let mut line = format!("| {first} |");
        let mut rule = String::from("|---|");
        for s in sm.states() {
            let _ = write!(line, " `{}` |", s.name);
            rule.push_str("---|");
        }
        if let Some(last) = last {
            let _ = write!(line, " {last} |");
            rule.push_str("---|");
        }
        let _ = writeln!(out, "{line}\n{rule}");
    };
    let _ = writeln!(
        out,
        "State machine of `{}`: what each action does in each state, what the device does by itself, what actions need besides their state, which settings each state lets a controller write, and what the cycle's properties read outside a cycle. Devices, controllers and the conformance suite all read these tables from the catalog.\n",
        def.property
    );
    if !def.source.trim().is_empty() {
        let _ = writeln!(out, "*Source:* {}\n", def.source.trim());
    }

    let _ = writeln!(
        out,
        "Transition table, by action: the state each action leads to from the state of the column; — where the action answers `invalid-in-state`:\n"
    );
    header(out, "action", None);
    for (id, action) in sm.actions() {
        let mut line = format!("| `{action}` |");
        for s in sm.states() {
            let cells: Vec<String> = sm
                .transitions()
                .iter()
                .filter(|t| t.action == Some(*id) && t.from.contains(&s.code))
                .map(|t| {
                    if t.when.trim().is_empty() {
                        format!("`{}`", name(t.to))
                    } else {
                        format!("`{}` when {}", name(t.to), t.when.trim())
                    }
                })
                .collect();
            let cell_text = if cells.is_empty() {
                "—".to_owned()
            } else {
                cells.join("; ")
            };
            let _ = write!(line, " {} |", cell(&cell_text));
        }
        let _ = writeln!(out, "{line}");
    }
    let _ = writeln!(out);

    let own: Vec<_> = sm
        .transitions()
        .iter()
        .filter(|t| t.action.is_none())
        .collect();
    if !own.is_empty() {
        let title = "Transition table, the device's own transitions:";
        let rows = own.into_iter().map(|t| {
            let from: Vec<String> = t.from.iter().map(|c| format!("`{}`", name(*c))).collect();
            vec![
                from.join(", "),
                format!("`{}`", name(t.to)),
                cell(t.when.trim()),
            ]
        });
        table(out, title, "from | to | when", rows);
    }

    if !sm.preconditions().is_empty() {
        let title = format!(
            "Preconditions: what an action needs besides its state, where the component that carries `{}` implements the property; while it does not hold, the action answers `invalid-in-state`:",
            cap.name
        );
        let columns = "actions | property | needs | why | requirement";
        let rows = sm.preconditions().iter().zip(&def.preconditions);
        let rows = rows.map(|(p, d)| {
            vec![
                and_list(&d.actions),
                format!("`{}`", member_name(catalog, p.capability, p.property)),
                p.value.to_string(),
                cell(d.summary.trim()),
                p.requirement.clone(),
            ]
        });
        table(out, &title, columns, rows);
    }

    if !sm.effects().is_empty() {
        let title = format!(
            "Writes that act on the state, on the component that carries `{}`:",
            cap.name
        );
        let columns = "write | acts as | why | requirement";
        let rows = sm.effects().iter().zip(&def.effects);
        let rows = rows.map(|(e, d)| {
            let action = sm.action_name(e.action).unwrap_or("?");
            vec![
                format!(
                    "`{}` = {}",
                    member_name(catalog, e.capability, e.property),
                    e.value
                ),
                format!("`{action}`, in the states from which `{action}` has a transition"),
                cell(d.summary.trim()),
                e.requirement.clone(),
            ]
        });
        table(out, &title, columns, rows);
    }

    if !def.settings.is_empty() {
        let _ = writeln!(
            out,
            "Settings table: the states in which the writable properties of these capabilities, on the component that carries `{}`, may be written; — where a write answers `invalid-in-state`:\n",
            cap.name
        );
        header(out, "capabilities", Some("why"));
        for row in &def.settings {
            let mut line = format!("| {} |", and_list(&row.capabilities));
            for s in sm.states() {
                let ok = row.writable_in.contains(&s.name);
                let _ = write!(line, " {} |", if ok { "writable" } else { "—" });
            }
            let _ = writeln!(out, "{line} {} |", cell(row.summary.trim()));
        }
        let _ = writeln!(out);
    }

    if !def.null_in.is_empty() {
        let _ = writeln!(
            out,
            "Table of values outside a cycle: the states in which these properties read null; in the others they carry a value, or null where the device cannot tell:\n"
        );
        header(out, "property", None);
        for row in &def.null_in {
            let mut line = format!("| `{}` |", row.property);
            for s in sm.states() {
                let null = row.states.contains(&s.name);
                let _ = write!(line, " {} |", if null { "null" } else { "" });
            }
            let _ = writeln!(out, "{line}");
        }
        let _ = writeln!(out);
    }

    let mut statements: Vec<(String, String)> = def
        .requirements
        .iter()
        .map(|r| (r.id.clone(), r.statement.trim().to_owned()))
        .collect();
    statements.extend(sm.preconditions().iter().map(|p| {
        (
            p.requirement.clone(),
            precondition_statement(catalog, sm, p),
        )
    }));
    statements.extend(
        sm.effects()
            .iter()
            .map(|e| (e.requirement.clone(), effect_statement(catalog, sm, e))),
    );
    statements.sort();
    for (id, statement) in statements {
        let _ = writeln!(out, "**[{id}]** {statement}\n");
    }
}

/// The heading of a device type's or capability's section.
fn heading(id: u16, name: &str, title: &str) -> String {
    format!("{} `{name}` — {title}", format_id(id))
}

/// The start of a device type's or capability's section: heading, summary and source.
fn section(out: &mut String, id: u16, name: &str, title: &str, summary: &str, source: &str) {
    let _ = writeln!(out, "### {}\n", heading(id, name, title));
    let _ = writeln!(out, "{}\n", summary.trim());
    let _ = writeln!(out, "*Source:* {}\n", source.trim());
}

fn format_id(id: u16) -> String {
    format!("{id:#06x}")
}

/// Append the section for one device type.
pub fn device_type(out: &mut String, dt: &DeviceType) {
    section(out, dt.id, &dt.name, &dt.title, &dt.summary, &dt.source);
    let columns = "id | name | required | mandatory capabilities | optional capabilities";
    let rows = dt.components.iter().map(|c| {
        vec![
            c.id.to_string(),
            format!("`{}`", c.name),
            yes(c.required, "no"),
            c.mandatory.join(", "),
            or_dash(&c.optional),
        ]
    });
    table(out, "Components:", columns, rows);
    let rules: Vec<_> = dt
        .components
        .iter()
        .flat_map(|c| c.rules.iter().map(move |r| (c, r)))
        .collect();
    if !rules.is_empty() {
        let iv = |v: Option<[i64; 2]>| {
            v.map(|[a, b]| format!("{a}…{b}"))
                .unwrap_or_else(|| "—".into())
        };
        let columns =
            "component | property | declared range within | declared range covers | step at most";
        let rows = rules.into_iter().map(|(c, r)| {
            vec![
                format!("{} `{}`", c.id, c.name),
                format!("{}/{}", r.capability, r.property),
                iv(r.within),
                iv(r.cover),
                r.max_step
                    .map(|s| s.to_string())
                    .unwrap_or_else(|| "—".into()),
            ]
        });
        table(out, "Constraint rules (HRT-MOD-032):", columns, rows);
    }
    if !dt.modes.is_empty() {
        let columns = "code | name | tags | required | meaning";
        let rows = dt.modes.iter().map(|m| {
            vec![
                format_id(m.code),
                format!("`{}`", m.name),
                m.tags.join(", "),
                yes(m.required, ""),
                cell(&m.summary),
            ]
        });
        table(out, "Standard modes (`mode` codes):", columns, rows);
    }
    if !dt.phases.is_empty() {
        let title = "Cycle phases (`cycle-phase` codes):";
        table(out, title, "code | name | meaning", codes(&dt.phases));
    }
    if !dt.faults.is_empty() {
        let title = "Standard faults (`fault-code` codes, in addition to the common ones):";
        let columns = "code | name | severity | user action | meaning";
        let rows = dt.faults.iter().map(|f| {
            vec![
                format_id(f.code),
                format!("`{}`", f.name),
                f.severity.clone(),
                f.action.clone(),
                cell(&f.summary),
            ]
        });
        table(out, title, columns, rows);
    }
}

/// Render the whole catalog chapter.
pub fn render(catalog: &Catalog) -> String {
    let mut out = String::new();
    out.push_str(
        "# 2. Catalog\n\n\
<!-- Generated from spec/catalog/ by `hearth catalog --markdown`. Do not edit by hand: edit the\n     catalog data and regenerate; a test fails when this file and the data disagree. -->\n\n\
Status: v1 draft.\n\n\
This chapter lists every unit, enumeration, capability and device type of Hearth. It is\n\
generated from the machine-readable catalog in `spec/catalog/`, which is the single source of\n\
truth; the schema of those files is described in `spec/catalog/README.md`. The rules that\n\
give these tables their meaning — identifiers, data types, nullability, descriptions and\n\
their validation — are in the device-model chapter (`01-model.md`).\n\n\
**[HRT-CAT-001]** A device MUST implement every capability it declares with the ids, data types, units, access and semantics this chapter gives for it.\n\n\
**[HRT-CAT-002]** A device MUST use the standard codes of this chapter's enumerations, modes, phases and faults with exactly the meaning given here, whatever its brand or model.\n\n",
    );
    let columns = "id | name | title | components";
    let rows = catalog.device_types().iter().map(|dt| {
        let comps: Vec<&str> = dt.components.iter().map(|c| c.name.as_str()).collect();
        vec![
            format_id(dt.id),
            link(dt.id, &dt.name, &dt.title),
            dt.title.clone(),
            comps.join(", "),
        ]
    });
    table(&mut out, "## 2.1 Device types", columns, rows);
    for dt in catalog.device_types() {
        device_type(&mut out, dt);
    }
    let columns = "id | name | title";
    let rows = catalog.capabilities().iter().map(|cap| {
        vec![
            format_id(cap.id),
            link(cap.id, &cap.name, &cap.title),
            cap.title.clone(),
        ]
    });
    table(&mut out, "## 2.2 Capabilities", columns, rows);
    for cap in catalog.capabilities() {
        capability(&mut out, catalog, cap);
    }
    let _ = writeln!(out, "## 2.3 Enumerations\n");
    let _ = writeln!(
        out,
        "Codes 0x0000–0x7FFF are standard; 0x8000–0xFFFE are reserved for vendors (HRT-MOD-005). \
Enumerations marked *per device type* list here the codes every device type shares; each \
device type adds its own in section 2.1.\n"
    );
    for def in catalog.enums() {
        enumeration(&mut out, def);
    }
    let _ = writeln!(out, "## 2.4 Units\n");
    let _ = writeln!(
        out,
        "| name | quantity | wire integer × scale | symbol | meaning | source |"
    );
    let _ = writeln!(out, "|---|---|---|---|---|---|");
    for u in catalog.units() {
        let _ = writeln!(
            out,
            "| `{}` | {} | {} | {} | {} | {} |",
            u.name,
            u.quantity,
            u.scale,
            u.symbol,
            cell(&u.summary),
            cell(&u.source)
        );
    }
    out
}

/// Append the section for one enumeration.
pub fn enumeration(out: &mut String, def: &super::EnumDef) {
    let scope = match def.scope {
        super::EnumScope::Global => "",
        super::EnumScope::DeviceType => " (per device type)",
    };
    let _ = writeln!(out, "### `{}` — {}{}\n", def.name, def.title, scope);
    let _ = writeln!(out, "{}\n", def.summary.trim());
    let _ = writeln!(out, "*Source:* {}\n", def.source.trim());
    if !def.values.is_empty() {
        table(out, "", "code | name | meaning", codes(&def.values));
    }
}

/// The rows of a table of enumeration codes: code, name, meaning.
fn codes(values: &[super::EnumValue]) -> impl Iterator<Item = Vec<String>> + '_ {
    values
        .iter()
        .map(|v| vec![format_id(v.code), format!("`{}`", v.name), cell(&v.summary)])
}

/// The name of a device type or capability in code, linked to its section.
fn link(id: u16, name: &str, title: &str) -> String {
    format!("[`{name}`](#{})", anchor(&heading(id, name, title)))
}

/// GitHub-style heading anchor.
fn anchor(heading: &str) -> String {
    heading
        .to_lowercase()
        .chars()
        .filter_map(|c| match c {
            ' ' => Some('-'),
            c if c.is_alphanumeric() || c == '-' || c == '_' => Some(c),
            _ => None,
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The committed chapter must be exactly what the catalog generates (HRT-CAT-001).
    #[test]
    fn committed_catalog_chapter_matches_the_data() {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../spec/02-catalog.md");
        let generated = render(Catalog::standard());
        if std::env::var_os("HEARTH_REGENERATE").is_some() {
            std::fs::write(path, &generated).expect("write spec/02-catalog.md");
        }
        let committed = std::fs::read_to_string(path).unwrap_or_default();
        assert!(
            committed == generated,
            "spec/02-catalog.md differs from the catalog data; regenerate it with \
             `cargo run -- catalog --markdown > spec/02-catalog.md` (or HEARTH_REGENERATE=1 cargo test -p hearth-model)"
        );
    }

    #[test]
    fn every_device_type_and_capability_has_a_section() {
        let catalog = Catalog::standard();
        let text = render(catalog);
        for dt in catalog.device_types() {
            assert!(
                text.contains(&format!("`{}` — {}", dt.name, dt.title)),
                "{}",
                dt.name
            );
        }
        for cap in catalog.capabilities() {
            assert!(
                text.contains(&format!("`{}` — {}", cap.name, cap.title)),
                "{}",
                cap.name
            );
        }
    }
}
