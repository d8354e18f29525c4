//! Placeholders in macro texts: `{{ticket.number}}`, `{{requester.name}}` …

use std::collections::BTreeMap;

use crate::DomainError;

/// Every placeholder a macro may use.
pub const PLACEHOLDERS: &[&str] = &[
    "ticket.number",
    "ticket.subject",
    "ticket.status",
    "ticket.priority",
    "ticket.type",
    "ticket.group",
    "requester.name",
    "requester.email",
    "requester.first_name",
    "agent.name",
    "agent.email",
    "agent.first_name",
    "organization.name",
];

/// Values to fill placeholders with.
pub type Values = BTreeMap<&'static str, String>;

fn placeholders(template: &str) -> Vec<Result<(usize, usize, &str), usize>> {
    let mut out = Vec::new();
    let mut rest = 0;
    while let Some(start) = template[rest..].find("{{").map(|i| i + rest) {
        match template[start + 2..].find("}}") {
            Some(len) => {
                let end = start + 2 + len + 2;
                out.push(Ok((
                    start,
                    end,
                    template[start + 2..start + 2 + len].trim(),
                )));
                rest = end;
            }
            None => {
                out.push(Err(start));
                break;
            }
        }
    }
    out
}

/// Checks that every placeholder in `template` is known and closed.
pub fn validate(template: &str) -> Result<(), DomainError> {
    for p in placeholders(template) {
        match p {
            Ok((_, _, name)) if PLACEHOLDERS.contains(&name) => {}
            Ok((_, _, name)) => {
                return Err(DomainError::invalid(
                    "body",
                    format!(
                        "unknown placeholder {{{{{name}}}}}; known: {}",
                        PLACEHOLDERS.join(", ")
                    ),
                ));
            }
            Err(at) => {
                return Err(DomainError::invalid(
                    "body",
                    format!("placeholder opened at byte {at} is never closed with }}}}"),
                ));
            }
        }
    }
    Ok(())
}

/// Fills the placeholders of `template` with `values`; a placeholder without a value
/// becomes empty text.
pub fn render(template: &str, values: &Values) -> String {
    let mut out = String::with_capacity(template.len());
    let mut last = 0;
    for (start, end, name) in placeholders(template).into_iter().flatten() {
        out.push_str(&template[last..start]);
        if let Some(v) = values.get(name) {
            out.push_str(v);
        }
        last = end;
    }
    out.push_str(&template[last..]);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn placeholders_are_filled() {
        let mut values = Values::new();
        values.insert("requester.first_name", "Åsa".into());
        values.insert("ticket.number", "1042".into());
        values.insert("agent.name", "Mihai Popescu".into());
        let text = "Hej {{requester.first_name}}, ticket #{{ ticket.number }} is fixed.\n— {{agent.name}}{{organization.name}}";
        assert_eq!(
            render(text, &values),
            "Hej Åsa, ticket #1042 is fixed.\n— Mihai Popescu"
        );
    }

    #[test]
    fn unknown_and_unclosed_placeholders_are_refused() {
        assert!(validate("Hi {{requester.name}}").is_ok());
        assert!(validate("Hi {{requester.password}}").is_err());
        assert!(validate("Hi {{requester.name").is_err());
        assert!(validate("no placeholders at all").is_ok());
    }
}
