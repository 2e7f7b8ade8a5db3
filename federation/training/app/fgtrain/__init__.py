"""fairgrid's Flower app: modality-aware risk models trained with FedAvg or FedProx, optionally with DP."""
