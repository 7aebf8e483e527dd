"""`python -m policy_analytics` runs the command line."""

from policy_analytics.cli import main

raise SystemExit(main())
