"""Run-time machinery: lock, faults, progress, log masking, the temporary Prefect API."""
