"""``accord review``: export the sentences a classified output is least sure of, import them labelled."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from accord import paths
from accord.cli.common import DataConfigOpt, TrackingOpt, TrustOpt, err, load, read_store, review_app


@review_app.command("export")
def review_export_cmd(
    classified: Annotated[list[Path], typer.Argument(help="accord classify outputs (JSONL, CSV or Parquet).")],
    out: Annotated[Path, typer.Option(help="The sheet: OUT.csv and OUT.jsonl are written.")] = Path("review-sheet.csv"),
    n: Annotated[int, typer.Option(help="How many sentences to pick.", min=1)] = 50,
    model: Annotated[str | None, typer.Option(help="The classifier that made the output (its thresholds; default: "
                                                   "the champion).")] = None,
    second_model: Annotated[str | None, typer.Option(help="A second classifier: sentences it labels differently "
                                                          "come first.")] = None,
    tracking_uri: TrackingOpt = None,
    trust_model: TrustOpt = False,
) -> None:
    """Write a labelling sheet of the N sentences the classifier is least sure of (margin to its thresholds,
    disagreement with a second model)."""
    from accord import tracking
    from accord.classify.predictor import Predictor
    from accord.data.review import labelled_sheet, read_classified, select_uncertain, sheet_rows, write_sheet

    taken = labelled_sheet(out)
    if taken is not None:
        err(f"error: {taken} already holds gold labels (or cannot be read); import it first "
             "(`accord review import`) or choose another --out. Nothing was written.")
        raise typer.Exit(2)
    for uri in dict.fromkeys((model, second_model)):  # the store is checked once when neither is given
        read_store(tracking_uri, uri, trust_model)
    rows, errors = [], []
    for path in classified:
        got, bad = read_classified(path)
        rows, errors = rows + got, errors + bad
    for e in errors:
        err(f"error: {e}")
    if not rows:
        err("error: no classified sentences to pick from; nothing was written")
        raise typer.Exit(1)
    try:
        primary = Predictor(tracking.load_model(model or tracking.CLASSIFIER_URI, tracking_uri))
        second = Predictor(tracking.load_model(second_model, tracking_uri)) if second_model else None
    except tracking.ModelNotFound as exc:
        err(f"error: {exc}")
        raise typer.Exit(1) from None
    thresholds = getattr(primary.scorer, "thresholds", None)
    selected = select_uncertain(rows, thresholds if thresholds is not None else 0.5, n,
                                (lambda texts: second(texts)[1]) if second else None)
    csv_path, jsonl_path = write_sheet(sheet_rows(selected), out)
    typer.echo(f"wrote {len(selected)} sentences to {csv_path} and {jsonl_path}: fill the gold_ columns (1 = has the "
               "label, 0 = not; all 0 = other), then run `accord review import`")
    if errors:
        raise typer.Exit(1)


@review_app.command("import")
def review_import_cmd(
    sheet: Annotated[Path, typer.Argument(help="A filled sheet (CSV or JSONL) from `accord review export`.")],
    data_config: DataConfigOpt = paths.DATA_CONFIG_FILE,
) -> None:
    """Check a filled sheet and add its sentences to data/real/ (all or nothing); the next training uses them."""
    import datetime

    from accord.data.datasets import DataConfig
    from accord.data.review import append_reviewed, known_texts, read_sheet

    cfg = load(DataConfig, data_config if data_config and data_config.exists() else None, [])
    reviewed, errors = read_sheet(sheet, known_texts(cfg.real_sentences_path))
    for e in errors:
        err(f"error: {e}")
    if errors:
        err(f"{len(errors)} problem(s) in {sheet}; nothing was added")
        raise typer.Exit(1)
    added = append_reviewed(reviewed, cfg.real_sentences_path,
                            {"sheet": str(sheet), "imported": datetime.date.today().isoformat()})
    typer.echo(f"added {added} reviewed sentences to {cfg.real_sentences_path}; `accord train classifier` uses them "
               "(training split) and the gate decides")
