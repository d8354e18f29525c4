//! The functions a rule script can call: actions (collected as intents) and helpers.
//! Each is documented with an example in `docs/automation.md`.

use std::collections::HashMap;
use std::sync::{Mutex, OnceLock};

use chrono::{DateTime, Datelike, Timelike, Utc};
use rhai::{Dynamic, EvalAltResult, ImmutableString};
use serde_json::Value;

use crate::engine::{push, target, with_run};
use crate::intent::Intent;

type Res<T> = Result<T, Box<EvalAltResult>>;

fn text(s: &str, what: &str) -> Res<String> {
    let s = s.trim();
    if s.is_empty() {
        return Err(format!("{what} must not be empty").into());
    }
    refuse_nul(s, what)?;
    Ok(s.to_string())
}

/// Text with a NUL character (U+0000) cannot be stored on PostgreSQL; a run asking for it
/// fails on either database, with the same message.
fn refuse_nul(s: &str, what: &str) -> Res<()> {
    if s.contains('\0') {
        return Err(
            format!("{what} contains a NUL character (U+0000), which cannot be stored").into(),
        );
    }
    Ok(())
}

/// The same for every string of a value.
fn refuse_nul_in(v: &Value, what: &str) -> Res<()> {
    match v {
        Value::String(s) => refuse_nul(s, what),
        Value::Array(items) => items.iter().try_for_each(|i| refuse_nul_in(i, what)),
        Value::Object(map) => map.iter().try_for_each(|(k, v)| {
            refuse_nul(k, what)?;
            refuse_nul_in(v, what)
        }),
        _ => Ok(()),
    }
}

/// The field changes of the current event.
fn change(field: &str) -> Option<(Value, Value)> {
    with_run(|run| {
        run.input.event["changes"].as_array().and_then(|changes| {
            changes
                .iter()
                .find(|c| c["field"].as_str() == Some(field))
                .map(|c| (c["from"].clone(), c["to"].clone()))
        })
    })
    .flatten()
}

fn json_to_dynamic(v: &Value) -> Dynamic {
    rhai::serde::to_dynamic(v).unwrap_or(Dynamic::UNIT)
}

fn now_ms() -> i64 {
    with_run(|run| run.input.now).unwrap_or_else(|| Utc::now().timestamp_millis())
}

fn local_now(tz: &str) -> Res<DateTime<chrono_tz::Tz>> {
    let tz: chrono_tz::Tz = tz
        .parse()
        .map_err(|_| format!("unknown time zone {tz:?}; use a name like \"Europe/Berlin\""))?;
    let now = DateTime::<Utc>::from_timestamp_millis(now_ms()).unwrap_or_default();
    Ok(now.with_timezone(&tz))
}

/// Compiled regular expressions, shared by every run; bounded in size and count.
fn regex(pattern: &str) -> Res<regex::Regex> {
    static CACHE: OnceLock<Mutex<HashMap<String, regex::Regex>>> = OnceLock::new();
    let cache = CACHE.get_or_init(Default::default);
    if let Ok(c) = cache.lock()
        && let Some(r) = c.get(pattern)
    {
        return Ok(r.clone());
    }
    let compiled = regex::RegexBuilder::new(pattern)
        .size_limit(1 << 20)
        .dfa_size_limit(1 << 20)
        .build()
        .map_err(|e| format!("bad pattern {pattern:?}: {e}"))?;
    if let Ok(mut c) = cache.lock() {
        if c.len() >= 512 {
            c.clear();
        }
        c.insert(pattern.to_string(), compiled.clone());
    }
    Ok(compiled)
}

/// ISO 639-1 codes of the languages whatlang tells apart, where there is one.
fn language_code(lang: whatlang::Lang) -> &'static str {
    use whatlang::Lang::*;
    match lang {
        Eng => "en",
        Deu => "de",
        Fra => "fr",
        Spa => "es",
        Ita => "it",
        Por => "pt",
        Nld => "nl",
        Swe => "sv",
        Dan => "da",
        Nob => "no",
        Fin => "fi",
        Pol => "pl",
        Ces => "cs",
        Rus => "ru",
        Ukr => "uk",
        Tur => "tr",
        Ell => "el",
        Hun => "hu",
        Ron => "ro",
        Ara => "ar",
        Heb => "he",
        Jpn => "ja",
        Kor => "ko",
        Cmn => "zh",
        Hin => "hi",
        Vie => "vi",
        Tha => "th",
        Ind => "id",
        other => other.code(),
    }
}

pub(crate) fn register(engine: &mut rhai::Engine) {
    // ---- actions ----
    engine.register_fn("set_status", |s: &str| {
        push(Intent::SetStatus {
            status: text(s, "a status")?,
        })
    });
    engine.register_fn("set_priority", |s: &str| {
        push(Intent::SetPriority {
            priority: text(s, "a priority")?,
        })
    });
    engine.register_fn("set_type", |s: &str| {
        push(Intent::SetType {
            kind: text(s, "a type")?,
        })
    });
    engine.register_fn("assign", |agent: Dynamic| {
        push(Intent::Assign {
            agent: Some(target(agent)?),
        })
    });
    engine.register_fn("unassign", || push(Intent::Assign { agent: None }));
    engine.register_fn("assign_group", |group: Dynamic| {
        push(Intent::AssignGroup {
            group: Some(target(group)?),
        })
    });
    engine.register_fn("assign_round_robin", |group: Dynamic| {
        push(Intent::AssignRoundRobin {
            group: target(group)?,
        })
    });
    engine.register_fn("assign_least_loaded", |group: Dynamic| {
        push(Intent::AssignLeastLoaded {
            group: target(group)?,
        })
    });
    engine.register_fn("add_tag", |t: &str| {
        push(Intent::AddTag {
            tag: text(t, "a tag")?,
        })
    });
    engine.register_fn("remove_tag", |t: &str| {
        push(Intent::RemoveTag {
            tag: text(t, "a tag")?,
        })
    });
    engine.register_fn("set_field", |key: &str, value: Dynamic| {
        let value: Value = rhai::serde::from_dynamic(&value)?;
        refuse_nul_in(&value, "a field value")?;
        push(Intent::SetField {
            key: text(key, "a field key")?,
            value,
        })
    });
    engine.register_fn("add_note", |t: &str| {
        push(Intent::AddNote {
            text: text(t, "a note")?,
        })
    });
    engine.register_fn("reply", |t: &str| {
        push(Intent::Reply {
            text: text(t, "a reply")?,
        })
    });
    engine.register_fn("reply_macro", |name: &str| {
        push(Intent::ReplyMacro {
            name: text(name, "a macro name")?,
        })
    });
    engine.register_fn("notify", |who: Dynamic, t: &str| {
        push(Intent::Notify {
            target: target(who)?,
            text: text(t, "a notification")?,
        })
    });
    engine.register_fn("call_plugin", |plugin: &str, action: &str| {
        push(Intent::CallPlugin {
            plugin: text(plugin, "a plugin id")?,
            name: text(action, "an action name")?,
            arguments: Value::Object(Default::default()),
        })
    });
    engine.register_fn(
        "call_plugin",
        |plugin: &str, action: &str, args: rhai::Map| {
            let arguments: Value = rhai::serde::from_dynamic(&Dynamic::from_map(args))?;
            refuse_nul_in(&arguments, "a plugin argument")?;
            push(Intent::CallPlugin {
                plugin: text(plugin, "a plugin id")?,
                name: text(action, "an action name")?,
                arguments,
            })
        },
    );
    engine.register_fn("escalate", || push(Intent::Escalate { group: None }));
    engine.register_fn("escalate", |group: Dynamic| {
        push(Intent::Escalate {
            group: Some(target(group)?),
        })
    });

    // ---- the event ----
    engine.register_fn("changed", |field: &str| change(field).is_some());
    engine.register_fn("old_value", |field: &str| {
        change(field).map_or(Dynamic::UNIT, |(from, _)| json_to_dynamic(&from))
    });
    engine.register_fn("new_value", |field: &str| {
        change(field).map_or(Dynamic::UNIT, |(_, to)| json_to_dynamic(&to))
    });
    engine.register_fn("has_tag", |tag: &str| {
        with_run(|run| {
            run.input.ticket["tags"]
                .as_array()
                .is_some_and(|tags| tags.iter().any(|t| t.as_str() == Some(tag)))
        })
        .unwrap_or(false)
    });
    engine.register_fn("log", |s: &str| {
        with_run(|run| run.log.push(s.to_string()));
    });

    // ---- time ----
    engine.register_fn("now", now_ms);
    engine.register_fn("minutes_since", |at: i64| (now_ms() - at) / 60_000);
    engine.register_fn("hours_since", |at: i64| (now_ms() - at) / 3_600_000);
    engine.register_fn("days_since", |at: i64| (now_ms() - at) / 86_400_000);
    engine.register_fn("minutes_since", |_: ()| 0_i64);
    engine.register_fn("hours_since", |_: ()| 0_i64);
    engine.register_fn("days_since", |_: ()| 0_i64);
    engine.register_fn("hour_in", |tz: &str| -> Res<i64> {
        Ok(i64::from(local_now(tz)?.hour()))
    });
    engine.register_fn("weekday_in", |tz: &str| -> Res<i64> {
        Ok(i64::from(local_now(tz)?.weekday().number_from_monday()))
    });
    engine.register_fn("is_weekend_in", |tz: &str| -> Res<bool> {
        Ok(local_now(tz)?.weekday().number_from_monday() >= 6)
    });

    // ---- text ----
    engine.register_fn("matches", |text: &str, pattern: &str| -> Res<bool> {
        Ok(regex(pattern)?.is_match(text))
    });
    engine.register_fn("matches", |_: (), _: &str| false);
    engine.register_fn("count_matches", |text: &str, pattern: &str| -> Res<i64> {
        Ok(i64::try_from(regex(pattern)?.find_iter(text).count()).unwrap_or(i64::MAX))
    });
    engine.register_fn("count_matches", |_: (), _: &str| 0_i64);
    engine.register_fn("lower", |s: &str| s.to_lowercase());
    engine.register_fn("contains_any", |text: &str, words: rhai::Array| {
        let text = text.to_lowercase();
        words.into_iter().any(|w| {
            w.into_immutable_string()
                .is_ok_and(|w: ImmutableString| !w.is_empty() && text.contains(&w.to_lowercase()))
        })
    });
    engine.register_fn("contains_any", |_: (), _: rhai::Array| false);
    engine.register_fn("language", |text: &str| {
        whatlang::detect(text)
            .filter(|info| info.is_reliable() || text.split_whitespace().count() >= 4)
            .map(|info| language_code(info.lang()).to_string())
            .unwrap_or_default()
    });
    engine.register_fn("language", |_: ()| String::new());
}
