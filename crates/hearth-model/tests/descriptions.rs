//! Realistic descriptions of every device type validate, and targeted mutations of them fail
//! with the error and requirement ID the model chapter assigns.

use std::collections::BTreeSet;

use hearth_model::catalog::{Catalog, ConstraintKind, TypeSpec};
use hearth_model::ids::cap;
use hearth_model::validate::{check_description, check_write};
use hearth_model::{
    CapabilityInstance, ComponentDescription, Description, EnumEntry, Path, StatusCode, Value,
};

fn fixtures() -> Vec<(String, Description)> {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/descriptions");
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).expect("fixture folder exists") {
        let path = entry.expect("readable entry").path();
        if path.extension().is_some_and(|e| e == "json") {
            let text = std::fs::read_to_string(&path).expect("readable fixture");
            let desc: Description =
                serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
            let name = path
                .file_stem()
                .expect("file name")
                .to_string_lossy()
                .into_owned();
            out.push((name, desc));
        }
    }
    out.sort_by(|a, b| a.0.cmp(&b.0));
    out
}

fn requirements(catalog: &Catalog, desc: &Description) -> BTreeSet<&'static str> {
    match check_description(catalog, desc) {
        Ok(()) => BTreeSet::new(),
        Err(errors) => errors.0.iter().map(|e| e.requirement()).collect(),
    }
}

#[test]
fn every_device_type_has_a_valid_realistic_description() {
    let catalog = Catalog::standard();
    let fixtures = fixtures();
    for dt in catalog.device_types() {
        let Some((_, desc)) = fixtures.iter().find(|(name, _)| *name == dt.name) else {
            panic!("tests/descriptions/{}.json is missing", dt.name);
        };
        assert_eq!(desc.device_type, dt.id, "{}: device_type", dt.name);
        if let Err(errors) = check_description(catalog, desc) {
            panic!("{}: {errors}", dt.name);
        }
    }
}

/// A mutation: changes the description and returns the requirement it must then break, or
/// `None` when it does not apply to this device type.
type Mutation = fn(&Catalog, &mut Description) -> Option<&'static str>;

fn root(desc: &mut Description) -> &mut ComponentDescription {
    desc.components
        .iter_mut()
        .find(|c| c.id == 0)
        .expect("fixtures have component 0")
}

fn cap_id(catalog: &Catalog, name: &str) -> u16 {
    catalog
        .capability_named(name)
        .map(|c| c.id)
        .expect("catalog capability")
}

/// The first instance (component, index) whose property `pred` holds, with the property id.
fn find_property(
    catalog: &Catalog,
    desc: &Description,
    pred: impl Fn(&hearth_model::catalog::Property) -> bool,
) -> Option<(usize, usize, u16)> {
    for (ci, comp) in desc.components.iter().enumerate() {
        for (ii, inst) in comp.capabilities.iter().enumerate() {
            let Some(cap) = catalog.capability(inst.capability) else {
                continue;
            };
            for p in &cap.properties {
                if inst.implements_property(p) && pred(p) {
                    return Some((ci, ii, p.id));
                }
            }
        }
    }
    None
}

fn instance_mut(desc: &mut Description, ci: usize, ii: usize) -> &mut CapabilityInstance {
    &mut desc.components[ci].capabilities[ii]
}

/// The first declared list of supported enum codes, of any capability (`None`) or of the
/// capability `only`.
fn first_values(desc: &mut Description, only: Option<u16>) -> Option<&mut Vec<EnumEntry>> {
    desc.components
        .iter_mut()
        .flat_map(|comp| comp.capabilities.iter_mut())
        .filter(|inst| only.is_none_or(|c| inst.capability == c))
        .flat_map(|inst| inst.constraints.iter_mut())
        .find_map(|k| k.values.as_mut())
}

const MUTATIONS: &[(&str, Mutation)] = &[
    ("unsupported spec version", |_, d| {
        d.spec_version = 2;
        Some("HRT-MOD-061")
    }),
    ("vendor id 0", |_, d| {
        d.vendor_id = 0;
        Some("HRT-MOD-001")
    }),
    ("device id with a slash", |_, d| {
        d.device_id = "kitchen/fridge".into();
        Some("HRT-MOD-002")
    }),
    ("device id too long", |_, d| {
        d.device_id = "x".repeat(65);
        Some("HRT-MOD-002")
    }),
    ("unknown device type", |_, d| {
        d.device_type = 0x7000;
        Some("HRT-MOD-061")
    }),
    ("component 0 missing", |_, d| {
        d.components.retain(|c| c.id != 0);
        Some("HRT-MOD-010")
    }),
    ("component listed twice", |_, d| {
        let copy = d.components[0].clone();
        d.components.push(copy);
        Some("HRT-MOD-011")
    }),
    ("component the device type does not define", |_, d| {
        d.components.push(ComponentDescription {
            id: 77,
            label: None,
            capabilities: vec![],
        });
        Some("HRT-MOD-012")
    }),
    ("required component missing", |c, d| {
        let dt = c.device_type(d.device_type)?;
        let required = dt.components.iter().find(|s| s.id != 0 && s.required)?;
        d.components.retain(|comp| comp.id != required.id);
        Some("HRT-MOD-012")
    }),
    ("DeviceInfo missing on component 0", |c, d| {
        let id = cap_id(c, "device-info");
        root(d).capabilities.retain(|i| i.capability != id);
        Some("HRT-MOD-024")
    }),
    ("mandatory capability missing", |c, d| {
        let dt = c.device_type(d.device_type)?.clone();
        for comp in &mut d.components {
            let spec = dt.component(comp.id)?;
            let name = spec
                .mandatory
                .iter()
                .find(|n| !matches!(n.as_str(), "device-info" | "faults"));
            if let Some(name) = name {
                let id = cap_id(c, name);
                comp.capabilities.retain(|i| i.capability != id);
                return Some("HRT-MOD-020");
            }
        }
        None
    }),
    ("capability not allowed on component 0", |c, d| {
        let dt = c.device_type(d.device_type)?;
        let spec = dt.component(0)?;
        let stray = c.capabilities().iter().find(|cap| {
            !spec.mandatory.contains(&cap.name) && !spec.optional.contains(&cap.name)
        })?;
        root(d).capabilities.push(CapabilityInstance {
            capability: stray.id,
            properties: vec![],
            actions: vec![],
            events: vec![],
            constraints: vec![],
        });
        Some("HRT-MOD-021")
    }),
    ("capability listed twice", |_, d| {
        let copy = root(d).capabilities[0].clone();
        root(d).capabilities.push(copy);
        Some("HRT-MOD-022")
    }),
    ("reserved capability id", |_, d| {
        root(d).capabilities.push(CapabilityInstance {
            capability: 0,
            properties: vec![],
            actions: vec![],
            events: vec![],
            constraints: vec![],
        });
        Some("HRT-MOD-003")
    }),
    ("mandatory property listed as optional", |c, d| {
        let (ci, ii, pid) = find_property(c, d, |p| !p.optional)?;
        instance_mut(d, ci, ii).properties.push(pid);
        Some("HRT-MOD-023")
    }),
    ("undefined standard property listed", |_, d| {
        root(d).capabilities[0].properties.push(0x7FFE);
        Some("HRT-MOD-023")
    }),
    ("reserved member id listed", |_, d| {
        root(d).capabilities[0].events.push(0xFFFF);
        Some("HRT-MOD-004")
    }),
    ("constraint on a property the instance lacks", |_, d| {
        root(d).capabilities[0]
            .constraints
            .push(hearth_model::Constraint {
                property: 0x7FFE,
                min: Some(1),
                ..Default::default()
            });
        Some("HRT-MOD-030")
    }),
    ("numeric constraint below the catalog minimum", |c, d| {
        let (ci, ii, pid) = find_property(c, d, |p| p.constrain.contains(&ConstraintKind::Min))?;
        let cap = c.capability(d.components[ci].capabilities[ii].capability)?;
        let min = cap.property(pid)?.ty.int_spec()?.min;
        let inst = instance_mut(d, ci, ii);
        match inst.constraints.iter_mut().find(|k| k.property == pid) {
            Some(k) => k.min = Some(min - 1),
            None => inst.constraints.push(hearth_model::Constraint {
                property: pid,
                min: Some(min - 1),
                ..Default::default()
            }),
        }
        Some("HRT-MOD-031")
    }),
    ("device-type rule broken", |c, d| {
        let dt = c.device_type(d.device_type)?.clone();
        let rules = dt
            .components
            .iter()
            .flat_map(|spec| spec.rules.iter().map(move |r| (spec.id, r)));
        for (component, rule) in rules {
            let Some(cap) = c.capability_named(&rule.capability) else {
                continue;
            };
            let Some(pid) = cap.property_named(&rule.property).map(|p| p.id) else {
                continue;
            };
            let Some(comp) = d.components.iter_mut().find(|k| k.id == component) else {
                continue;
            };
            let Some(inst) = comp
                .capabilities
                .iter_mut()
                .find(|i| i.capability == cap.id)
            else {
                continue;
            };
            let Some(k) = inst.constraints.iter_mut().find(|k| k.property == pid) else {
                continue;
            };
            if let Some(limit) = rule.max_step {
                k.step = Some(limit * 2);
            } else if let Some([lo, _]) = rule.cover {
                k.min = Some(lo + 100);
            } else if let Some([lo, _]) = rule.within {
                k.min = Some(lo - 100);
            }
            return Some("HRT-MOD-032");
        }
        None
    }),
    ("vendor enum code without a label", |_, d| {
        first_values(d, None)?.push(EnumEntry::standard(0x8123));
        Some("HRT-MOD-006")
    }),
    ("undefined standard enum code", |_, d| {
        first_values(d, None)?.push(EnumEntry::standard(0x7ABC));
        Some("HRT-MOD-005")
    }),
    ("required mode not supported", |c, d| {
        let dt = c.device_type(d.device_type)?;
        let required: Vec<u16> = dt
            .modes
            .iter()
            .filter(|m| m.required)
            .map(|m| m.code)
            .collect();
        if required.is_empty() {
            return None;
        }
        first_values(d, Some(cap_id(c, "mode")))?.retain(|v| !required.contains(&v.code));
        Some("HRT-MOD-034")
    }),
    ("mode of another device type", |c, d| {
        let dt = c.device_type(d.device_type)?;
        let foreign = c
            .device_types()
            .iter()
            .flat_map(|t| t.modes.iter())
            .map(|m| m.code)
            .find(|code| !dt.modes.iter().any(|m| m.code == *code))?;
        first_values(d, Some(cap_id(c, "mode")))?.push(EnumEntry::standard(foreign));
        Some("HRT-MOD-033")
    }),
    ("required constraint not declared", |c, d| {
        let (ci, ii, pid) = find_property(c, d, |p| p.constrain_required)?;
        instance_mut(d, ci, ii)
            .constraints
            .retain(|k| k.property != pid);
        Some("HRT-MOD-035")
    }),
];

#[test]
fn targeted_mutations_fail_with_the_right_requirement() {
    let catalog = Catalog::standard();
    let mut applied = BTreeSet::new();
    for (name, desc) in fixtures() {
        for (what, mutate) in MUTATIONS {
            let mut mutated = desc.clone();
            let Some(expected) = mutate(catalog, &mut mutated) else {
                continue;
            };
            applied.insert(*what);
            let found = requirements(catalog, &mutated);
            assert!(
                found.contains(expected),
                "{name}: `{what}` should break {expected}, found {found:?}"
            );
        }
    }
    for (what, _) in MUTATIONS {
        assert!(
            applied.contains(what),
            "mutation `{what}` applied to no fixture"
        );
    }
}

/// The effective integer bounds of a property in a description.
fn effective(
    inst: &CapabilityInstance,
    p: &hearth_model::catalog::Property,
) -> Option<(i64, i64, u64)> {
    let spec = p.ty.int_spec()?;
    let k = inst.constraint(p.id);
    Some((
        k.and_then(|k| k.min).unwrap_or(spec.min),
        k.and_then(|k| k.max).unwrap_or(spec.max),
        k.and_then(|k| k.step).unwrap_or(spec.step),
    ))
}

#[test]
fn writes_follow_the_declared_constraints() {
    let catalog = Catalog::standard();
    let mut checked = 0;
    for (name, desc) in fixtures() {
        for member in desc.implemented(catalog) {
            let (Some(p), inst, path) = (member.def, member.instance, member.path) else {
                continue;
            };
            let write = |v: Value| {
                check_write(catalog, &desc, &path, &v).map_err(|e| (e.status(), e.requirement()))
            };
            if !p.writable() {
                // HRT-MOD-041: any value, even a valid one, is refused.
                assert_eq!(
                    write(Value::Int(0)).err().map(|e| e.0),
                    Some(StatusCode::ReadOnly),
                    "{name} {path}"
                );
                continue;
            }
            checked += 1;
            // HRT-MOD-042: wrong data type.
            let wrong = if matches!(p.ty, TypeSpec::Bool) {
                Value::Int(1)
            } else {
                Value::Bool(true)
            };
            assert_eq!(
                write(wrong),
                Err((StatusCode::InvalidType, "HRT-MOD-042")),
                "{name} {path}"
            );
            // HRT-MOD-043: null only where nullable.
            if !p.nullable {
                assert_eq!(
                    write(Value::Null),
                    Err((StatusCode::InvalidType, "HRT-MOD-043")),
                    "{name} {path}"
                );
            }
            if let Some((min, max, step)) = effective(inst, p) {
                let top = min + ((max - min) / step as i64) * step as i64;
                assert_eq!(write(Value::Int(min)), Ok(()), "{name} {path} min");
                assert_eq!(write(Value::Int(top)), Ok(()), "{name} {path} top of grid");
                assert_eq!(
                    write(Value::Int(min - 1)),
                    Err((StatusCode::ConstraintError, "HRT-MOD-044")),
                    "{name} {path}"
                );
                assert_eq!(
                    write(Value::Int(max + 1)),
                    Err((StatusCode::ConstraintError, "HRT-MOD-044")),
                    "{name} {path}"
                );
                if step > 1 {
                    assert_eq!(
                        write(Value::Int(min + 1)),
                        Err((StatusCode::ConstraintError, "HRT-MOD-044")),
                        "{name} {path} off-step"
                    );
                }
            }
            if let TypeSpec::Enum { .. } = p.ty {
                let supported = inst.constraint(p.id).and_then(|k| k.values.clone());
                if let Some(values) = supported {
                    for v in &values {
                        assert_eq!(
                            write(Value::Int(i64::from(v.code))),
                            Ok(()),
                            "{name} {path} code {}",
                            v.code
                        );
                    }
                    assert_eq!(
                        write(Value::Int(0x7ABC)),
                        Err((StatusCode::ConstraintError, "HRT-MOD-045")),
                        "{name} {path}"
                    );
                }
            }
        }
        // HRT-MOD-040: paths outside the description.
        let bad = [
            (Path::new(99, 1, 1), StatusCode::UnsupportedComponent),
            (Path::new(0, 0x7FF0, 1), StatusCode::UnsupportedCapability),
            (
                Path::new(0, cap::DEVICE_INFO, 0x7FF0),
                StatusCode::UnsupportedProperty,
            ),
        ];
        for (path, status) in bad {
            let err = check_write(catalog, &desc, &path, &Value::Int(1))
                .expect_err("outside the description");
            assert_eq!(
                (err.status(), err.requirement()),
                (status, "HRT-MOD-040"),
                "{name} {path}"
            );
        }
    }
    assert!(
        checked > 20,
        "only {checked} writable properties were exercised"
    );
}

#[test]
fn air_conditioner_setpoint_example_from_the_model_chapter() {
    let catalog = Catalog::standard();
    let (_, desc) = fixtures()
        .into_iter()
        .find(|(n, _)| n == "air-conditioner")
        .expect("fixture");
    let path = Path::parse(
        "0/temperature-control/setpoint",
        catalog,
        hearth_model::MemberKind::Property,
    )
    .expect("path");
    assert_eq!(
        check_write(catalog, &desc, &path, &Value::Int(2650)),
        Ok(())
    );
    let off_grid = check_write(catalog, &desc, &path, &Value::Int(2655))
        .expect_err("0.05 °C is off the 0.5 °C grid");
    assert_eq!(off_grid.status(), StatusCode::ConstraintError);
}

/// HRT-MOD-040, HRT-MOD-102: a vendor member of a standard capability is addressable exactly
/// when the description lists it; the standard does not judge its values.
#[test]
fn vendor_members_exist_only_where_listed() {
    let catalog = Catalog::standard();
    let (_, mut desc) = fixtures()
        .into_iter()
        .find(|(n, _)| n == "air-conditioner")
        .expect("fixture");
    let path = Path::new(0, cap::TEMPERATURE_CONTROL, 0x8001);
    let err = check_write(catalog, &desc, &path, &Value::Int(1)).expect_err("not listed");
    assert_eq!(err.status(), StatusCode::UnsupportedProperty);
    root(&mut desc)
        .capabilities
        .iter_mut()
        .find(|i| i.capability == 6)
        .expect("temperature-control")
        .properties
        .push(0x8001);
    assert_eq!(
        check_write(catalog, &desc, &path, &Value::Text("anything".into())),
        Ok(())
    );
    let action = Path::new(0, cap::TEMPERATURE_CONTROL, 0x8002);
    assert_eq!(
        hearth_model::validate::check_invoke(catalog, &desc, &action, &Value::Null)
            .map_err(|e| e.status()),
        Err(StatusCode::UnsupportedAction)
    );
}
