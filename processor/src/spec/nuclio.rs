//! Keys that nuclio's function spec defines and ferrite accepts without using yet.
//!
//! Real nuclio specs carry build, scaling and platform settings that mean nothing to a
//! single local processor. They are stripped before the strict, typed parse (which rejects
//! every other unknown key) and reported once, so such specs load unchanged. The same table
//! adds them to the generated JSON Schema as "accepted and ignored".

use serde_yaml_ng::{Mapping, Value};

/// Where a group of ignored keys lives: a dotted path, `*` for any trigger name and `[]` for
/// any list element.
pub(crate) const IGNORED_KEYS: &[(&str, &[&str])] = &[
    ("", &["status"]),
    (
        "metadata",
        &[
            "namespace",
            "labels",
            "annotations",
            "resourceVersion",
            "uid",
            "generation",
            "creationTimestamp",
        ],
    ),
    (
        "spec",
        &[
            "description",
            "image",
            "imageHash",
            "imagePullSecrets",
            "imagePullPolicy",
            "build",
            "replicas",
            "minReplicas",
            "maxReplicas",
            "targetCPU",
            "resources",
            "volumes",
            "dataBindings",
            "platform",
            "loggerSinks",
            "serviceType",
            "serviceAccount",
            "securityContext",
            "nodeSelector",
            "nodeName",
            "affinity",
            "tolerations",
            "priorityClassName",
            "preemptionPolicy",
            "avatar",
            "alias",
            "version",
            "publish",
            "disable",
            "scaleToZero",
            "autoScaleMetrics",
            "customScalingMetricSpecs",
            "disableDefaultHTTPTrigger",
            "waitReadinessTimeoutBeforeFailure",
            "runRegistry",
            "sidecars",
            "initContainers",
        ],
    ),
    (
        "spec.triggers.*",
        &[
            "class",
            "name",
            "annotations",
            "url",
            "paths",
            "username",
            "password",
            "secret",
            "partitions",
            "workerAllocatorName",
            "explicitAckMode",
            "workerTerminationTimeout",
            "disable",
        ],
    ),
    (
        "spec.triggers.*.attributes",
        &[
            "ingresses",
            "serviceType",
            "readBufferSize",
            "reduceMemoryUsage",
            "cors",
        ],
    ),
    ("spec.env[]", &["valueFrom"]),
];

/// Trigger kinds nuclio has and this ferrite does not serve yet: such a trigger is
/// dropped with a note instead of failing the whole spec.
const NUCLIO_TRIGGER_KINDS_NOT_YET_SERVED: &[&str] = &[
    "cron",
    "kafka-cluster",
    "kinesis",
    "nats",
    "rabbit-mq",
    "mqtt",
    "v3ioStream",
    "eventhub",
    "pubsub",
    "kickstart",
    "poller",
];

/// Removes every ignored key (and every trigger of a kind not served yet) from the raw
/// document, describing each removal in `notes`.
pub(crate) fn strip_ignored(root: &mut Value, notes: &mut Vec<String>) {
    let Some(root) = root.as_mapping_mut() else {
        return;
    };
    strip_keys(root, "", notes);
    if let Some(metadata) = child_mapping(root, "metadata") {
        strip_keys(metadata, "metadata", notes);
    }
    let Some(spec) = child_mapping(root, "spec") else {
        return;
    };
    strip_keys(spec, "spec", notes);
    if let Some(Value::Sequence(env)) = spec.get_mut("env") {
        for (index, item) in env.iter_mut().enumerate() {
            if let Some(item) = item.as_mapping_mut() {
                strip_keys_at(item, "spec.env[]", &format!("spec.env[{index}]"), notes);
            }
        }
    }
    let Some(triggers) = child_mapping(spec, "triggers") else {
        return;
    };
    triggers.retain(|name, trigger| {
        let name = name.as_str().unwrap_or("?");
        let kind = trigger.get("kind").and_then(Value::as_str).unwrap_or("");
        if NUCLIO_TRIGGER_KINDS_NOT_YET_SERVED.contains(&kind) {
            notes.push(format!(
                "spec.triggers.{name}: trigger kind {kind:?} is not served by ferrite yet; trigger ignored"
            ));
            return false;
        }
        true
    });
    for (name, trigger) in triggers.iter_mut() {
        let name = name.as_str().unwrap_or("?").to_owned();
        let Some(trigger) = trigger.as_mapping_mut() else {
            continue;
        };
        let at = format!("spec.triggers.{name}");
        strip_keys_at(trigger, "spec.triggers.*", &at, notes);
        if let Some(attributes) = child_mapping(trigger, "attributes") {
            let at = format!("{at}.attributes");
            strip_keys_at(attributes, "spec.triggers.*.attributes", &at, notes);
        }
    }
}

fn child_mapping<'a>(parent: &'a mut Mapping, key: &str) -> Option<&'a mut Mapping> {
    parent.get_mut(key).and_then(Value::as_mapping_mut)
}

fn strip_keys(mapping: &mut Mapping, group: &str, notes: &mut Vec<String>) {
    strip_keys_at(mapping, group, group, notes);
}

fn strip_keys_at(mapping: &mut Mapping, group: &str, at: &str, notes: &mut Vec<String>) {
    let keys = ignored_keys(group);
    mapping.retain(|key, _| {
        let Some(key) = key.as_str() else {
            return true;
        };
        if keys.contains(&key) {
            notes.push(if at.is_empty() {
                key.to_owned()
            } else {
                format!("{at}.{key}")
            });
            return false;
        }
        true
    });
}

fn ignored_keys(group: &str) -> &'static [&'static str] {
    IGNORED_KEYS
        .iter()
        .find(|(at, _)| *at == group)
        .map_or(&[], |(_, keys)| keys)
}
