//! Normalising the small strings people type: emails, tags, names.

use crate::DomainError;

/// Lower-cases and checks an email address. The check is deliberately loose (one `@`, a
/// dot in the domain, no spaces): the mailbox decides what it accepts.
pub fn normalize_email(email: &str) -> Result<String, DomainError> {
    let email = email.trim().to_lowercase();
    let valid = email.len() <= 254
        && !email.chars().any(|c| c.is_whitespace() || c.is_control())
        && match email.split_once('@') {
            Some((local, domain)) => {
                !local.is_empty()
                    && domain.contains('.')
                    && !domain.starts_with('.')
                    && !domain.ends_with('.')
                    && !domain.contains('@')
            }
            None => false,
        };
    if valid {
        Ok(email)
    } else {
        Err(DomainError::invalid(
            "email",
            format!("{email:?} is not an email address"),
        ))
    }
}

/// The domain part of a normalised email address.
pub fn email_domain(email: &str) -> Option<&str> {
    email.rsplit_once('@').map(|(_, d)| d)
}

/// Normalises a tag: lower case, trimmed, inner spaces become `-`. Tags are at most 64
/// characters of letters, digits, `-`, `_`, `.` and `:`.
pub fn normalize_tag(tag: &str) -> Result<String, DomainError> {
    let tag: String = tag
        .trim()
        .to_lowercase()
        .split_whitespace()
        .collect::<Vec<_>>()
        .join("-");
    if tag.is_empty() || tag.chars().count() > 64 {
        return Err(DomainError::invalid(
            "tags",
            "a tag must have 1 to 64 characters",
        ));
    }
    if let Some(bad) = tag
        .chars()
        .find(|c| !(c.is_alphanumeric() || matches!(c, '-' | '_' | '.' | ':')))
    {
        return Err(DomainError::invalid(
            "tags",
            format!("tag {tag:?} contains {bad:?}; use letters, digits, -, _, . and :"),
        ));
    }
    Ok(tag)
}

/// Normalises a list of tags: each normalised, duplicates dropped, sorted.
pub fn normalize_tags<I, S>(tags: I) -> Result<Vec<String>, DomainError>
where
    I: IntoIterator<Item = S>,
    S: AsRef<str>,
{
    let mut out = Vec::new();
    for tag in tags {
        out.push(normalize_tag(tag.as_ref())?);
    }
    out.sort();
    out.dedup();
    if out.len() > crate::ticket::MAX_TAGS {
        return Err(DomainError::invalid(
            "tags",
            format!(
                "a ticket may carry at most {} tags",
                crate::ticket::MAX_TAGS
            ),
        ));
    }
    Ok(out)
}

/// Checks a display name (of a person, group, organization, status…).
pub fn validate_name(field: &str, name: &str) -> Result<String, DomainError> {
    let name = name.trim();
    if name.is_empty() {
        return Err(DomainError::invalid(field, "must not be empty"));
    }
    if name.chars().count() > 200 {
        return Err(DomainError::invalid(
            field,
            "must be at most 200 characters",
        ));
    }
    if name.chars().any(|c| c.is_control()) {
        return Err(DomainError::invalid(
            field,
            "must not contain control characters",
        ));
    }
    Ok(name.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn emails_are_lowercased_and_checked() {
        assert_eq!(
            normalize_email(" Ann@Example.COM ").as_deref(),
            Ok("ann@example.com")
        );
        for bad in [
            "",
            "ann",
            "ann@",
            "@example.com",
            "ann@example",
            "a b@c.de",
            "a@b@c.de",
        ] {
            assert!(normalize_email(bad).is_err(), "{bad}");
        }
        assert_eq!(email_domain("ann@example.com"), Some("example.com"));
    }

    #[test]
    fn tags_are_normalised_and_deduplicated() {
        assert_eq!(
            normalize_tags(["VIP", " billing  issue", "vip", "sv:biljett"]),
            Ok(vec![
                "billing-issue".to_string(),
                "sv:biljett".into(),
                "vip".into()
            ])
        );
        assert!(normalize_tag("<script>").is_err());
        assert!(normalize_tag("").is_err());
        assert_eq!(normalize_tag("Билет").as_deref(), Ok("билет"));
    }
}
