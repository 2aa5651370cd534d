from haiti_report.update.cli import main

raise SystemExit(main())
