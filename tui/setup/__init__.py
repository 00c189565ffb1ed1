"""`cco-unlink setup`: connect to a real Procore company and QuickBooks Desktop, step by step."""
