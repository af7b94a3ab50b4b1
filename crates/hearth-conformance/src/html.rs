//! `report.html` with the statements of the requirements taken from the specification
//! embedded in the suite ([`crate::requirements`]). The page itself is
//! [`hearth_report::html`]'s; this module only supplies the texts.

pub use hearth_report::html::{direction_name, escape, RequirementText};

use crate::report::Report;
use crate::requirements::{self, Requirement};

/// The statements of `index` as the page's appendix shows them.
pub fn requirement_texts(index: &[Requirement]) -> Vec<RequirementText<'_>> {
    index
        .iter()
        .map(|r| RequirementText {
            id: &r.id,
            level: r.level.keyword(),
            chapter: &r.chapter,
            section: &r.section,
            text: &r.text,
        })
        .collect()
}

/// `report.html` of `report`, with the requirement texts of the specification embedded in
/// the suite.
pub fn render(report: &Report) -> String {
    render_with(report, &requirements::index().unwrap_or_default())
}

/// `report.html` of `report`, with requirement texts looked up in `index`.
pub fn render_with(report: &Report, index: &[Requirement]) -> String {
    hearth_report::html::render(report, &requirement_texts(index))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn texts_are_the_embedded_specification() {
        let index = requirements::index().expect("index");
        let texts = requirement_texts(&index);
        assert_eq!(texts.len(), index.len());
        let sec030 = texts
            .iter()
            .find(|t| t.id == "HRT-SEC-030")
            .expect("HRT-SEC-030");
        let r = index.iter().find(|r| r.id == "HRT-SEC-030").expect("index");
        assert_eq!(sec030.text, r.text);
        assert_eq!(sec030.level, r.level.keyword());
        assert_eq!((sec030.chapter, sec030.section), (&*r.chapter, &*r.section));
    }
}
