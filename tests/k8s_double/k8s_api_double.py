#!/usr/bin/python3
# SPDX-License-Identifier: Apache-2.0
"""A TEST DOUBLE of the Kubernetes API server -- not Kubernetes.

No real API server can run on the machines these tests run on, so this stands in for one with
the few endpoints atelier's kubernetes launcher and `kubectl` use (tests/k8s_double/README.md):

- discovery: /version, /api, /apis, /api/v1 and the group versions deploy/kubernetes/ uses, so the
  real kubectl can `create`, `get`, `delete` and `apply --dry-run=client` against it;
- namespaced objects of those resources: create (409 on a duplicate, `dryRun` honoured), get, list
  (labelSelector `k=v,...`, fieldSelector `metadata.name=`), delete, watch (`?watch=1`, JSON lines
  from a resourceVersion, ending after timeoutSeconds);
- Pods are *run*: the first container's `command` as a local process (cwd `workingDir`, env from
  `value` and `secretKeyRef`), its output as `pods/{name}/log`; phase Pending -> Running ->
  Succeeded/Failed with the exit code in containerStatuses; `activeDeadlineSeconds` kills it with
  reason DeadlineExceeded; delete sends SIGTERM, then SIGKILL after gracePeriodSeconds.

What it does NOT do: images (the command runs on the host), volumes (paths are the host's),
resource limits, scheduling, authentication, admission, TLS. Anything not listed answers 404.

Usage: k8s_api_double.py [--port N]; prints `k8s double listening on http://127.0.0.1:PORT`.
"""

import argparse
import base64
import json
import os
import signal
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlparse

GROUPS = {
    "": {"version": "v1", "resources": {
        "pods": "Pod", "secrets": "Secret", "services": "Service", "configmaps": "ConfigMap",
        "persistentvolumeclaims": "PersistentVolumeClaim", "serviceaccounts": "ServiceAccount",
        "namespaces": "Namespace"}},
    "apps": {"version": "v1", "resources": {"statefulsets": "StatefulSet", "deployments": "Deployment"}},
    "rbac.authorization.k8s.io": {"version": "v1", "resources": {"roles": "Role", "rolebindings": "RoleBinding"}},
    "networking.k8s.io": {"version": "v1", "resources": {"ingresses": "Ingress"}},
    "policy": {"version": "v1", "resources": {"poddisruptionbudgets": "PodDisruptionBudget"}},
}
VERBS = ["create", "delete", "get", "list", "watch", "patch", "update"]

lock = threading.Condition()
objects = {}   # (group, resource, namespace, name) -> object
events = []    # (resourceVersion, group, resource, namespace, type, object)
processes = {}  # (namespace, name) -> Popen
log_dir = tempfile.mkdtemp(prefix="k8s-double-")
revision = [0]


def next_version():
    revision[0] += 1
    return str(revision[0])


def record(group, resource, namespace, kind, obj):
    """Stores the event; the caller holds `lock`."""
    events.append((int(obj["metadata"]["resourceVersion"]), group, resource, namespace, kind, json.loads(json.dumps(obj))))
    lock.notify_all()


def status(code, reason, message):
    return {"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure", "message": message,
            "reason": reason, "code": code}


def matches(obj, query):
    labels = obj.get("metadata", {}).get("labels", {}) or {}
    for selector in query.get("labelSelector", []):
        for term in filter(None, selector.split(",")):
            key, _, value = term.partition("=")
            if labels.get(key) != value.lstrip("="):
                return False
    for selector in query.get("fieldSelector", []):
        for term in filter(None, selector.split(",")):
            key, _, value = term.partition("=")
            if key == "metadata.name" and obj["metadata"]["name"] != value.lstrip("="):
                return False
    return True


def set_pod_status(namespace, name, phase, terminated=None, reason=None):
    with lock:
        key = ("", "pods", namespace, name)
        pod = objects.get(key)
        if pod is None:
            return
        pod["status"]["phase"] = phase
        if phase == "Running":
            pod["status"]["podIP"] = "127.0.0.1"  # the double runs every Pod on this host
        if reason:
            pod["status"]["reason"] = reason
        state = {"terminated": terminated} if terminated else {"running": {"startedAt": now()}}
        pod["status"]["containerStatuses"] = [{"name": pod["spec"]["containers"][0]["name"], "state": state,
                                               "ready": terminated is None, "restartCount": 0,
                                               "image": pod["spec"]["containers"][0].get("image", "")}]
        pod["metadata"]["resourceVersion"] = next_version()
        record("", "pods", namespace, "MODIFIED", pod)


def now():
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())


def run_pod(namespace, pod):
    name = pod["metadata"]["name"]
    container = pod["spec"]["containers"][0]
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin")}
    for variable in container.get("env", []):
        if "value" in variable:
            env[variable["name"]] = variable["value"]
        elif "valueFrom" in variable:
            ref = variable["valueFrom"]["secretKeyRef"]
            with lock:
                secret = objects.get(("", "secrets", namespace, ref["name"]))
            if secret is None:
                return set_pod_status(namespace, name, "Pending", reason="CreateContainerConfigError")
            env[variable["name"]] = base64.b64decode(secret["data"][ref["key"]]).decode()
    argv = container.get("command", []) + container.get("args", [])
    log_path = os.path.join(log_dir, f"{namespace}.{name}.log")
    try:
        with open(log_path, "wb") as log:
            child = subprocess.Popen(argv, cwd=container.get("workingDir") or None, env=env, stdout=log,
                                     stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, start_new_session=True)
    except OSError as error:
        with open(log_path, "a") as log:
            log.write(f"{error}\n")
        return set_pod_status(namespace, name, "Failed", {"exitCode": 128, "reason": "StartError",
                                                          "message": str(error), "finishedAt": now()})
    with lock:
        processes[(namespace, name)] = child
    set_pod_status(namespace, name, "Running")
    deadline = pod["spec"].get("activeDeadlineSeconds")
    expired = [False]
    if deadline:
        def expire():
            if child.poll() is None:
                expired[0] = True
                os.killpg(child.pid, signal.SIGKILL)
        timer = threading.Timer(deadline, expire)
        timer.daemon = True
        timer.start()
    code = child.wait()
    exit_code = code if code >= 0 else 128 - code
    set_pod_status(namespace, name, "Succeeded" if code == 0 else "Failed",
                   {"exitCode": exit_code, "reason": "Completed" if code == 0 else "Error", "finishedAt": now()},
                   reason="DeadlineExceeded" if expired[0] else None)
    with lock:
        processes.pop((namespace, name), None)
        lock.notify_all()


def delete_pod(namespace, name, grace):
    with lock:
        child = processes.get((namespace, name))
    if child is not None and child.poll() is None:
        try:
            os.killpg(child.pid, signal.SIGTERM)
        except ProcessLookupError:
            pass
        try:
            child.wait(timeout=max(grace, 0))
        except subprocess.TimeoutExpired:
            try:
                os.killpg(child.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass  # it exited between the wait and the kill (grace 0 waits for nothing)
        with lock:
            lock.wait_for(lambda: (namespace, name) not in processes, timeout=10)
    with lock:
        pod = objects.pop(("", "pods", namespace, name), None)
        if pod is not None:
            pod["metadata"]["resourceVersion"] = next_version()
            record("", "pods", namespace, "DELETED", pod)


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "k8s-api-double"

    def log_message(self, fmt, *args):
        if os.environ.get("K8S_DOUBLE_VERBOSE"):
            sys.stderr.write("k8s double: " + fmt % args + "\n")

    def send_json(self, code, body):
        data = json.dumps(body).encode()
        self.send_response(code)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def body(self):
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        return json.loads(raw) if raw.strip() else {}

    # Discovery -----------------------------------------------------------------------------
    def discovery(self, path):
        port = self.server.server_address[1]
        if path == "/version":
            return {"major": "1", "minor": "29", "gitVersion": "v1.29.0-atelier-test-double", "platform": "linux/amd64"}
        if path == "/api":
            return {"kind": "APIVersions", "versions": ["v1"],
                    "serverAddressByClientCIDRs": [{"clientCIDR": "0.0.0.0/0", "serverAddress": f"127.0.0.1:{port}"}]}
        if path == "/apis":
            return {"kind": "APIGroupList", "apiVersion": "v1", "groups": [
                {"name": group, "versions": [{"groupVersion": f"{group}/{spec['version']}", "version": spec["version"]}],
                 "preferredVersion": {"groupVersion": f"{group}/{spec['version']}", "version": spec["version"]}}
                for group, spec in GROUPS.items() if group]}
        for group, spec in GROUPS.items():
            prefix = "/api/v1" if not group else f"/apis/{group}/{spec['version']}"
            if path == prefix:
                resources = [{"name": name, "singularName": kind.lower(), "namespaced": name != "namespaces",
                              "kind": kind, "verbs": VERBS} for name, kind in spec["resources"].items()]
                if not group:
                    resources.append({"name": "pods/log", "singularName": "", "namespaced": True, "kind": "Pod",
                                      "verbs": ["get"]})
                return {"kind": "APIResourceList", "apiVersion": "v1",
                        "groupVersion": group and f"{group}/{spec['version']}" or "v1", "resources": resources}
        return None

    def route(self):
        """(group, resource, namespace, name, subresource) of a resource path, or None."""
        parts = [p for p in urlparse(self.path).path.split("/") if p]
        if parts[:2] == ["api", "v1"]:
            group, rest = "", parts[2:]
        elif len(parts) >= 3 and parts[0] == "apis" and parts[1] in GROUPS:
            group, rest = parts[1], parts[3:]
        else:
            return None
        if rest[:1] == ["namespaces"] and len(rest) >= 3:
            namespace, rest = rest[1], rest[2:]
        elif rest[:1] == ["namespaces"]:
            return (group, "namespaces", None, rest[1] if len(rest) > 1 else None, None)
        else:
            return None
        if not rest or rest[0] not in GROUPS[group]["resources"]:
            return None
        return (group, rest[0], namespace, rest[1] if len(rest) > 1 else None, rest[2] if len(rest) > 2 else None)

    def do_GET(self):
        path = urlparse(self.path).path.rstrip("/") or "/"
        found = self.discovery(path)
        if found is not None:
            return self.send_json(200, found)
        query = parse_qs(urlparse(self.path).query)
        route = self.route()
        if route is None:
            return self.send_json(404, status(404, "NotFound", f"the double does not serve {path}"))
        group, resource, namespace, name, sub = route
        if resource == "namespaces":
            return self.send_json(200, {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": name},
                                        "status": {"phase": "Active"}})
        if name and sub == "log":
            log_path = os.path.join(log_dir, f"{namespace}.{name}.log")
            if ("", "pods", namespace, name) not in objects and not os.path.exists(log_path):
                return self.send_json(404, status(404, "NotFound", f'pods "{name}" not found'))
            text = open(log_path, "rb").read() if os.path.exists(log_path) else b""
            if "tailLines" in query:
                text = b"\n".join(text.split(b"\n")[-int(query["tailLines"][0]) - 1:])
            self.send_response(200)
            self.send_header("Content-Type", "text/plain")
            self.send_header("Content-Length", str(len(text)))
            self.end_headers()
            return self.wfile.write(text)
        if name:
            with lock:
                obj = objects.get((group, resource, namespace, name))
            if obj is None:
                return self.send_json(404, status(404, "NotFound", f'{resource} "{name}" not found'))
            return self.send_json(200, obj)
        if query.get("watch", ["0"])[0] in ("1", "true"):
            return self.watch(group, resource, namespace, query)
        with lock:
            items = [o for (g, r, n, _), o in objects.items() if (g, r, n) == (group, resource, namespace)
                     and matches(o, query)]
            version = str(revision[0])
        kind = GROUPS[group]["resources"][resource]
        return self.send_json(200, {"kind": kind + "List", "apiVersion": "v1",
                                    "metadata": {"resourceVersion": version}, "items": items})

    def watch(self, group, resource, namespace, query):
        since = int(query.get("resourceVersion", ["0"])[0] or 0)
        deadline = time.monotonic() + int(query.get("timeoutSeconds", ["1800"])[0])
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()
        try:
            while time.monotonic() < deadline:
                with lock:
                    ready = [e for e in events if e[0] > since and e[1:4] == (group, resource, namespace)
                             and matches(e[5], query)]
                    if not ready:
                        lock.wait(timeout=min(1.0, max(0.0, deadline - time.monotonic())))
                        continue
                for version, _, _, _, kind, obj in ready:
                    line = (json.dumps({"type": kind, "object": obj}) + "\n").encode()
                    self.wfile.write(b"%x\r\n%s\r\n" % (len(line), line))
                    since = version
                self.wfile.flush()
            self.wfile.write(b"0\r\n\r\n")
        except (BrokenPipeError, ConnectionResetError):
            pass
        self.close_connection = True

    def do_POST(self):
        route = self.route()
        if route is None or route[3] is not None:
            return self.send_json(404, status(404, "NotFound", f"the double does not serve POST {self.path}"))
        group, resource, namespace, _, _ = route
        obj = self.body()
        name = obj.get("metadata", {}).get("name")
        if not name:
            return self.send_json(422, status(422, "Invalid", "metadata.name: Required value"))
        dry_run = "dryRun" in parse_qs(urlparse(self.path).query)
        with lock:
            key = (group, resource, namespace, name)
            if key in objects:
                return self.send_json(409, status(409, "AlreadyExists", f'{resource} "{name}" already exists'))
            meta = obj["metadata"]
            meta.update({"namespace": namespace, "uid": str(uuid.uuid4()), "creationTimestamp": now()})
            if resource == "secrets" and "stringData" in obj:
                obj.setdefault("data", {}).update(
                    {k: base64.b64encode(v.encode()).decode() for k, v in obj.pop("stringData").items()})
            if resource == "pods":
                obj["status"] = {"phase": "Pending"}
            if dry_run:
                return self.send_json(201, obj)
            meta["resourceVersion"] = next_version()
            objects[key] = obj
            record(group, resource, namespace, "ADDED", obj)
            reply = json.loads(json.dumps(obj))
        if resource == "pods":
            threading.Thread(target=run_pod, args=(namespace, json.loads(json.dumps(obj))), daemon=True).start()
        return self.send_json(201, reply)

    def do_DELETE(self):
        route = self.route()
        if route is None or route[3] is None:
            return self.send_json(404, status(404, "NotFound", f"the double does not serve DELETE {self.path}"))
        group, resource, namespace, name, _ = route
        options = self.body()
        query = parse_qs(urlparse(self.path).query)
        grace = int(options.get("gracePeriodSeconds", query.get("gracePeriodSeconds", ["30"])[0]))
        with lock:
            obj = objects.get((group, resource, namespace, name))
        if obj is None:
            return self.send_json(404, status(404, "NotFound", f'{resource} "{name}" not found'))
        if resource == "pods":
            delete_pod(namespace, name, grace)
        else:
            with lock:
                objects.pop((group, resource, namespace, name), None)
                obj["metadata"]["resourceVersion"] = next_version()
                record(group, resource, namespace, "DELETED", obj)
        return self.send_json(200, obj)


def main():
    parser = argparse.ArgumentParser(description="A test double of the Kubernetes API (not Kubernetes).")
    parser.add_argument("--port", type=int, default=0)
    args = parser.parse_args()
    server = ThreadingHTTPServer(("127.0.0.1", args.port), Handler)
    server.daemon_threads = True

    def shut_down(*_):
        with lock:
            children = list(processes.values())
        for child in children:
            try:
                os.killpg(child.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        os._exit(0)

    signal.signal(signal.SIGTERM, shut_down)
    signal.signal(signal.SIGINT, shut_down)
    print(f"k8s double listening on http://127.0.0.1:{server.server_address[1]}", flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
