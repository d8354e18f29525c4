//! The `triage demo` data set.
mod phrasebook;
