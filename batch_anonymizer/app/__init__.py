"""The library entry points that run the stages in order: prepare, execute, rebuild."""
