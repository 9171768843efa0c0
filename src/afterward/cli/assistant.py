"""`afterward assistant ...`: offline checks of the assistant's understanding."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import typer
from rich.console import Console
from rich.table import Table

from afterward.cli.common import console, fail, print_json, store_named

app = typer.Typer(no_args_is_help=True, help="The assistant (intents, ...).")

_MODELS = ("served", "tfidf-lr", "wordllama")


@app.command("eval-intents")
def eval_intents(file: Path = typer.Argument(..., help="CSV 'text,intent' (a 'language' "
                                                       "column is ignored)."),
                 as_json: bool = typer.Option(False, "--json", help="Print one JSON object."),
                 model: str = typer.Option("served", "--model",
                                           help="served (TF-IDF + linear SVM), or a "
                                                "candidate trained on the shipped "
                                                "examples: tfidf-lr, wordllama."),
                 ) -> None:
    """Accuracy and macro F1 of the intent model on a labelled file, `other` counted as
    an intent, with precision, recall and F1 per intent."""
    from afterward.assistant import intent_eval

    if model not in _MODELS:
        fail(f"unknown model {model!r}; one of: {', '.join(_MODELS)}")
    try:
        labelled = intent_eval.read_labelled(file)
    except intent_eval.IntentFileError as exc:
        for problem in exc.problems:
            console.print(f"[red]error:[/red] {problem}", highlight=False, soft_wrap=True)
        raise typer.Exit(1) from None
    try:
        report = intent_eval.evaluate(labelled, _candidate(model))
    except RuntimeError as exc:  # wordllama missing: the `bench` extra
        fail(str(exc))
    if as_json:
        print_json(report)
        return
    table = Table(title=f"{report['n']} messages: accuracy {report['accuracy']:.3f}, "
                        f"macro F1 {report['macro_f1']:.3f}")
    for column in ("intent", "precision", "recall", "F1", "support"):
        table.add_column(column, justify="left" if column == "intent" else "right")
    for intent, row in report["per_intent"].items():
        table.add_row(intent, f"{row['precision']:.3f}", f"{row['recall']:.3f}",
                      f"{row['f1']:.3f}", str(row["support"]))
    Console().print(table)


def _candidate(model: str) -> Callable[[str], str] | None:
    """None for the served model; otherwise a predictor trained here."""
    if model == "served":
        return None
    from afterward.assistant import intent_embedding, intent_model
    from afterward.assistant.intents import decide

    examples = intent_model.read_examples()
    texts, intents = [e.text for e in examples], [e.intent for e in examples]
    trained: intent_model.TfidfIntentModel | intent_embedding.EmbeddingIntentModel
    if model == "wordllama":
        trained = intent_embedding.train_embedding(texts, intents)
    else:
        trained = intent_model.train_tfidf(texts, intents, kind="lr", c=10.0)

    def predict(text: str) -> str:
        return decide(trained.labels, trained.probabilities(text), intent_model.THRESHOLD)[0]

    return predict


@app.command("embed")
def embed(slug: str = typer.Argument(..., help="The store's slug."),
          origins: list[str] = typer.Option(
              [], "--origin", help="A site allowed to embed the chat, as "
                                   "https://shop.example[:port]; repeat for several. "
                                   "Replaces the list."),
          clear: bool = typer.Option(False, "--clear", help="Allow no site."),
          as_json: bool = typer.Option(False, "--json", help="Print one JSON object.")
          ) -> None:
    """The chat on the store's own site: the sites allowed to embed it (with --origin
    or --clear: set first), and the script tag to paste into the store's pages."""
    from afterward.assistant import embeds
    from afterward.cli.common import migrated_database, settings

    if clear and origins:
        fail("give --origin or --clear, not both")
    config = settings()
    db = migrated_database(config)
    try:
        with db.transaction() as session:
            store = store_named(session, slug)
            if origins or clear:
                allowed = embeds.set_origins(session, store_id=store.id, values=origins)
            else:
                allowed = embeds.origins(session, store.id)
    except embeds.EmbedError as exc:
        fail(exc.message)
    src = f"{config.public_url}/embed/{slug}/assistant.js"
    out = {"store": slug, "origins": list(allowed), "script_url": src,
           "snippet": f'<script src="{src}" async></script>'}
    if as_json:
        print_json(out)
        return
    print(out["snippet"])
    console.print("allowed sites: " + (", ".join(allowed) or "none (add one with --origin)"),
                  highlight=False, soft_wrap=True)
