"""Federated training: the Flower app, FAB builds, local Flower processes, the Control API client."""
