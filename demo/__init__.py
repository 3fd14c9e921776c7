"""A synthetic workload with its ground truth: regency submissions, reference lists (`tepat demo-data`)."""
