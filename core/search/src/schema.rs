//! The fields of a ticket document.

use tantivy::schema::{
    FAST, Field, INDEXED, IndexRecordOption, STORED, STRING, Schema, TextFieldIndexing, TextOptions,
};

use crate::analyzer::TEXT;

/// The version of the schema; an index written with another one is rebuilt.
pub const SCHEMA_VERSION: u32 = 2;

/// Handles to every field of the index.
#[derive(Debug, Clone)]
pub struct Fields {
    /// The ticket number.
    pub id: Field,
    /// The ticket's version when it was indexed.
    pub version: Field,
    /// The subject, tagged with the ticket's language (stored so).
    pub subject: Field,
    /// Public messages.
    pub replies: Field,
    /// Internal notes (staff only).
    pub notes: Field,
    /// Requester name and email, organization, custom field values and tags as words.
    pub meta: Field,
    /// The messages as stored text, for snippets (see [`crate::document`]).
    pub messages: Field,
    pub status: Field,
    pub category: Field,
    pub priority: Field,
    pub kind: Field,
    pub assignee: Field,
    pub group: Field,
    pub organization: Field,
    pub requester: Field,
    pub channel: Field,
    pub lang: Field,
    pub tag: Field,
    /// Flags: `attachment`, `notes`, `replies`.
    pub has: Field,
    pub created: Field,
    pub updated: Field,
    pub solved: Field,
    pub schema: Schema,
}

fn text() -> TextOptions {
    TextOptions::default().set_indexing_options(
        TextFieldIndexing::default()
            .set_tokenizer(TEXT)
            .set_index_option(IndexRecordOption::WithFreqsAndPositions),
    )
}

impl Fields {
    /// Builds the schema.
    pub fn new() -> Fields {
        let mut b = Schema::builder();
        let number = || INDEXED | FAST | STORED;
        let keyword = STRING | FAST | STORED;
        Fields {
            id: b.add_u64_field("id", number()),
            version: b.add_u64_field("version", FAST | STORED),
            subject: b.add_text_field("subject", text() | STORED),
            replies: b.add_text_field("replies", text()),
            notes: b.add_text_field("notes", text()),
            meta: b.add_text_field("meta", text()),
            messages: b.add_text_field("messages", STORED),
            status: b.add_u64_field("status", number()),
            category: b.add_text_field("category", keyword.clone()),
            priority: b.add_text_field("priority", keyword.clone()),
            kind: b.add_text_field("type", keyword.clone()),
            assignee: b.add_u64_field("assignee", number()),
            group: b.add_u64_field("group", number()),
            organization: b.add_u64_field("organization", number()),
            requester: b.add_u64_field("requester", number()),
            channel: b.add_text_field("channel", keyword.clone()),
            lang: b.add_text_field("lang", keyword.clone()),
            tag: b.add_text_field("tag", keyword),
            has: b.add_text_field("has", STRING),
            created: b.add_i64_field("created", number()),
            updated: b.add_i64_field("updated", number()),
            solved: b.add_i64_field("solved", number()),
            schema: b.build(),
        }
    }

    /// Looks the fields up in an existing schema; `None` when it is not this schema.
    pub fn matches(&self, schema: &Schema) -> bool {
        *schema == self.schema
    }
}

impl Default for Fields {
    fn default() -> Self {
        Fields::new()
    }
}
