//! Satisfaction ratings through their link: no sign-in, once per solve, bound to its
//! ticket and solve, feeding rules; and the page a customer opens.

use anyhow::Context;
use serde_json::{Value, json};
use triage_tests::{Client, TestServer};

async fn link(agent: &Client, id: i64) -> anyhow::Result<String> {
    let r = agent
        .get(&format!("/api/v1/tickets/{id}/rating-link"))
        .await?
        .expect(200)?;
    let url = r.body["url"].as_str().context("url")?;
    Ok(url.rsplit('/').next().context("token")?.to_string())
}

async fn status(agent: &Client, id: i64, status: &str) -> anyhow::Result<()> {
    agent
        .patch(&format!("/api/v1/tickets/{id}"), json!({"status": status}))
        .await?
        .expect(200)?;
    Ok(())
}

#[tokio::test]
async fn a_rating_link_rates_its_solve_once_and_nothing_else() -> anyhow::Result<()> {
    let server = TestServer::start().await?;
    let admin = server.user("admin", "ada@helpdesk.example").await?;
    let agent = server.user("agent", "bo@helpdesk.example").await?;
    let customer = server.user("customer", "cy@customer.example").await?;
    let anonymous = server.anonymous();
    admin
        .post(
            "/api/v1/rules",
            json!({"name": "Tag ratings", "triggers": ["rating.received"],
                   "script": r#"add_tag("csat-" + event.rating.score);"#}),
        )
        .await?
        .expect(201)?;
    let mut ids = Vec::new();
    for subject in ["Printer jam", "VPN drops"] {
        let t = agent
            .ticket(
                json!({"subject": subject, "body": "Help", "requester": {"id": customer.user_id},
                           "assignee_id": agent.user_id}),
            )
            .await?;
        ids.push(t["id"].as_i64().context("id")?);
    }
    let (a, b) = (ids[0], ids[1]);
    // No link before the solve; customers do not get it from the API.
    agent
        .get(&format!("/api/v1/tickets/{a}/rating-link"))
        .await?
        .expect(409)?;
    status(&agent, a, "Solved").await?;
    status(&agent, b, "Solved").await?;
    customer
        .get(&format!("/api/v1/tickets/{a}/rating-link"))
        .await?
        .expect(403)?;
    let token = link(&agent, a).await?;
    let token_b = link(&agent, b).await?;
    assert_ne!(token, token_b);

    let invite = anonymous
        .get(&format!("/api/v1/ratings/{token}"))
        .await?
        .expect(200)?
        .body;
    assert_eq!(invite["ticket_id"], a);
    assert_eq!(invite["subject"], "Printer jam");
    assert_eq!(invite["used"], false);

    // Guesses and tokens moved to another ticket are not links.
    let (_, rest) = token_b.split_once('-').context("token")?;
    let mac = token.rsplit('-').next().context("mac")?;
    let flipped: String = {
        let mut c: Vec<char> = mac.chars().collect();
        c[0] = if c[0] == '0' { '1' } else { '0' };
        c.into_iter().collect()
    };
    let solved_b = rest.split('-').next().context("solve")?;
    let forged = [
        format!("{a}-{rest}"),
        token.replacen(mac, &flipped, 1),
        format!("{b}-{solved_b}-{mac}"),
        "1001-0-00".into(),
        "not-a-token".into(),
        format!("{a}"),
    ];
    for bad in &forged {
        let r = anonymous
            .get(&format!("/api/v1/ratings/{bad}"))
            .await?
            .expect(404)?;
        assert_eq!(r.code(), "not_found", "{bad}");
        anonymous
            .post(&format!("/api/v1/ratings/{bad}"), json!({"score": "good"}))
            .await?
            .expect(404)?;
    }
    anonymous
        .post(
            &format!("/api/v1/ratings/{token}"),
            json!({"score": "great"}),
        )
        .await?
        .expect(422)?;

    let rated = anonymous
        .post(
            &format!("/api/v1/ratings/{token}"),
            json!({"score": "good", "comment": "Fixed in minutes"}),
        )
        .await?
        .expect(201)?
        .body;
    assert_eq!(rated["score"], "good");
    assert_eq!(rated["author_id"], customer.user_id);
    let again = anonymous
        .post(&format!("/api/v1/ratings/{token}"), json!({"score": "bad"}))
        .await?
        .expect(409)?;
    assert!(
        again.body["detail"]
            .as_str()
            .unwrap_or("")
            .contains("already rated")
    );
    let invite = anonymous
        .get(&format!("/api/v1/ratings/{token}"))
        .await?
        .expect(200)?
        .body;
    assert_eq!(invite["used"], true);
    server.automated().await?;
    let ratings = agent
        .get(&format!("/api/v1/tickets/{a}/ratings"))
        .await?
        .expect(200)?
        .body;
    assert_eq!(ratings.as_array().map(Vec::len), Some(1));
    assert_eq!(ratings[0]["comment"], "Fixed in minutes");
    let t = agent
        .get(&format!("/api/v1/tickets/{a}"))
        .await?
        .expect(200)?
        .body;
    assert_eq!(t["tags"], json!(["csat-good"]));
    let other = agent
        .get(&format!("/api/v1/ratings/{token_b}"))
        .await?
        .expect(200)?;
    assert_eq!(
        other.body["used"], false,
        "rating one ticket leaves the other's link"
    );

    // Reopened: the old link is dead; the next solve brings a new link that works.
    status(&agent, a, "Open").await?;
    anonymous
        .get(&format!("/api/v1/ratings/{token}"))
        .await?
        .expect(404)?;
    status(&agent, a, "Solved").await?;
    let second = link(&agent, a).await?;
    assert_ne!(second, token);
    anonymous
        .post(&format!("/api/v1/ratings/{token}"), json!({"score": "bad"}))
        .await?
        .expect(404)?;

    // The page a customer opens from the link, without signing in.
    let page = server
        .http
        .get(format!("{}/rate/{second}", server.base))
        .send()
        .await?;
    assert_eq!(page.status(), 200);
    let html = page.text().await?;
    assert!(
        html.contains("How did we do?") && html.contains("Printer jam"),
        "{html}"
    );
    let sent = server
        .http
        .post(format!("{}/rate/{second}", server.base))
        .form(&[("score", "bad"), ("comment", "It broke again <b>twice</b>")])
        .send()
        .await?;
    assert_eq!(sent.status(), 200);
    assert!(sent.text().await?.contains("Thank you"));
    let used = server
        .http
        .get(format!("{}/rate/{second}", server.base))
        .send()
        .await?
        .text()
        .await?;
    assert!(used.contains("already rated"));
    let dead = server
        .http
        .get(format!("{}/rate/{token}", server.base))
        .send()
        .await?;
    assert_eq!(dead.status(), 404);
    let ratings = agent
        .get(&format!("/api/v1/tickets/{a}/ratings"))
        .await?
        .expect(200)?
        .body;
    let scores: Vec<&Value> = ratings
        .as_array()
        .into_iter()
        .flatten()
        .map(|r| &r["score"])
        .collect();
    assert_eq!(scores, vec![&json!("good"), &json!("bad")]);
    assert_eq!(ratings[1]["comment"], "It broke again <b>twice</b>");
    server.stop().await;
    Ok(())
}
