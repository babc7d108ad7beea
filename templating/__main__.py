from templating.cli import main

main()
