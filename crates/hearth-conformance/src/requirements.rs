//! The requirement index: every normative statement of the specification, extracted from the
//! Markdown chapters by the rule of `spec/README.md` §4.4.
//!
//! A requirement is a paragraph or list item that starts with its identifier in bold brackets
//! (`**[HRT-SEC-012]**`). Its statement is the rest of that paragraph or list item, with
//! whitespace normalised; its level is the first RFC 2119 key word found in it, tested in the
//! order of [`Level::ALL`]. Fenced code blocks are never scanned, key words inside inline code
//! spans are never counted, and key words directly enclosed in double quotes are mentions, not
//! uses, in the one section that lists the key words themselves ([`MENTION_SECTION`]).
//! Headings are scanned like text: a key word in a heading is outside any statement.
//!
//! The scanner is hand-written (no regular-expression engine) and never panics: any input,
//! however malformed, yields requirements and a list of [`Problem`]s.

use std::collections::BTreeMap;
use std::fmt;

use serde::{Deserialize, Serialize};

include!(concat!(env!("OUT_DIR"), "/spec_chapters.rs"));

/// The chapters of the specification embedded at build time, as (file name, contents), sorted
/// by file name. `README.md` is included: it is scanned for stray key words like every chapter.
pub fn chapters() -> &'static [(&'static str, &'static str)] {
    CHAPTERS
}

/// Typed requirement identifiers, one constant per requirement the specification states
/// (`req::HRT_SEC_136`), generated at build time from the chapters.
///
/// Test cases name the requirements they check, and a failure names the requirement it
/// breaks, with these constants: a misspelt or withdrawn identifier does not compile, and
/// nothing a verdict depends on is parsed back from a message.
pub mod req {
    use std::fmt;

    /// A requirement identifier the specification states. Only the generated constants
    /// (and [`Req::resolve`], for identifiers other crates hand over) make one.
    #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
    pub struct Req(&'static str);

    include!(concat!(env!("OUT_DIR"), "/req_table.rs"));

    impl Req {
        /// The identifier, e.g. `HRT-SEC-136`.
        pub const fn id(self) -> &'static str {
            self.0
        }

        /// The constant for `id`, if the specification states it: for the identifiers the
        /// model, security and wire crates name in their errors.
        pub fn resolve(id: &str) -> Option<Self> {
            ALL.binary_search_by(|r| r.0.cmp(id)).ok().map(|i| ALL[i])
        }
    }

    impl fmt::Display for Req {
        fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str(self.0)
        }
    }

    impl crate::verdict::RequirementId for Req {
        fn id(&self) -> &'static str {
            self.0
        }
    }

    impl PartialEq<Req> for String {
        fn eq(&self, other: &Req) -> bool {
            self == other.0
        }
    }

    impl PartialEq<Req> for &str {
        fn eq(&self, other: &Req) -> bool {
            *self == other.0
        }
    }
}

/// The requirement area of each chapter that may state requirements (`spec/README.md` §4.1).
pub const AREAS: &[(&str, &str)] = &[
    ("01-model.md", "MOD"),
    ("02-catalog.md", "CAT"),
    ("03-security.md", "SEC"),
    ("04-messages.md", "MSG"),
    ("05-mqtt.md", "MQTT"),
    ("06-conformance.md", "CONF"),
    ("07-commissioning.md", "COM"),
    ("08-controllers.md", "CTL"),
];

/// The area that requirements of `chapter` carry, if the chapter may state requirements.
pub fn area_of(chapter: &str) -> Option<&'static str> {
    AREAS
        .iter()
        .find(|(file, _)| *file == chapter)
        .map(|(_, area)| *area)
}

/// The requirement level: the RFC 2119 / RFC 8174 key word of a statement.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum Level {
    /// `MUST NOT`: an absolute prohibition.
    #[serde(rename = "MUST NOT")]
    MustNot,
    /// `MUST`: an absolute requirement.
    #[serde(rename = "MUST")]
    Must,
    /// `SHALL NOT`: an absolute prohibition.
    #[serde(rename = "SHALL NOT")]
    ShallNot,
    /// `SHALL`: an absolute requirement.
    #[serde(rename = "SHALL")]
    Shall,
    /// `REQUIRED`: an absolute requirement.
    #[serde(rename = "REQUIRED")]
    Required,
    /// `SHOULD NOT`: a recommendation against.
    #[serde(rename = "SHOULD NOT")]
    ShouldNot,
    /// `SHOULD`: a recommendation.
    #[serde(rename = "SHOULD")]
    Should,
    /// `NOT RECOMMENDED`: a recommendation against (equivalent to `SHOULD NOT`).
    #[serde(rename = "NOT RECOMMENDED")]
    NotRecommended,
    /// `RECOMMENDED`: a recommendation.
    #[serde(rename = "RECOMMENDED")]
    Recommended,
    /// `MAY`: truly optional.
    #[serde(rename = "MAY")]
    May,
    /// `OPTIONAL`: truly optional.
    #[serde(rename = "OPTIONAL")]
    Optional,
}

impl Level {
    /// Every level, in the order in which a statement is tested for it (`spec/README.md` §4.4,
    /// with `NOT RECOMMENDED` tested before `RECOMMENDED`, which it contains).
    pub const ALL: &'static [Self] = &[
        Self::MustNot,
        Self::Must,
        Self::ShallNot,
        Self::Shall,
        Self::Required,
        Self::ShouldNot,
        Self::Should,
        Self::NotRecommended,
        Self::Recommended,
        Self::May,
        Self::Optional,
    ];

    /// The key word as it is written in the specification, e.g. `MUST NOT`.
    pub fn keyword(self) -> &'static str {
        match self {
            Self::MustNot => "MUST NOT",
            Self::Must => "MUST",
            Self::ShallNot => "SHALL NOT",
            Self::Shall => "SHALL",
            Self::Required => "REQUIRED",
            Self::ShouldNot => "SHOULD NOT",
            Self::Should => "SHOULD",
            Self::NotRecommended => "NOT RECOMMENDED",
            Self::Recommended => "RECOMMENDED",
            Self::May => "MAY",
            Self::Optional => "OPTIONAL",
        }
    }

    /// Whether the level is mandatory (`MUST`, `MUST NOT`, `SHALL`, `SHALL NOT`, `REQUIRED`):
    /// only these must be covered by a test case or explained as untestable, and only these
    /// make a verdict fail (`spec/README.md` §4.5).
    pub fn is_mandatory(self) -> bool {
        matches!(
            self,
            Self::MustNot | Self::Must | Self::ShallNot | Self::Shall | Self::Required
        )
    }
}

impl fmt::Display for Level {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.keyword())
    }
}

/// One normative statement of the specification.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Requirement {
    /// The identifier, e.g. `HRT-SEC-012`.
    pub id: String,
    /// The level: the key word of the statement.
    pub level: Level,
    /// The chapter file that states it, e.g. `03-security.md`.
    pub chapter: String,
    /// The heading of the section that contains it, e.g. `4.2 Key id`.
    pub section: String,
    /// The statement, whitespace-normalised, in its Markdown source form.
    pub text: String,
}

/// A place in a chapter: file name and 1-based line number.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Location {
    /// The chapter file, e.g. `01-model.md`.
    pub chapter: String,
    /// The 1-based line number.
    pub line: usize,
}

impl fmt::Display for Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "spec/{}:{}", self.chapter, self.line)
    }
}

/// A violation of the conventions of `spec/README.md` §3–§4 found while scanning a chapter.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Problem {
    /// A paragraph or list item starts like an identifier (`**[HRT…`) that is not well-formed.
    #[error("{at}: malformed requirement identifier `{found}`")]
    MalformedId {
        /// Where.
        at: Location,
        /// The text found, up to the closing `]**` or the end of the line.
        found: String,
    },
    /// A bold-bracketed identifier that is not at the start of a paragraph or list item.
    #[error("{at}: {id} in bold brackets is not at the start of a paragraph or list item")]
    MisplacedId {
        /// Where.
        at: Location,
        /// The identifier.
        id: String,
    },
    /// An identifier stated twice.
    #[error("{id} is stated twice: {first} and {second}")]
    DuplicateId {
        /// The identifier.
        id: String,
        /// The first statement.
        first: Location,
        /// The second statement.
        second: Location,
    },
    /// An identifier whose area is not the area of its chapter.
    #[error("{at}: {id} does not have the area {expected} of its chapter")]
    WrongArea {
        /// Where.
        at: Location,
        /// The identifier.
        id: String,
        /// The chapter's area, or `none` for a chapter that states no requirements.
        expected: String,
    },
    /// A statement without any key word.
    #[error("{at}: {id} contains no key word")]
    NoKeyword {
        /// Where.
        at: Location,
        /// The identifier.
        id: String,
    },
    /// A statement with more than one key word.
    #[error("{at}: {id} contains {} key words ({}); a requirement carries exactly one", .keywords.len(), .keywords.join(", "))]
    SeveralKeywords {
        /// Where.
        at: Location,
        /// The identifier.
        id: String,
        /// The key words found, in order.
        keywords: Vec<String>,
    },
    /// A capitalised key word outside any tagged statement.
    #[error("{at}: key word {keyword} outside a tagged statement: \"{context}\"")]
    StrayKeyword {
        /// Where.
        at: Location,
        /// The key word.
        keyword: String,
        /// The line it is on, trimmed.
        context: String,
    },
}

/// The result of scanning chapters: the requirements found and every problem seen.
#[derive(Debug, Clone, Default)]
pub struct Extraction {
    /// Every requirement, with its location, in chapter order.
    pub requirements: Vec<(Requirement, Location)>,
    /// Problems that make a source invalid for extraction (`spec/README.md` §4.4 rule 4 and
    /// malformed or misplaced identifiers).
    pub errors: Vec<Problem>,
    /// Violations of the writing conventions that do not prevent extraction: statements with
    /// several key words and key words outside tagged statements.
    pub conventions: Vec<Problem>,
}

/// Extraction failed: the chapters break the extraction rule.
#[derive(Debug, Clone, thiserror::Error)]
#[error("the specification breaks the extraction rule:\n{}", .0.iter().map(ToString::to_string).collect::<Vec<_>>().join("\n"))]
pub struct ExtractError(pub Vec<Problem>);

/// Scan `chapters` (file name, contents) for requirements and convention problems.
pub fn scan<'a>(chapters: impl IntoIterator<Item = (&'a str, &'a str)>) -> Extraction {
    let mut out = Extraction::default();
    let mut seen: BTreeMap<String, Location> = BTreeMap::new();
    for (chapter, text) in chapters {
        for block in blocks(text) {
            scan_block(chapter, &block, &mut out, &mut seen);
        }
    }
    out
}

/// The requirement index of the embedded specification, sorted by identifier.
///
/// # Errors
///
/// When a chapter breaks the extraction rule (a duplicate identifier, a statement without a
/// key word, an identifier outside its chapter's area, a malformed or misplaced identifier).
pub fn index() -> Result<Vec<Requirement>, ExtractError> {
    index_of(chapters().iter().copied())
}

/// The requirement index of the given chapters, sorted by identifier.
///
/// # Errors
///
/// As [`index`].
pub fn index_of<'a>(
    chapters: impl IntoIterator<Item = (&'a str, &'a str)>,
) -> Result<Vec<Requirement>, ExtractError> {
    let extraction = scan(chapters);
    if !extraction.errors.is_empty() {
        return Err(ExtractError(extraction.errors));
    }
    let mut reqs: Vec<Requirement> = extraction
        .requirements
        .into_iter()
        .map(|(r, _)| r)
        .collect();
    reqs.sort_by(|a, b| a.id.cmp(&b.id));
    Ok(reqs)
}

/// Render requirements as the committed `conformance/requirements.json`: a JSON array of
/// objects with `id`, `level`, `chapter`, `section` and `text`, two-space indented, with a
/// final newline.
pub fn to_json(requirements: &[Requirement]) -> String {
    let mut s = serde_json::to_string_pretty(requirements).unwrap_or_else(|_| "[]".to_owned());
    s.push('\n');
    s
}

/// Whether `id` is a well-formed requirement identifier: `HRT-`, one or more capital letters,
/// `-`, exactly three decimal digits.
pub fn is_well_formed_id(id: &str) -> bool {
    parse_id(id).is_some_and(|(_, rest)| rest.is_empty())
}

/// The area of a well-formed identifier, e.g. `SEC` for `HRT-SEC-012`.
pub fn id_area(id: &str) -> Option<&str> {
    let (area, rest) = parse_id(id)?;
    rest.is_empty().then_some(area)
}

/// Parse `HRT-<AREA>-<NNN>` at the start of `s`; returns the area and the rest of `s`.
fn parse_id(s: &str) -> Option<(&str, &str)> {
    let rest = s.strip_prefix("HRT-")?;
    let area_len = rest.bytes().take_while(u8::is_ascii_uppercase).count();
    if area_len == 0 {
        return None;
    }
    let (area, rest) = rest.split_at(area_len);
    let rest = rest.strip_prefix('-')?;
    let digits = rest.bytes().take_while(u8::is_ascii_digit).count();
    if digits != 3 {
        return None;
    }
    Some((area, rest.get(3..)?))
}

/// A paragraph or list item: its lines (1-based number, text with any list marker removed)
/// and the heading of its section.
#[derive(Debug)]
struct Block<'a> {
    lines: Vec<(usize, &'a str)>,
    section: String,
    heading: bool,
}

/// Split a chapter into paragraphs and list items, skipping fenced code blocks and headings.
fn blocks(text: &str) -> Vec<Block<'_>> {
    let mut out = Vec::new();
    let mut section = String::new();
    let mut current: Option<Block<'_>> = None;
    let mut fence: Option<(u8, usize)> = None;
    for (i, line) in text.lines().enumerate() {
        let number = i + 1;
        let trimmed = line.trim_start();
        if let Some((ch, len)) = fence {
            if let Some((c, l)) = fence_marker(trimmed) {
                if c == ch
                    && l >= len
                    && trimmed.trim_start_matches(char::from(c)).trim().is_empty()
                {
                    fence = None;
                }
            }
            continue;
        }
        if let Some(marker) = fence_marker(trimmed) {
            out.extend(current.take());
            fence = Some(marker);
            continue;
        }
        if trimmed.is_empty() {
            out.extend(current.take());
            continue;
        }
        if let Some(heading) = heading_text(trimmed) {
            out.extend(current.take());
            section = heading.to_owned();
            out.push(Block {
                lines: vec![(number, heading)],
                section: section.clone(),
                heading: true,
            });
            continue;
        }
        if let Some(content) = list_item_content(trimmed) {
            out.extend(current.take());
            current = Some(Block {
                lines: vec![(number, content)],
                section: section.clone(),
                heading: false,
            });
            continue;
        }
        match current.as_mut() {
            Some(block) => block.lines.push((number, trimmed)),
            None => {
                current = Some(Block {
                    lines: vec![(number, trimmed)],
                    section: section.clone(),
                    heading: false,
                });
            }
        }
    }
    out.extend(current.take());
    out
}

/// A code fence (three or more backticks or tildes): the fence character and its length.
fn fence_marker(trimmed: &str) -> Option<(u8, usize)> {
    let first = *trimmed.as_bytes().first()?;
    if first != b'`' && first != b'~' {
        return None;
    }
    let len = trimmed.bytes().take_while(|&b| b == first).count();
    (len >= 3).then_some((first, len))
}

/// The text of an ATX heading (`#` to `######` followed by a space), without the markers.
fn heading_text(trimmed: &str) -> Option<&str> {
    let hashes = trimmed.bytes().take_while(|&b| b == b'#').count();
    if hashes == 0 || hashes > 6 {
        return None;
    }
    let rest = trimmed.get(hashes..)?;
    if !(rest.is_empty() || rest.starts_with(' ')) {
        return None;
    }
    Some(rest.trim().trim_end_matches('#').trim_end())
}

/// The content of a list item's first line (`- `, `* `, `+ `, `1. `, `1) `), if it is one.
fn list_item_content(trimmed: &str) -> Option<&str> {
    for marker in ["- ", "* ", "+ "] {
        if let Some(rest) = trimmed.strip_prefix(marker) {
            return Some(rest.trim_start());
        }
    }
    let digits = trimmed.bytes().take_while(u8::is_ascii_digit).count();
    if (1..=9).contains(&digits) {
        let rest = trimmed.get(digits..)?;
        if let Some(rest) = rest.strip_prefix(". ").or_else(|| rest.strip_prefix(") ")) {
            return Some(rest.trim_start());
        }
    }
    None
}

const BOLD_ID: &str = "**[HRT";

fn scan_block(
    chapter: &str,
    block: &Block<'_>,
    out: &mut Extraction,
    seen: &mut BTreeMap<String, Location>,
) {
    let Some(&(first_line, first)) = block.lines.first() else {
        return;
    };
    let at = |line: usize| Location {
        chapter: chapter.to_owned(),
        line,
    };

    // Identifier at the start of the block.
    let mut requirement_id: Option<(String, usize)> = None;
    // A heading states no requirement; it is only scanned for stray key words below.
    let candidate = if block.heading {
        None
    } else {
        first.strip_prefix("**[")
    };
    if let Some(after) = candidate {
        if after.starts_with("HRT") {
            match parse_id(after).and_then(|(_, rest)| rest.strip_prefix("]**").map(|r| (r, after)))
            {
                Some((rest, after)) => {
                    let id_len = after.len() - rest.len() - 3;
                    let id = after.get(..id_len).unwrap_or_default().to_owned();
                    requirement_id = Some((id, first.len() - rest.len()));
                }
                None => {
                    let end = after.find("]**").map_or(first.len(), |i| i + 6);
                    out.errors.push(Problem::MalformedId {
                        at: at(first_line),
                        found: first.get(..end).unwrap_or(first).to_owned(),
                    });
                }
            }
        }
    }

    // Bold-bracketed identifiers anywhere else in the block.
    for (index, &(number, line)) in block.lines.iter().enumerate() {
        let skip = if index == 0 && !block.heading && line.starts_with(BOLD_ID) {
            BOLD_ID.len()
        } else {
            0
        };
        let mut rest = line.get(skip..).unwrap_or_default();
        while let Some(pos) = rest.find(BOLD_ID) {
            let after = rest.get(pos + 3..).unwrap_or_default();
            let id = parse_id(after)
                .map(|(_, tail)| after.get(..after.len() - tail.len()).unwrap_or_default())
                .unwrap_or("HRT…");
            out.errors.push(Problem::MisplacedId {
                at: at(number),
                id: id.to_owned(),
            });
            rest = after;
        }
    }

    // Mask inline code so that key words inside it are not counted.
    let joined: Vec<String> = mask_code_spans(&block.lines);

    match requirement_id {
        Some((id, prefix_len)) => {
            let location = at(first_line);
            let expected = area_of(chapter);
            if id_area(&id) != expected {
                out.errors.push(Problem::WrongArea {
                    at: location.clone(),
                    id: id.clone(),
                    expected: expected.unwrap_or("none").to_owned(),
                });
            }
            if let Some(first) = seen.get(&id) {
                out.errors.push(Problem::DuplicateId {
                    id: id.clone(),
                    first: first.clone(),
                    second: location.clone(),
                });
            } else {
                seen.insert(id.clone(), location.clone());
            }
            let mut statement_masked = String::new();
            let mut statement = String::new();
            for (index, (&(_, raw), masked)) in block.lines.iter().zip(&joined).enumerate() {
                let (raw, masked) = if index == 0 {
                    (
                        raw.get(prefix_len..).unwrap_or_default(),
                        masked.get(prefix_len..).unwrap_or_default(),
                    )
                } else {
                    (raw, masked.as_str())
                };
                statement.push(' ');
                statement.push_str(raw);
                statement_masked.push(' ');
                statement_masked.push_str(masked);
            }
            let text = normalise(&statement);
            let hits = keyword_hits(&statement_masked);
            let level = Level::ALL
                .iter()
                .copied()
                .find(|level| hits.iter().any(|h| h.level == *level));
            match level {
                None => out.errors.push(Problem::NoKeyword {
                    at: location.clone(),
                    id: id.clone(),
                }),
                Some(level) => {
                    if hits.len() > 1 {
                        out.conventions.push(Problem::SeveralKeywords {
                            at: location.clone(),
                            id: id.clone(),
                            keywords: hits.iter().map(|h| h.level.keyword().to_owned()).collect(),
                        });
                    }
                    out.requirements.push((
                        Requirement {
                            id,
                            level,
                            chapter: chapter.to_owned(),
                            section: block.section.clone(),
                            text,
                        },
                        location,
                    ));
                }
            }
        }
        None => {
            let mentions_allowed = (chapter, block.section.as_str()) == MENTION_SECTION;
            for (&(number, raw), masked) in block.lines.iter().zip(&joined) {
                for hit in keyword_hits(masked) {
                    if hit.quoted && mentions_allowed {
                        continue;
                    }
                    out.conventions.push(Problem::StrayKeyword {
                        at: at(number),
                        keyword: hit.level.keyword().to_owned(),
                        context: raw.trim().to_owned(),
                    });
                }
            }
        }
    }
}

/// Collapse every run of whitespace into one space and trim.
fn normalise(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// The lines of a block with every character inside an inline code span replaced by a space.
/// A span opens with a run of backticks and closes with a run of the same length, possibly on
/// a later line of the same block.
fn mask_code_spans(lines: &[(usize, &str)]) -> Vec<String> {
    let mut open: Option<usize> = None;
    let mut out = Vec::with_capacity(lines.len());
    for &(_, line) in lines {
        let mut masked = String::with_capacity(line.len());
        let mut chars = line.chars().peekable();
        while let Some(c) = chars.next() {
            if c == '`' {
                let mut run = 1;
                while chars.peek() == Some(&'`') {
                    chars.next();
                    run += 1;
                }
                match open {
                    None => open = Some(run),
                    Some(len) if len == run => open = None,
                    Some(_) => {}
                }
                masked.extend(std::iter::repeat_n(' ', run));
            } else if open.is_some() {
                masked.extend(std::iter::repeat_n(' ', c.len_utf8()));
            } else {
                masked.push(c);
            }
        }
        out.push(masked);
    }
    out
}

/// One occurrence of a key word in a text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct KeywordHit {
    /// The key word.
    pub level: Level,
    /// Its byte offset in the text.
    pub offset: usize,
    /// Whether it is directly enclosed in double quotes (`"MUST"`, `“MUST”`): a quotation of
    /// the key word itself, as in the conventions section of `spec/README.md` (§3).
    pub quoted: bool,
}

/// The section whose quoted key words are mentions, not uses: the conventions section of the
/// README, which lists the key words themselves (`spec/README.md` §3).
pub const MENTION_SECTION: (&str, &str) = ("README.md", "3. Requirements language");

/// Every key word in `text`, in order. Words are maximal runs of ASCII letters and digits;
/// `MUST`, `SHALL` and `SHOULD` followed by whitespace and `NOT`, and `NOT` followed by
/// whitespace and `RECOMMENDED`, are one key word each. Callers mask inline code first.
pub fn keyword_hits(text: &str) -> Vec<KeywordHit> {
    let words = words(text);
    let mut hits = Vec::new();
    let mut i = 0;
    while let Some(&(start, end, word)) = words.get(i) {
        let next = words.get(i + 1).filter(|&&(next_start, _, _)| {
            text.get(end..next_start)
                .is_some_and(|gap| !gap.is_empty() && gap.chars().all(char::is_whitespace))
        });
        let compound = |tail: &str| next.filter(|&&(_, _, w)| w == tail).map(|&(_, e, _)| e);
        let (level, last_end, consumed) = match word {
            "MUST" | "SHALL" | "SHOULD" => {
                let (negated, single) = match word {
                    "MUST" => (Level::MustNot, Level::Must),
                    "SHALL" => (Level::ShallNot, Level::Shall),
                    _ => (Level::ShouldNot, Level::Should),
                };
                match compound("NOT") {
                    Some(e) => (Some(negated), e, 2),
                    None => (Some(single), end, 1),
                }
            }
            "NOT" => match compound("RECOMMENDED") {
                Some(e) => (Some(Level::NotRecommended), e, 2),
                None => (None, end, 1),
            },
            "REQUIRED" => (Some(Level::Required), end, 1),
            "RECOMMENDED" => (Some(Level::Recommended), end, 1),
            "MAY" => (Some(Level::May), end, 1),
            "OPTIONAL" => (Some(Level::Optional), end, 1),
            _ => (None, end, 1),
        };
        if let Some(level) = level {
            hits.push(KeywordHit {
                level,
                offset: start,
                quoted: quoted(text, start, last_end),
            });
        }
        i += consumed;
    }
    hits
}

/// Whether the text from `start` to `end` is directly enclosed in double quotes.
fn quoted(text: &str, start: usize, end: usize) -> bool {
    let before = text.get(..start).and_then(|s| s.chars().next_back());
    let after = text.get(end..).and_then(|s| s.chars().next());
    matches!(before, Some('"' | '“')) && matches!(after, Some('"' | '”'))
}

/// Maximal runs of ASCII letters and digits: (start, end, word).
fn words(text: &str) -> Vec<(usize, usize, &str)> {
    let mut out = Vec::new();
    let mut start: Option<usize> = None;
    for (i, c) in text.char_indices() {
        let word_char = c.is_ascii_alphanumeric();
        match (start, word_char) {
            (None, true) => start = Some(i),
            (Some(s), false) => {
                out.push((s, i, text.get(s..i).unwrap_or_default()));
                start = None;
            }
            _ => {}
        }
    }
    if let Some(s) = start {
        out.push((s, text.len(), text.get(s..).unwrap_or_default()));
    }
    out
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    const INDEX_PATH: &str = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../conformance/requirements.json"
    );

    /// Key words outside tagged statements that are accepted, each with its reason: (chapter,
    /// text of the line it is on, reason). Empty while every chapter follows the convention;
    /// an entry that no longer matches anything makes the test fail, so the list stays exact.
    const STRAY_KEYWORD_EXCEPTIONS: &[(&str, &str, &str)] = &[];

    fn scan_all() -> Extraction {
        scan(chapters().iter().copied())
    }

    /// The typed constants generated at build time are exactly the index's identifiers.
    #[test]
    fn the_typed_table_is_the_index() {
        let index = index().unwrap_or_else(|e| panic!("{e}"));
        let ids: Vec<&str> = index.iter().map(|r| r.id.as_str()).collect();
        let table: Vec<&str> = req::ALL.iter().map(|r| r.id()).collect();
        assert_eq!(table, ids);
        assert_eq!(req::Req::resolve("HRT-SEC-136"), Some(req::HRT_SEC_136));
        assert_eq!(req::Req::resolve("HRT-SEC-999"), None);
    }

    /// Every requirement identifier written in the crates' sources, outside test modules,
    /// resolves in the index: one that does not names nothing a reader could look up.
    #[test]
    fn every_identifier_in_the_sources_resolves() {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
        let files: Vec<_> = std::fs::read_dir(&root)
            .expect("crates/")
            .flatten()
            .map(|e| e.path().join("src"))
            .filter(|p| p.is_dir())
            .flat_map(|src| rust_files(&src))
            .collect();
        assert!(files.len() > 20, "found only {} source files", files.len());
        let mut unresolved = Vec::new();
        let mut seen = 0;
        for file in &files {
            let text = std::fs::read_to_string(file).expect("a source file");
            // Test modules make up identifiers on purpose; they come last in every file.
            let code = text.split("#[cfg(test)]").next().unwrap_or_default();
            for id in ids_in(code) {
                seen += 1;
                if req::Req::resolve(id).is_none() {
                    unresolved.push(format!("{}: {id}", file.display()));
                }
            }
        }
        assert!(seen > 100, "found only {seen} identifiers");
        assert!(unresolved.is_empty(), "{}", unresolved.join("\n"));
    }

    /// Every `.rs` file below `dir`.
    pub(crate) fn rust_files(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
        let mut files = Vec::new();
        let mut dirs = vec![dir.to_path_buf()];
        while let Some(dir) = dirs.pop() {
            for entry in std::fs::read_dir(&dir).expect("a source folder").flatten() {
                let path = entry.path();
                if path.is_dir() {
                    dirs.push(path);
                } else if path.extension().is_some_and(|e| e == "rs") {
                    files.push(path);
                }
            }
        }
        files
    }

    /// Every `HRT-<AREA>-<NNN>` in `text`.
    fn ids_in(text: &str) -> Vec<&str> {
        let mut out = Vec::new();
        let mut rest = text;
        while let Some(at) = rest.find("HRT-") {
            let candidate = &rest[at..];
            let len = candidate
                .bytes()
                .position(|b| !(b.is_ascii_uppercase() || b.is_ascii_digit() || b == b'-'))
                .unwrap_or(candidate.len());
            let id = &candidate[..len];
            if parse_id(id).is_some_and(|(_, tail)| tail.is_empty()) {
                out.push(id);
            }
            rest = &candidate[4..];
        }
        out
    }

    /// The committed index is exactly what the chapters generate.
    #[test]
    fn committed_index_matches_the_specification() {
        let generated = to_json(&index().unwrap_or_else(|e| panic!("{e}")));
        if std::env::var_os("HEARTH_REGENERATE").is_some_and(|v| v == "1") {
            std::fs::write(INDEX_PATH, &generated).expect("write conformance/requirements.json");
        }
        let committed = std::fs::read_to_string(INDEX_PATH).unwrap_or_default();
        assert!(
            committed == generated,
            "conformance/requirements.json differs from what spec/*.md generates; regenerate it \
             with HEARTH_REGENERATE=1 cargo test -p hearth-conformance and review the diff"
        );
    }

    #[test]
    fn the_specification_follows_the_extraction_rule() {
        let errors = scan_all().errors;
        assert!(
            errors.is_empty(),
            "{}",
            errors
                .iter()
                .map(ToString::to_string)
                .collect::<Vec<_>>()
                .join("\n")
        );
    }

    #[test]
    fn identifiers_are_unique_well_formed_and_in_their_chapter_area() {
        let reqs = index().unwrap_or_else(|e| panic!("{e}"));
        assert!(
            reqs.len() > 250,
            "only {} requirements extracted",
            reqs.len()
        );
        let mut seen = std::collections::BTreeSet::new();
        for r in &reqs {
            assert!(is_well_formed_id(&r.id), "{} is malformed", r.id);
            assert!(seen.insert(r.id.clone()), "{} twice", r.id);
            assert_eq!(
                id_area(&r.id),
                area_of(&r.chapter),
                "{} in {}",
                r.id,
                r.chapter
            );
            assert!(!r.text.is_empty(), "{} has no statement", r.id);
            assert!(!r.section.is_empty(), "{} has no section", r.id);
            assert!(
                !r.text.contains("  ") && r.text.trim() == r.text,
                "{} is not normalised",
                r.id
            );
        }
        let sorted = reqs.windows(2).all(|w| w[0].id < w[1].id);
        assert!(sorted, "index not sorted by id");
    }

    #[test]
    fn every_statement_has_exactly_one_keyword() {
        let offenders: Vec<String> = scan_all()
            .conventions
            .iter()
            .filter(|p| matches!(p, Problem::SeveralKeywords { .. }))
            .map(ToString::to_string)
            .collect();
        assert!(offenders.is_empty(), "{}", offenders.join("\n"));
    }

    #[test]
    fn no_keyword_outside_tagged_statements() {
        let mut used = vec![false; STRAY_KEYWORD_EXCEPTIONS.len()];
        let mut offenders = Vec::new();
        for p in &scan_all().conventions {
            if let Problem::StrayKeyword { at, context, .. } = p {
                let exception = STRAY_KEYWORD_EXCEPTIONS
                    .iter()
                    .position(|(ch, line, _)| *ch == at.chapter && context.contains(line));
                match exception {
                    Some(i) => used[i] = true,
                    None => offenders.push(p.to_string()),
                }
            }
        }
        for (i, (ch, line, _)) in STRAY_KEYWORD_EXCEPTIONS.iter().enumerate() {
            if !used[i] {
                offenders.push(format!("stale exception: {ch}: {line}"));
            }
        }
        assert!(offenders.is_empty(), "{}", offenders.join("\n"));
    }

    /// The area table of `spec/README.md` §4.1 and [`AREAS`] agree.
    #[test]
    fn areas_match_the_readme() {
        let readme = chapters()
            .iter()
            .find(|(name, _)| *name == "README.md")
            .map(|(_, text)| *text)
            .expect("spec/README.md is embedded");
        let mut table = Vec::new();
        for line in readme.lines() {
            let cells: Vec<&str> = line.split('|').map(str::trim).collect();
            if let [_, area, chapter, ..] = cells.as_slice() {
                let area = area.trim_matches('`');
                let chapter = chapter
                    .split_whitespace()
                    .next()
                    .unwrap_or("")
                    .trim_matches('`');
                if !area.is_empty()
                    && area.bytes().all(|b| b.is_ascii_uppercase())
                    && chapter.ends_with(".md")
                {
                    table.push((chapter.to_owned(), area.to_owned()));
                }
            }
        }
        let expected: Vec<(String, String)> = AREAS
            .iter()
            .map(|(c, a)| ((*c).to_owned(), (*a).to_owned()))
            .collect();
        assert_eq!(table, expected);
    }

    #[test]
    fn identifiers() {
        assert!(is_well_formed_id("HRT-SEC-012"));
        assert!(is_well_formed_id("HRT-CONF-001"));
        for bad in [
            "HRT-SEC-12",
            "HRT-SEC-0123",
            "HRT-sec-012",
            "HRT--012",
            "HRT-SEC012",
            "TC-SEC-012",
            "HRT-SEC-012 ",
            "",
        ] {
            assert!(!is_well_formed_id(bad), "{bad:?}");
        }
        assert_eq!(id_area("HRT-MQTT-070"), Some("MQTT"));
    }

    fn one(chapter: &str, text: &str) -> Extraction {
        scan([(chapter, text)])
    }

    #[test]
    fn paragraphs_and_list_items() {
        let text = "# 3. Security\n\n## 4.2 Key id\n\n**[HRT-SEC-011]** The key id MUST be\n  the first 16 bytes.\n\n- **[HRT-SEC-012]** An item MUST NOT\n  wrap badly.\n- **[HRT-SEC-013]** A device SHOULD generate keys.\n1. **[HRT-SEC-014]** A key MAY be NOT RECOMMENDED.\n\nInformative text.\n";
        let e = one("03-security.md", text);
        assert!(e.errors.is_empty(), "{:?}", e.errors);
        let got: Vec<(&str, Level, &str, &str)> = e
            .requirements
            .iter()
            .map(|(r, _)| (r.id.as_str(), r.level, r.section.as_str(), r.text.as_str()))
            .collect();
        assert_eq!(
            got,
            [
                (
                    "HRT-SEC-011",
                    Level::Must,
                    "4.2 Key id",
                    "The key id MUST be the first 16 bytes."
                ),
                (
                    "HRT-SEC-012",
                    Level::MustNot,
                    "4.2 Key id",
                    "An item MUST NOT wrap badly."
                ),
                (
                    "HRT-SEC-013",
                    Level::Should,
                    "4.2 Key id",
                    "A device SHOULD generate keys."
                ),
                (
                    "HRT-SEC-014",
                    Level::NotRecommended,
                    "4.2 Key id",
                    "A key MAY be NOT RECOMMENDED."
                ),
            ]
        );
        assert_eq!(e.requirements[0].1.line, 5);
        assert_eq!(e.requirements[2].1.line, 10);
        // Two key words in HRT-SEC-014: reported precisely.
        assert_eq!(
            e.conventions,
            [Problem::SeveralKeywords {
                at: Location {
                    chapter: "03-security.md".into(),
                    line: 11
                },
                id: "HRT-SEC-014".into(),
                keywords: vec!["MAY".into(), "NOT RECOMMENDED".into()],
            }]
        );
    }

    #[test]
    fn code_quotes_and_headings() {
        let text = "## 1. A SHOULD heading\n\nThe words \"MUST\", \u{201c}MAY\u{201d} and `SHALL NOT` are quoted.\n\n```\n**[HRT-MOD-001]** MUST in code\n```\n\nBut this MUST count, and `code\nspans MAY` cross lines, OPTIONAL.\n\n~~~~\nMAY\n~~~\nSHOULD\n~~~~\n";
        let stray = |chapter: &str, text: &str| -> Vec<(usize, String)> {
            let e = one(chapter, text);
            assert!(e.errors.is_empty(), "{:?}", e.errors);
            assert!(e.requirements.is_empty());
            e.conventions
                .iter()
                .filter_map(|p| match p {
                    Problem::StrayKeyword { at, keyword, .. } => Some((at.line, keyword.clone())),
                    _ => None,
                })
                .collect()
        };
        // Outside the conventions section, a quoted key word is still a key word.
        let got = stray("01-model.md", text);
        let want = [
            (1, "SHOULD"),
            (3, "MUST"),
            (3, "MAY"),
            (9, "MUST"),
            (10, "OPTIONAL"),
        ];
        assert_eq!(got, want.map(|(l, k)| (l, k.to_owned())));
        // In the conventions section of the README, quoted key words are mentions.
        let readme = text.replace("## 1. A SHOULD heading", "## 3. Requirements language");
        let got = stray("README.md", &readme);
        let want = [(9, "MUST"), (10, "OPTIONAL")];
        assert_eq!(got, want.map(|(l, k)| (l, k.to_owned())));
    }

    #[test]
    fn extraction_errors() {
        let text = "**[HRT-MOD-01]** Short MUST.\n\n**[HRT-MOD-002]** Fine, MUST.\n\n**[HRT-MOD-002]** Again MUST.\n\n**[HRT-SEC-003]** Elsewhere MUST.\n\n**[HRT-MOD-004]** No key word.\n\nSee **[HRT-MOD-005]** here.\n";
        let e = one("01-model.md", text);
        let errors: Vec<String> = e.errors.iter().map(ToString::to_string).collect();
        assert_eq!(
            errors,
            [
                "spec/01-model.md:1: malformed requirement identifier `**[HRT-MOD-01]**`",
                "HRT-MOD-002 is stated twice: spec/01-model.md:3 and spec/01-model.md:5",
                "spec/01-model.md:7: HRT-SEC-003 does not have the area MOD of its chapter",
                "spec/01-model.md:9: HRT-MOD-004 contains no key word",
                "spec/01-model.md:11: HRT-MOD-005 in bold brackets is not at the start of a paragraph or list item",
            ]
        );
        assert!(index_of([("01-model.md", text)]).is_err());
        assert!(matches!(
            one("07-other.md", "**[HRT-X-001]** A MUST.\n").errors.as_slice(),
            [Problem::WrongArea { expected, .. }] if expected == "none"
        ));
    }

    /// Arbitrary and truncated input never panics.
    #[test]
    fn never_panics() {
        let samples = [
            "**[",
            "**[HRT",
            "**[HRT-",
            "**[HRT-A",
            "**[HRT-A-",
            "**[HRT-A-1",
            "**[HRT-A-123",
            "**[HRT-A-123]",
            "**[HRT-A-123]*",
            "**[HRT-A-123]**",
            "- ",
            "1. ",
            "#",
            "# ",
            "```",
            "``",
            "`",
            "\"MUST",
            "MUST\"",
            "MUST NOT",
            "NOT",
            "é**[HRT-É-1]**",
            "**[HRT-É-123]** MUST",
            "- **[HRT-MOD-001]**",
            "**[HRT-MOD-001]**ü MUST",
            "MUST\u{a0}NOT",
            "\u{201c}MUST",
        ];
        for a in samples {
            for b in samples {
                let text = format!("{a}{b}\n{b} {a}\n\n{a}\n");
                let _ = scan([("01-model.md", text.as_str())]);
            }
        }
        for (name, text) in chapters() {
            for cut in (0..text.len()).step_by(997) {
                if let Some(prefix) = text.get(..cut) {
                    let _ = scan([(*name, prefix)]);
                }
            }
        }
    }

    #[test]
    fn json_shape() {
        let reqs = index_of([(
            "05-mqtt.md",
            "## 3. Versions\n\n**[HRT-MQTT-001]** It MUST work.\n",
        )])
        .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(
            to_json(&reqs),
            "[\n  {\n    \"id\": \"HRT-MQTT-001\",\n    \"level\": \"MUST\",\n    \"chapter\": \"05-mqtt.md\",\n    \"section\": \"3. Versions\",\n    \"text\": \"It MUST work.\"\n  }\n]\n"
        );
    }
}
