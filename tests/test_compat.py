"""Models registered by the flat layout (before accord.classify / accord.summarise) keep loading and predicting."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from tests.conftest import run_fresh_python

FIXTURES = Path(__file__).parent / "fixtures" / "old_layout"


def test_old_layout_models_load_with_the_current_package() -> None:
    expected = json.loads((FIXTURES / "expected.json").read_text(encoding="utf-8"))
    script = (
        "import json, accord, accord.pyfunc, mlflow\n"  # the current package is imported first, as the CLI does
        f"clf = mlflow.pyfunc.load_model({str(FIXTURES / 'classifier_tfidf')!r})\n"
        f"out = clf.predict({expected['texts']!r})\n"
        f"summ = mlflow.pyfunc.load_model({str(FIXTURES / 'summariser_lead1')!r})\n"
        "print(json.dumps({'labels': [list(x) for x in out['labels']],\n"
        "                  'scores': out[[c for c in out.columns if c.startswith('score_')]].values.tolist(),\n"
        "                  'summary': summ.predict(['HÀ NỘI — One. Two.'])['summary'].tolist(),\n"
        "                  'module': type(summ.unwrap_python_model().summariser).__module__,\n"
        "                  'package': accord.__file__}))\n"
    )
    got = json.loads(run_fresh_python(script, "sqlite:///:memory:"))
    assert got["labels"] == expected["labels"]
    assert np.allclose(got["scores"], expected["scores"], atol=1e-7)
    assert got["summary"] == expected["summary"] == ["One."]
    assert got["module"] == "accord.summarise.baselines"  # the pickled accord.baselines path resolves to the new room
    assert Path(got["package"]).resolve().parent == Path(__file__).resolve().parents[1] / "src" / "accord"
