"""`doctor --json`: versions, devices, engines — fast, without importing the heavy libraries."""

from __future__ import annotations

import json
import subprocess
import sys

from helpers.trainer_fixtures import PYTHON_RUNTIME

from tunedesk.doctor import engine_report, render_text


def test_doctor_json_reports_versions_devices_and_engines():
    script = (
        "import json, sys; from tunedesk.doctor import collect; report = collect(); "
        "report['imported_heavy'] = [m for m in ('transformers', 'peft', 'deepspeed') if m in sys.modules]; "
        "print(json.dumps(report))"
    )
    result = subprocess.run(
        [sys.executable, "-c", script], cwd=PYTHON_RUNTIME, capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert report["imported_heavy"] == []
    assert report["python"]["version"].startswith(f"{sys.version_info.major}.{sys.version_info.minor}")
    import torch

    assert report["torch"]["version"] == torch.__version__
    assert report["cuda"]["available"] == torch.cuda.is_available()
    assert report["packages"]["transformers"] and report["packages"]["peft"]
    assert "deepspeed" in report["packages"]
    cpu = [d for d in report["devices"] if d["type"] == "cpu"]
    assert cpu and cpu[0]["total_gb"] > 0 and 0 < cpu[0]["free_gb"] <= cpu[0]["total_gb"]
    assert report["engines"]["torch"]["available"] is True
    assert report["engines"]["deepspeed"]["available"] == bool(
        report["packages"]["deepspeed"] and report["cuda"]["available"]
    )


def test_doctor_command_prints_json_and_text():
    run = [sys.executable, "-m", "tunedesk", "doctor"]
    as_json = subprocess.run(
        [*run, "--json"], cwd=PYTHON_RUNTIME, capture_output=True, text=True, timeout=120
    )
    assert as_json.returncode == 0 and json.loads(as_json.stdout)["engines"]
    report = json.loads(as_json.stdout)
    text = render_text(report)
    assert "Engines:" in text and "torch" in text and "deepspeed" in text


def test_engine_report_explains_each_case():
    full = {"torch": "2", "transformers": "5", "peft": "0.21", "safetensors": "0.8", "deepspeed": "0.17"}
    assert engine_report(full, True, 2)["deepspeed"] == {
        "available": True,
        "reason": "ZeRO-2/3 with CPU offload on 2 GPU(s)",
        "gpus": 2,
    }
    assert "no CUDA GPU" in engine_report(full, False, 0)["deepspeed"]["reason"]
    no_ds = engine_report({**full, "deepspeed": None}, True, 1)
    assert (
        not no_ds["deepspeed"]["available"] and "requirements-deepspeed.txt" in no_ds["deepspeed"]["reason"]
    )
    broken = engine_report({**full, "peft": None}, False, 0)["torch"]
    assert not broken["available"] and "peft" in broken["reason"]
