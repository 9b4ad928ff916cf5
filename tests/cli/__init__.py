"""End-to-end tests of the headless check (`gradguard --check` and friends)."""
