//! HAR 1.2 as browsers write it (the parts import reads), and the exchanges made
//! from it: one request with its decoded body and its response with its decoded
//! body (base64 and gzip undone), in the order they were sent.

use std::io::Read;

use base64::Engine;
use serde::Deserialize;

#[derive(Debug, Deserialize)]
pub struct Har {
    pub log: Log,
}

#[derive(Debug, Deserialize)]
pub struct Log {
    #[serde(default)]
    pub entries: Vec<Entry>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Entry {
    #[serde(default)]
    pub started_date_time: String,
    #[serde(default)]
    pub time: f64,
    pub request: Request,
    pub response: Response,
    /// Chromium's resource type: document, xhr, fetch, script, stylesheet, image…
    #[serde(default, rename = "_resourceType")]
    pub resource_type: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Request {
    pub method: String,
    pub url: String,
    #[serde(default)]
    pub headers: Vec<Pair>,
    pub post_data: Option<PostData>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PostData {
    #[serde(default)]
    pub mime_type: String,
    pub text: Option<String>,
    #[serde(default)]
    pub params: Vec<Pair>,
}

#[derive(Debug, Deserialize)]
pub struct Response {
    #[serde(default)]
    pub status: u16,
    #[serde(default)]
    pub headers: Vec<Pair>,
    #[serde(default)]
    pub content: Content,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Content {
    #[serde(default)]
    pub mime_type: String,
    pub text: Option<String>,
    pub encoding: Option<String>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct Pair {
    pub name: String,
    pub value: String,
}

/// One request and its answer, decoded.
#[derive(Debug, Clone)]
pub struct Exchange {
    pub method: String,
    pub url: url::Url,
    /// Milliseconds since the Unix epoch when the request left (0 if unknown).
    pub started_ms: f64,
    pub time_ms: f64,
    pub resource_type: Option<String>,
    pub request_headers: Vec<Pair>,
    pub request_mime: String,
    pub request_body: Option<String>,
    pub form: Vec<Pair>,
    pub status: u16,
    pub response_headers: Vec<Pair>,
    pub response_mime: String,
    pub response_body: String,
}

impl Exchange {
    pub fn response_header(&self, name: &str) -> Option<&str> {
        header(&self.response_headers, name)
    }

    pub fn request_header(&self, name: &str) -> Option<&str> {
        header(&self.request_headers, name)
    }

    /// Where the request ended (for the think time after it).
    pub fn ended_ms(&self) -> f64 {
        self.started_ms + self.time_ms.max(0.0)
    }
}

#[cfg(test)]
impl Exchange {
    /// A test's exchange: `method url` answered `status`, `mime` `body`, with
    /// `headers`; nothing else recorded.
    pub fn answered(method: &str, url: &str, status: u16, mime: &str, body: &str) -> Exchange {
        Exchange {
            method: method.into(),
            url: url::Url::parse(url).unwrap(),
            started_ms: 0.0,
            time_ms: 0.0,
            resource_type: None,
            request_headers: Vec::new(),
            request_mime: String::new(),
            request_body: None,
            form: Vec::new(),
            status,
            response_headers: Vec::new(),
            response_mime: mime.into(),
            response_body: body.into(),
        }
    }
}

#[cfg(test)]
impl Pair {
    /// `[("name", "value")]` as pairs.
    pub fn all(pairs: &[(&str, &str)]) -> Vec<Pair> {
        pairs
            .iter()
            .map(|(name, value)| Pair {
                name: name.to_string(),
                value: value.to_string(),
            })
            .collect()
    }
}

pub fn header<'a>(headers: &'a [Pair], name: &str) -> Option<&'a str> {
    headers
        .iter()
        .find(|p| p.name.eq_ignore_ascii_case(name))
        .map(|p| p.value.as_str())
}

/// The entries as exchanges, in the order they were sent, and a note for each
/// entry not read in full: one whose URL does not parse (left out), whose start
/// time does not read (kept where the recording has it, with no think time
/// before it), or whose body says base64 and is not (its values not looked for).
pub fn exchanges(har: Har) -> (Vec<Exchange>, Vec<String>) {
    let mut all = Vec::new();
    let mut notes = Vec::new();
    let mut last_ms = 0.0;
    for entry in har.log.entries {
        let url = match url::Url::parse(&entry.request.url) {
            Ok(url) => url,
            Err(_) => {
                notes.push(format!("unreadable URL skipped: {}", entry.request.url));
                continue;
            }
        };
        let said = format!("{} {url}", entry.request.method.to_ascii_uppercase());
        let started = started_ms(&entry.started_date_time).unwrap_or_else(|| {
            notes.push(format!(
                "unreadable startedDateTime {:?} of {said}: kept in the recording's order, no think time before it",
                entry.started_date_time
            ));
            last_ms
        });
        last_ms = started;
        let (exchange, body_read) = exchange(entry, url, started);
        if !body_read {
            notes.push(format!(
                "the answer to {said} says base64 but is not: its values are not looked for"
            ));
        }
        all.push(exchange);
    }
    all.sort_by(|a, b| a.started_ms.total_cmp(&b.started_ms));
    (all, notes)
}

/// The entry as an exchange, and whether its answer's body was read.
fn exchange(entry: Entry, url: url::Url, started_ms: f64) -> (Exchange, bool) {
    let post = entry.request.post_data;
    let request_mime = post
        .as_ref()
        .map(|p| p.mime_type.clone())
        .unwrap_or_default();
    let request_body = post.as_ref().and_then(|p| p.text.clone());
    let params = post.map(|p| p.params).unwrap_or_default();
    let form = match &request_body {
        // The body as sent is the truth: Chrome writes `params` as they stand
        // in the body, still percent-encoded (a base64 CSRF token's `+/=` as
        // %2B%2F%3D), Firefox decoded.
        Some(text) if request_mime.starts_with("application/x-www-form-urlencoded") => {
            form_pairs(text)
        }
        _ if params.iter().any(|p| percent_encoded(&p.value)) => {
            let text: Vec<String> = params
                .iter()
                .map(|p| format!("{}={}", p.name, p.value))
                .collect();
            form_pairs(&text.join("&"))
        }
        _ => params,
    };
    let content = entry.response.content;
    let body = decode_body(content.text.as_deref(), content.encoding.as_deref());
    let body_read = body.is_some();
    let exchange = Exchange {
        method: entry.request.method.to_ascii_uppercase(),
        url,
        started_ms,
        time_ms: entry.time,
        resource_type: entry.resource_type.map(|t| t.to_ascii_lowercase()),
        request_headers: entry.request.headers,
        request_mime,
        request_body,
        form,
        status: entry.response.status,
        response_headers: entry.response.headers,
        response_mime: content.mime_type.to_ascii_lowercase(),
        response_body: body.unwrap_or_default(),
    };
    (exchange, body_read)
}

/// A form body's fields, decoded.
fn form_pairs(text: &str) -> Vec<Pair> {
    url::form_urlencoded::parse(text.as_bytes())
        .map(|(name, value)| Pair {
            name: name.into_owned(),
            value: value.into_owned(),
        })
        .collect()
}

/// Whether a value holds a percent escape (`%2F`): as Chrome writes `params`.
fn percent_encoded(value: &str) -> bool {
    value
        .as_bytes()
        .windows(3)
        .any(|w| w[0] == b'%' && w[1].is_ascii_hexdigit() && w[2].is_ascii_hexdigit())
}

/// The body's text: base64 undone when the HAR says so, then gzip undone when the
/// bytes are gzip (some tools store the body as it came off the wire). `None`:
/// said to be base64, and not.
pub fn decode_body(text: Option<&str>, encoding: Option<&str>) -> Option<String> {
    let Some(text) = text else {
        return Some(String::new());
    };
    let bytes = match encoding {
        Some(e) if e.eq_ignore_ascii_case("base64") => {
            let compact: String = text.split_whitespace().collect();
            base64::engine::general_purpose::STANDARD
                .decode(compact)
                .ok()?
        }
        _ => text.as_bytes().to_vec(),
    };
    if bytes.starts_with(&[0x1f, 0x8b]) {
        let mut out = Vec::new();
        if flate2::read::MultiGzDecoder::new(bytes.as_slice())
            .read_to_end(&mut out)
            .is_ok()
        {
            return Some(String::from_utf8_lossy(&out).into_owned());
        }
    }
    Some(String::from_utf8_lossy(&bytes).into_owned())
}

/// `2026-12-01T22:18:41.507061Z` (or with an offset) as milliseconds since the
/// epoch; `None` when it does not read.
fn started_ms(text: &str) -> Option<f64> {
    let normal = text.trim();
    let offset_at = normal.len().saturating_sub(6);
    let has_offset = normal.len() > 6
        && normal.is_char_boundary(offset_at)
        && matches!(normal.as_bytes()[offset_at], b'+' | b'-')
        && normal.as_bytes()[offset_at + 3] == b':';
    if !has_offset {
        return humantime::parse_rfc3339_weak(normal.trim_end_matches('Z'))
            .ok()
            .map(millis);
    }
    // An offset like +02:00: humantime reads only UTC; shift by hand.
    let (time, offset) = normal.split_at(offset_at);
    let sign = if offset.starts_with('+') { -1.0 } else { 1.0 };
    let hours: f64 = offset[1..3].parse().ok()?;
    let minutes: f64 = offset[4..].parse().ok()?;
    humantime::parse_rfc3339_weak(time)
        .ok()
        .map(|t| millis(t) + sign * (hours * 60.0 + minutes) * 60_000.0)
}

fn millis(t: std::time::SystemTime) -> f64 {
    t.duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs_f64() * 1000.0)
        .unwrap_or(0.0)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    #[test]
    fn bodies_are_decoded_from_base64_and_gzip() {
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        gz.write_all(b"{\"token\":\"abc\"}").unwrap();
        let packed = base64::engine::general_purpose::STANDARD.encode(gz.finish().unwrap());
        assert_eq!(
            decode_body(Some(&packed), Some("base64")).unwrap(),
            "{\"token\":\"abc\"}"
        );
        assert_eq!(decode_body(Some("aGk="), Some("base64")).unwrap(), "hi");
        assert_eq!(decode_body(Some("plain"), None).unwrap(), "plain");
        assert_eq!(decode_body(Some("not base64!"), Some("base64")), None);
    }

    #[test]
    fn start_times_read_utc_and_offsets() {
        let utc = started_ms("2026-12-01T22:18:41.500Z").unwrap();
        let offset = started_ms("2026-12-01T23:18:41.500+01:00").unwrap();
        assert!(utc > 0.0);
        assert_eq!(utc, offset);
        assert_eq!(started_ms("yesterday"), None);
        assert_eq!(started_ms("2026-12-01T23:18:41.500+0x:00"), None);
    }
}
