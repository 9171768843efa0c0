from afterward.cli import main

main()
