//! Tests of the debug walk's lines and of the hints that end it.

use super::*;

/// An extraction's failure cause.
fn missed(name: &str, source: Source, misfit: bool, near: bool) -> Cause {
    Cause::Extract {
        name: name.to_string(),
        source,
        misfit,
        near,
    }
}

/// An unexpected status's failure cause.
fn status(own: bool, followed_redirect: bool, retry_after: bool) -> Cause {
    Cause::Status {
        own,
        followed_redirect,
        retry_after,
    }
}

/// A request sent again on a new connection says so in its line.
#[test]
fn a_request_sent_again_says_so() {
    let mut hop = Hop::answered_for_test("http://shop.test/b", &[]);
    assert_eq!(
        hop_line(&hop, false),
        "GET http://shop.test/b → 200  0.0 ms"
    );
    hop.resent = true;
    hop.new_connection = true;
    for verbose in [false, true] {
        assert!(
            hop_line(&hop, verbose).ends_with(
                "  (sent again on a new connection: the shop closed the kept one as the request went out)"
            ),
            "{}",
            hop_line(&hop, verbose)
        );
    }
}

#[test]
fn only_an_answer_a_shop_gives_as_its_business_is_offered_to_accept() {
    let http = |code| accept_hint(ErrorKind::Http4xx, Some(code), &status(false, false, false));
    // A union's answer is accepted by its name, an error by its code.
    let graphql = |code: &str, typename| Cause::Graphql {
        code: Some(code.to_string()),
        typename,
    };
    let union = accept_hint(ErrorKind::Graphql, Some(200), &graphql("OutOfStock", true));
    assert_eq!(
        union.as_deref(),
        Some("add \"OutOfStock\" to the names the step's `expect.typename` accepts")
    );
    let error = accept_hint(
        ErrorKind::Graphql,
        Some(200),
        &graphql("OUT_OF_STOCK", false),
    );
    assert!(
        error
            .unwrap()
            .contains("`allow_errors = [\"OUT_OF_STOCK\"]`")
    );
    // A redirect loop, or a Location not followed: no status to add would help.
    for kind in [ErrorKind::Redirects, ErrorKind::Location] {
        assert_eq!(accept_hint(kind, Some(302), &Cause::Other), None);
    }
    // The default answers stay accepted beside it (a list of its own
    // would fail the step's usual 200).
    assert_eq!(
        http(409).unwrap(),
        "add its status to those the step passes with (by default any 2xx or 3xx): \
         `expect = { status = [\"2xx\", \"3xx\", 409] }`"
    );
    assert!(http(422).is_some() && http(410).is_some());
    for refused in [400, 401, 403, 404, 419] {
        assert_eq!(http(refused), None, "{refused}");
    }
    let id = missed("id", Source::Json, false, false);
    assert!(accept_hint(ErrorKind::Extract, None, &id).is_some());
    // A path that does not fit a 2xx answer is a mistake `optional`
    // would hide; in a 409 the shop gives as its business, it may be none.
    let misfit = missed("id", Source::Json, true, false);
    assert_eq!(accept_hint(ErrorKind::Extract, Some(200), &misfit), None);
    assert!(accept_hint(ErrorKind::Extract, Some(409), &misfit).is_some());
    assert!(accept_hint(ErrorKind::Extract, Some(200), &id).is_some());
    // A step that lists its own statuses is told to add one to them:
    // the default ones would let a 200 through where it expects a 201.
    assert_eq!(
        accept_hint(ErrorKind::Http4xx, Some(409), &status(true, false, false)).unwrap(),
        "add 409 to the statuses the step's `expect` lists"
    );
}

/// The k6 user's `$.data.token` against `{"token": …, "user": …}`: the walk
/// says the path does not fit, and offers no `optional` to hide it.
#[test]
fn a_json_path_that_does_not_fit_the_answer_is_not_offered_as_optional() {
    let failed = |kind, what, cause| failing(kind, 200, what, cause, "", 0);
    let misfit = "extract token: json \"$.data.token\" does not fit the answer: \
        $.data: no key \"data\"; $ has keys: token, user";
    let said = show_walk(
        &failed(
            ErrorKind::Extract,
            misfit,
            missed("token", Source::Json, true, false),
        ),
        false,
        1,
    );
    assert!(
        said.contains(&format!("failed (extract): {misfit}\n")),
        "{said}"
    );
    assert!(
        said.contains("; the JSONPath does not fit the answer the shop gave: write it to what the answer holds"),
        "{said}"
    );
    assert!(!said.contains("optional"), "{said}");
    let empty = "extract id: json \"$.items[0].id\" matched nothing: \
        $.items[0]: $.items is an empty array";
    let said = show_walk(
        &failed(
            ErrorKind::Extract,
            empty,
            missed("id", Source::Json, false, false),
        ),
        false,
        1,
    );
    assert!(
        said.contains("make the extraction `optional` if the answer may lack it"),
        "{said}"
    );
    // A check whose path does not fit: the path to fix, not a check to loosen.
    let check = "$.data.id exists: the path does not fit the answer: \
        $.data: no key \"data\"; $ has keys: id, sku";
    let said = show_walk(
        &failed(
            ErrorKind::Check,
            check,
            Cause::Check {
                misfit: true,
                near: false,
                landed: false,
            },
        ),
        false,
        1,
    );
    assert!(said.contains("; the JSONPath does not fit"), "{said}");
    assert!(!said.contains("loosen the check"), "{said}");
    // A text the page lacks beside one close to it: the text to write.
    let text = "body contains \"Add to basket\": not in the body; the body has \"Add to cart\"";
    let near = Cause::Check {
        misfit: false,
        near: true,
        landed: false,
    };
    let said = show_walk(&failed(ErrorKind::Check, text, near), false, 1);
    assert!(said.contains(&format!("; {NEAR_HINT}")), "{said}");
    assert!(!said.contains("loosen the check"), "{said}");
}

/// A GraphQL error refusing the request (a lost token, a misspelt field) is
/// not offered as a business answer to accept.
#[test]
fn a_graphql_refusal_is_told_apart_from_a_business_answer() {
    assert_eq!(
        refusing_code(Some("UNAUTHENTICATED")),
        Some("UNAUTHENTICATED")
    );
    assert_eq!(
        refusing_code(Some("GRAPHQL_VALIDATION_FAILED")),
        Some("GRAPHQL_VALIDATION_FAILED")
    );
    assert_eq!(refusing_code(Some("OUT_OF_STOCK")), None);
    assert_eq!(refusing_code(None), None);
}

/// A refusal points at what it refuses: a wrong `graphql_path` answered 404
/// was sent to the headers.
#[test]
fn a_refusal_points_at_what_it_refuses() {
    assert!(refused_hint(404).contains("check the step's URL"));
    assert!(refused_hint(405).contains("the method"));
    assert!(refused_hint(401).contains("credentials"));
    assert!(refused_hint(400).contains("headers and body"));
}

/// A 401 to a request the judge found no credential in (its example says
/// so), and that carried no cookie, is told how to send the token (a trial's
/// forgotten Authorization header read "check the token the step sends");
/// one with a cookie, or a credential the judge found, keeps the general hint.
#[test]
fn a_401_to_a_request_without_credentials_says_none_were_sent() {
    let what = format!("expected status 2xx or 3xx, got 401; {NO_CREDENTIAL}");
    let bare = failing(
        ErrorKind::Http4xx,
        401,
        &what,
        status(false, false, false),
        "",
        30,
    );
    let said = show_walk(&bare, false, 1);
    assert!(
        said.contains("a 401 asks for credentials, and the request carried none (no cookie either): send the token a step extracted"),
        "{said}"
    );
    let mut cookie = bare.clone();
    (cookie.journeys[0].steps[0].hops[0].request_headers)
        .push(("Cookie".into(), "session=[redacted]".into()));
    let carried = failing(
        ErrorKind::Http4xx,
        401,
        "expected status 2xx or 3xx, got 401",
        status(false, false, false),
        "",
        30,
    );
    for walk in [cookie, carried] {
        let said = show_walk(&walk, false, 1);
        assert!(said.contains("a 401 refuses the credentials"), "{said}");
    }
}

/// A walk of one journey whose one step failed so, on a page of `size` bytes.
fn failing(kind: ErrorKind, status: u16, what: &str, cause: Cause, body: &str, size: u64) -> Walk {
    use crate::driver::walk::JourneyWalk;
    let mut hop = Hop::answered_for_test("http://shop.test/", &[]);
    hop.status = Some(status);
    hop.size = Some(size);
    Walk {
        journeys: vec![JourneyWalk {
            name: "buyer".to_string(),
            steps: vec![StepWalk {
                name: "home".to_string(),
                hops: vec![hop],
                seen: Default::default(),
                failure: Some(crate::metrics::examples::Example {
                    step: 0,
                    kind,
                    status: Some(status),
                    latency_us: None,
                    request: String::new(),
                    trace_id: None,
                    what: what.to_string(),
                    redirects: Vec::new(),
                    body: body.to_string(),
                    cause,
                }),
                not_sent: None,
                written_headers: Vec::new(),
            }],
        }],
    }
}

/// A selector that matched nothing in a 2xx page (`#csrf` for a hidden input
/// named csrf) is a selector written wrong, and a token the next steps send
/// is not to be left out: neither is offered `optional`. In a 409 the shop
/// gives as its business, the value may be missing.
#[test]
fn a_css_miss_or_a_token_in_a_2xx_answer_is_not_offered_as_optional() {
    let css = "extract csrf: css = \"#csrf\", attr = \"value\" matched nothing; the page has \
        <input type=\"hidden\" name=\"csrf\"> (css = \"input[name=csrf]\" selects the first)";
    let near = missed("csrf", Source::Css, false, true);
    let said = show_walk(
        &failing(ErrorKind::Extract, 200, css, near.clone(), "", 4051),
        false,
        1,
    );
    assert!(
        said.contains("; the selector matched nothing in the page the shop gave: write it to what the page holds (the failure names what is near it), not `optional`"),
        "{said}"
    );
    assert!(!said.contains("make the extraction `optional`"), "{said}");
    // Nothing near it named: no pointer to it.
    let bare = "extract links: css = \"a.product-link\", attr = \"href\" matched nothing";
    let links = missed("links", Source::Css, false, false);
    let said = show_walk(
        &failing(ErrorKind::Extract, 200, bare, links, "", 4051),
        false,
        1,
    );
    assert!(
        said.contains("write it to what the page holds, not `optional`"),
        "{said}"
    );
    assert_eq!(accept_hint(ErrorKind::Extract, Some(200), &near), None);
    assert!(accept_hint(ErrorKind::Extract, Some(409), &near).is_some());
    // A JSON value an answer may lack, named as a token: not optional either.
    let token = "extract token: json \"$.items[0].token\" matched nothing: \
        $.items[0]: $.items is an empty array";
    let named = missed("token", Source::Json, false, false);
    assert_eq!(accept_hint(ErrorKind::Extract, Some(200), &named), None);
    let said = show_walk(
        &failing(ErrorKind::Extract, 200, token, named, "", 30),
        false,
        1,
    );
    assert!(
        said.contains("; `token` reads like a token the next steps send: `optional` would send them without it"),
        "{said}"
    );
}

/// A step expecting a 303 that followed it to a 200 is told, at the end of
/// the walk as on its failure line, to check the redirect unfollowed — not to
/// accept the 200.
#[test]
fn a_followed_redirect_the_step_expects_is_not_told_to_accept_the_page() {
    let what = format!(
        "expected status 303, got 200 after following redirects (303 → http://shop.test/cart, \
         then 200); {FOLLOW_REDIRECTS}"
    );
    let followed = status(true, true, false);
    let said = show_walk(
        &failing(ErrorKind::Status, 200, &what, followed.clone(), "", 180),
        false,
        1,
    );
    assert!(
        said.contains("; the step expects a redirect, and it was followed: to check the redirect itself, set follow_redirects = false on the step"),
        "{said}"
    );
    assert!(!said.contains("add 200"), "{said}");
    assert_eq!(accept_hint(ErrorKind::Status, Some(200), &followed), None);
}

/// A redirect the step did not follow, where it expected a 200, is said to
/// be one: "if it is the shop's business answer (an out-of-stock 409,
/// say), add 302" read oddly beside a basket's usual redirect.
#[test]
fn an_unfollowed_redirect_says_expect_it_or_follow_it() {
    let what = "expected status 200, got 302";
    let said = show_walk(
        &failing(
            ErrorKind::Status,
            302,
            what,
            status(true, false, false),
            "",
            0,
        ),
        false,
        1,
    );
    assert!(
        said.contains("; the shop answered a redirect (302) the step did not follow: expect it (`expect = { status = 302 }`), or let the step follow it (follow_redirects, the default) and check the page it leads to"),
        "{said}"
    );
    assert!(!said.contains("business answer"), "{said}");
}

/// A `url` check the step's landing failed is the shop's way, told as such:
/// "if it is the shop's business answer (an out-of-stock 409, say), loosen
/// the check" read oddly beside a step sent to the login page.
#[test]
fn a_url_check_failed_says_the_shop_sent_the_step_elsewhere() {
    let landed = Cause::Check {
        misfit: false,
        near: false,
        landed: true,
    };
    let what = "url == \"/checkout/\": landed on \"http://shop.test/basket/\"";
    let said = show_walk(
        &failing(ErrorKind::Check, 200, what, landed.clone(), "", 0),
        false,
        1,
    );
    assert!(said.contains(&format!("; {LANDED_HINT}")), "{said}");
    assert!(!said.contains("business answer"), "{said}");
    assert_eq!(accept_hint(ErrorKind::Check, Some(200), &landed), None);
}

/// A check that fails on a small 200 page reading like a waiting room is the
/// check catching the shop's answer to load: not to be loosened. A large
/// page, a page without those words ("business" is not "busy"), or a status
/// other than 2xx is read as before.
#[test]
fn a_check_failed_on_a_small_busy_page_is_read_as_the_waiting_room() {
    let what = "body does not contain \"Add to cart\"";
    let queue = "(HTML page, its text) Queue — You are in the queue, please wait";
    let check = || Cause::Check {
        misfit: false,
        near: false,
        landed: false,
    };
    let said = show_walk(
        &failing(ErrorKind::Check, 200, what, check(), queue, 149),
        false,
        1,
    );
    assert!(
        said.contains(" — the shop answered 200 with a page that reads like its waiting room or a busy page (a small page that says \"queue\"), not the page the step expects; the check caught it: keep the check (do not loosen it), and walk again when the shop is not under load"),
        "{said}"
    );
    assert!(
        !said.contains("; loosen the check") && !said.contains("say), loosen"),
        "{said}"
    );
    let busy = "(HTML page, its text) We are very BUSY right now. Please Try Again";
    let said = show_walk(
        &failing(ErrorKind::Check, 200, what, check(), busy, 900),
        false,
        1,
    );
    assert!(said.contains("(a small page that says \"busy\")"), "{said}");
    let extract = "extract links: css = \"a.product-link\", attr = \"href\" matched nothing";
    let said = show_walk(
        &failing(
            ErrorKind::Extract,
            200,
            extract,
            missed("links", Source::Css, false, false),
            queue,
            149,
        ),
        false,
        1,
    );
    assert!(
        said.contains("the extraction found nothing in it"),
        "{said}"
    );
    for (body, size) in [
        (queue, 20_000),
        ("(HTML page, its text) Business hours: 9 to 5", 300),
        ("(HTML page, its text) Sneakers 22.99 Add to basket", 300),
    ] {
        let said = show_walk(
            &failing(ErrorKind::Check, 200, what, check(), body, size),
            false,
            1,
        );
        assert!(
            said.contains("the scenario fails, not the shop's capacity; if the shop may answer so (an empty search or basket, say), loosen the check"),
            "{body} {size}: {said}"
        );
    }
}

/// Whose fault a walk is: the scenario's when one journey fails for its own
/// reasons, even when another met the shop's waiting room; the shop's when
/// each scripting failure was on its waiting room, or none was scripting.
#[test]
fn a_walk_is_the_scenarios_fault_unless_every_scripting_failure_met_the_waiting_room() {
    let queue = "(HTML page, its text) You are in the queue, please wait";
    let room = || {
        failing(
            ErrorKind::Check,
            200,
            "body does not contain \"Add to cart\"",
            Cause::Check {
                misfit: false,
                near: false,
                landed: false,
            },
            queue,
            149,
        )
    };
    let typo = failing(
        ErrorKind::Http4xx,
        404,
        "expected status 2xx or 3xx, got 404",
        status(false, false, false),
        "",
        20,
    );
    let down = || {
        failing(
            ErrorKind::Http5xx,
            503,
            "expected status 2xx or 3xx, got 503",
            status(false, false, false),
            "",
            20,
        )
    };
    let both = |first: Walk, second: Walk| Walk {
        journeys: first.journeys.into_iter().chain(second.journeys).collect(),
    };
    assert!(matches!(
        room().fault(),
        Some(Fault::WaitingRoom(_, "queue"))
    ));
    // The waiting room first, a 404 after: the scenario is wrong all the same.
    let walk = both(room(), typo);
    let Some(Fault::Scenario(failed)) = walk.fault() else {
        panic!("{:?}", walk.fault());
    };
    assert_eq!(failed.failure.status, Some(404));
    assert!(matches!(
        both(room(), down()).fault(),
        Some(Fault::WaitingRoom(..))
    ));
    assert!(matches!(down().fault(), Some(Fault::Shop)));
    let mut passed = down();
    passed.journeys[0].steps[0].failure = None;
    assert!(passed.fault().is_none());
}

/// A 429 in the walk is the shop's rate limit: the walk says to wait (as its
/// Retry-After asks) and walk again.
#[test]
fn a_429_in_the_walk_says_the_shop_limited_the_rate() {
    let what = "expected status 2xx or 3xx, got 429 (Retry-After: 1)";
    let said = show_walk(
        &failing(
            ErrorKind::Http4xx,
            429,
            what,
            status(false, false, true),
            "",
            20,
        ),
        false,
        1,
    );
    assert!(
        said.contains(" — the shop fails; the shop limited the rate (429 Too Many Requests; a rate limit is often counted per client address): wait as its Retry-After asks and walk again, or spread the logins (seed 1)"),
        "{said}"
    );
}

#[test]
fn verbose_says_whether_a_request_opened_its_connection() {
    let mut hop = Hop::answered_for_test("http://shop.test/b", &[]);
    assert_eq!(
        hop_line(&hop, true),
        "GET http://shop.test/b → 200  0.0 ms  (reused connection)"
    );
    hop.new_connection = true;
    assert_eq!(
        hop_line(&hop, true),
        "GET http://shop.test/b → 200  0.0 ms  (new connection)"
    );
    assert_eq!(
        hop_line(&hop, false),
        "GET http://shop.test/b → 200  0.0 ms"
    );
}

/// Too many redirects: a loop (an address comes again) is the scenario's, most
/// often a login or a cookie it lacks; a long chain is told to raise
/// `max_redirects`; a chain through a waiting room's address is the shop's.
#[test]
fn a_redirect_loop_a_long_chain_and_a_waiting_room_are_told_apart() {
    let with_hops = |hops: &[&str]| {
        let mut walk = failing(
            ErrorKind::Redirects,
            302,
            "more redirects than max_redirects (10)",
            Cause::Other,
            "",
            0,
        );
        let failure = walk.journeys[0].steps[0].failure.as_mut().unwrap();
        failure.redirects = hops
            .iter()
            .map(|h| format!("302 → http://shop.test{h}"))
            .collect();
        walk
    };
    let looped = show_walk(&with_hops(&["/a", "/b", "/a"]), false, 1);
    assert!(
        looped.contains("the scenario fails, not the shop's capacity"),
        "{looped}"
    );
    assert!(looped.contains("a loop of redirects"), "{looped}");
    let chain = show_walk(&with_hops(&["/a", "/b", "/c"]), false, 1);
    assert!(chain.contains("raise `max_redirects`"), "{chain}");
    let queue = with_hops(&["/a", "/queue?id=7", "/queue?id=8"]);
    assert!(matches!(
        queue.fault(),
        Some(Fault::WaitingRoom(_, "queue"))
    ));
    // A page's busy word in an address by chance is no waiting room.
    let business = with_hops(&["/business", "/inline-help", "/business"]);
    assert!(matches!(business.fault(), Some(Fault::Scenario(_))));
}
