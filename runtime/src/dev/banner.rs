//! The start banner: which Worker runs, the bindings its `env` holds (in
//! the table wrangler prints), the queues it consumes, its cron triggers.

use std::fmt::Write;

use isola_apis::BannerRow;

use crate::config::WorkerConfig;

/// The banner for `config`, ending before the "Ready on" line.
pub fn banner(config: &WorkerConfig) -> String {
    let mut rows: Vec<[String; 3]> = Vec::new();
    for binding in &config.bindings {
        let BannerRow { resource, kind } = binding.banner();
        rows.push(row(binding.binding(), &resource, kind));
    }
    for (name, value) in &config.vars {
        rows.push(row(name, &value.to_string(), "Environment Variable"));
    }
    for name in config.secrets.keys() {
        rows.push(row(name, "\"(hidden)\"", "Environment Variable"));
    }
    let mut text = format!(
        "isola dev · {} ({})\n",
        config.name,
        config.source.display()
    );
    if rows.is_empty() {
        text.push_str("No bindings found.\n");
    } else {
        text.push_str("Your Worker has access to the following bindings:\n");
        rows.insert(0, ["Binding".into(), "Resource".into(), "Mode".into()]);
        let widths = [0, 1].map(|i| rows.iter().map(|r| r[i].chars().count()).max().unwrap_or(0));
        for [binding, resource, mode] in &rows {
            let _ = writeln!(
                text,
                "{binding:<w0$}  {resource:<w1$}  {mode}",
                w0 = widths[0],
                w1 = widths[1]
            );
        }
    }
    if let Some(assets) = &config.assets {
        let _ = writeln!(text, "Static assets: {}", assets.directory.display());
    }
    for consumer in &config.consumers {
        let dead_letter = consumer
            .dead_letter_queue
            .as_deref()
            .map(|q| format!(", dead letters to {q}"))
            .unwrap_or_default();
        let _ = writeln!(
            text,
            "Queue consumer: {} (batches of up to {} within {} s, {} retries{dead_letter})",
            consumer.queue,
            consumer.max_batch_size,
            consumer.max_batch_timeout,
            consumer.max_retries
        );
    }
    if !config.crons.is_empty() {
        let crons: Vec<&str> = config.crons.iter().map(|c| c.expression.as_str()).collect();
        let _ = writeln!(text, "Cron triggers: {}", crons.join(", "));
    }
    text
}

fn row(binding: &str, resource: &str, kind: &str) -> [String; 3] {
    [
        format!("env.{binding} ({resource})"),
        kind.to_string(),
        "local".to_string(),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lists_bindings_as_wrangler_does() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("index.js"), "export default {}").unwrap();
        std::fs::write(
            dir.path().join("wrangler.toml"),
            "name = \"shop\"\nmain = \"index.js\"\nkv_namespaces = [{ binding = \"CACHE\", id = \"abc123\" }]\n\
             [vars]\nGREETING = \"hi\"\n",
        )
        .unwrap();
        let mut config = WorkerConfig::load(dir.path()).unwrap();
        config.secrets.insert("API_KEY".into(), "s3cret".into());
        let text = banner(&config);
        assert!(text.contains("Your Worker has access to the following bindings:"));
        let table: Vec<&str> = text
            .lines()
            .skip_while(|line| !line.starts_with("Binding"))
            .collect();
        let columns = |line: &str| -> Vec<String> {
            line.split("  ")
                .map(str::trim)
                .filter(|c| !c.is_empty())
                .map(String::from)
                .collect()
        };
        assert_eq!(columns(table[0]), ["Binding", "Resource", "Mode"]);
        assert_eq!(
            columns(table[1]),
            ["env.CACHE (abc123)", "KV Namespace", "local"]
        );
        assert_eq!(
            columns(table[2]),
            ["env.GREETING (\"hi\")", "Environment Variable", "local"]
        );
        assert_eq!(
            columns(table[3]),
            [
                "env.API_KEY (\"(hidden)\")",
                "Environment Variable",
                "local"
            ]
        );
        let resource_at = table[0].find("Resource").unwrap();
        assert!(
            table
                .iter()
                .skip(1)
                .all(|line| line[resource_at - 2..].starts_with("  ")
                    && !line[resource_at..].starts_with(' '))
        );
        assert!(!text.contains("s3cret"));
    }

    #[test]
    fn shows_queue_producers_and_consumers() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("index.js"), "export default {}").unwrap();
        std::fs::write(
            dir.path().join("wrangler.toml"),
            "main = \"index.js\"\n[[queues.producers]]\nbinding = \"JOBS\"\nqueue = \"jobs\"\n\
             [[queues.consumers]]\nqueue = \"jobs\"\ndead_letter_queue = \"dead\"\n",
        )
        .unwrap();
        let text = banner(&WorkerConfig::load(dir.path()).unwrap());
        assert!(text.contains("env.JOBS (jobs)  Queue"), "{text}");
        assert!(
            text.contains(
                "Queue consumer: jobs (batches of up to 10 within 5 s, 3 retries, dead letters to dead)"
            ),
            "{text}"
        );
    }
}
