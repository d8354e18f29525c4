//! Admin-defined ticket fields and the validation of their values.

use std::collections::BTreeMap;

use serde_json::Value;

use crate::DomainError;

/// The kind of value a custom field holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FieldKind {
    /// Free text, at most 10,000 characters.
    Text,
    /// A finite number.
    Number,
    /// A calendar date, `YYYY-MM-DD`.
    Date,
    /// One of the field's options.
    Dropdown,
    /// `true` or `false`.
    Checkbox,
}

impl FieldKind {
    /// The stable name used in storage and the API.
    pub fn as_str(self) -> &'static str {
        match self {
            FieldKind::Text => "text",
            FieldKind::Number => "number",
            FieldKind::Date => "date",
            FieldKind::Dropdown => "dropdown",
            FieldKind::Checkbox => "checkbox",
        }
    }

    /// Parses the stable name.
    pub fn parse(s: &str) -> Result<Self, DomainError> {
        match s {
            "text" => Ok(FieldKind::Text),
            "number" => Ok(FieldKind::Number),
            "date" => Ok(FieldKind::Date),
            "dropdown" => Ok(FieldKind::Dropdown),
            "checkbox" => Ok(FieldKind::Checkbox),
            other => Err(DomainError::invalid(
                "kind",
                format!(
                    "unknown field kind {other:?}; expected text, number, date, dropdown or checkbox"
                ),
            )),
        }
    }
}

/// A custom field as an admin defined it.
#[derive(Debug, Clone, PartialEq)]
pub struct CustomFieldDef {
    /// The key values are stored under: lower-case letters, digits and `_`.
    pub key: String,
    /// What agents see.
    pub label: String,
    /// The kind of value.
    pub kind: FieldKind,
    /// The choices of a dropdown (empty otherwise).
    pub options: Vec<String>,
    /// Whether every ticket must have a value.
    pub required: bool,
}

/// Checks a field key: 1 to 64 of `a-z`, `0-9`, `_`, starting with a letter.
pub fn validate_key(key: &str) -> Result<(), DomainError> {
    let ok = !key.is_empty()
        && key.len() <= 64
        && key.starts_with(|c: char| c.is_ascii_lowercase())
        && key
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
    if ok {
        Ok(())
    } else {
        Err(DomainError::invalid(
            "key",
            format!(
                "{key:?} is not a field key; use 1 to 64 of a-z, 0-9 and _, starting with a letter"
            ),
        ))
    }
}

impl CustomFieldDef {
    /// Checks the definition itself: a valid key, and options exactly for dropdowns.
    pub fn validate(&self) -> Result<(), DomainError> {
        validate_key(&self.key)?;
        crate::text::validate_name("label", &self.label)?;
        match self.kind {
            FieldKind::Dropdown if self.options.is_empty() => Err(DomainError::invalid(
                "options",
                "a dropdown needs at least one option",
            )),
            FieldKind::Dropdown => {
                let mut seen = std::collections::BTreeSet::new();
                for option in &self.options {
                    if option.trim().is_empty() || !seen.insert(option.as_str()) {
                        return Err(DomainError::invalid(
                            "options",
                            "options must be non-empty and distinct",
                        ));
                    }
                }
                Ok(())
            }
            _ if !self.options.is_empty() => Err(DomainError::invalid(
                "options",
                "only dropdown fields have options",
            )),
            _ => Ok(()),
        }
    }

    /// Checks one value for this field and returns it in canonical form. `null` clears it.
    pub fn check_value(&self, value: &Value) -> Result<Value, DomainError> {
        let field = format!("custom_fields.{}", self.key);
        if value.is_null() {
            return Ok(Value::Null);
        }
        let bad =
            |what: &str| DomainError::invalid(&field, format!("expected {what}, got {value}"));
        match self.kind {
            FieldKind::Text => match value.as_str() {
                Some(s) if s.chars().count() <= 10_000 => Ok(Value::String(s.to_string())),
                Some(_) => Err(DomainError::invalid(
                    &field,
                    "must be at most 10000 characters",
                )),
                None => Err(bad("a string")),
            },
            FieldKind::Number => match value.as_f64() {
                Some(n) if n.is_finite() => Ok(value.clone()),
                _ => Err(bad("a number")),
            },
            FieldKind::Date => match value.as_str() {
                Some(s) if chrono::NaiveDate::parse_from_str(s, "%Y-%m-%d").is_ok() => {
                    Ok(Value::String(s.to_string()))
                }
                _ => Err(bad("a date like 2025-03-31")),
            },
            FieldKind::Dropdown => match value.as_str() {
                Some(s) if self.options.iter().any(|o| o == s) => Ok(Value::String(s.to_string())),
                _ => Err(bad(&format!("one of {}", self.options.join(", ")))),
            },
            FieldKind::Checkbox => match value.as_bool() {
                Some(b) => Ok(Value::Bool(b)),
                None => Err(bad("true or false")),
            },
        }
    }
}

/// Applies `changes` to a ticket's `current` custom field values and validates the result
/// against the active `defs`: unknown keys are refused, values are checked by kind, and
/// required fields must end up with a value. Returns the new complete set of values.
pub fn apply_values(
    defs: &[CustomFieldDef],
    current: &BTreeMap<String, Value>,
    changes: &BTreeMap<String, Value>,
) -> Result<BTreeMap<String, Value>, DomainError> {
    let mut out = current.clone();
    for (key, value) in changes {
        let def = defs.iter().find(|d| &d.key == key).ok_or_else(|| {
            DomainError::invalid(
                format!("custom_fields.{key}"),
                "there is no such custom field",
            )
        })?;
        match def.check_value(value)? {
            Value::Null => {
                out.remove(key);
            }
            v => {
                out.insert(key.clone(), v);
            }
        }
    }
    for def in defs.iter().filter(|d| d.required) {
        if !out.contains_key(&def.key) {
            return Err(DomainError::invalid(
                format!("custom_fields.{}", def.key),
                format!("{} is required", def.label),
            ));
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn defs() -> Vec<CustomFieldDef> {
        vec![
            CustomFieldDef {
                key: "plan".into(),
                label: "Plan".into(),
                kind: FieldKind::Dropdown,
                options: vec!["free".into(), "pro".into()],
                required: true,
            },
            CustomFieldDef {
                key: "seats".into(),
                label: "Seats".into(),
                kind: FieldKind::Number,
                options: vec![],
                required: false,
            },
            CustomFieldDef {
                key: "renewal".into(),
                label: "Renewal".into(),
                kind: FieldKind::Date,
                options: vec![],
                required: false,
            },
            CustomFieldDef {
                key: "vip".into(),
                label: "VIP".into(),
                kind: FieldKind::Checkbox,
                options: vec![],
                required: false,
            },
        ]
    }

    fn map(v: Value) -> BTreeMap<String, Value> {
        serde_json::from_value(v).unwrap_or_default()
    }

    #[test]
    fn valid_values_are_accepted() {
        let out = apply_values(
            &defs(),
            &BTreeMap::new(),
            &map(json!({"plan": "pro", "seats": 12, "renewal": "2026-01-31", "vip": true})),
        );
        assert_eq!(out.map(|m| m.len()), Ok(4));
    }

    #[test]
    fn wrong_kinds_unknown_keys_and_missing_required_values_are_refused() {
        let cases = [
            json!({"plan": "enterprise"}),
            json!({"plan": "pro", "seats": "twelve"}),
            json!({"plan": "pro", "renewal": "31/01/2026"}),
            json!({"plan": "pro", "vip": "yes"}),
            json!({"plan": "pro", "colour": "red"}),
            json!({"seats": 3}),
        ];
        for case in cases {
            assert!(
                apply_values(&defs(), &BTreeMap::new(), &map(case.clone())).is_err(),
                "{case}"
            );
        }
    }

    #[test]
    fn null_clears_an_optional_value_but_not_a_required_one() {
        let current = map(json!({"plan": "pro", "seats": 3}));
        let out = apply_values(&defs(), &current, &map(json!({"seats": null})));
        assert_eq!(out, Ok(map(json!({"plan": "pro"}))));
        assert!(apply_values(&defs(), &current, &map(json!({"plan": null}))).is_err());
    }

    #[test]
    fn definitions_are_checked() {
        let mut def = defs().remove(0);
        assert_eq!(def.validate(), Ok(()));
        def.options.clear();
        assert!(def.validate().is_err());
        def.key = "Bad Key".into();
        assert!(def.validate().is_err());
    }
}
