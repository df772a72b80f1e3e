"""deploy/kubernetes: every overlay renders to objects valid against the Kubernetes schemas
(kubernetes-validate, offline, strict), wired to each other and to the service's settings."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import kubernetes_validate
import pytest

from cohort import config
from tests.support.kustomize import Resource, containers, pod_spec, render

ROOT = Path(__file__).resolve().parents[2]
KUBERNETES = ROOT / "deploy" / "kubernetes"
OVERLAYS = sorted(p.parent.name for p in (KUBERNETES / "overlays").glob("*/kustomization.yaml"))
KUBERNETES_VERSION = "1.31.0"
"""The oldest Kubernetes the manifests promise to work on (``preStop.sleep`` needs 1.30)."""
STANDARD_VARIABLES = re.compile(r"^(OTEL_[A-Z_]+|PROMETHEUS_MULTIPROC_DIR)$")
DEPLOY_ONLY = {"DATABASE_DIRECT_URL"}  # read by the migrations Job's env mapping, not by the service


def by_kind(resources: list[Resource], kind: str, name: str | None = None) -> list[Resource]:
    return [r for r in resources if r["kind"] == kind and (name is None or r["metadata"]["name"] == name)]


def one(resources: list[Resource], kind: str, name: str) -> Resource:
    (found,) = by_kind(resources, kind, name)
    return found


def setting_names() -> set[str]:
    """Every environment variable ``cohort.config`` reads."""
    source = Path(config.__file__).read_text()
    return set(re.findall(r'_env(?:_\w+)?\(\s*"([A-Z0-9_]+)"', source)) | {
        "GITHUB_APP_PRIVATE_KEY",
        "GITHUB_APP_PRIVATE_KEY_PATH",
    }


@pytest.fixture(scope="module", params=OVERLAYS)
def rendered(request: pytest.FixtureRequest) -> list[Resource]:
    return render(KUBERNETES / "overlays" / request.param)


def test_there_are_overlays_for_staging_and_production() -> None:
    assert OVERLAYS == ["production", "staging"]


def test_every_object_is_valid_against_the_kubernetes_schemas(rendered: list[Resource]) -> None:
    for resource in rendered:
        kubernetes_validate.validate(resource, KUBERNETES_VERSION, strict=True)
    kinds = {r["kind"] for r in rendered}
    assert kinds >= {
        "Deployment",
        "Service",
        "HorizontalPodAutoscaler",
        "PodDisruptionBudget",
        "Job",
        "Secret",
        "ConfigMap",
        "ServiceAccount",
    }


def test_a_broken_manifest_is_caught() -> None:
    """The validator is not a rubber stamp: a misspelt field and a wrong type both fail."""
    api = one(render(KUBERNETES / "overlays" / "staging"), "Deployment", "cohort-api")
    api["spec"]["template"]["spec"]["containers"][0]["livenessProbes"] = {}
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(api, KUBERNETES_VERSION, strict=True)
    hpa = one(render(KUBERNETES / "overlays" / "staging"), "HorizontalPodAutoscaler", "cohort-api")
    hpa["spec"]["minReplicas"] = "one"
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(hpa, KUBERNETES_VERSION, strict=True)


def probe_path(container: dict[str, Any], probe: str) -> str:
    path: str = container[probe]["httpGet"]["path"]
    return path


def test_api_probes_resources_and_autoscaling(rendered: list[Resource]) -> None:
    api = one(rendered, "Deployment", "cohort-api")
    (container,) = api["spec"]["template"]["spec"]["containers"]
    assert probe_path(container, "livenessProbe") == "/health"
    assert probe_path(container, "readinessProbe") == "/ready"
    hpa = one(rendered, "HorizontalPodAutoscaler", "cohort-api")
    assert hpa["spec"]["scaleTargetRef"] == {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "name": "cohort-api",
    }
    assert 1 <= hpa["spec"]["minReplicas"] <= hpa["spec"]["maxReplicas"]
    for workload in by_kind(rendered, "Deployment") + by_kind(rendered, "Job"):
        for c in workload["spec"]["template"]["spec"]["containers"]:
            assert {"cpu", "memory"} <= set(c["resources"]["requests"]), workload["metadata"]["name"]
            assert {"cpu", "memory"} <= set(c["resources"]["limits"]), workload["metadata"]["name"]


def test_selectors_match_the_pods_they_mean(rendered: list[Resource]) -> None:
    deployments = by_kind(rendered, "Deployment")
    for deployment in deployments:
        labels = deployment["spec"]["template"]["metadata"]["labels"]
        assert deployment["spec"]["selector"]["matchLabels"].items() <= labels.items()
    for pdb in by_kind(rendered, "PodDisruptionBudget"):
        selector = pdb["spec"]["selector"]["matchLabels"]
        matched = [
            d for d in deployments if selector.items() <= d["spec"]["template"]["metadata"]["labels"].items()
        ]
        assert len(matched) == 1, pdb["metadata"]["name"]
    service = one(rendered, "Service", "cohort-api")
    api = one(rendered, "Deployment", "cohort-api")
    assert service["spec"]["selector"].items() <= api["spec"]["template"]["metadata"]["labels"].items()
    port_names = {p["name"] for p in api["spec"]["template"]["spec"]["containers"][0]["ports"]}
    assert {p["targetPort"] for p in service["spec"]["ports"]} <= port_names


def test_pods_run_as_non_root_without_privileges(rendered: list[Resource]) -> None:
    dockerfile = (ROOT / "Dockerfile").read_text()
    for resource in rendered:
        spec = pod_spec(resource)
        if spec is None:
            continue
        pod = spec["securityContext"]
        assert pod["runAsNonRoot"] is True
        assert f"--uid {pod['runAsUser']}" in dockerfile  # the image's own user
        assert spec["automountServiceAccountToken"] is False
    for container in containers(rendered):
        context = container["securityContext"]
        assert context["allowPrivilegeEscalation"] is False
        assert context["readOnlyRootFilesystem"] is True
        assert context["capabilities"]["drop"] == ["ALL"]


def test_termination_grace_covers_the_shutdown_grace_settings(rendered: list[Resource]) -> None:
    settings = one(rendered, "ConfigMap", "cohort-config")["data"]
    worker = one(rendered, "Deployment", "cohort-worker")["spec"]["template"]["spec"]
    assert worker["terminationGracePeriodSeconds"] >= int(settings["WORKER_SHUTDOWN_GRACE_SECONDS"]) + 5
    api = one(rendered, "Deployment", "cohort-api")["spec"]["template"]["spec"]
    pre_stop = api["containers"][0]["lifecycle"]["preStop"]["sleep"]["seconds"]
    assert api["terminationGracePeriodSeconds"] >= pre_stop + int(settings["API_SHUTDOWN_GRACE_SECONDS"]) + 5


def test_migrations_run_as_a_job_straight_to_postgresql(rendered: list[Resource]) -> None:
    job = one(rendered, "Job", "cohort-migrate")
    (container,) = job["spec"]["template"]["spec"]["containers"]
    assert container["args"] == ["cohort", "db", "upgrade"]
    env = {e["name"]: e for e in container["env"]}
    assert env["DATABASE_URL"]["valueFrom"]["secretKeyRef"]["key"] == "DATABASE_DIRECT_URL"
    api = one(rendered, "Deployment", "cohort-api")
    assert container["image"] == api["spec"]["template"]["spec"]["containers"][0]["image"]


def test_secrets_and_settings_are_ones_the_service_reads(rendered: list[Resource]) -> None:
    secret = one(rendered, "Secret", "cohort-secrets")["stringData"]
    assert {"SECRET_KEY", "GITHUB_CLIENT_SECRET", "GITHUB_APP_PRIVATE_KEY", "SMTP_PASSWORD"} <= set(secret)
    config_map = one(rendered, "ConfigMap", "cohort-config")["data"]
    known = setting_names() | DEPLOY_ONLY
    for name in [*secret, *config_map]:
        assert name in known or STANDARD_VARIABLES.match(name), f"{name} is not a setting Cohort reads"
    for container in containers(rendered):
        for variable in container.get("env", []):
            name = variable["name"]
            assert name in known or STANDARD_VARIABLES.match(name), name
            ref = variable.get("valueFrom", {}).get("secretKeyRef")
            if ref is not None:
                assert ref["name"] == "cohort-secrets"
                assert ref["key"] in secret
        for source in container.get("envFrom", []):
            name = (source.get("configMapRef") or source.get("secretRef"))["name"]
            assert name in {"cohort-config", "cohort-secrets"}


def test_production_runs_behind_pgbouncer(rendered: list[Resource]) -> None:
    namespace = one(rendered, "Deployment", "cohort-api")["metadata"]["namespace"]
    settings = one(rendered, "ConfigMap", "cohort-config")["data"]
    if namespace == "cohort":
        assert settings["DATABASE_PGBOUNCER"] == "true"
        assert settings["COHORT_ENV"] == "production"
    else:
        assert settings["DATABASE_PGBOUNCER"] == "false"
