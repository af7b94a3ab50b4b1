//! `hearth catalog`: list the catalog, show one definition, or print the catalog chapter.

use std::process::ExitCode;

use hearth_model::catalog::{markdown, Catalog, EnumScope};
use serde::Serialize;

/// Arguments of `hearth catalog`.
#[derive(Debug, clap::Args)]
pub(crate) struct Args {
    /// A device type, capability or enumeration name to show in full.
    name: Option<String>,
    /// Print machine-readable JSON.
    #[arg(long)]
    json: bool,
    /// Print the specification's generated catalog chapter (Markdown).
    #[arg(long, conflicts_with_all = ["name", "json"])]
    markdown: bool,
}

/// One device type in the listing.
#[derive(Serialize)]
struct DeviceTypeEntry<'a> {
    name: &'a str,
    id: u16,
    title: &'a str,
    components: Vec<ComponentEntry<'a>>,
}

/// One component slot of a device type in the listing.
#[derive(Serialize)]
struct ComponentEntry<'a> {
    id: u16,
    name: &'a str,
    required: bool,
    mandatory: &'a [String],
    optional: &'a [String],
}

/// One capability or enumeration in the listing.
#[derive(Serialize)]
struct Entry<'a> {
    name: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    id: Option<u16>,
    title: &'a str,
    summary: &'a str,
}

/// The whole listing, as printed by `--json`.
#[derive(Serialize)]
struct Listing<'a> {
    device_types: Vec<DeviceTypeEntry<'a>>,
    capabilities: Vec<Entry<'a>>,
    enums: Vec<Entry<'a>>,
}

fn listing(catalog: &Catalog) -> Listing<'_> {
    Listing {
        device_types: catalog
            .device_types()
            .iter()
            .map(|dt| DeviceTypeEntry {
                name: &dt.name,
                id: dt.id,
                title: &dt.title,
                components: dt
                    .components
                    .iter()
                    .map(|c| ComponentEntry {
                        id: c.id,
                        name: &c.name,
                        required: c.required,
                        mandatory: &c.mandatory,
                        optional: &c.optional,
                    })
                    .collect(),
            })
            .collect(),
        capabilities: catalog
            .capabilities()
            .iter()
            .map(|c| Entry {
                name: &c.name,
                id: Some(c.id),
                title: &c.title,
                summary: &c.summary,
            })
            .collect(),
        enums: catalog
            .enums()
            .map(|e| Entry {
                name: &e.name,
                id: None,
                title: &e.title,
                summary: &e.summary,
            })
            .collect(),
    }
}

fn print_listing(list: &Listing<'_>) {
    println!("Device types ({}):", list.device_types.len());
    for dt in &list.device_types {
        let comps: Vec<String> = dt
            .components
            .iter()
            .map(|c| format!("{} {}", c.id, c.name))
            .collect();
        println!(
            "  {:#06x}  {:<18} {:<22} components: {}",
            dt.id,
            dt.name,
            dt.title,
            comps.join(", ")
        );
    }
    println!("\nCapabilities ({}):", list.capabilities.len());
    for c in &list.capabilities {
        println!(
            "  {:#06x}  {:<24} {}",
            c.id.unwrap_or_default(),
            c.name,
            c.title
        );
    }
    println!("\nEnumerations ({}):", list.enums.len());
    for e in &list.enums {
        println!("          {:<24} {}", e.name, e.title);
    }
    println!("\nShow one in full: hearth catalog NAME [--json]");
}

/// Run `hearth catalog`.
pub(crate) fn run(args: Args) -> anyhow::Result<ExitCode> {
    let catalog = Catalog::standard();
    if args.markdown {
        print!("{}", markdown::render(catalog));
        return Ok(ExitCode::SUCCESS);
    }
    let Some(name) = args.name else {
        let list = listing(catalog);
        if args.json {
            println!("{}", serde_json::to_string_pretty(&list)?);
        } else {
            print_listing(&list);
        }
        return Ok(ExitCode::SUCCESS);
    };
    let mut text = String::new();
    if let Some(dt) = catalog.device_type_named(&name) {
        if args.json {
            println!("{}", serde_json::to_string_pretty(dt)?);
            return Ok(ExitCode::SUCCESS);
        }
        markdown::device_type(&mut text, dt);
    } else if let Some(cap) = catalog.capability_named(&name) {
        if args.json {
            println!("{}", serde_json::to_string_pretty(cap)?);
            return Ok(ExitCode::SUCCESS);
        }
        markdown::capability(&mut text, catalog, cap);
    } else if let Some(def) = catalog.enumeration(&name) {
        if args.json {
            println!("{}", serde_json::to_string_pretty(def)?);
            return Ok(ExitCode::SUCCESS);
        }
        markdown::enumeration(&mut text, def);
        if def.scope == EnumScope::DeviceType {
            text.push_str("Device types add further codes; see `hearth catalog DEVICE-TYPE`.\n");
        }
    } else {
        return Err(crate::exit::usage(format!("`{name}` is neither a device type, a capability nor an enumeration; `hearth catalog` lists them")));
    }
    print!("{text}");
    Ok(ExitCode::SUCCESS)
}
