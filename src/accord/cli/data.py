"""``accord data``: validate, build and describe the labelled corpus and datasets."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from accord import paths
from accord.cli.common import ConfigOpt, Overrides, data_app, read_data_config, validate_or_exit, xsum_or_exit


@data_app.command("validate")
def data_validate(config: ConfigOpt = None, overrides: Overrides = None) -> None:
    """Check schema, labels, duplicates, near-duplicates, seeds and minimum counts; exit 1 on any problem."""
    cfg = read_data_config(config, overrides)
    validate_or_exit(cfg, "found")
    real = Path(cfg.real_articles_path).parent
    typer.echo(f"ok: {cfg.sentences_path}, {cfg.reports_path} and the real corpus in {real} are valid")


@data_app.command("card")
def data_card(config: ConfigOpt = None, overrides: Overrides = None,
              out: Annotated[Path, typer.Option(help="Where to write the card.")] = paths.DATASET_CARD) -> None:
    """Regenerate the dataset card from the data."""
    from accord.data.card import render_card
    from accord.io import write_text_atomic

    cfg = read_data_config(config, overrides)
    validate_or_exit(cfg, "in the corpus; fix them and rerun")
    write_text_atomic(out, render_card(cfg))
    typer.echo(f"wrote {out}")


@data_app.command("build")
def data_build(config: ConfigOpt = None, overrides: Overrides = None,
               out: Annotated[Path, typer.Option(help="Folder for the saved DatasetDicts.")] = paths.PROCESSED_DIR
               ) -> None:
    """Validate the corpus, build every DatasetDict, save them under OUT and print their statistics."""
    from accord.data.card import split_table
    from accord.data.corpus import load_corpus
    from accord.data.datasets import classification_datasets, lede_pairs, report_datasets, xsum_datasets

    cfg = read_data_config(config, overrides)
    xsum_or_exit(cfg.xsum_path)
    validate_or_exit(cfg, "in the corpus; fix them and rerun")
    corpus = load_corpus(Path(cfg.sentences_path), Path(cfg.reports_path))
    built = {"classification": classification_datasets(cfg, corpus), "reports": report_datasets(cfg, corpus),
             "xsum": xsum_datasets(cfg)}
    for name, dd in built.items():
        dd.save_to_disk(str(out / name))
    ledes = lede_pairs(cfg.seeds_dir)
    ledes.save_to_disk(str(out / "seed_ledes"))
    typer.echo("Classification splits (sentences per label):")
    typer.echo(split_table(built["classification"]))
    for name in ("reports", "xsum"):
        typer.echo(f"Summarisation {name}: " + ", ".join(f"{k} {len(v)}" for k, v in built[name].items()))
    typer.echo(f"Seed lede pairs: {len(ledes)}")
    typer.echo(f"Saved to {out}")
