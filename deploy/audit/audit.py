"""Dependency audit with pip-audit (`make audit`, part of `make test`).

    .venv/bin/python deploy/audit/audit.py --pip-audit var/audit-venv/bin/pip-audit

1. Lists every package installed in the project's virtual environment, pinned
   (constraints.txt), and which of them the assistant runs (the dependency closure of this
   project without its dev extra) and which only the tests use.
2. Runs pip-audit on that list (--no-deps --disable-pip: it installs nothing) against the
   OSV database when it can be reached, else PyPI's advisory data.
   pip-audit lives in its own virtual environment (var/audit-venv, pinned in
   deploy/audit/requirements.txt): it needs packaging>=23, Rasa 3.6 needs packaging<21.
3. Writes reports/pip-audit.json (pip-audit's own report, plus our classification) and
   reports/pip-audit.md (readable summary).

Policy (docs/deploy.md): the audit fails only on a finding that is
  - in a package the assistant runs (not a test-only tool), and
  - fixable: a fixed version exists that every installed package's requirements allow
    (Rasa 3.6.21 pins e.g. TensorFlow 2.12, Sanic 21.12 and aiohttp <3.10: a fix outside
    those pins cannot be installed without leaving Rasa 3.6, so it is reported, not failed),
  - and not reviewed and accepted in deploy/audit/accepted.yml.
pip-audit reports no severity, so every such finding counts as critical until a person has
reviewed it. Packages that could not be looked up are listed; with AUDIT_STRICT=1 (for a
machine that reaches the advisory service) that fails too.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import urllib.request
from datetime import date
from importlib import metadata
from pathlib import Path
from typing import Any

import yaml
from packaging.markers import Marker
from packaging.requirements import Requirement
from packaging.specifiers import SpecifierSet
from packaging.utils import canonicalize_name
from packaging.version import InvalidVersion, Version

ROOT = Path(__file__).resolve().parents[2]
PROJECT = "danish-social-assistant"
ACCEPTED = ROOT / "deploy" / "audit" / "accepted.yml"
OSV_PROBE = "https://api.osv.dev/v1/query"


def _name(value: str) -> str:
    return str(canonicalize_name(value))


def installed() -> dict[str, metadata.Distribution]:
    found: dict[str, metadata.Distribution] = {}
    for dist in metadata.distributions():
        name = dist.metadata["Name"]
        if name:
            found.setdefault(_name(name), dist)
    return found


def _applies(req: Requirement, extras: set[str]) -> bool:
    if req.marker is None:
        return True
    marker: Marker = req.marker
    return any(marker.evaluate({"extra": extra}) for extra in (extras or {""}) | {""})


def runtime_closure(dists: dict[str, metadata.Distribution]) -> set[str]:
    """Packages the assistant needs at run time: this project without its dev extra."""
    seen: set[str] = set()
    visited: set[tuple[str, tuple[str, ...]]] = set()
    todo: list[tuple[str, set[str]]] = [(_name(PROJECT), set())]
    while todo:
        name, extras = todo.pop()
        key = (name, tuple(sorted(extras)))
        if key in visited:
            continue
        visited.add(key)
        seen.add(name)
        dist = dists.get(name)
        if dist is None:
            continue
        for line in dist.requires or []:
            req = Requirement(line)
            if _applies(req, extras):
                todo.append((_name(req.name), set(req.extras)))
    return seen


def allowed_range(name: str, dists: dict[str, metadata.Distribution]) -> SpecifierSet:
    """Every installed package's requirement on `name`, combined."""
    combined = SpecifierSet()
    for dist in dists.values():
        for line in dist.requires or []:
            req = Requirement(line)
            if _name(req.name) == name and _applies(req, set()):
                combined &= req.specifier
    return combined


def reachable(url: str, data: bytes | None = None) -> bool:
    try:
        request = urllib.request.Request(url, data=data,
                                         headers={"Content-Type": "application/json"})
        with urllib.request.urlopen(request, timeout=8):  # noqa: S310 (fixed https URL)
            return True
    except OSError:
        return False


def load_accepted() -> list[dict[str, Any]]:
    data = yaml.safe_load(ACCEPTED.read_text(encoding="utf-8")) if ACCEPTED.exists() else {}
    return list((data or {}).get("accepted") or [])


def is_accepted(package: str, version: str, vuln: dict[str, Any],
                accepted: list[dict[str, Any]]) -> dict[str, Any] | None:
    ids = {vuln.get("id", ""), *(vuln.get("aliases") or [])}
    for entry in accepted:
        if _name(str(entry.get("package", ""))) != package:
            continue
        if entry.get("version") and str(entry["version"]) != version:
            continue
        wanted = set(entry.get("ids") or [])
        if not wanted or wanted & ids:
            return entry
    return None


def classify(report: dict[str, Any], dists: dict[str, metadata.Distribution],
             runtime: set[str], accepted: list[dict[str, Any]]) -> dict[str, Any]:
    findings, skipped = [], []
    for dep in report.get("dependencies", []):
        name, version = _name(dep["name"]), dep.get("version", "")
        if "skip_reason" in dep:
            skipped.append({"package": name, "reason": dep["skip_reason"]})
            continue
        for vuln in dep.get("vulns") or []:
            fixes = []
            for fix in vuln.get("fix_versions") or []:
                try:
                    fixes.append(Version(fix))
                except InvalidVersion:
                    continue
            allowed = allowed_range(name, dists)
            installable = [str(v) for v in fixes if allowed.contains(v, prereleases=True)]
            entry = is_accepted(name, version, vuln, accepted)
            if name not in runtime:
                status = "test-only package"
            elif not fixes:
                status = "no fix released"
            elif not installable:
                status = f"fix outside the pins ({allowed or 'no pin'})"
            elif entry is not None:
                status = "accepted: " + str(entry.get("reason", "")).strip()
            else:
                status = "BLOCKING"
            findings.append({
                "package": name, "version": version, "id": vuln.get("id"),
                "aliases": vuln.get("aliases") or [], "fix_versions": vuln.get("fix_versions"),
                "installable_fixes": installable, "runtime": name in runtime,
                "status": status,
            })
    return {"findings": findings, "skipped": skipped}


def summary_markdown(result: dict[str, Any], service: str, total: int, runtime: int,
                     strict: bool) -> str:
    findings, skipped = result["findings"], result["skipped"]
    blocking = [f for f in findings if f["status"] == "BLOCKING"]
    lines = [
        "# Dependency audit (pip-audit)", "",
        f"Run {date.today().isoformat()} by `make audit` (deploy/audit/audit.py); "
        f"vulnerability service: **{service}**. Policy: docs/deploy.md#dependency-audit.", "",
        f"- packages installed: {total} ({runtime} run by the assistant, the rest test tools)",
        f"- looked up: {total - len(skipped)}; could not be looked up: {len(skipped)}",
        f"- findings: {len(findings)}; blocking: {len(blocking)}", "",
    ]
    if skipped and len(skipped) == total:
        lines += [
            "**NOT AUDITED.** The advisory service answered for none of the packages "
            f"(first reason: {skipped[0]['reason']}). On this machine only the package "
            "registries are reachable and PyPI's per-release JSON (which pip-audit's `pypi` "
            "service reads) is not served; run `make audit` where "
            "https://api.osv.dev or https://pypi.org/pypi/NAME/VERSION/json is reachable "
            "(AUDIT_STRICT=1 makes this a failure).", ""]
    if findings:
        lines += ["| package | version | advisory | fixed in | status |", "|---|---|---|---|---|"]
        for f in sorted(findings, key=lambda f: (f["status"] != "BLOCKING", f["package"])):
            aliases = ", ".join(a for a in f["aliases"] if a.startswith("CVE"))
            advisory = f["id"] + (f" ({aliases})" if aliases else "")
            lines.append(f"| {f['package']} | {f['version']} | {advisory} | "
                         f"{', '.join(f['fix_versions'] or []) or '–'} | {f['status']} |")
        lines.append("")
    if skipped and len(skipped) < total:
        lines += ["Not looked up: " + ", ".join(s["package"] for s in skipped), ""]
    verdict = "FAILED" if blocking or (strict and skipped) else "passed"
    lines.append(f"Result: **{verdict}**" + (" (AUDIT_STRICT=1)" if strict else ""))
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--pip-audit", required=True, help="the pip-audit executable")
    parser.add_argument("--reports", default=str(ROOT / "reports"))
    parser.add_argument("--service", choices=["auto", "osv", "pypi"],
                        default=os.environ.get("AUDIT_SERVICE", "auto"))
    args = parser.parse_args(argv)
    strict = os.environ.get("AUDIT_STRICT", "") not in ("", "0")

    dists = installed()
    runtime = runtime_closure(dists)
    pins = sorted(f"{d.metadata['Name']}=={d.version}" for n, d in dists.items()
                  if n != _name(PROJECT) and not re.match(r"^(pip|setuptools|wheel)$", n))
    work = ROOT / "var" / "audit"
    work.mkdir(parents=True, exist_ok=True)
    requirements = work / "installed.txt"
    requirements.write_text("\n".join(pins) + "\n", encoding="utf-8")

    service = args.service
    if service == "auto":
        probe = b'{"package": {"name": "jinja2", "ecosystem": "PyPI"}, "version": "3.1.6"}'
        service = "osv" if reachable(OSV_PROBE, probe) else "pypi"
    raw = work / "pip-audit-raw.json"
    command = [args.pip_audit, "-r", str(requirements), "--no-deps", "--disable-pip",
               "--vulnerability-service", service, "--format", "json", "--output", str(raw),
               "--progress-spinner", "off", "--timeout", "30"]
    completed = subprocess.run(command, capture_output=True, text=True)
    if not raw.exists():
        print(completed.stdout + completed.stderr, file=sys.stderr)
        print("pip-audit produced no report.", file=sys.stderr)
        return 2
    report = json.loads(raw.read_text(encoding="utf-8"))
    result = classify(report, dists, runtime, load_accepted())

    reports = Path(args.reports)
    reports.mkdir(parents=True, exist_ok=True)
    (reports / "pip-audit.json").write_text(json.dumps({
        "service": service, "date": date.today().isoformat(), "strict": strict,
        "installed": len(pins), "runtime_packages": sorted(runtime & set(dists)),
        **result, "pip_audit": report}, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    text = summary_markdown(result, service, len(pins), len(runtime & set(dists)), strict)
    (reports / "pip-audit.md").write_text(text, encoding="utf-8")
    print(text)
    blocking = [f for f in result["findings"] if f["status"] == "BLOCKING"]
    if blocking or (strict and result["skipped"]):
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
