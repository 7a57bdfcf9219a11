//! `stampede deploy kubernetes SCENARIO --shards N`: prints the manifests that run
//! a scenario as N shards on a Kubernetes Indexed Job — no operator and no master
//! process of our own: the cluster gives each pod its index, every pod starts the
//! profile at the same instant, writes its run into a shared volume, and
//! `stampede merge` joins them (docs/distributed.md).
//!
//! Printed as JSON documents separated by `---` (JSON is YAML: `kubectl apply -f -`
//! takes them as they are): a ConfigMap with the scenario and its data files, a
//! PersistentVolumeClaim for the results, and the Job.

use std::path::{Path, PathBuf};
use std::time::SystemTime;

use anyhow::anyhow;
use serde_json::{Value, json};

use crate::scenario::{self, Model, Scenario};

use super::cli::DeployArgs;
use super::exit::{Error, Exit, bad_input};
use super::options::JOB_COMPLETION_INDEX;

/// Where the scenario and its data are mounted in each pod.
const SCENARIO_DIR: &str = "/scenario";
/// Where each shard writes its run (`shard-<index>`): the shared volume.
const RESULTS_DIR: &str = "/results";
/// The port of `--metrics-addr` in each pod.
const METRICS_PORT: u16 = 9464;
/// Memory a shard needs besides its shoppers (BENCHMARKS.md: a 10-minute run
/// peaked at 22 MiB RSS), with room for the reports at the end.
const BASE_MEMORY_MIB: f64 = 64.0;
/// Memory per live shopper: BENCHMARKS.md measured 3.9 KiB per idle shopper with
/// an open connection; four times that leaves room for a request's buffers.
const SHOPPER_MEMORY_KIB: f64 = 16.0;
/// A ConfigMap holds at most 1 MiB.
const CONFIG_MAP_LIMIT: usize = 1024 * 1024;

/// What the manifests are made from.
pub struct Deployment<'a> {
    pub scenario: &'a Scenario,
    /// (key in the ConfigMap, path relative to the scenario, text): the
    /// scenario file first, then each data file.
    pub files: Vec<(String, String, String)>,
    pub shards: u32,
    pub image: &'a str,
    pub namespace: &'a str,
    /// The common start (RFC 3339).
    pub start_at: String,
}

pub fn kubernetes(args: &DeployArgs) -> Result<Exit, Error> {
    if args.shards == 0 {
        return Err(bad_input(anyhow!("--shards 0: at least one shard runs")));
    }
    let scenario = scenario::load(&args.scenario).map_err(bad_input)?;
    if scenario.target.base_url.is_none() {
        eprintln!(
            "warning: {} has no base_url: each pod would load its own embedded shop; \
             set [target] base_url to the shop under test",
            args.scenario.display()
        );
    }
    let files = files(&args.scenario).map_err(bad_input)?;
    let size: usize = files.iter().map(|(_, _, text)| text.len()).sum();
    if size > CONFIG_MAP_LIMIT * 9 / 10 {
        return Err(bad_input(anyhow!(
            "the scenario and its data files hold {size} bytes; a ConfigMap holds at most 1 MiB: \
             put large data files into the image or a volume"
        )));
    }
    let start = SystemTime::now() + args.start_in;
    let deployment = Deployment {
        scenario: &scenario,
        files,
        shards: args.shards,
        image: &args.image,
        namespace: &args.namespace,
        start_at: humantime::format_rfc3339_seconds(start).to_string(),
    };
    for manifest in manifests(&deployment) {
        println!("---");
        println!(
            "{}",
            serde_json::to_string_pretty(&manifest).unwrap_or_default()
        );
    }
    Ok(Exit::Ok)
}

/// The scenario file and the data files it names, each with a ConfigMap key.
fn files(path: &Path) -> anyhow::Result<Vec<(String, String, String)>> {
    let read = |p: &Path| {
        std::fs::read_to_string(p).map_err(|e| anyhow!("cannot read {}: {e}", p.display()))
    };
    let text = read(path)?;
    let name = path.file_name().map_or_else(
        || "scenario.toml".into(),
        |n| n.to_string_lossy().into_owned(),
    );
    let mut files = vec![("scenario".to_string(), name, text.clone())];
    let raw: toml::Table = toml::from_str(&text)?;
    let dir = path.parent().map_or_else(PathBuf::new, Path::to_path_buf);
    let data = raw
        .get("data")
        .and_then(|d| d.as_array())
        .cloned()
        .unwrap_or_default();
    for (i, file) in data
        .iter()
        .filter_map(|d| d.get("file")?.as_str())
        .enumerate()
    {
        if Path::new(file).is_absolute() || file.split('/').any(|part| part == "..") {
            anyhow::bail!(
                "{}: data file {file}: only files beside the scenario (or below it) can go into the ConfigMap",
                path.display()
            );
        }
        files.push((
            format!("data-{i}"),
            file.to_string(),
            read(&dir.join(file))?,
        ));
    }
    Ok(files)
}

/// The ConfigMap, the results volume and the Indexed Job.
pub fn manifests(d: &Deployment<'_>) -> Vec<Value> {
    let name = format!("stampede-{}", kube_name(&d.scenario.name));
    let data: serde_json::Map<String, Value> = d
        .files
        .iter()
        .map(|(key, _, text)| (key.clone(), Value::String(text.clone())))
        .collect();
    let config_map = json!({
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": { "name": name, "namespace": d.namespace, "labels": labels(&name) },
        "data": data,
    });
    let volume = json!({
        "apiVersion": "v1",
        "kind": "PersistentVolumeClaim",
        "metadata": { "name": format!("{name}-results"), "namespace": d.namespace, "labels": labels(&name) },
        "spec": {
            // Every pod writes its own directory; ReadWriteMany lets them share it.
            "accessModes": ["ReadWriteMany"],
            "resources": { "requests": { "storage": "1Gi" } },
        },
    });
    vec![config_map, volume, job(d, &name)]
}

fn labels(name: &str) -> Value {
    json!({ "app.kubernetes.io/name": "stampede", "app.kubernetes.io/instance": name })
}

/// The Indexed Job: N pods, each `stampede run --shards N` with its index from
/// `JOB_COMPLETION_INDEX`, all starting at `start_at`.
fn job(d: &Deployment<'_>, name: &str) -> Value {
    let scenario_file = format!("{SCENARIO_DIR}/{}", d.files[0].1);
    let items: Vec<Value> = d
        .files
        .iter()
        .map(|(key, path, _)| json!({ "key": key, "path": path }))
        .collect();
    json!({
        "apiVersion": "batch/v1",
        "kind": "Job",
        "metadata": { "name": name, "namespace": d.namespace, "labels": labels(name) },
        "spec": {
            "completionMode": "Indexed",
            "completions": d.shards,
            "parallelism": d.shards,
            // A shard that failed is not run again: a rerun would start late and
            // replay nothing; its interval log is merged as it stands.
            "backoffLimit": 0,
            "template": {
                "metadata": {
                    "labels": labels(name),
                    "annotations": {
                        "prometheus.io/scrape": "true",
                        "prometheus.io/port": METRICS_PORT.to_string(),
                        "prometheus.io/path": "/metrics",
                    },
                },
                "spec": {
                    "restartPolicy": "Never",
                    "securityContext": { "runAsNonRoot": true, "runAsUser": 10001, "fsGroup": 10001 },
                    "containers": [container(d, &scenario_file)],
                    "volumes": [
                        { "name": "scenario", "configMap": { "name": name, "items": items } },
                        { "name": "results", "persistentVolumeClaim": { "claimName": format!("{name}-results") } },
                    ],
                },
            },
        },
    })
}

fn container(d: &Deployment<'_>, scenario_file: &str) -> Value {
    let memory_mib = memory_mib(d.scenario, d.shards);
    let args = [
        "run".to_string(),
        scenario_file.to_string(),
        "--shards".into(),
        d.shards.to_string(),
        "--start-at".into(),
        d.start_at.clone(),
        "--out".into(),
        format!("{RESULTS_DIR}/shard-$({JOB_COMPLETION_INDEX})"),
        "--force".into(),
        "--metrics-addr".into(),
        format!("0.0.0.0:{METRICS_PORT}"),
        // Long enough for one more scrape at Prometheus's default interval.
        "--metrics-linger".into(),
        "30s".into(),
    ];
    json!({
        "name": "stampede",
        "image": d.image,
        "args": args,
        "env": [{
            "name": JOB_COMPLETION_INDEX,
            "valueFrom": { "fieldRef": {
                "fieldPath": "metadata.annotations['batch.kubernetes.io/job-completion-index']"
            } },
        }],
        "ports": [{ "name": "metrics", "containerPort": METRICS_PORT }],
        "resources": {
            "requests": { "cpu": "1", "memory": format!("{memory_mib}Mi") },
            "limits": { "memory": format!("{}Mi", memory_mib * 2) },
        },
        "volumeMounts": [
            { "name": "scenario", "mountPath": SCENARIO_DIR, "readOnly": true },
            { "name": "results", "mountPath": RESULTS_DIR },
        ],
    })
}

/// A shard's memory request: the base, plus its share of the most shoppers
/// alive at once (closed: the peak level; open: `max_active`).
pub fn memory_mib(scenario: &Scenario, shards: u32) -> u64 {
    let shoppers = match scenario.load.model {
        Model::Closed => scenario.load.profile.peak(),
        Model::Open => f64::from(scenario.load.max_active),
    } / f64::from(shards.max(1));
    (BASE_MEMORY_MIB + shoppers.ceil() * SHOPPER_MEMORY_KIB / 1024.0).ceil() as u64
}

/// A name Kubernetes accepts: lower-case letters, digits and `-`, at most 50.
fn kube_name(text: &str) -> String {
    let name: String = text
        .to_lowercase()
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '-' })
        .collect();
    let name = name.trim_matches('-');
    let name: String = name.chars().take(50).collect();
    match name.trim_end_matches('-') {
        "" => "run".to_string(),
        name => name.to_string(),
    }
}
