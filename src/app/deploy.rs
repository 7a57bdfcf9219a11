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
    // Every pod would refuse it: said now, not in each pod's log.
    if scenario.load.search.is_some() {
        return Err(bad_input(anyhow!(
            "{}: {}",
            args.scenario.display(),
            super::options::SEARCH_NOT_SHARDED
        )));
    }
    if scenario.target.base_url.is_none() {
        errln!(
            "warning: {} targets the embedded demo shop (base_url = \"embedded\"): each pod \
             would load its own; set [target] base_url to the shop under test",
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
        outln!("---");
        outln!(
            "{}",
            serde_json::to_string_pretty(&manifest).unwrap_or_default()
        );
    }
    Ok(Exit::Ok)
}

/// The scenario file and the files it names (included journeys, data), each with a ConfigMap key and
/// its path under the mount. A ConfigMap item's path may not hold `..`, so the
/// scenario goes as many folders deep as its data paths climb (`../data/x.csv`
/// beside `scenario/sale.toml` is `data/x.csv`).
fn files(path: &Path) -> anyhow::Result<Vec<(String, String, String)>> {
    let read = |p: &Path| {
        std::fs::read_to_string(p).map_err(|e| anyhow!("cannot read {}: {e}", p.display()))
    };
    let text = read(path)?;
    let name = path.file_name().map_or_else(
        || "scenario.toml".into(),
        |n| n.to_string_lossy().into_owned(),
    );
    let raw: toml::Table = toml::from_str(&text)?;
    let dir = path.parent().map_or_else(PathBuf::new, Path::to_path_buf);
    let data = raw
        .get("data")
        .and_then(|d| d.as_array())
        .cloned()
        .unwrap_or_default();
    let data = data.iter().filter_map(|d| d.get("file")?.as_str());
    let included = raw.get("include").and_then(|i| i.as_array());
    let included = included.into_iter().flatten().filter_map(|i| i.as_str());
    // (key, what it is, path relative to the scenario): its journeys' files, then its data.
    let named: Vec<(String, &str, &str)> = (included.enumerate())
        .map(|(i, file)| (format!("include-{i}"), "included file", file))
        .chain(
            data.enumerate()
                .map(|(i, file)| (format!("data-{i}"), "data file", file)),
        )
        .collect();
    let depth = named
        .iter()
        .map(|(_, _, file)| file.split('/').filter(|part| *part == "..").count())
        .max()
        .unwrap_or(0);
    let home = vec!["scenario"; depth];
    let mut files = vec![("scenario".to_string(), mounted(&home, &name), text.clone())];
    for (key, what, file) in named {
        if Path::new(file).is_absolute() {
            anyhow::bail!(
                "{}: {what} {file}: an absolute path cannot go into the ConfigMap; name it relative to the scenario",
                path.display()
            );
        }
        files.push((key, mounted(&home, file), read(&dir.join(file))?));
    }
    Ok(files)
}

/// `relative` resolved from the folder `home` under the mount.
fn mounted(home: &[&str], relative: &str) -> String {
    let mut parts: Vec<&str> = home.to_vec();
    for part in relative.split('/') {
        match part {
            "" | "." => {}
            ".." => {
                parts.pop();
            }
            part => parts.push(part),
        }
    }
    parts.join("/")
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::app::cli::{Cli, Command};
    use crate::app::options::{Shard, shard};
    use clap::Parser;

    const SHARDS: u32 = 4;

    fn manifests_of(path: &str) -> Vec<Value> {
        let path = Path::new(env!("CARGO_MANIFEST_DIR")).join(path);
        let scenario = scenario::load(&path).unwrap();
        let deployment = Deployment {
            scenario: &scenario,
            files: files(&path).unwrap(),
            shards: SHARDS,
            image: "registry.example/stampede:0.1.0",
            namespace: "load",
            start_at: "2026-11-27T08:00:00Z".into(),
        };
        manifests(&deployment)
    }

    /// The vendored schema of a kind (tests/fixtures/kubernetes, from the
    /// kubernetes-validate package), its definitions inlined so that it stands alone.
    fn schema(file: &str) -> jsonschema::Validator {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/kubernetes");
        let read = |name: &str| std::fs::read_to_string(dir.join(name)).unwrap();
        let text = read(file).replace("/api/_definitions.json#/$defs/", "#/$defs/");
        let mut schema: Value = serde_json::from_str(&text).unwrap();
        let definitions: Value = serde_json::from_str(&read("_definitions.json")).unwrap();
        schema["$defs"] = definitions["$defs"].clone();
        schema.as_object_mut().unwrap().remove("$id");
        jsonschema::validator_for(&schema).unwrap()
    }

    #[test]
    fn the_manifests_validate_against_the_kubernetes_schemas_of_their_kinds() {
        let manifests = manifests_of("scenarios/black-friday.toml");
        let kinds: Vec<&str> = manifests
            .iter()
            .map(|m| m["kind"].as_str().unwrap())
            .collect();
        assert_eq!(kinds, ["ConfigMap", "PersistentVolumeClaim", "Job"]);
        for (manifest, file) in manifests.iter().zip([
            "configmap-v1.json",
            "persistentvolumeclaim-v1.json",
            "job-batch-v1.json",
        ]) {
            let validator = schema(file);
            let errors: Vec<String> = validator
                .iter_errors(manifest)
                .map(|e| format!("{e} at {}", e.instance_path()))
                .collect();
            assert!(errors.is_empty(), "{file}: {errors:#?}");
        }
        // The schemas are strict: a misspelt field is refused.
        let mut job = manifests[2].clone();
        job["spec"]["completionsMode"] = json!("Indexed");
        assert!(!schema("job-batch-v1.json").is_valid(&job));
    }

    #[test]
    fn the_config_map_carries_the_scenario_and_its_data_where_it_names_them() {
        let manifests = manifests_of("scenarios/black-friday.toml");
        let data = &manifests[0]["data"];
        let scenario = std::fs::read_to_string(
            Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/black-friday.toml"),
        )
        .unwrap();
        assert_eq!(data["scenario"], scenario.as_str());
        let items = &manifests[2]["spec"]["template"]["spec"]["volumes"][0]["configMap"]["items"];
        // ../data/products.csv beside scenario/black-friday.toml
        assert_eq!(items[0]["path"], "scenario/black-friday.toml");
        assert_eq!(items[1]["path"], "data/products.csv");
        let args = &manifests[2]["spec"]["template"]["spec"]["containers"][0]["args"];
        assert_eq!(args[1], "/scenario/scenario/black-friday.toml");
    }

    /// What a pod sees: the ConfigMap's items written where the Job mounts
    /// them, in which its scenario loads as it does here — included journeys
    /// and data files too (an included file left out failed every pod).
    #[test]
    fn the_scenario_loads_in_the_pod_from_what_the_config_map_mounts() {
        for scenario in [
            "scenarios/headless-graphql.toml",
            "scenarios/black-friday.toml",
        ] {
            let manifests = manifests_of(scenario);
            let data = &manifests[0]["data"];
            let pod = &manifests[2]["spec"]["template"]["spec"];
            let items = pod["volumes"][0]["configMap"]["items"].as_array().unwrap();
            let mount = tempfile::tempdir().unwrap();
            for item in items {
                let path = mount.path().join(item["path"].as_str().unwrap());
                std::fs::create_dir_all(path.parent().unwrap()).unwrap();
                std::fs::write(&path, data[item["key"].as_str().unwrap()].as_str().unwrap())
                    .unwrap();
            }
            let run_as = pod["containers"][0]["args"][1].as_str().unwrap();
            let in_pod = mount
                .path()
                .join(run_as.strip_prefix("/scenario/").unwrap());
            let loaded = scenario::load(&in_pod).unwrap_or_else(|e| panic!("{scenario}: {e:#}"));
            let here =
                scenario::load(&Path::new(env!("CARGO_MANIFEST_DIR")).join(scenario)).unwrap();
            let names = |s: &Scenario| {
                s.journeys
                    .iter()
                    .map(|j| j.name.clone())
                    .collect::<Vec<_>>()
            };
            assert_eq!(names(&loaded), names(&here), "{scenario}");
        }
    }

    /// Each pod of the Indexed Job gets its index in the annotation the Job
    /// controller sets; the container's environment reads it, Kubernetes expands
    /// `$(JOB_COMPLETION_INDEX)` in the arguments, and `stampede run` then runs
    /// that shard, into its own directory, from the common start.
    #[test]
    fn each_pod_of_the_job_runs_its_own_shard() {
        let manifests = manifests_of("scenarios/smoke.toml");
        let spec = &manifests[2]["spec"];
        assert_eq!(spec["completionMode"], "Indexed");
        assert_eq!(spec["completions"], SHARDS);
        assert_eq!(spec["parallelism"], SHARDS);
        let container = &spec["template"]["spec"]["containers"][0];
        let env = &container["env"][0];
        assert_eq!(env["name"], JOB_COMPLETION_INDEX);
        assert_eq!(
            env["valueFrom"]["fieldRef"]["fieldPath"],
            "metadata.annotations['batch.kubernetes.io/job-completion-index']"
        );
        let mut outs = Vec::new();
        for index in 0..SHARDS {
            let pod_env = |name: &str| (name == JOB_COMPLETION_INDEX).then(|| index.to_string());
            let args: Vec<String> = container["args"]
                .as_array()
                .unwrap()
                .iter()
                .map(|a| {
                    let a = a.as_str().unwrap();
                    a.replace(&format!("$({JOB_COMPLETION_INDEX})"), &index.to_string())
                })
                .collect();
            let cli =
                Cli::try_parse_from(std::iter::once("stampede".to_string()).chain(args)).unwrap();
            let Command::Run(run) = cli.command else {
                panic!("not a run")
            };
            assert_eq!(
                shard(&run.shard, pod_env).unwrap(),
                Some(Shard {
                    index,
                    count: SHARDS
                })
            );
            assert_eq!(run.shard.start_at.as_deref(), Some("2026-11-27T08:00:00Z"));
            assert_eq!(run.scenario, Path::new("/scenario/smoke.toml"));
            assert!(run.metrics_addr.is_some());
            outs.push(run.out.unwrap());
        }
        outs.dedup();
        assert_eq!(
            outs.len(),
            SHARDS as usize,
            "each shard writes its own directory"
        );
    }

    #[test]
    fn memory_requests_grow_with_each_shards_shoppers() {
        let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/black-friday.toml");
        let scenario = scenario::load(&path).unwrap();
        let one = memory_mib(&scenario, 1);
        let many = memory_mib(&scenario, 10);
        assert!(
            one >= many && many as f64 >= BASE_MEMORY_MIB,
            "{one} {many}"
        );
    }
}
