"""python -m haiti_report.build"""

from haiti_report.build.cli import main

if __name__ == "__main__":
    raise SystemExit(main())
