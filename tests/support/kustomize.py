"""Just enough of kustomize to render ``deploy/kubernetes`` offline (no kubectl in the test machine).

Handles what the manifests use: ``resources`` (files and directories), ``namespace``, ``labels``
(metadata only), ``images``, ``replicas`` and strategic-merge ``patches`` (maps merge; lists of
maps with a ``name`` merge by name; anything else is replaced). Anything else in a kustomization
fails loudly, so the manifests cannot start relying on a feature this renderer silently ignores.
"""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import yaml

SUPPORTED = {"apiVersion", "kind", "resources", "namespace", "labels", "images", "replicas", "patches"}
CLUSTER_SCOPED = {"Namespace", "ClusterRole", "ClusterRoleBinding", "PersistentVolume", "StorageClass"}

Resource = dict[str, Any]


def load_documents(path: Path) -> list[Resource]:
    return [doc for doc in yaml.safe_load_all(path.read_text()) if doc]


def render(folder: Path) -> list[Resource]:
    """The resources ``kubectl kustomize folder`` would print (for the features above)."""
    (kustomization,) = load_documents(folder / "kustomization.yaml")
    unknown = set(kustomization) - SUPPORTED
    assert not unknown, (
        f"{folder}: kustomization uses {unknown}, which tests/support/kustomize.py does not render"
    )
    resources: list[Resource] = []
    for entry in kustomization.get("resources", []):
        target = (folder / entry).resolve()
        resources += render(target) if target.is_dir() else load_documents(target)
    for patch_entry in kustomization.get("patches", []):
        (patch,) = load_documents(folder / patch_entry["path"])
        (target,) = [r for r in resources if same_object(r, patch)] or [None]
        assert target is not None, f"{folder}: patch {patch_entry['path']} matches no resource"
        merge(target, patch)
    for label_set in kustomization.get("labels", []):
        for resource in resources:
            resource.setdefault("metadata", {}).setdefault("labels", {}).update(label_set["pairs"])
    for replica in kustomization.get("replicas", []):
        (target,) = [
            r for r in resources if r["kind"] == "Deployment" and r["metadata"]["name"] == replica["name"]
        ]
        target["spec"]["replicas"] = replica["count"]
    for image in kustomization.get("images", []):
        for container in containers(resources):
            if container["image"].split(":")[0] == image["name"] or container["image"].startswith(
                image.get("newName", "\0") + ":"
            ):
                container["image"] = f"{image.get('newName', image['name'])}:{image['newTag']}"
    if "namespace" in kustomization:
        for resource in resources:
            if resource["kind"] not in CLUSTER_SCOPED:
                resource["metadata"]["namespace"] = kustomization["namespace"]
    return resources


def same_object(resource: Resource, patch: Resource) -> bool:
    return bool(
        resource["kind"] == patch["kind"] and resource["metadata"]["name"] == patch["metadata"]["name"]
    )


def merge(into: dict[str, Any], patch: dict[str, Any]) -> None:
    for key, value in patch.items():
        current = into.get(key)
        if isinstance(current, dict) and isinstance(value, dict):
            merge(current, value)
        elif (
            isinstance(current, list)
            and isinstance(value, list)
            and all(isinstance(item, dict) and "name" in item for item in current + value)
        ):
            for item in value:
                match = next((c for c in current if c["name"] == item["name"]), None)
                if match is None:
                    current.append(copy.deepcopy(item))
                else:
                    merge(match, item)
        else:
            into[key] = copy.deepcopy(value)


def pod_spec(resource: Resource) -> dict[str, Any] | None:
    if resource["kind"] in {"Deployment", "Job", "StatefulSet", "DaemonSet"}:
        spec: dict[str, Any] = resource["spec"]["template"]["spec"]
        return spec
    return None


def containers(resources: list[Resource]) -> list[dict[str, Any]]:
    found = []
    for resource in resources:
        spec = pod_spec(resource)
        if spec is not None:
            found += spec.get("initContainers", []) + spec["containers"]
    return found
