//! The query language: reading it ([`parse`]) and turning it into a tantivy query.
pub mod compile;
pub mod parse;
