//! The OpenAPI document covers every route the server answers.

use triage_tests::TestServer;

#[tokio::test]
async fn the_openapi_document_lists_every_route_and_is_3_1() -> anyhow::Result<()> {
    let server = TestServer::start().await?;
    let doc = server
        .anonymous()
        .get("/api/v1/openapi.json")
        .await?
        .expect(200)?
        .body;
    assert!(
        doc["openapi"]
            .as_str()
            .is_some_and(|v| v.starts_with("3.1")),
        "{}",
        doc["openapi"]
    );
    let paths = doc["paths"]
        .as_object()
        .map(|p| p.keys().cloned().collect::<Vec<_>>())
        .unwrap_or_default();
    for expected in [
        "/api/v1/tickets",
        "/api/v1/tickets/{id}",
        "/api/v1/tickets/bulk",
        "/api/v1/tickets/{id}/history",
        "/api/v1/tickets/{id}/merge",
        "/api/v1/tickets/{id}/links",
        "/api/v1/tickets/{id}/links/{kind}/{other}",
        "/api/v1/tickets/{id}/macros/{macro_id}",
        "/api/v1/tickets/{id}/messages",
        "/api/v1/attachments/{id}",
        "/api/v1/users",
        "/api/v1/users/{id}",
        "/api/v1/organizations",
        "/api/v1/organizations/{id}",
        "/api/v1/groups",
        "/api/v1/groups/{id}",
        "/api/v1/statuses",
        "/api/v1/statuses/{id}",
        "/api/v1/custom-fields",
        "/api/v1/custom-fields/{id}",
        "/api/v1/macros",
        "/api/v1/macros/{id}",
        "/api/v1/auth/sign-in",
        "/api/v1/auth/sign-out",
        "/api/v1/setup",
        "/api/v1/me",
        "/api/v1/tokens",
        "/api/v1/tokens/{id}",
        "/healthz",
        "/readyz",
        "/metrics",
        "/api/v1/openapi.json",
    ] {
        assert!(
            paths.iter().any(|p| p == expected),
            "{expected} missing from {paths:?}"
        );
    }
    // Every documented path answers something other than "no such route".
    let client = server.anonymous();
    for path in &paths {
        let concrete = path
            .replace("{id}", "1")
            .replace("{kind}", "related")
            .replace("{other}", "2")
            .replace("{macro_id}", "1");
        let reply = client.get(&concrete).await?;
        assert!(
            !(reply.status == 404 && reply.body["detail"] == "no such route"),
            "{path} is documented but not routed"
        );
    }
    Ok(())
}

#[tokio::test]
async fn health_readiness_and_metrics_answer() -> anyhow::Result<()> {
    let server = TestServer::start().await?;
    let client = server.anonymous();
    assert_eq!(client.get("/healthz").await?.expect(200)?.text, "ok");
    assert_eq!(client.get("/readyz").await?.expect(200)?.text, "ready");
    client.get("/api/v1/tickets").await?.expect(401)?;
    let metrics = client.get("/metrics").await?.expect(200)?.text;
    assert!(metrics.contains("http_requests_total"), "{metrics}");
    assert!(metrics.contains("route=\"/api/v1/tickets\""), "{metrics}");
    assert!(
        metrics.contains("http_request_duration_seconds_bucket"),
        "{metrics}"
    );
    Ok(())
}
