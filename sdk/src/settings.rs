//! The settings a plugin's `init` checks.

use crate::{Field, Value};

/// The plugin's settings that are not secret, by key.
///
/// ```
/// use triage_plugin_sdk::{Field, Settings, Value};
///
/// let settings = Settings::from(vec![
///     Field { key: "url".into(), value: Value::Text("https://example.com".into()) },
///     Field { key: "retries".into(), value: Value::Number(3.0) },
/// ]);
/// assert_eq!(settings.text("url"), Some("https://example.com"));
/// assert_eq!(settings.number("retries"), Some(3.0));
/// assert_eq!(settings.flag("verbose"), None);
/// ```
#[derive(Debug, Clone, Default)]
pub struct Settings(Vec<Field>);

impl From<Vec<Field>> for Settings {
    fn from(fields: Vec<Field>) -> Self {
        Settings(fields)
    }
}

impl Settings {
    /// The value of a setting, if set.
    pub fn get(&self, key: &str) -> Option<&Value> {
        self.0.iter().find(|f| f.key == key).map(|f| &f.value)
    }

    /// A text setting, if set and text.
    pub fn text(&self, key: &str) -> Option<&str> {
        match self.get(key) {
            Some(Value::Text(t)) => Some(t),
            _ => None,
        }
    }

    /// A number setting, if set and a number.
    pub fn number(&self, key: &str) -> Option<f64> {
        match self.get(key) {
            Some(Value::Number(n)) => Some(*n),
            _ => None,
        }
    }

    /// A yes/no setting, if set and a flag.
    pub fn flag(&self, key: &str) -> Option<bool> {
        match self.get(key) {
            Some(Value::Flag(b)) => Some(*b),
            _ => None,
        }
    }

    /// A multi-choice setting, if set and a list.
    pub fn items(&self, key: &str) -> Option<&[String]> {
        match self.get(key) {
            Some(Value::Items(v)) => Some(v),
            _ => None,
        }
    }

    /// Every setting.
    pub fn iter(&self) -> impl Iterator<Item = &Field> {
        self.0.iter()
    }
}
