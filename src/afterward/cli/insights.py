"""`afterward insights ...`: offline evaluations of the models behind the pages."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import typer
from rich.console import Console
from rich.table import Table

from afterward.cli.common import fail, print_json, store_named

app = typer.Typer(no_args_is_help=True, help="Evaluate the models (delivery dates, ...).")


@app.command("eval-eta")
def eval_eta(olist: Path = typer.Option(..., "--olist", help="Folder with the Olist CSV files."),
             as_json: bool = typer.Option(False, "--json", help="Print one JSON object.")
             ) -> None:
    """Delivery-date promise vs Olist's own estimate, on a time-based holdout of
    delivered orders."""
    from afterward.insights import eta_eval

    try:
        report = eta_eval.evaluate(olist)
    except eta_eval.OlistError as exc:
        fail(str(exc))
    if as_json:
        print_json(report)
    else:
        _print_table(report)


def _print_table(report: dict[str, Any]) -> None:
    table = Table(title=f"Delivery dates on {report['test_orders']} later orders "
                        f"(trained on {report['train_orders']}, cut {report['cut'][:10]})")
    for column in ("", "MAE days", "in window", "width days", "by latest"):
        table.add_column(column, justify="right" if column else "left")
    for label, key in (("ours, purchase", "ours_at_purchase"),
                       ("ours, hand-over", "ours_at_handover")):
        row = report[key]
        table.add_row(label, f"{row['mae_days']:.2f}", f"{row['inside_window_share']:.1%}",
                      f"{row['window_width_days']:.1f}",
                      f"{row['on_or_before_latest_share']:.1%}")
    theirs = report["olist"]
    table.add_row("Olist's estimate", f"{theirs['mae_days']:.2f}", "-", "-",
                  f"{theirs['on_or_before_share']:.1%}")
    out = Console()
    out.print(table)
    out.print(f"{report['orders_read']} orders read, {report['delivered']} delivered, "
              f"{report['skipped_malformed']} malformed skipped. MAE of the likely date; "
              f"'by latest': delivered on or before the window's last day (Olist: its "
              f"estimate). Business days, {report['working_days_per_week']} a week; window "
              f"meant to hold {report['coverage']:.0%}.", highlight=False)


@app.command("clv")
def clv_fit(transactions_file: Path = typer.Option(..., "--transactions",
                                                   help="The transactions file."),
            fmt: str = typer.Option("elog", "--format", help="cdnow, elog or native."),
            calibration_end: str = typer.Option(..., "--calibration-end",
                                                help="YYYY-MM-DD: purchases after it are "
                                                     "left out."),
            as_json: bool = typer.Option(False, "--json", help="Print one JSON object.")
            ) -> None:
    """Fit BG/NBD, Pareto/NBD and (when spend is known) Gamma-Gamma to a transaction
    file and print their parameters and log-likelihoods (weeks; purchases of one day
    merged), to compare with R's BTYD on the same data."""
    from datetime import date

    try:
        from afterward.insights import transactions
    except ImportError as exc:  # numpy/scipy: the `models` extra
        fail(f"the CLV models need the 'models' extra (pip install 'afterward[models]'): "
             f"{exc}")

    try:
        end = date.fromisoformat(calibration_end)
    except ValueError:
        fail(f"--calibration-end {calibration_end!r} is not a date (YYYY-MM-DD)")
    try:
        summary, _ = transactions.summarise(transactions.read(transactions_file, fmt), end)
    except transactions.TransactionsError as exc:
        fail(f"{transactions_file}: {exc}")
    if len(summary) < 2:
        fail(f"{transactions_file}: fewer than 2 customers bought on or before {end}")
    report = clv_report(summary)
    if as_json:
        print_json(report)
        return
    table = Table(title=f"{report['customers']} customers, {report['repeat_buyers']} with "
                        f"repeat purchases, calibration to {end}")
    for column in ("model", "parameters", "log-likelihood"):
        table.add_column(column)
    for key, label in (("bgnbd", "BG/NBD"), ("pareto_nbd", "Pareto/NBD"),
                       ("gamma_gamma", "Gamma-Gamma")):
        fitted = report.get(key)
        if fitted is None:
            continue
        ll = fitted.get("log_likelihood")
        table.add_row(label, ", ".join(f"{k} = {v:.3f}" for k, v in fitted.items()
                                       if k != "log_likelihood"),
                      f"{ll:.1f}" if ll is not None else "-")
    Console().print(table)


def clv_report(summary: Any) -> dict[str, Any]:
    from afterward.insights import clv

    bgnbd, pareto = clv.fit_bgnbd(summary), clv.fit_pareto(summary)
    report: dict[str, Any] = {
        "customers": len(summary), "repeat_buyers": int((summary.x > 0).sum()),
        "bgnbd": {**bgnbd.params, "log_likelihood": bgnbd.log_likelihood},
        "pareto_nbd": {**pareto.params, "log_likelihood": pareto.log_likelihood}}
    if summary.m is not None and int(((summary.x > 0) & (summary.m > 0)).sum()) >= 2:
        gamma = clv.fit_gamma_gamma(summary)
        report["gamma_gamma"] = {**gamma.params, "log_likelihood": gamma.log_likelihood}
    return report


@app.command("eval-recs")
def eval_recs(orders: Path = typer.Option(..., "--orders", help="The orders file."),
              fmt: str = typer.Option("instacart", "--format",
                                      help="instacart, baskets or native."),
              k: int = typer.Option(10, "--k", help="List length scored."),
              new_items: bool = typer.Option(False, "--new-items",
                                             help="Score only items the customer never "
                                                  "bought, and never suggest past ones."),
              as_json: bool = typer.Option(False, "--json",
                                           help="Print one JSON line per method.")
              ) -> None:
    """Hold out each customer's last order and report Recall@k and NDCG@k of each
    recommender next to the popular and personal-top baselines (files without
    customers: each later basket's last item, for popular and co-purchase)."""
    try:
        from afterward.insights import basket_files, recs_eval
    except ImportError as exc:  # numpy/scipy: the `models` extra
        fail(f"the recommenders need the 'models' extra (pip install 'afterward[models]'): "
             f"{exc}")
    if k < 1:
        fail("--k must be 1 or more")
    try:
        baskets = basket_files.read(orders, fmt)
    except basket_files.BasketsError as exc:
        fail(f"{orders}: {exc}")
    if fmt == "baskets":
        if len(baskets.anonymous) < 2:
            fail(f"{orders}: fewer than 2 baskets")
        results = _run_with_progress(lambda progress: list(recs_eval.evaluate_anonymous(
            baskets.anonymous, k=k, progress=progress)), quiet=as_json)
        title = (f"Leave-last-item-out on {results[0]['users']} baskets "
                 "(no customers: popular and co-purchase only)")
    else:
        tested = sum(1 for history in baskets.histories.values() if len(history) >= 2)
        if tested == 0:
            fail(f"{orders}: no customer has two orders, so there is no last order to "
                 "hold out; --format baskets scores co-purchase on single baskets")
        methods = ["popular", "personal_top", "tifu_knn", "copurchase"]
        try:
            import implicit  # noqa: F401
            methods.insert(3, "als")
        except ImportError:
            pass
        results = _run_with_progress(
            lambda progress: list(recs_eval.evaluate(
                baskets.histories, k=k, methods=methods, new_items=new_items,
                progress=progress)), quiet=as_json)
        title = (f"{'New items in the last' if new_items else 'Last'} order of "
                 f"{results[0]['users']} customers (held out)")
    if as_json:
        for result in results:  # the contract's keys only
            print_json({key: result[key] for key in ("method", "recall_at_k", "ndcg_at_k",
                                                     "users")})
        return
    table = Table(title=title)
    for column in ("method", f"Recall@{k}", f"NDCG@{k}", "users"):
        table.add_column(column, justify="left" if column == "method" else "right")
    for result in results:
        table.add_row(result["method"], f"{result['recall_at_k']:.4f}",
                      f"{result['ndcg_at_k']:.4f}", str(result["users"]))
    out = Console()
    out.print(table)
    for result in results:
        if "params" in result:
            out.print(f"{result['method']}: " + ", ".join(
                f"{key} = {value}" for key, value in result["params"].items()), highlight=False)


def _run_with_progress(work: Any, *, quiet: bool) -> Any:
    from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

    from afterward.cli.common import console

    if quiet:
        return work(None)
    with Progress(TextColumn("{task.description:<18}"), BarColumn(), TimeElapsedColumn(),
                  console=console, transient=True) as bar:
        task = bar.add_task("reading", total=1)

        def progress(label: str, done: int, total: int) -> None:
            bar.update(task, description=label, completed=done, total=total)

        return work(progress)
@app.command("eval-sentiment")
def eval_sentiment(train: Path = typer.Option(..., "--train",
                                              help="CSV 'text,score' to train the model on."),
                   test: Path = typer.Option(..., "--test",
                                             help="CSV 'text,score' to measure it on."),
                   as_json: bool = typer.Option(False, "--json", help="Print one JSON object.")
                   ) -> None:
    """Train the learned sentiment model on --train; Pearson's r of its scores and of
    VADER's against the scores in --test."""
    from afterward.insights import sentiment_eval

    try:
        report = sentiment_eval.evaluate(sentiment_eval.read_rated(train),
                                         sentiment_eval.read_rated(test))
    except sentiment_eval.SentimentFileError as exc:
        fail(str(exc))
    if as_json:
        print_json({key: report[key] for key in ("pearson_r", "vader_pearson_r", "n")})
        return
    out = Console()
    out.print(f"Pearson r on {report['n']} texts (trained on {report['train_n']}): learned "
              f"{report['pearson_r']:.3f}, VADER {report['vader_pearson_r']:.3f} (VADER with "
              f"review words {report['lexicon_pearson_r']:.3f})", highlight=False)


@app.command("words")
def words(store: str = typer.Option(..., "--store", help="The store's slug."),
          as_json: bool = typer.Option(False, "--json", help="Print one JSON object.")
          ) -> None:
    """Score every text customers wrote in the store and find its themes now (the
    nightly job does the same)."""
    from rich.progress import BarColumn, Progress, TaskProgressColumn, TextColumn

    from afterward.cli.common import console, migrated_database
    from afterward.insights import words as insight_words

    db = migrated_database()
    try:
        with db.transaction() as session:
            found = store_named(session, store)
            labels = {"read": "Reading texts", "score": "Scoring sentiment",
                      "themes": "Finding themes"}
            with Progress(TextColumn("{task.description:<20}"), BarColumn(),
                          TaskProgressColumn(), console=console, transient=True,
                          disable=as_json) as progress:
                task = progress.add_task(labels["read"], total=None)

                def report(stage: str, done: int, total: int) -> None:
                    progress.update(task, description=labels[stage], completed=done,
                                    total=total or 1)

                outcome = insight_words.recompute(session, found.id, progress=report)
    finally:
        db.dispose()
    if as_json:
        print_json(outcome.as_dict())
    else:
        Console().print(f"{outcome.texts} texts scored with {outcome.model} "
                        f"({outcome.rated} rated); {outcome.themes} themes (run {outcome.run})",
                        highlight=False)


@app.command("report")
def report(store: str = typer.Option(..., "--store", help="The store's slug."),
           output: Path = typer.Option(..., "-o", "--output",
                                       help="The HTML file to write."),
           days: int = typer.Option(90, "--days",
                                    help="The period compared with the one before: 30, 90 "
                                         "or 365 days."),
           window: int = typer.Option(30, "--window",
                                      help="Days after enrolling in which a program's "
                                           "orders count: 7, 14, 30, 60 or 90.")
           ) -> None:
    """Write the store's cohorts, KPIs, CLV distribution and programs as one
    self-contained HTML file (CSS and charts inline: nothing to fetch to open it)."""
    from afterward.cli.common import migrated_database
    from afterward.insights import dashboard, programs
    from afterward.storage.types import utcnow
    from afterward.web.admin.context import StoreView
    from afterward.web.admin.insights import report_html

    if days not in dashboard.PERIODS:
        fail(f"--days must be one of {', '.join(map(str, dashboard.PERIODS))}")
    if window not in programs.WINDOWS:
        fail(f"--window must be one of {', '.join(map(str, programs.WINDOWS))}")
    if output.is_dir():
        fail(f"cannot write {output}: it is a folder")
    db = migrated_database()
    try:
        with db.reading() as session:
            found = store_named(session, store)
            html = report_html(session, StoreView.of(found), days=days, now=utcnow(),
                               window=window)
    finally:
        db.dispose()
    try:
        output.write_text(html, encoding="utf-8")
    except OSError as exc:
        fail(f"cannot write {output}: {exc.strerror or exc}")
    Console(stderr=True).print(f"wrote {output} ({len(html.encode()) // 1024 + 1} KiB)",
                               highlight=False)


@app.command("recompute")
def recompute(store: str | None = typer.Option(None, "--store",
                                               help="The store's slug (default: every store)."),
              as_json: bool = typer.Option(False, "--json",
                                           help="Print one JSON object per store.")
              ) -> None:
    """Recompute each customer's segment, churn risk, lifetime value and replenishment
    dates from the store's orders now (the worker does it nightly and after a bulk
    import); each store in its own transaction."""
    from rich.progress import BarColumn, Progress, TaskProgressColumn, TextColumn
    from sqlalchemy import select

    from afterward.cli.common import console, migrated_database
    from afterward.commerce.models import Store
    from afterward.insights import recompute as runs
    from afterward.process import freeze_start_up_heap

    labels = {"read": "Reading orders", "fit": "Fitting the models",
              "segments": "Segments", "replenishment": "Replenishment dates",
              "write": "Writing", "recommendations": "Recommendations", "done": "Done"}
    freeze_start_up_heap()
    db = migrated_database()
    outcomes = []
    try:
        with db.reading() as session:
            if store is not None:
                found = store_named(session, store)
                chosen = [(found.id, found.slug)]
            else:
                chosen = [(row.id, row.slug) for row in session.execute(
                    select(Store.id, Store.slug).order_by(Store.id))]
        with Progress(TextColumn("{task.description:<34}"), BarColumn(),
                      TaskProgressColumn(), console=console, transient=True,
                      disable=as_json) as progress:
            for store_id, slug in chosen:
                task = progress.add_task(f"{slug}: {labels['read']}", total=None)

                def report(step: str, done: int, total: int, task: Any = task,
                           slug: str = slug) -> None:
                    progress.update(task, description=f"{slug}: {labels.get(step, step)}",
                                    completed=done, total=total or 1)

                with db.transaction() as session:
                    outcome = runs.recompute(session, store_id, progress=report)
                outcomes.append((slug, outcome))
    finally:
        db.dispose()
    for slug, outcome in outcomes:
        if as_json:
            print_json({"store": slug, **outcome.as_dict()})
            continue
        how = ("BG/NBD, Pareto/NBD and Gamma-Gamma" if outcome.model == "btyd"
               else f"the recency heuristic ({outcome.reason})")
        Console().print(f"{slug}: {outcome.customers} customers scored with {how}; "
                        f"{outcome.replenishment_dates} replenishment dates (run "
                        f"{outcome.run_id})", highlight=False)
