import typer

app = typer.Typer(no_args_is_help=True, help="Say hello.")


@app.command()
def wave() -> None:
    """Wave."""
    print("hello")


@app.command()
def version() -> None:
    print("1")
