//! Search through the HTTP API: the query language, languages, snippets, facets, cursors,
//! permissions, freshness after every kind of change, similar tickets, and a rebuild of
//! the index while searches go on.

use std::time::Duration;

use anyhow::Context;
use reqwest::Method;
use serde_json::{Value, json};
use triage_tests::{Client, Reply, TestServer};

/// A search as `c`, with more query parameters.
async fn search_reply(c: &Client, q: &str, more: &[(&str, &str)]) -> anyhow::Result<Reply> {
    let mut params = vec![("q", q)];
    params.extend_from_slice(more);
    c.send(c.request(Method::GET, "/api/v1/search").query(&params))
        .await
}

async fn search(c: &Client, q: &str, more: &[(&str, &str)]) -> anyhow::Result<Value> {
    Ok(search_reply(c, q, more).await?.expect(200)?.body)
}

fn ids(v: &Value) -> Vec<i64> {
    let mut ids: Vec<i64> = v["items"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|i| i["ticket"]["id"].as_i64())
        .collect();
    ids.sort();
    ids
}

/// Polls until `q` finds exactly `expected` for `c`.
async fn eventually(c: &Client, q: &str, expected: &[i64]) -> anyhow::Result<()> {
    let mut last = Vec::new();
    for _ in 0..500 {
        last = ids(&search(c, q, &[]).await?);
        if last == expected {
            return Ok(());
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    anyhow::bail!("{q:?} still finds {last:?}, not {expected:?}")
}

struct Desk {
    server: TestServer,
    admin: Client,
    agent: Client,
    other_agent: Client,
    ana: Client,
    bo: Client,
    support: i64,
    printer: i64,
    swedish: i64,
    russian: i64,
    romanian: i64,
}

async fn desk() -> anyhow::Result<Desk> {
    let server = TestServer::start().await?;
    let admin = server.user("admin", "admin@helpdesk.example").await?;
    let agent = server.user("agent", "agent@helpdesk.example").await?;
    let other_agent = server.user("agent", "other@helpdesk.example").await?;
    let ana = server.user("customer", "ana@customer.example").await?;
    let bo = server.user("customer", "bo@customer.example").await?;
    let support = server.group("Support", &[agent.user_id]).await?;
    let billing = server.group("Billing", &[other_agent.user_id]).await?;

    let t = agent
        .ticket(json!({
            "subject": "Printer jams on page two",
            "body": "The office printer jams every time. <script>alert(1)</script>",
            "requester": {"email": ana.email}, "group_id": support,
            "priority": "high", "tags": ["hardware", "vip"]
        }))
        .await?;
    let printer = t["id"].as_i64().context("id")?;
    agent
        .post(
            &format!("/api/v1/tickets/{printer}/messages"),
            json!({"public": false, "body": "Secret: the toner contract expired"}),
        )
        .await?
        .expect(201)?;
    agent
        .patch(
            &format!("/api/v1/tickets/{printer}"),
            json!({"assignee_id": agent.user_id}),
        )
        .await?
        .expect(200)?;
    let swedish = agent
        .ticket(json!({"subject": "Mina biljetter har inte kommit", "body": "Hej, jag har köpt två biljetter men fått inget mejl med biljetterna.", "requester": {"email": bo.email}, "group_id": billing}))
        .await?["id"]
        .as_i64()
        .context("id")?;
    let russian = agent
        .ticket(json!({"subject": "Не приходят билеты", "body": "Здравствуйте, я купил билеты, но они не пришли на почту.", "requester": {"email": bo.email}, "group_id": support}))
        .await?["id"]
        .as_i64()
        .context("id")?;
    let romanian = agent
        .ticket(json!({"subject": "Nu primesc tichetele", "body": "Bună ziua, am cumpărat tichetele dar nu le-am primit pe email.", "requester": {"email": ana.email}, "group_id": support}))
        .await?["id"]
        .as_i64()
        .context("id")?;
    server.indexed().await?;
    Ok(Desk {
        server,
        admin,
        agent,
        other_agent,
        ana,
        bo,
        support,
        printer,
        swedish,
        russian,
        romanian,
    })
}

#[tokio::test]
async fn words_languages_filters_snippets_and_facets() -> anyhow::Result<()> {
    let d = desk().await?;
    let r = search(&d.admin, "printer", &[("facets", "true")]).await?;
    assert_eq!(ids(&r), vec![d.printer]);
    assert_eq!(r["total"], 1);
    let hit = &r["items"][0];
    assert_eq!(hit["subject_html"], "<mark>Printer</mark> jams on page two");
    let snippet = hit["snippets"][0]["html"].as_str().unwrap_or_default();
    assert!(snippet.contains("<mark>printer</mark>"), "{snippet}");
    assert!(!snippet.contains("<script>"), "{snippet}");
    assert_eq!(hit["ticket"]["assignee"]["email"], "agent@helpdesk.example");
    assert_eq!(hit["ticket"]["group"]["name"], "Support");
    assert_eq!(hit["ticket"]["language"], "en");
    let facets = &r["facets"];
    assert_eq!(facets["priority"][0]["value"], "high");
    assert_eq!(facets["tag"].as_array().map(Vec::len), Some(2));
    assert_eq!(facets["group"][0]["label"], "Support");

    let alert = search(&d.admin, "alert", &[]).await?;
    let html = alert["items"][0]["snippets"][0]["html"]
        .as_str()
        .unwrap_or_default();
    assert!(
        html.contains("&lt;script&gt;<mark>alert</mark>(1)&lt;/script&gt;"),
        "{html}"
    );

    for (q, expected) in [
        ("biljett", vec![d.swedish]),
        ("билет", vec![d.russian]),
        ("tichet", vec![d.romanian]),
        ("lang:sv", vec![d.swedish]),
        ("lang:ru", vec![d.russian]),
        ("group:Billing", vec![d.swedish]),
        ("group:support -lang:ru -lang:ro", vec![d.printer]),
        ("assignee:agent@helpdesk.example", vec![d.printer]),
        ("assignee:none", vec![d.swedish, d.russian, d.romanian]),
        (
            "requester:ana@customer.example",
            vec![d.printer, d.romanian],
        ),
        ("tag:vip", vec![d.printer]),
        ("priority:high", vec![d.printer]),
        (
            "channel:api",
            vec![d.printer, d.swedish, d.russian, d.romanian],
        ),
        ("toner in:notes", vec![d.printer]),
        ("toner in:replies", vec![]),
        ("has:notes", vec![d.printer]),
        (
            "created:today",
            vec![d.printer, d.swedish, d.russian, d.romanian],
        ),
        ("created:<2000-01-01", vec![]),
        (
            "updated:<1d",
            vec![d.printer, d.swedish, d.russian, d.romanian],
        ),
        ("pritner", vec![d.printer]),
        ("billete OR tichet", vec![d.romanian]),
        (&format!("#{}", d.russian), vec![d.russian]),
    ] {
        assert_eq!(ids(&search(&d.admin, q, &[]).await?), expected, "{q}");
    }
    let mine = search(&d.agent, "assignee:me", &[]).await?;
    assert_eq!(ids(&mine), vec![d.printer]);
    // Accents and non-Latin scripts come back as they were written.
    let r = search(&d.admin, "билеты", &[]).await?;
    assert_eq!(
        r["items"][0]["subject_html"],
        "Не приходят <mark>билеты</mark>"
    );
    let r = search(&d.admin, "tichetele", &[]).await?;
    let html = r["items"][0]["snippets"][0]["html"]
        .as_str()
        .unwrap_or_default();
    assert!(
        html.contains("Bună ziua, am cumpărat <mark>tichetele</mark>"),
        "{html}"
    );
    Ok(())
}

#[tokio::test]
async fn bad_queries_get_a_400_that_says_where() -> anyhow::Result<()> {
    let d = desk().await?;
    for (q, column, words) in [
        ("printer \"paper", 9, "never closed"),
        ("(a OR b", 1, "never closed"),
        ("status:bogus", 1, "no status"),
        ("x created:2025-13-01", 3, "not a date"),
        ("OR printer", 1, "both sides"),
    ] {
        let r = search_reply(&d.admin, q, &[]).await?.expect(400)?;
        assert_eq!(r.code(), "invalid_query", "{q}");
        assert_eq!(r.body["column"], column, "{q}: {}", r.body);
        assert!(
            r.body["detail"]
                .as_str()
                .unwrap_or_default()
                .contains(words),
            "{q}: {}",
            r.body
        );
    }
    d.admin
        .get("/api/v1/search?q=x&sort=sideways")
        .await?
        .expect(422)?;
    d.admin
        .get("/api/v1/search?q=x&limit=0")
        .await?
        .expect(422)?;
    d.admin
        .get("/api/v1/search?q=x&limit=101")
        .await?
        .expect(422)?;
    d.admin
        .get("/api/v1/search?q=x&cursor=nope")
        .await?
        .expect(400)?;
    d.admin
        .get("/api/v1/search?q=x&bogus=1")
        .await?
        .expect(400)?;
    d.server
        .anonymous()
        .get("/api/v1/search?q=x")
        .await?
        .expect(401)?;
    let huge = "a ".repeat(1500);
    search_reply(&d.admin, &huge, &[]).await?.expect(400)?;
    Ok(())
}

#[tokio::test]
async fn nobody_finds_counts_facets_or_snippets_what_they_may_not_see() -> anyhow::Result<()> {
    let d = desk().await?;
    // The Billing agent sees only the Billing ticket, in results, counts and facets.
    let r = search(&d.other_agent, "", &[("facets", "true")]).await?;
    assert_eq!(ids(&r), vec![d.swedish]);
    assert_eq!(r["total"], 1);
    let tags = r["facets"]["tag"].as_array().map(Vec::len);
    assert_eq!(tags, Some(0), "{}", r["facets"]);
    assert_eq!(r["facets"]["group"][0]["label"], "Billing");
    assert_eq!(search(&d.other_agent, "printer", &[]).await?["total"], 0);
    assert_eq!(search(&d.other_agent, "toner", &[]).await?["total"], 0);

    // Customers: their own tickets only, never internal notes.
    assert_eq!(
        ids(&search(&d.ana, "", &[]).await?),
        vec![d.printer, d.romanian]
    );
    assert_eq!(
        ids(&search(&d.bo, "", &[]).await?),
        vec![d.swedish, d.russian]
    );
    assert_eq!(search(&d.ana, "toner", &[]).await?["total"], 0);
    assert_eq!(search(&d.ana, "secret in:notes", &[]).await?["total"], 0);
    assert_eq!(search(&d.ana, "has:notes", &[]).await?["total"], 0);
    assert_eq!(
        search(&d.bo, "printer", &[("facets", "true")]).await?["total"],
        0
    );
    let r = search(&d.ana, "printer", &[]).await?;
    for item in r["items"].as_array().into_iter().flatten() {
        for s in item["snippets"].as_array().into_iter().flatten() {
            assert_eq!(s["public"], true);
            assert!(!s["html"].as_str().unwrap_or_default().contains("toner"));
        }
        assert!(item["ticket"]["assignee"]["email"].is_null());
    }
    // Similar tickets of a ticket one cannot see: not found.
    d.bo.get(&format!("/api/v1/tickets/{}/similar", d.printer))
        .await?
        .expect(404)?;
    d.other_agent
        .get(&format!("/api/v1/tickets/{}/similar", d.printer))
        .await?
        .expect(404)?;
    Ok(())
}

#[tokio::test]
async fn changes_are_searchable_at_once_and_deleted_tickets_vanish() -> anyhow::Result<()> {
    let d = desk().await?;
    let a = &d.agent;
    // Create.
    let id = a
        .ticket(json!({"subject": "Scanner makes a grinding noise", "body": "It grinds.", "requester": {"email": d.ana.email}, "group_id": d.support}))
        .await?["id"]
        .as_i64()
        .context("id")?;
    eventually(&d.admin, "grinding", &[id]).await?;
    // Update: the old subject's words go, the new ones come.
    d.admin
        .patch(
            &format!("/api/v1/tickets/{id}"),
            json!({"subject": "Scanner rattles loudly", "tags": ["noise"]}),
        )
        .await?
        .expect(200)?;
    eventually(&d.admin, "rattles tag:noise", &[id]).await?;
    eventually(
        &d.admin,
        "grinding in:replies OR scanner grinding -grinds",
        &[],
    )
    .await?;
    // A reply.
    a.post(
        &format!("/api/v1/tickets/{id}/messages"),
        json!({"body": "Please clean the feeder rollers."}),
    )
    .await?
    .expect(201)?;
    eventually(&d.admin, "feeder", &[id]).await?;
    // Merge: the source's messages are found on the target.
    let source = a
        .ticket(json!({"subject": "Duplicate about the scanner", "body": "Zebra-striped pages from the scanner.", "requester": {"email": d.ana.email}, "group_id": d.support}))
        .await?["id"]
        .as_i64()
        .context("id")?;
    eventually(&d.admin, "zebra", &[source]).await?;
    d.admin
        .post(
            &format!("/api/v1/tickets/{source}/merge"),
            json!({"target": id}),
        )
        .await?
        .expect(200)?;
    eventually(&d.admin, "zebra", &[id]).await?;
    eventually(&d.admin, "status:closed duplicate", &[source]).await?;
    // Delete.
    d.admin
        .delete(&format!("/api/v1/tickets/{id}"))
        .await?
        .expect(204)?;
    eventually(&d.admin, "feeder", &[]).await?;
    d.server.indexed().await?;
    let check = d.server.app.check_search_index().await?;
    assert!(check.consistent(), "{check:?}");
    Ok(())
}

#[tokio::test]
async fn pages_sort_and_follow_without_gaps_or_repeats() -> anyhow::Result<()> {
    let d = desk().await?;
    let mut created = Vec::new();
    for i in 0..7 {
        let t = d
            .agent
            .ticket(json!({"subject": format!("Quokka case {i}"), "body": "quokka body", "requester": {"email": d.ana.email}, "group_id": d.support}))
            .await?;
        created.push(t["id"].as_i64().context("id")?);
    }
    d.server.indexed().await?;
    for sort in ["-created", "created", "-updated", "relevance"] {
        let mut seen = Vec::new();
        let mut cursor: Option<String> = None;
        loop {
            let mut more = vec![("limit", "3"), ("sort", sort)];
            if let Some(c) = &cursor {
                more.push(("cursor", c));
            }
            let r = search(&d.admin, "quokka", &more).await?;
            assert_eq!(r["total"], 7);
            seen.extend(
                r["items"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .filter_map(|i| i["ticket"]["id"].as_i64()),
            );
            match r["next_cursor"].as_str() {
                Some(c) => cursor = Some(c.to_string()),
                None => break,
            }
        }
        let mut sorted = seen.clone();
        sorted.sort();
        sorted.dedup();
        assert_eq!(sorted, created, "{sort}: {seen:?}");
        if sort == "-created" {
            let mut newest_first = created.clone();
            newest_first.reverse();
            assert_eq!(seen, newest_first);
        }
        if sort == "created" {
            assert_eq!(seen, created);
        }
    }
    Ok(())
}

#[tokio::test]
async fn similar_solved_tickets_help_answer_a_new_one() -> anyhow::Result<()> {
    let d = desk().await?;
    let solved = d
        .agent
        .ticket(json!({"subject": "VPN disconnects every hour", "body": "The VPN client drops the connection every hour on the hour.", "requester": {"email": d.ana.email}, "group_id": d.support}))
        .await?["id"]
        .as_i64()
        .context("id")?;
    d.agent
        .post(&format!("/api/v1/tickets/{solved}/messages"), json!({"body": "Raise the VPN session lifetime to 8 hours in the client profile.", "status": "solved"}))
        .await?
        .expect(201)?;
    let unrelated = d
        .agent
        .ticket(json!({"subject": "Invoice address change", "body": "Please change our invoice address.", "requester": {"email": d.ana.email}, "group_id": d.support, "status": "solved"}))
        .await?["id"]
        .as_i64()
        .context("id")?;
    // Everyday words are in most tickets of a help desk, as they are here.
    for subject in [
        "Our printer is slow",
        "Please reset our password",
        "Our team needs more seats",
    ] {
        d.agent
            .ticket(json!({"subject": subject, "body": "Please help us, our team waits every day.", "requester": {"email": d.ana.email}, "group_id": d.support}))
            .await?;
    }
    let new = d
        .agent
        .ticket(json!({"subject": "VPN keeps disconnecting", "body": "Our VPN disconnects every hour.", "requester": {"email": d.bo.email}, "group_id": d.support}))
        .await?["id"]
        .as_i64()
        .context("id")?;
    d.server.indexed().await?;
    let r = d
        .agent
        .get(&format!("/api/v1/tickets/{new}/similar"))
        .await?
        .expect(200)?
        .body;
    let found = ids(&r);
    assert_eq!(r["items"][0]["ticket"]["id"], solved, "{r}");
    assert!(
        !found.contains(&new) && !found.contains(&unrelated),
        "{found:?} {r}"
    );
    assert_eq!(r["items"][0]["ticket"]["status"]["category"], "solved");
    Ok(())
}

#[tokio::test]
async fn a_rebuild_swaps_in_while_searches_keep_answering() -> anyhow::Result<()> {
    let d = desk().await?;
    let expected = vec![d.printer, d.swedish, d.russian, d.romanian];
    // Another process rebuilds the index over the same database and data directory.
    let rebuilder = triage_app::App::open(d.server.app_config()).await?;
    let before = d.server.app.check_search_index().await?;
    let rebuild = tokio::spawn(async move { rebuilder.reindex(None).await });
    let mut searches = 0;
    while !rebuild.is_finished() || searches < 20 {
        let r = search(&d.admin, "", &[]).await?;
        assert_eq!(ids(&r), expected, "a search during the rebuild");
        searches += 1;
    }
    let summary = rebuild.await??;
    assert_eq!(summary.tickets, 4);
    // The server switches to the new index and keeps indexing into it.
    let late = d
        .agent
        .ticket(json!({"subject": "After the rebuild", "body": "late arrival", "requester": {"email": d.ana.email}, "group_id": d.support}))
        .await?["id"]
        .as_i64()
        .context("id")?;
    eventually(&d.admin, "late arrival", &[late]).await?;
    d.server.indexed().await?;
    let after = d.server.app.check_search_index().await?;
    assert!(after.consistent(), "{after:?}");
    assert_eq!(after.indexed, before.indexed + 1);
    // Only the index in use is left on disk once the old one is let go.
    let builds = || -> anyhow::Result<usize> {
        Ok(std::fs::read_dir(d.server.dir.path().join("search"))?
            .flatten()
            .filter(|e| e.file_name().to_string_lossy().starts_with("index-"))
            .count())
    };
    for _ in 0..500 {
        if builds()? == 1 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert_eq!(builds()?, 1);
    Ok(())
}

#[tokio::test]
async fn a_damaged_or_missing_index_is_rebuilt_at_start() -> anyhow::Result<()> {
    let d = desk().await?;
    let config = d.server.app_config();
    let search_dir = d.server.dir.path().join("search");
    let current = std::fs::read_to_string(search_dir.join("CURRENT"))?;
    let Desk { server, .. } = d;
    let _data = server.stop_keeping_data().await?;

    // Damaged: the index's metadata is garbage.
    std::fs::write(
        search_dir.join(current.trim()).join("meta.json"),
        b"{ not json",
    )?;
    let app = triage_app::App::open(config.clone()).await?;
    let search = app.start_search().await?;
    assert!(app.search_caught_up(Duration::from_secs(30)).await?);
    let check = app.check_search_index().await?;
    let listed = app
        .list_tickets(&triage_app::App::system_actor(), Default::default())
        .await?
        .items
        .len();
    assert!(
        check.consistent() && check.indexed == 4,
        "{check:?} listed {listed}"
    );
    let page = app
        .search(
            &triage_app::App::system_actor(),
            triage_app::search::SearchParams {
                q: "билет".into(),
                ..Default::default()
            },
        )
        .await?;
    assert_eq!(page.results.total, 1);
    search.stop();
    app.close().await;

    // Missing: the whole search directory is gone.
    std::fs::remove_dir_all(&search_dir)?;
    let app = triage_app::App::open(config).await?;
    let search = app.start_search().await?;
    assert!(app.search_caught_up(Duration::from_secs(30)).await?);
    let check = app.check_search_index().await?;
    assert!(check.consistent() && check.indexed == 4, "{check:?}");
    search.stop();
    Ok(())
}
