"""Governed federated training: job records, signed approvals, revocations."""
