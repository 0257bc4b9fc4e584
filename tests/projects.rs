//! Worker projects written by others (create-cloudflare's templates, taken
//! from npm by scripts/prepare-projects.mjs) and apps of our own on popular
//! frameworks (tests/projects/), served by `isola dev` as their `dev`
//! scripts serve them with wrangler, must answer every request of
//! tests/projects/projects.json as `wrangler dev` did: status,
//! Content-Type, Location and body, as recorded in
//! tests/projects/answers.json by scripts/record-projects.mjs. The answers
//! that still differ are exactly those docs/compat.md lists, with why.

use std::collections::BTreeSet;
use std::path::Path;
use std::process::Command;

use serde_json::Value;

use crate::support::{Isola, repo};

fn read_json(path: &Path) -> Value {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// Lays the projects out under target/projects (scripts/setup does too).
fn prepare() {
    let status = Command::new("node")
        .arg(repo().join("scripts/prepare-projects.mjs"))
        .status()
        .expect("run node scripts/prepare-projects.mjs (is Node.js installed?)");
    assert!(status.success(), "scripts/prepare-projects.mjs failed");
}

/// What the project's `dev` script passes to `wrangler dev` (nothing when
/// it runs another tool, such as Vite's dev server).
fn dev_args(dir: &Path) -> Vec<String> {
    let script = std::fs::read_to_string(dir.join("package.json"))
        .ok()
        .and_then(|text| serde_json::from_str::<Value>(&text).ok())
        .and_then(|pkg| pkg["scripts"]["dev"].as_str().map(str::to_string))
        .unwrap_or_else(|| "wrangler dev".into());
    let words: Vec<&str> = script.split_whitespace().collect();
    match words.windows(2).position(|w| w == ["wrangler", "dev"]) {
        Some(i) => words[i + 2..].iter().map(|w| w.to_string()).collect(),
        None => Vec::new(),
    }
}

/// The answer to `request`, as scripts/record-projects.mjs records it.
fn answer(isola: &Isola, request: &Value) -> Value {
    let agent = ureq::AgentBuilder::new().redirects(0).build();
    let origin = isola.url("");
    let origin = origin.trim_end_matches('/');
    let method = request["method"].as_str().unwrap_or("GET");
    let mut call = agent.request(method, &format!("{origin}{}", request["path"].as_str().unwrap()));
    for (name, value) in request["headers"].as_object().into_iter().flatten() {
        call = call.set(name, value.as_str().unwrap());
    }
    let result = match request["body"].as_str() {
        Some(body) => call.send_string(body),
        None => call.call(),
    };
    let response = match result {
        Ok(response) | Err(ureq::Error::Status(_, response)) => response,
        Err(e) => panic!("{method} {}: {e}", request["path"]),
    };
    let today = chrono::Utc::now().format("%Y-%m-%d").to_string();
    let normalize = |text: &str| text.replace(origin, "{origin}").replace(&today, "{today}");
    let mut seen = serde_json::json!({
        "status": response.status(),
        "contentType": response.header("content-type"),
    });
    if let Some(location) = response.header("location") {
        seen["location"] = normalize(location).into();
    }
    seen["body"] = normalize(&response.into_string().unwrap_or_default()).into();
    seen
}

/// `answer` with the content hashes of a bundler's file names masked
/// (`/assets/index-B5KL1kW8.js`). They come from the build, not from the
/// runtime that serves it: npm resolves a framework's tools anew, so two
/// builds of a project seldom name their bundles alike.
fn without_build_hashes(answer: &Value) -> Value {
    static HASHED: std::sync::LazyLock<regex::Regex> = std::sync::LazyLock::new(|| {
        regex::Regex::new(r"(/assets/[\w.-]+?)-[\w-]{8}\.(js|css)\b").unwrap()
    });
    let text = answer.to_string();
    let masked = HASHED.replace_all(&text, "$1-{hash}.$2");
    serde_json::from_str(&masked).expect("masking keeps JSON whole")
}

/// `project METHOD /path` of each answer docs/compat.md lists as differing.
fn listed_in_compat() -> BTreeSet<String> {
    let compat = std::fs::read_to_string(repo().join("docs/compat.md")).unwrap();
    let section = compat
        .split("\n## Projects\n")
        .nth(1)
        .expect("docs/compat.md has a Projects section");
    let section = section.split("\n## ").next().unwrap();
    section
        .lines()
        .filter_map(|line| line.strip_prefix("- `"))
        .filter_map(|line| {
            let (project, rest) = line.split_once("` `")?;
            let (request, _) = rest.split_once('`')?;
            Some(format!("{project} {request}"))
        })
        .collect()
}

#[test]
fn published_projects_answer_as_wrangler_dev_does() {
    prepare();
    let manifest = read_json(&repo().join("tests/projects/projects.json"));
    let answers = read_json(&repo().join("tests/projects/answers.json"));
    let mut differing = BTreeSet::new();
    let mut details = String::new();
    let projects = manifest["projects"].as_object().unwrap();
    assert!(projects.len() >= 10, "the corpus holds at least 10 projects");
    for (name, project) in projects {
        let dir = repo().join("target/projects").join(name);
        let args = dev_args(&dir);
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let isola = Isola::try_dev_in(&dir, &args);
        let expected = answers[name].as_array().unwrap_or_else(|| {
            panic!("no answers recorded for {name}: run scripts/record-projects.mjs {name}")
        });
        let requests = project["requests"].as_array().unwrap();
        assert_eq!(requests.len(), expected.len(), "{name}: record its answers again");
        for (request, expected) in requests.iter().zip(expected) {
            let seen = match &isola {
                Ok(isola) => answer(isola, request),
                Err(log) => log.as_str().into(),
            };
            if without_build_hashes(&seen) != without_build_hashes(expected) {
                let key = format!(
                    "{name} {} {}",
                    request["method"].as_str().unwrap_or("GET"),
                    request["path"].as_str().unwrap()
                );
                details.push_str(&format!("{key}\n  wrangler: {expected}\n  isola:    {seen}\n"));
                differing.insert(key);
            }
        }
    }
    let listed = listed_in_compat();
    assert_eq!(
        differing, listed,
        "the answers that differ from wrangler dev's must be those docs/compat.md lists \
         under Projects:\n{details}"
    );
}
