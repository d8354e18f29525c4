//! The search crate on a small, hand-built index: every filter, the query language,
//! languages, snippets, permissions, cursors, facets and similar tickets.

use std::collections::HashMap;

use triage_domain::Visibility;
use triage_search::{
    Checkpoint, Directory, MessageDoc, NamedStatus, Reader, SearchIndex, SearchRequest,
    SearchResults, Sort, TicketDoc, WriterConfig,
};

const DAY: i64 = 86_400_000;
/// 2025-06-15T00:00:00Z
const NOW: i64 = 1_749_945_600_000;

struct Fixture {
    _dir: tempfile::TempDir,
    index: SearchIndex,
    directory: Directory,
}

fn msg(id: u64, public: bool, text: &str) -> MessageDoc {
    MessageDoc {
        id,
        author: id,
        public,
        text: text.into(),
    }
}

#[allow(clippy::too_many_arguments)]
fn ticket(id: u64, subject: &str, messages: Vec<MessageDoc>) -> TicketDoc {
    TicketDoc {
        id,
        version: 1,
        subject: subject.into(),
        status_id: 2,
        category: "open".into(),
        priority: "normal".into(),
        kind: "question".into(),
        assignee_id: None,
        group_id: Some(10),
        organization_id: None,
        requester_id: 100,
        channel: "email".into(),
        tags: vec![],
        meta: vec!["Ana Customer".into(), "ana@example.com".into()],
        has_attachment: false,
        created_at: NOW - 30 * DAY,
        updated_at: NOW - 30 * DAY,
        solved_at: None,
        messages,
    }
}

fn tickets() -> Vec<TicketDoc> {
    let mut v = Vec::new();
    let mut t = ticket(
        1001,
        "Printer jams on page two",
        vec![
            msg(
                1,
                true,
                "The office printer jams every time we print two pages. <script>alert(1)</script>",
            ),
            msg(
                2,
                false,
                "Internal: the toner contract expired, ask procurement",
            ),
            msg(3, true, "We replaced the roller; the printer works now."),
        ],
    );
    t.priority = "high".into();
    t.kind = "incident".into();
    t.tags = vec!["hardware".into(), "vip".into()];
    t.assignee_id = Some(7);
    t.has_attachment = true;
    t.status_id = 5;
    t.category = "solved".into();
    t.solved_at = Some(NOW - 20 * DAY);
    v.push(t);

    let mut t = ticket(
        1002,
        "Mina biljetter har inte kommit",
        vec![msg(
            4,
            true,
            "Hej, jag har köpt två biljetter men fått inget mejl med biljetterna.",
        )],
    );
    t.group_id = Some(11);
    t.requester_id = 101;
    t.organization_id = Some(50);
    t.channel = "web".into();
    t.created_at = NOW - 2 * DAY;
    t.updated_at = NOW - DAY;
    v.push(t);

    let mut t = ticket(
        1003,
        "Не приходят билеты",
        vec![msg(
            5,
            true,
            "Здравствуйте, я купил билеты, но они не пришли на почту.",
        )],
    );
    t.requester_id = 102;
    t.organization_id = Some(50);
    t.tags = vec!["billing".into()];
    t.created_at = NOW - 400 * DAY;
    t.updated_at = NOW - 400 * DAY;
    v.push(t);

    let mut t = ticket(
        1004,
        "Nu primesc tichetele",
        vec![msg(
            6,
            true,
            "Bună ziua, am cumpărat tichetele dar nu le-am primit pe email.",
        )],
    );
    t.priority = "urgent".into();
    t.requester_id = 103;
    t.created_at = NOW - 100 * DAY;
    t.updated_at = NOW - 90 * DAY;
    v.push(t);

    let mut t = ticket(
        1005,
        "Printer offline after update",
        vec![msg(
            7,
            true,
            "Since the firmware update the printer shows offline. Paper jam light blinks.",
        )],
    );
    t.status_id = 5;
    t.category = "solved".into();
    t.solved_at = Some(NOW - 5 * DAY);
    t.group_id = Some(12);
    t.created_at = NOW - 10 * DAY;
    t.updated_at = NOW - 5 * DAY;
    v.push(t);
    v
}

fn fixture() -> Fixture {
    let dir = tempfile::tempdir().expect("tempdir");
    let index = SearchIndex::create(dir.path(), WriterConfig::LIVE).expect("create");
    index
        .apply(
            &tickets(),
            &[],
            Checkpoint {
                schema: triage_search::schema::SCHEMA_VERSION,
                position: 5,
                complete: true,
            },
        )
        .expect("apply");
    let directory = Directory {
        me: 7,
        now: NOW,
        statuses: vec![
            NamedStatus {
                id: 2,
                name: "open".into(),
                category: "open".into(),
            },
            NamedStatus {
                id: 5,
                name: "solved".into(),
                category: "solved".into(),
            },
            NamedStatus {
                id: 9,
                name: "Waiting on vendor".into(),
                category: "on_hold".into(),
            },
        ],
        groups: vec![
            (10, "Support".into()),
            (11, "Nordics".into()),
            (12, "L2".into()),
        ],
        organizations: vec![(50, "Acme Corp".into(), vec!["acme.example".into()])],
        users: HashMap::from([("ana@example.com".to_string(), 100u64)]),
    };
    Fixture {
        _dir: dir,
        index,
        directory,
    }
}

fn admin() -> Reader {
    Reader {
        visibility: Visibility::All,
        staff: true,
    }
}

impl Fixture {
    fn run(
        &self,
        reader: &Reader,
        q: &str,
        sort: Sort,
        cursor: Option<&str>,
        limit: usize,
    ) -> SearchResults {
        self.index
            .search(&SearchRequest {
                query: q,
                reader,
                directory: &self.directory,
                sort,
                cursor,
                limit,
                facets: true,
            })
            .unwrap_or_else(|e| panic!("{q}: {e}"))
    }

    fn ids_as(&self, reader: &Reader, q: &str) -> Vec<u64> {
        let mut ids: Vec<u64> = self
            .run(reader, q, Sort::Relevance, None, 50)
            .hits
            .iter()
            .map(|h| h.id)
            .collect();
        ids.sort();
        ids
    }

    fn ids(&self, q: &str) -> Vec<u64> {
        self.ids_as(&admin(), q)
    }
}

#[test]
fn the_query_language_finds_what_it_says() {
    let f = fixture();
    let cases: &[(&str, &[u64])] = &[
        ("printer", &[1001, 1005]),
        ("PRINTER jams", &[1001, 1005]),
        ("PRINTER jams two", &[1001]),
        ("printer -offline", &[1001]),
        ("printer NOT offline", &[1001]),
        ("\"paper jam\"", &[1005]),
        ("\"jam paper\"", &[]),
        ("offline OR biljetter", &[1002, 1005]),
        ("(offline OR roller) printer", &[1001, 1005]),
        ("#1003", &[1003]),
        ("1003", &[1003]),
        ("printr", &[1001, 1005]),
        ("jamz", &[]),
        ("pritner", &[1001, 1005]),
        ("firmwre", &[1005]),
        ("ana@example.com", &[1001, 1002, 1003, 1004, 1005]),
        ("hardware", &[1001]),
        ("", &[1001, 1002, 1003, 1004, 1005]),
        ("-printer", &[1002, 1003, 1004]),
        ("the printer", &[1001, 1005]),
        ("procurement", &[1001]),
    ];
    for (q, expected) in cases {
        assert_eq!(f.ids(q), expected.to_vec(), "{q}");
    }
}

#[test]
fn every_filter_narrows() {
    let f = fixture();
    let cases: &[(&str, &[u64])] = &[
        ("status:solved", &[1001, 1005]),
        ("status:Open", &[1002, 1003, 1004]),
        ("status:\"waiting on vendor\"", &[]),
        ("category:solved", &[1001, 1005]),
        ("priority:high", &[1001]),
        ("priority:urgent", &[1004]),
        ("type:incident", &[1001]),
        ("assignee:me", &[1001]),
        ("assignee:none", &[1002, 1003, 1004, 1005]),
        ("assignee:nobody@example.com", &[]),
        ("group:nordics", &[1002]),
        ("group:10", &[1001, 1003, 1004]),
        ("tag:VIP", &[1001]),
        ("-tag:vip", &[1002, 1003, 1004, 1005]),
        ("requester:ana@example.com", &[1001, 1005]),
        ("org:\"acme corp\"", &[1002, 1003]),
        ("org:acme.example", &[1002, 1003]),
        ("org:none", &[1001, 1004, 1005]),
        ("channel:web", &[1002]),
        ("lang:sv", &[1002]),
        ("lang:russian", &[1003]),
        ("lang:ro", &[1004]),
        ("lang:en", &[1001, 1005]),
        ("has:attachment", &[1001]),
        ("has:notes", &[1001]),
        ("toner in:notes", &[1001]),
        ("toner in:replies", &[]),
        ("roller in:replies", &[1001]),
        ("created:>2025-06-01", &[1002, 1005]),
        ("created:<2025-01-01", &[1003]),
        ("created:2024-05", &[1003]),
        ("created:2025-03-01..2025-03-31", &[1004]),
        ("updated:<7d", &[1002, 1005]),
        ("updated:>60d", &[1003, 1004]),
        ("solved:2025-06", &[1005]),
        ("solved:2025-05", &[1001]),
        ("solved:2025", &[1001, 1005]),
        ("printer status:solved priority:high", &[1001]),
        ("status:solved OR priority:urgent", &[1001, 1004, 1005]),
    ];
    for (q, expected) in cases {
        assert_eq!(f.ids(q), expected.to_vec(), "{q}");
    }
}

#[test]
fn bad_queries_say_what_and_where() {
    let f = fixture();
    for (q, words) in [
        ("status:bogus", "no status"),
        ("priority:whenever", "priority"),
        ("group:nope", "no group"),
        ("lang:xx", "no language"),
        ("has:wings", "has:wings"),
        ("created:2025-13", "not a date"),
        ("\"open quote", "never closed"),
        ("(a", "never closed"),
    ] {
        let err = f
            .index
            .search(&SearchRequest {
                query: q,
                reader: &admin(),
                directory: &f.directory,
                sort: Sort::Relevance,
                cursor: None,
                limit: 10,
                facets: false,
            })
            .expect_err(q);
        assert!(err.to_string().contains(words), "{q}: {err}");
        assert!(err.to_string().contains("column"), "{q}: {err}");
    }
}

#[test]
fn stems_in_each_language_meet_their_inflections() {
    let f = fixture();
    assert_eq!(f.ids("biljett"), vec![1002]);
    assert_eq!(f.ids("билет"), vec![1003]);
    assert_eq!(f.ids("tichet"), vec![1004]);
    assert_eq!(f.ids("printers"), vec![1001, 1005]);
    assert_eq!(f.ids("jam"), vec![1001, 1005]);
}

#[test]
fn snippets_mark_matches_and_escape_everything_else() {
    let f = fixture();
    let r = f.run(&admin(), "printer", Sort::Relevance, None, 10);
    let hit = r.hits.iter().find(|h| h.id == 1001).expect("1001");
    assert_eq!(hit.subject_html, "<mark>Printer</mark> jams on page two");
    let all: String = hit.snippets.iter().map(|s| s.html.clone()).collect();
    assert!(all.contains("<mark>printer</mark>"), "{all}");
    assert!(!all.contains("<script>"), "{all}");
    let r = f.run(&admin(), "alert", Sort::Relevance, None, 10);
    assert!(
        r.hits[0].snippets[0]
            .html
            .contains("&lt;script&gt;<mark>alert</mark>(1)&lt;/script&gt;")
    );
    let r = f.run(&admin(), "билет", Sort::Relevance, None, 10);
    assert_eq!(r.hits[0].subject_html, "Не приходят <mark>билеты</mark>");
    let r = f.run(&admin(), "tichet", Sort::Relevance, None, 10);
    assert!(
        r.hits[0].snippets[0]
            .html
            .contains("cumpărat <mark>tichetele</mark>")
    );
}

#[test]
fn agents_and_customers_never_see_past_their_permissions() {
    let f = fixture();
    let agent = Reader {
        visibility: Visibility::Agent {
            user_id: 8,
            group_ids: vec![11],
        },
        staff: true,
    };
    assert_eq!(f.ids_as(&agent, ""), vec![1002]);
    assert_eq!(f.ids_as(&agent, "printer"), Vec::<u64>::new());
    let r = f.run(&agent, "", Sort::Relevance, None, 10);
    assert_eq!(r.total, 1);
    let facets = r.facets.expect("facets");
    assert_eq!(facets.group, vec![(11, 1)]);
    assert!(facets.tag.is_empty());

    let assignee = Reader {
        visibility: Visibility::Agent {
            user_id: 7,
            group_ids: vec![],
        },
        staff: true,
    };
    assert_eq!(f.ids_as(&assignee, ""), vec![1001]);

    let customer = Reader {
        visibility: Visibility::Customer {
            user_id: 100,
            organization_id: None,
        },
        staff: false,
    };
    assert_eq!(f.ids_as(&customer, ""), vec![1001, 1005]);
    // Internal notes are not searchable, counted or shown to customers.
    assert_eq!(f.ids_as(&customer, "procurement"), Vec::<u64>::new());
    assert_eq!(f.ids_as(&customer, "toner in:notes"), Vec::<u64>::new());
    assert_eq!(f.ids_as(&customer, "has:notes"), Vec::<u64>::new());
    let r = f.run(&customer, "printer", Sort::Relevance, None, 10);
    for h in &r.hits {
        assert!(
            h.snippets
                .iter()
                .all(|s| s.public && !s.html.contains("toner"))
        );
    }
    let org = Reader {
        visibility: Visibility::Customer {
            user_id: 101,
            organization_id: Some(50),
        },
        staff: false,
    };
    assert_eq!(f.ids_as(&org, "билет OR biljett"), vec![1002, 1003]);
    // Similar tickets obey the same rules.
    let similar = f
        .index
        .similar(1005, &customer, &f.directory, 10)
        .expect("similar");
    assert_eq!(similar.iter().map(|h| h.id).collect::<Vec<_>>(), vec![1001]);
    let similar = f
        .index
        .similar(1005, &agent, &f.directory, 10)
        .expect("similar");
    assert!(similar.is_empty());
}

#[test]
fn facets_count_the_whole_result_set() {
    let f = fixture();
    let r = f.run(&admin(), "", Sort::Relevance, None, 1);
    assert_eq!(r.total, 5);
    assert_eq!(r.hits.len(), 1);
    let facets = r.facets.expect("facets");
    assert_eq!(facets.status, vec![(2, 3), (5, 2)]);
    assert_eq!(
        facets.priority,
        vec![
            ("normal".to_string(), 3),
            ("high".to_string(), 1),
            ("urgent".to_string(), 1)
        ]
    );
    assert_eq!(facets.group, vec![(10, 3), (11, 1), (12, 1)]);
    assert_eq!(facets.assignee, vec![(0, 4), (7, 1)]);
    assert_eq!(
        facets.tag,
        vec![
            ("billing".to_string(), 1),
            ("hardware".to_string(), 1),
            ("vip".to_string(), 1)
        ]
    );
}

#[test]
fn sorted_pages_follow_each_other_without_gaps_or_repeats() {
    let f = fixture();
    for sort in [
        Sort::CreatedDesc,
        Sort::CreatedAsc,
        Sort::UpdatedDesc,
        Sort::UpdatedAsc,
        Sort::Relevance,
    ] {
        let mut seen = Vec::new();
        let mut cursor: Option<String> = None;
        loop {
            let r = f.run(&admin(), "", sort, cursor.as_deref(), 2);
            assert_eq!(r.total, 5);
            seen.extend(r.hits.iter().map(|h| (h.id, h.created_at, h.updated_at)));
            match r.next_cursor {
                Some(c) => cursor = Some(c),
                None => break,
            }
        }
        assert_eq!(seen.len(), 5, "{sort:?}: {seen:?}");
        let mut ids: Vec<u64> = seen.iter().map(|s| s.0).collect();
        ids.sort();
        ids.dedup();
        assert_eq!(ids.len(), 5, "{sort:?}");
        let key = |s: &(u64, i64, i64)| match sort {
            Sort::CreatedDesc => -s.1,
            Sort::CreatedAsc => s.1,
            Sort::UpdatedDesc => -s.2,
            Sort::UpdatedAsc => s.2,
            Sort::Relevance => 0,
        };
        assert!(
            seen.windows(2).all(|w| key(&w[0]) <= key(&w[1])),
            "{sort:?}: {seen:?}"
        );
    }
    let err = f
        .index
        .search(&SearchRequest {
            query: "",
            reader: &admin(),
            directory: &f.directory,
            sort: Sort::CreatedDesc,
            cursor: Some("garbage"),
            limit: 2,
            facets: false,
        })
        .expect_err("bad cursor");
    assert!(err.to_string().contains("cursor"));
}

#[test]
fn relevance_puts_subject_matches_first_and_favours_recent_tickets() {
    let f = fixture();
    let r = f.run(&admin(), "offline", Sort::Relevance, None, 10);
    assert_eq!(r.hits[0].id, 1005);
    // Both mention the printer in subject and body; 1005 is newer.
    let r = f.run(&admin(), "printer", Sort::Relevance, None, 10);
    assert_eq!(r.hits.len(), 2);
}

#[test]
fn similar_tickets_are_solved_and_alike() {
    let f = fixture();
    let mut more = ticket(
        1006,
        "Printer jams again",
        vec![msg(8, true, "Our printer jams on two pages again, roller?")],
    );
    more.updated_at = NOW;
    f.index
        .apply(
            &[more],
            &[],
            Checkpoint {
                schema: triage_search::schema::SCHEMA_VERSION,
                position: 6,
                complete: true,
            },
        )
        .expect("apply");
    let similar = f
        .index
        .similar(1006, &admin(), &f.directory, 5)
        .expect("similar");
    let ids: Vec<u64> = similar.iter().map(|h| h.id).collect();
    assert_eq!(ids.first(), Some(&1001), "{ids:?}");
    assert!(!ids.contains(&1006) && !ids.contains(&1002));
    assert!(
        f.index
            .similar(999_999, &admin(), &f.directory, 5)
            .expect("none")
            .is_empty()
    );
}

#[test]
fn updates_and_deletes_replace_documents_and_the_checkpoint_travels_with_them() {
    let f = fixture();
    let mut t = tickets().remove(1);
    t.version = 2;
    t.subject = "Tickets arrived after all".into();
    f.index
        .apply(
            &[t],
            &[1003],
            Checkpoint {
                schema: triage_search::schema::SCHEMA_VERSION,
                position: 9,
                complete: true,
            },
        )
        .expect("apply");
    assert_eq!(f.ids("arrived"), vec![1002]);
    assert_eq!(f.ids("билет"), Vec::<u64>::new());
    let versions = f.index.versions().expect("versions");
    assert_eq!(versions.len(), 4);
    assert_eq!(versions.get(&1002), Some(&2));
    assert_eq!(
        f.index
            .checkpoint()
            .expect("checkpoint")
            .map(|c| c.position),
        Some(9)
    );
    // Reopening sees the same.
    let dir = f.index.dir().to_path_buf();
    let Fixture { _dir, index, .. } = f;
    index.close().expect("close");
    let reopened = SearchIndex::open(&dir, WriterConfig::LIVE).expect("reopen");
    assert_eq!(
        reopened
            .checkpoint()
            .expect("checkpoint")
            .map(|c| c.position),
        Some(9)
    );
    assert_eq!(reopened.len(), 4);
}

#[test]
fn clearing_empties_the_index_and_marks_it_incomplete() {
    let f = fixture();
    f.index
        .clear(Checkpoint {
            schema: triage_search::schema::SCHEMA_VERSION,
            position: 0,
            complete: false,
        })
        .expect("clear");
    assert_eq!(f.index.len(), 0);
    assert_eq!(f.ids(""), Vec::<u64>::new());
    let c = f.index.checkpoint().expect("checkpoint").expect("some");
    assert!(!c.complete);
    // An index left incomplete is not opened as usable: it is rebuilt.
    let dir = f.index.dir().to_path_buf();
    let Fixture { _dir, index, .. } = f;
    index.close().expect("close");
    let err = SearchIndex::open(&dir, WriterConfig::LIVE).expect_err("incomplete");
    assert!(err.to_string().contains("interrupted"), "{err}");
}
